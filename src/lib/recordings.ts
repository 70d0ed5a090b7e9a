// The recordings directory (DESIGN.md "Recordings directory"): `<out>/<day>/<stem>.opus`
// plus sidecars sharing the stem, `.partial.*` files that belong to the recorder
// alone, and `<out>/.trash/<day>/` for deleted recordings that can be restored.
import { mkdir, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isPartialPath } from '../encode/settings.js';

export const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;
/** What a file in a day folder is, from its name: <stem>.opus|.webm (final),
 * <stem>.partial.opus|.webm (growing, read-only), sidecars and markers. */
export type FileKind = 'audio' | 'partial' | 'waveform' | 'transcript' | 'keep' | 'other';

export interface ParsedName {
  stem: string;
  kind: FileKind;
}

const SUFFIXES: Array<[string, FileKind]> = [
  ['.partial.opus', 'partial'],
  ['.partial.webm', 'partial'],
  ['.opus', 'audio'],
  ['.webm', 'audio'],
  ['.waveform.json', 'waveform'],
  ['.transcript.json', 'transcript'],
  ['.keep', 'keep'],
];

export function parseName(name: string): ParsedName {
  for (const [suffix, kind] of SUFFIXES) {
    if (name.endsWith(suffix) && name.length > suffix.length) return { stem: name.slice(0, -suffix.length), kind };
  }
  const dot = name.indexOf('.');
  return { stem: dot > 0 ? name.slice(0, dot) : name, kind: 'other' };
}


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
    const { stem, kind } = parseName(file);
    if (kind === 'audio') refs.push({ day, stem, file });
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
