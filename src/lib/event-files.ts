// Where an event's files live (DESIGN.md "Spool", "Recordings directory"), derived
// from a tool's own folders and the event's id, day and stem: never taken from an
// event line, a job file or a start record, which anyone can write (issue #16).
// A line or file whose paths are not the derived ones is refused, not followed.
import { extname, join, resolve } from 'node:path';
import { lstatOrNull, notRegular } from './safe-fs.js';

/** The patterns of schema/event.schema.json: nothing in them can leave a folder. */
export const EVENT_ID = /^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4,}$/;
export const EVENT_DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
export const EVENT_STEM = /^[0-9]{2}-[0-9]{2}-[0-9]{2}_[a-z]+_[0-9a-f]{4,}$/;

export interface EventName {
  id: string;
  day: string;
  stem: string;
}

export interface EventDirs {
  out: string;
  spool: string;
}

export interface EventFiles {
  /** `<out>/<day>`. */
  dir: string;
  /** `<spool>/<id>.wav`. */
  wav: string;
  /** `<out>/<day>/<stem>.opus` (or `.webm`). */
  opus: string;
  /** `<out>/<day>/<stem>.partial.opus` (or `.webm`). */
  partial: string;
  waveform: string;
  transcript: string;
  /** `<spool>/<id>.job.json`. */
  job: string;
  /** `<spool>/<id>.started.json`. */
  started: string;
}

/** A one-line reason when id, day or stem is not what rec-segment names; null when they are. */
export function eventNameError(ev: Partial<EventName>): string | null {
  if (typeof ev.id !== 'string' || !EVENT_ID.test(ev.id)) return `id ${JSON.stringify(ev.id)} is not an event id`;
  if (typeof ev.day !== 'string' || !EVENT_DAY.test(ev.day)) return `day ${JSON.stringify(ev.day)} is not a day (YYYY-MM-DD)`;
  if (typeof ev.stem !== 'string' || !EVENT_STEM.test(ev.stem)) return `stem ${JSON.stringify(ev.stem)} is not an event stem`;
  return null;
}

/** Every path of an event, from the tool's folders (resolved here) and its checked names. */
export function eventFiles(ev: EventName, dirs: EventDirs, ext: '.opus' | '.webm' = '.opus'): EventFiles {
  const bad = eventNameError(ev);
  if (bad) throw new Error(bad);
  const out = resolve(dirs.out);
  const spool = resolve(dirs.spool);
  const dir = join(out, ev.day);
  return {
    dir,
    wav: join(spool, `${ev.id}.wav`),
    opus: join(dir, `${ev.stem}${ext}`),
    partial: join(dir, `${ev.stem}.partial${ext}`),
    waveform: join(dir, `${ev.stem}.waveform.json`),
    transcript: join(dir, `${ev.stem}.transcript.json`),
    job: join(spool, `${ev.id}.job.json`),
    started: join(spool, `${ev.id}.started.json`),
  };
}

/** The container an event line names (`.webm` from --container webm), `.opus` otherwise. */
export function audioExtension(path: string | null | undefined): '.opus' | '.webm' {
  return typeof path === 'string' && extname(path) === '.webm' ? '.webm' : '.opus';
}

interface ClaimedPaths extends Partial<EventName> {
  wav?: unknown;
  opus?: unknown;
  partial?: unknown;
}

/**
 * Null when an event line, job or start record names only the paths derived from
 * `dirs` (a null `opus`/`partial` is allowed); otherwise a one-line reason.
 * Relative paths are taken from the working directory, as the tools resolve their own.
 */
export function foreignPathError(ev: ClaimedPaths, dirs: EventDirs): string | null {
  const bad = eventNameError(ev);
  if (bad) return bad;
  const audio = typeof ev.opus === 'string' ? ev.opus : typeof ev.partial === 'string' ? ev.partial : null;
  const own = eventFiles(ev as EventName, dirs, audioExtension(audio));
  const check = (field: string, claimed: unknown, derived: string, nullable: boolean): string | null => {
    if (claimed === null && nullable) return null;
    if (typeof claimed !== 'string') return `"${field}" is missing`;
    return resolve(claimed) === derived ? null : `"${field}" names ${JSON.stringify(claimed)}, not ${derived}`;
  };
  return (
    check('wav', ev.wav, own.wav, false) ??
    ('opus' in ev ? check('opus', ev.opus, own.opus, true) : null) ??
    ('partial' in ev ? check('partial', ev.partial, own.partial, true) : null)
  );
}

/**
 * Null when nothing an event writes or moves goes through a symbolic link: its day
 * folder is a real folder (or not there yet), its audio, WAV and sidecars are not
 * links (a link there would make a write land outside the tool's folders).
 */
export async function linkedFileError(files: EventFiles): Promise<string | null> {
  const day = await lstatOrNull(files.dir);
  if (day && !day.isDirectory()) return `${files.dir} ${day.isSymbolicLink() ? 'is a symbolic link' : 'is not a folder'}`;
  for (const path of [files.wav, files.opus, files.partial, files.waveform, files.transcript, files.job]) {
    const st = await lstatOrNull(path);
    if (st && !st.isFile()) return `${path} ${notRegular(st)}`;
  }
  return null;
}
