// Start-up recovery of the spool after a crash or kill -9: every event that was
// started but never finished (a `<id>.started.json` without a job file) has its
// WAV header repaired and becomes a finished event — nothing recorded is lost.
import { link, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { repairWav } from '../lib/wav.js';
import { atomicWriteJson } from '../lib/atomic-write.js';
import { FRAME_MS } from '../lib/pcm.js';
import type { EventFinished, EventStarted } from '../lib/contracts.js';
import { SILENCE_DBFS } from './levels.js';
import { readStatus } from '../status/read-status.js';
import { encodeWav } from '../encode/encode-input.js';
import { finalPathFor, isPartialPath, partialPathFor, type EncoderSettings } from '../encode/settings.js';
import { decodedDuration, remuxInto } from '../encode/verify.js';
import { dayFolders } from '../lib/recordings.js';
import { audioExtension, eventFiles, eventNameError, foreignPathError, linkedFileError, type EventName } from '../lib/event-files.js';
import { rebuildJob, wavLevels } from './rebuild.js';

export interface RecoveryEncoder {
  ffmpeg: string;
  settings?: Partial<EncoderSettings>;
}

/** What a previous run left: start records of cut-off events, and partials. */
export interface Leftovers {
  markers: string[];
  partials: string[];
}

/**
 * List the leftovers before recording starts, so recovery can run beside the new
 * run without ever taking the new run's own start records or partials for a
 * crash's.
 */
export async function scanLeftovers(spool: string, out: string): Promise<Leftovers> {
  const markers = (await readdir(spool).catch(() => [] as string[])).filter((n) => n.endsWith('.started.json')).sort();
  const partials: string[] = [];
  for (const day of await dayFolders(out, { realOnly: true })) {
    for (const name of (await readdir(join(out, day)).catch(() => [] as string[])).sort()) {
      if (isPartialPath(name) && !name.endsWith('.tmp')) partials.push(join(out, day, name));
    }
  }
  return { markers, partials };
}

/**
 * Recover every unfinished event in the spool (or those of `markers`); returns
 * the finished lines (also emitted). An event that was being stream-encoded left
 * a stale `.partial.opus`: with `encoder` it is re-encoded from the WAV right away
 * (replacing the partial, `encode.mode` "offline"), so no partial is left looking
 * like a live recording. One that was cut off after its rename keeps its file;
 * rec-sidecars checks it against the WAV.
 */
export async function recoverSpool(
  spool: string,
  out: string,
  emit: (line: EventFinished) => void,
  log: Logger,
  encoder: RecoveryEncoder | null = null,
  markers?: string[],
): Promise<EventFinished[]> {
  let names: string[];
  try {
    names = markers ?? (await readdir(spool));
  } catch {
    return [];
  }
  const recovered: EventFinished[] = [];
  for (const name of names.filter((n) => n.endsWith('.started.json')).sort()) {
    const id = name.slice(0, -'.started.json'.length);
    const marker = join(spool, name);
    const job = join(spool, `${id}.job.json`);
    if (await stat(job).catch(() => null)) {
      // Finished, only the marker's removal was cut short.
      await rm(marker, { force: true });
      continue;
    }
    let started: EventStarted;
    try {
      started = JSON.parse(await readFile(marker, 'utf8')) as EventStarted;
      // Its paths are only checked, never followed: anything in the spool can be written by others.
      const foreign = started?.id !== id ? `holds the start of ${JSON.stringify(started?.id)}` : foreignPathError(started, { out, spool });
      if (foreign) throw new Error(foreign);
    } catch (err) {
      // Empty or cut short: a kill between the record's creation and its write,
      // or a bad card. Its id still names the event, and a WAV beside it holds the audio.
      const wav = join(spool, `${id}.wav`);
      if (!(await stat(wav).catch(() => null))) {
        // Killed before the WAV was opened: nothing of this event was kept.
        await rm(marker, { force: true });
        log.warn({ marker, err: (err as Error).message }, 'unreadable start record without a WAV: nothing to recover; removed');
        continue;
      }
      const rebuilt = await startedFromId(id, out, spool, encoder?.ffmpeg ?? 'ffmpeg');
      if (!rebuilt) {
        log.warn({ marker, wav, err: (err as Error).message }, 'unreadable start record, and its WAV is not one; both left in place');
        continue;
      }
      log.warn({ marker, err: (err as Error).message }, 'unreadable start record; rebuilt from its id and its WAV');
      started = rebuilt;
    }
    if (!(await stat(started.wav).catch(() => null))) {
      // No job and no WAV: the event was finished and rec-sidecars has already
      // taken its job (a kill between the job's write and this record's removal),
      // or its WAV went to failed/. Nothing is left here to recover.
      const final = started.partial ? finalPathFor(started.partial) : join(out, started.day, `${started.stem}.opus`);
      const done = await stat(final).catch(() => null);
      await rm(marker, { force: true });
      if (done) log.info({ id }, 'start record of an event already finished; removed');
      else log.warn({ id, wav: started.wav }, 'start record whose WAV is gone (handled by rec-sidecars or removed); removed, nothing to recover');
      continue;
    }
    const linked = await linkedFileError(eventFiles(started, { out, spool }, audioExtension(started.partial)));
    if (linked) {
      log.error({ id, err: linked }, 'cannot recover a cut-off event: it would write through a symbolic link; its files are left in the spool');
      continue;
    }
    try {
      const info = await repairWav(started.wav);
      const durationMs = Math.round((info.dataBytes / 2 / info.rate) * 1000);
      const frames = Math.floor(durationMs / FRAME_MS);
      const levels = await wavLevels(started.wav, info.dataOffset, info.dataBytes, info.rate);
      const opus = started.partial ? finalPathFor(started.partial) : join(out, started.day, `${started.stem}.opus`);
      let encode: EventFinished['encode'] = { mode: 'offline-needed', bytes: 0, droppedFrames: 0, error: 'recovered after a crash' };
      const renamed = await stat(opus).catch(() => null);
      if (renamed) encode = { ...encode, error: 'recovered after a crash; the streamed file is checked by rec-sidecars' };
      else if (started.partial && encoder && info.dataBytes > 0) {
        const r = await encodeWav(started.wav, { path: opus, ffmpeg: encoder.ffmpeg, ...encoder.settings, log });
        if (r.ok) encode = { mode: 'offline', bytes: r.bytes, droppedFrames: 0, error: null };
        else log.warn({ id, error: r.error }, 'could not re-encode a recovered event; rec-sidecars will');
      }
      const line: EventFinished = {
        ...started,
        type: 'event.finished',
        endedAt: new Date(Date.parse(started.startedAt) + durationMs).toISOString(),
        endOffsetMs: started.startOffsetMs + frames * FRAME_MS,
        durationMs,
        opus,
        encode,
        ...levels,
        noiseFloorDbfs: -120,
        voiceRatio: 0,
        split: null,
        endReason: 'recovered',
      };
      delete (line as unknown as { partial?: unknown }).partial;
      await atomicWriteJson(job, line);
      await rm(marker, { force: true });
      log.warn({ id, durationMs }, 'recovered an event cut off by a crash');
      recovered.push(line);
      emit(line);
    } catch (err) {
      log.error({ id, err: (err as Error).message }, 'cannot recover a cut-off event; its files are left in the spool');
    }
  }
  return recovered;
}

/** The start record of `id` as rec-segment wrote it, rebuilt from the id and its WAV (null when that is not a WAV). */
async function startedFromId(id: string, out: string, spool: string, ffmpeg: string): Promise<EventStarted | null> {
  const job = await rebuildJob(id, { out, spool, ffmpeg }).catch(() => null);
  if (!job) return null;
  const partial = partialPathFor(job.opus!);
  return {
    type: 'event.started',
    id: job.id,
    day: job.day,
    stem: job.stem,
    startedAt: job.startedAt,
    startOffsetMs: job.startOffsetMs,
    trigger: job.trigger,
    wav: job.wav,
    partial: (await stat(partial).catch(() => null)) ? partial : null,
  };
}

export interface OrphanOutcome {
  partial: string;
  /** The finished recording, or the `.broken` file the partial was moved to. */
  path: string;
  finalised: boolean;
  durationMs: number;
  error: string | null;
}

/**
 * Stale `.partial.*` files that no spool job will re-encode (their WAV is gone):
 * each is decoded; one that holds audio is remuxed into its final name, anything
 * else is moved aside as `<final>.broken`. None is deleted unseen, none left behind.
 * Run at start-up only: rec-segment is the one writer of partials.
 */
export async function finaliseOrphanPartials(out: string, spool: string, ffmpeg: string, log: Logger, partials?: string[]): Promise<OrphanOutcome[]> {
  // Partials whose final file a pending job will (re-)encode from its WAV.
  const claimed = new Set<string>();
  for (const name of await readdir(spool).catch(() => [] as string[])) {
    if (!name.endsWith('.job.json')) continue;
    let job: (Partial<EventName> & { opus?: unknown }) | null;
    try {
      job = JSON.parse(await readFile(join(spool, name), 'utf8')) as (Partial<EventName> & { opus?: unknown }) | null;
    } catch {
      continue;
    }
    // The final path is derived from the job's names, not taken from its "opus".
    if (job && typeof job.opus === 'string' && !eventNameError(job)) claimed.add(eventFiles(job as EventName, { out, spool }, audioExtension(job.opus)).opus);
  }
  const outcomes: OrphanOutcome[] = [];
  for (const partial of partials ?? (await scanLeftovers(spool, out)).partials) {
    const final = finalPathFor(partial);
    if (claimed.has(final) || !(await stat(partial).catch(() => null))) continue;
    outcomes.push(await finaliseOne(partial, final, ffmpeg, log));
  }
  return outcomes;
}

async function finaliseOne(partial: string, final: string, ffmpeg: string, log: Logger): Promise<OrphanOutcome> {
  const check = await decodedDuration(ffmpeg, partial);
  let error = check.error;
  if (check.ok) {
    try {
      await remuxInto(ffmpeg, partial, final);
      await rm(partial, { force: true });
      log.warn({ partial, path: final, durationMs: check.durationMs }, 'finalised a partial left by a crash (its WAV was gone)');
      return { partial, path: final, finalised: true, durationMs: check.durationMs, error: null };
    } catch (err) {
      error = (err as Error).message;
    }
  }
  // Kept aside, never deleted: a person may still get something out of it.
  let broken = `${final}.broken`;
  for (let n = 1; await stat(broken).catch(() => null); n++) broken = `${final}.${n}.broken`;
  await link(partial, broken);
  await rm(partial, { force: true });
  log.error({ partial, path: broken, error }, 'a partial left by a crash does not decode; moved aside');
  return { partial, path: broken, finalised: false, durationMs: check.durationMs, error };
}

/** A floor older than this says little about the room now. */
export const FLOOR_CARRY_MAX_AGE_MS = 10 * 60_000;

/**
 * The noise floor the last run left in its status file, when it is recent and
 * at the same rate: a restarted rec-segment starts from it, so a sound going on
 * at the restart (after a crash mid-event) is still recorded instead of being
 * learned as the room's floor. Null when there is none to trust.
 */
export async function carriedFloor(statusFile: string, rate: number, now = Date.now()): Promise<number | null> {
  const read = await readStatus(statusFile, now, FLOOR_CARRY_MAX_AGE_MS);
  if (!read.ok || read.stale || read.status.input.rate !== rate) return null;
  const floor = read.status.level.noiseFloorDbfs;
  return Number.isFinite(floor) && floor > SILENCE_DBFS ? floor : null;
}
