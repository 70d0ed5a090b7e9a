// The recordings directory (DESIGN.md "Recordings directory"): `<out>/<day>/<stem>.opus`
// plus sidecars sharing the stem, `.partial.*` files that belong to the recorder
// alone, and `<out>/.trash/<day>/` for deleted recordings that can be restored.
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isPartialPath } from '../encode/settings.js';

export const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;
/** A finished recording's audio file (never a partial: `x.partial.opus` is excluded by the caller). */
const AUDIO_FILE = /^(.+)\.(opus|webm)$/;

export interface RecordingRef {
  day: string;
  stem: string;
  /** The audio file's name (`<stem>.opus` or `.webm`). */
  file: string;
}

export const trashDir = (out: string) => join(out, '.trash');
export const keepMarker = (out: string, r: { day: string; stem: string }) => join(out, r.day, `${r.stem}.keep`);
export const archivedMarker = (out: string, r: { day: string; stem: string }) => join(out, r.day, `${r.stem}.archived`);

/** Day folders of `root` (the recordings root or the trash), oldest first. */
export async function dayFolders(root: string): Promise<string[]> {
  return (await readdir(root).catch(() => [] as string[])).filter((d) => DAY_DIR.test(d)).sort();
}

/** Finished recordings of one day folder, oldest first (names sort by time). */
export async function recordingsOfDay(root: string, day: string): Promise<RecordingRef[]> {
  const names = await readdir(join(root, day)).catch(() => [] as string[]);
  const refs: RecordingRef[] = [];
  for (const file of names.sort()) {
    const m = AUDIO_FILE.exec(file);
    if (m && !isPartialPath(file)) refs.push({ day, stem: m[1]!, file });
  }
  return refs;
}

/** Every file that belongs to a recording: its audio and sidecars (never a partial). */
export async function filesOfStem(root: string, day: string, stem: string): Promise<string[]> {
  const names = await readdir(join(root, day)).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(`${stem}.`) && !isPartialPath(n)).sort();
}

/** Move a recording and its sidecars from `from/<day>/` to `to/<day>/` (same filesystem). */
export async function moveStem(from: string, to: string, day: string, stem: string): Promise<string[]> {
  const files = await filesOfStem(from, day, stem);
  await mkdir(join(to, day), { recursive: true });
  for (const f of files) await rename(join(from, day, f), join(to, day, f));
  return files;
}

export async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}
