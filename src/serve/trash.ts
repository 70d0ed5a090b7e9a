// Deleting is moving: a recording and its sidecars go to <out>/.trash/<day>/ and
// can be restored; only "empty the trash" removes files for good. Partials are
// never moved (they are read-only until renamed).
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DAY_RE } from './paths.js';
import { parseName } from './names.js';

export const TRASH_DIR = '.trash';

export class ConflictError extends Error {}

/** The files of `stem` in `dir` (all `<stem>.*` names but partials). */
async function stemFiles(dir: string, stem: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(`${stem}.`) && parseName(n).stem === stem && parseName(n).kind !== 'partial');
}

async function moveAll(fromDir: string, toDir: string, names: string[]): Promise<void> {
  for (const n of names) {
    if (await stat(join(toDir, n)).then(() => true, () => false)) throw new ConflictError(`${n} already exists`);
  }
  await mkdir(toDir, { recursive: true });
  for (const n of names) await rename(join(fromDir, n), join(toDir, n));
}

/** Move a finished recording and its sidecars to the trash; returns the names moved. */
export async function trashRecording(root: string, day: string, stem: string): Promise<string[]> {
  const names = await stemFiles(join(root, day), stem);
  await moveAll(join(root, day), join(root, TRASH_DIR, day), names);
  return names;
}

export async function restoreRecording(root: string, day: string, stem: string): Promise<string[]> {
  const names = await stemFiles(join(root, TRASH_DIR, day), stem);
  if (names.length) await moveAll(join(root, TRASH_DIR, day), join(root, day), names);
  return names;
}

export interface TrashEntry {
  day: string;
  stem: string;
  files: string[];
  bytes: number;
  /** When it was moved there (the rename changes ctime). */
  deletedAt: string;
}

/** Newest first; bounded by `limit`. */
export async function listTrash(root: string, limit = 500): Promise<TrashEntry[]> {
  const base = join(root, TRASH_DIR);
  const days = (await readdir(base).catch(() => [] as string[])).filter((d) => DAY_RE.test(d)).sort().reverse();
  const out: TrashEntry[] = [];
  for (const day of days) {
    const byStem = new Map<string, TrashEntry>();
    for (const name of (await readdir(join(base, day)).catch(() => [] as string[])).sort().reverse()) {
      const st = await stat(join(base, day, name)).catch(() => null);
      if (!st?.isFile()) continue;
      const { stem } = parseName(name);
      const e = byStem.get(stem) ?? { day, stem, files: [], bytes: 0, deletedAt: st.ctime.toISOString() };
      e.files.push(name);
      e.bytes += st.size;
      if (st.ctime.toISOString() > e.deletedAt) e.deletedAt = st.ctime.toISOString();
      byStem.set(stem, e);
    }
    out.push(...byStem.values());
    if (out.length >= limit) return out.slice(0, limit);
  }
  return out;
}

/** Remove everything in the trash for good; returns how many files went. */
export async function emptyTrash(root: string): Promise<number> {
  const entries = await listTrash(root, Number.MAX_SAFE_INTEGER);
  await rm(join(root, TRASH_DIR), { recursive: true, force: true });
  return entries.reduce((n, e) => n + e.files.length, 0);
}
