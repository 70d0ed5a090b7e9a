// Reading segmenter_status.json as every reader must: validated against its
// schema, with its age, and a clear reason when it is missing or unusable.
import { schemaError, type SegmenterStatus } from '../lib/contracts.js';
import { NotSmallFileError, readSmallFile } from '../lib/read-small-file.js';

/** Heartbeat of rec-segment: a status older than three of them means it is not running. */
export const HEARTBEAT_MS = 5000;
export const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

export type StatusRead =
  | { ok: true; status: SegmenterStatus; ageMs: number; stale: boolean }
  | { ok: false; reason: 'missing' | 'corrupt' | 'not-a-status-file'; message: string };

/**
 * Read and validate the status file. Never hangs and never reads much: a FIFO,
 * a device, a directory, a symlink or a file over 1 MiB is 'not-a-status-file'.
 */
export async function readStatus(path: string, now = Date.now(), staleAfterMs = STALE_AFTER_MS): Promise<StatusRead> {
  let text: string;
  try {
    text = (await readSmallFile(path)).toString('utf8');
  } catch (err) {
    if (err instanceof NotSmallFileError) return { ok: false, reason: 'not-a-status-file', message: `${path}: not a status file: ${err.what}` };
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: 'missing', message: `${path}: ${code === 'ENOENT' ? 'no such file (is rec-segment running?)' : (code ?? (err as Error).message)}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'corrupt', message: `${path}: corrupt, not JSON (${escapeControls((err as Error).message)})` };
  }
  const problem = statusProblem(value);
  if (problem) return { ok: false, reason: 'corrupt', message: `${path}: corrupt, ${problem}` };
  const status = value as SegmenterStatus;
  const ageMs = statusAgeMs(Date.parse(status.updatedAt), now, staleAfterMs);
  return { ok: true, status, ageMs, stale: ageMs > staleAfterMs };
}

/** JSON.parse quotes the bad text raw: its newlines and NULs must not break a one-line message. */
function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/**
 * How old a status stamped `updatedMs` is at `now` (both wall clock). A stamp
 * up to `toleranceMs` in the future counts as fresh (age 0); one further ahead
 * was written before the wall clock stepped back (NTP correcting a clock that
 * ran ahead) and not since — a running rec-segment rewrites it within 250 ms
 * of a step — so its distance from now is returned as its age: it is judged
 * stale, never fresh for the hour the clock went back.
 */
export function statusAgeMs(updatedMs: number, now: number, toleranceMs = STALE_AFTER_MS): number {
  const age = now - updatedMs;
  return age >= -toleranceMs ? Math.max(0, age) : -age;
}

/**
 * Why a parsed value is not a usable status, or null: the schema, plus what it
 * cannot check (date formats are not validated; the last event has its own schema).
 */
export function statusProblem(value: unknown): string | null {
  const invalid = schemaError('segmenter_status.schema.json', value);
  if (invalid) return `does not match the status schema: ${invalid}`;
  const status = value as SegmenterStatus;
  if (Number.isNaN(Date.parse(status.updatedAt))) return `updatedAt is not a date (${JSON.stringify(status.updatedAt)})`;
  const lastInvalid = status.lastEvent ? schemaError('event.schema.json', status.lastEvent) : null;
  if (lastInvalid) return `lastEvent is not an event.finished object: ${lastInvalid}`;
  return null;
}
