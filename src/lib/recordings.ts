// The recordings directory (DESIGN.md "Recordings directory"): `<out>/<day>/<stem>.opus`
// plus sidecars sharing the stem, `.partial.*` files that belong to the recorder
// alone, and `<out>/.trash/<day>/` for deleted recordings that can be restored.
// What moves or removes a recording (the trash, retention) touches only its own
// files (ownFileStem), and never through a symbolic link (lib/safe-fs.ts).
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { EVENT_DAY, EVENT_STEM } from './event-files.js';
import { RefusedPath, freeToMove, moveFileNoReplace, realDirBelow, removeFileNoFollow } from './safe-fs.js';

export const DAY_DIR = EVENT_DAY;
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

export const keepMarker = (out: string, r: { day: string; stem: string }) => join(out, r.day, `${r.stem}.keep`);

/**
 * Names of day folders in `root` (the recordings root or the trash), oldest first.
 * Links among them are listed too (what moves or removes goes through dayFiles,
 * which refuses and logs them), unless `realOnly`: then only real folders, for
 * code that writes into them without a refusal to report (repair, recovery).
 */
export async function dayFolders(root: string, opts: { realOnly?: boolean } = {}): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => DAY_DIR.test(e.name) && (!opts.realOnly || e.isDirectory()))
    .map((e) => e.name)
    .sort();
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

/** The stem rec-segment gives an event (schema/event.schema.json). */
export const STEM = EVENT_STEM;

/**
 * A recording's own files after its stem: the audio, the sidecars rec-sidecars
 * writes (waveform, transcript, the `.archived` marker) and rec-serve's `.keep`
 * marker, the temp files their atomic writes (and recovery's remux) may leave,
 * and `<stem>.opus[.<n>].broken`, a partial moved aside by recovery. Never a
 * partial, never anything else (`<stem>.notes.txt` is a user's).
 */
const OWN_SUFFIX = /^\.(?:(?:opus|webm)(?:\.tmp|(?:\.[0-9]+)?\.broken)?|(?:waveform|transcript)\.json(?:\.tmp)?|archived(?:\.tmp)?|keep)$/;

/** The stem when `name` is one of a recording's own files; null for anything else. */
export function ownFileStem(name: string): string | null {
  const dot = name.indexOf('.');
  if (dot < 0) return null;
  const stem = name.slice(0, dot);
  return STEM.test(stem) && OWN_SUFFIX.test(name.slice(dot)) ? stem : null;
}

/** Where a day's recordings are: `<out>/<day>`, or `<out>/.trash/<day>` once deleted. */
export type Place = 'recordings' | 'trash';
const placeParts = (where: Place, day: string) => (where === 'trash' ? ['.trash', day] : [day]);

export interface DayFiles {
  /** The day folder; null when it is not there. */
  dir: string | null;
  /** Each recording's own regular files, by stem (names sorted). */
  stems: Map<string, string[]>;
  /** Own names taken by a symbolic link (or a folder…): never moved, removed or followed. */
  refused: RefusedPath[];
}

/**
 * The recordings' own files in a day folder (or a trash day folder). Throws
 * RefusedPath when the folder, or `.trash`, is a symbolic link.
 */
export async function dayFiles(out: string, where: Place, day: string): Promise<DayFiles> {
  const dir = await realDirBelow(out, placeParts(where, day));
  const result: DayFiles = { dir, stems: new Map(), refused: [] };
  if (!dir) return result;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const stem = ownFileStem(e.name);
    if (!stem) continue;
    if (!e.isFile()) result.refused.push(new RefusedPath(join(dir, e.name), e.isSymbolicLink() ? 'is a symbolic link' : 'is not a regular file'));
    else result.stems.set(stem, [...(result.stems.get(stem) ?? []), e.name]);
  }
  return result;
}

/** The audio file among a recording's own files (`<stem>.opus` or `.webm`); null when there is none. */
export function audioOf(stem: string, names: string[]): string | null {
  return names.find((n) => n === `${stem}.opus` || n === `${stem}.webm`) ?? null;
}

/**
 * A recording's own regular files, read for a move or a removal. A recording with
 * one of its own names taken by a link is refused whole (RefusedPath): it is never
 * split, and the link never followed.
 */
async function ownFilesOf(out: string, where: Place, day: string, stem: string): Promise<{ dir: string | null; names: string[] }> {
  if (!STEM.test(stem)) return { dir: null, names: [] };
  const files = await dayFiles(out, where, day);
  const link = files.refused.find((r) => ownFileStem(basename(r.path)) === stem);
  if (link) throw link;
  return { dir: files.dir, names: files.stems.get(stem) ?? [] };
}

/**
 * Move a recording's own files between its day folder and the trash (same
 * filesystem); returns the names moved. Never a partial or a user's file, never
 * through a link, never over a file already at the destination (RefusedPath).
 */
export async function moveStem(out: string, day: string, stem: string, from: Place, to: Place): Promise<string[]> {
  const { dir, names } = await ownFilesOf(out, from, day, stem);
  if (!dir || !names.length) return [];
  const dest = (await realDirBelow(out, placeParts(to, day), { create: true }))!;
  // Checked for every file first: a recording is not split by a name taken half-way.
  for (const n of names) if (!(await freeToMove(join(dir, n), join(dest, n)))) throw new RefusedPath(join(dest, n), 'already exists');
  for (const n of names) await moveFileNoReplace(join(dir, n), join(dest, n));
  return names;
}

/** Remove a recording's own files for good (the same rules as moveStem); returns the names removed. */
export async function removeStem(out: string, day: string, stem: string, where: Place): Promise<string[]> {
  const { dir, names } = await ownFilesOf(out, where, day, stem);
  const removed: string[] = [];
  for (const n of names) if (dir && (await removeFileNoFollow(join(dir, n)))) removed.push(n);
  return removed;
}

export async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}
