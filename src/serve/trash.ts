// Deleting is moving: a recording and its sidecars go to <out>/.trash/<day>/ and
// can be restored; only "empty the trash" removes files for good. Partials are
// never moved (they are read-only until renamed).
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dayFolders, filesOfStem, moveStem, trashDir } from '../lib/recordings.js';
import { parseName } from './names.js';

export class ConflictError extends Error {}

/** A move never replaces a file: a name already at the destination is a conflict. */
async function refuseOverwrite(names: string[], toDir: string): Promise<void> {
  for (const n of names) {
    if (await stat(join(toDir, n)).then(() => true, () => false)) throw new ConflictError(`${n} already exists`);
  }
}

/** Move a finished recording and its sidecars (never a partial) to the trash; returns the names moved. */
export async function trashRecording(root: string, day: string, stem: string): Promise<string[]> {
  await refuseOverwrite(await filesOfStem(root, day, stem), join(trashDir(root), day));
  return moveStem(root, trashDir(root), day, stem);
}

export async function restoreRecording(root: string, day: string, stem: string): Promise<string[]> {
  const names = await filesOfStem(trashDir(root), day, stem);
  if (!names.length) return [];
  await refuseOverwrite(names, join(root, day));
  return moveStem(trashDir(root), root, day, stem);
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
  const base = trashDir(root);
  const days = (await dayFolders(base)).reverse();
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
  await rm(trashDir(root), { recursive: true, force: true });
  return entries.reduce((n, e) => n + e.files.length, 0);
}
