// One spool job (an `event.finished` object) turned into a complete recording.
// Two stages, each idempotent, so a job cut off anywhere is simply run again:
//   recording: a verified `.opus` (the streamed one, or encoded from the WAV) and
//              the waveform; then the WAV is released (deleted, or --keep-wav);
//   finish:    transcript (optional), archive (optional), then the job file.
// Everything after the first stage reads the verified `.opus`, so slow transcripts
// or an unreachable archive never keep WAVs in the spool (tmpfs on the Pi).
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Logger } from 'pino';
import type { EncodeOutcome, EventFinished } from '../lib/contracts.js';
import { atomicWriteJson, removeWritten } from '../lib/atomic-write.js';
import { dayFiles, exists } from '../lib/recordings.js';
import { audioExtension, eventFiles, foreignPathError, linkedFileError, type EventFiles } from '../lib/event-files.js';
import { WavFormatError, type WavInfo } from '../lib/wav.js';
import { encodeWav, readEncodableWav } from '../encode/encode-input.js';
import type { EncoderSettings } from '../encode/settings.js';
import { DECODE_RATE, decodeError, decodeToPcm, decodedDuration } from '../encode/verify.js';
import { computeWaveform, waveformMatches, waveformOfWav, type Waveform } from './waveform.js';
import type { Transcriber } from './transcribe.js';
import { archive, type ArchiveOptions } from './archive.js';

/** A job that can never succeed (its WAV is unreadable): it goes to `failed/`. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

/** Largest difference between the `.opus` and the WAV that still counts as the same audio. */
export const DURATION_TOLERANCE_MS = 20;
/** Sidecar work runs below capture and segmentation. */
const NICE = 10;

export interface JobContext {
  out: string;
  spool: string;
  ffmpeg: string;
  log: Logger;
  encoder: Partial<EncoderSettings>;
  keepWav: string | null;
  transcriber: Transcriber | null;
  /** Least voiceRatio for an event to be transcribed. */
  transcribeMinVoice: number;
  archive: Omit<ArchiveOptions, 'log'> | null;
  signal?: AbortSignal;
}

export type JobPaths = EventFiles;

/**
 * Every path a job touches, derived from rec-sidecars' own folders and the job's
 * id, day and stem (the job's own "wav" and "opus" are only checked against these:
 * see admitJob).
 */
export function jobPaths(job: EventFinished, ctx: Pick<JobContext, 'out' | 'spool'>): JobPaths {
  return eventFiles(job, ctx, audioExtension(job.opus));
}

/**
 * Why a job (a line or a job file) cannot be taken: its names are not event names,
 * it names files other than its own (a foreign "wav" would be deleted, a foreign
 * "opus" overwritten), or one of its files is a symbolic link. Null when it can.
 */
export async function refusalOf(job: EventFinished, ctx: Pick<JobContext, 'out' | 'spool'>): Promise<string | null> {
  return foreignPathError(job, ctx) ?? (await linkedFileError(jobPaths(job, ctx)));
}

export interface RecordingOutcome {
  durationMs: number;
  encode: EncodeOutcome;
  reencoded: boolean;
}

const wavDurationMs = (wav: WavInfo) => Math.round((wav.dataBytes / 2 / wav.rate) * 1000);

async function openWav(path: string): Promise<WavInfo | null> {
  try {
    return await readEncodableWav(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (err instanceof WavFormatError) throw new PermanentJobError(err.message);
    throw err;
  }
}

/** Stage 1: a known-good `.opus` and its waveform; then the WAV is released. */
export async function recordingStage(job: EventFinished, ctx: JobContext): Promise<RecordingOutcome> {
  // Checked again here: a job can wait in the queue while its folder changes under it.
  const refused = await refusalOf(job, ctx);
  if (refused) throw new PermanentJobError(refused);
  const p = jobPaths(job, ctx);
  // A WAV that cannot be read (the spool was full when it was opened) fails the
  // job only if the streamed file does not hold the whole event either.
  let unreadable: PermanentJobError | null = null;
  const wav = await openWav(p.wav).catch((err: Error) => {
    if (!(err instanceof PermanentJobError)) throw err;
    unreadable = err;
    return null;
  });
  let encode = job.encode;
  let reencoded = false;
  const check = (await exists(p.opus)) ? await decodedDuration(ctx.ffmpeg, p.opus, NICE) : null;
  // A WAV that lost frames (the spool was full) is not the reference when the
  // streamed file holds the whole event: that one is kept and the WAV is not used.
  // Only when rec-segment says it dropped WAV frames: a short WAV alone is not enough.
  const wavShort = wav !== null && (job.wavDroppedFrames ?? 0) > 0 && job.durationMs - wavDurationMs(wav) > DURATION_TOLERANCE_MS;
  const streamWhole = wavShort && check?.ok === true && Math.abs(check.durationMs - job.durationMs) <= DURATION_TOLERANCE_MS;
  if (streamWhole) ctx.log.warn({ id: job.id, wavMs: wavDurationMs(wav), durationMs: job.durationMs }, 'the WAV lost audio; the streamed recording has the whole event and is kept');
  // Without its WAV (released by an earlier run), the job's duration is the reference.
  const expected = wav && !streamWhole ? wavDurationMs(wav) : job.durationMs;
  if (unreadable) {
    if (!check?.ok || Math.abs(check.durationMs - expected) > DURATION_TOLERANCE_MS) throw unreadable;
    ctx.log.warn({ id: job.id, err: (unreadable as Error).message }, 'the WAV is unreadable; the streamed recording has the whole event and is kept');
  }
  const fault = !check ? 'missing' : !check.ok ? `broken (${check.error})` : Math.abs(check.durationMs - expected) > DURATION_TOLERANCE_MS ? `${check.durationMs} ms long, not ${expected}` : null;
  if (fault) {
    if (!wav) throw new PermanentJobError(`${p.wav} is gone and ${p.opus} is ${fault}`);
    if (job.encode.mode === 'stream') ctx.log.warn({ id: job.id, opus: p.opus, fault }, 'the streamed recording is not good; encoding the WAV');
    // The container follows the file name the event was given (.webm from --container webm).
    const container = extname(p.opus) === '.webm' ? 'webm' : 'ogg';
    const r = await encodeWav(p.wav, { path: p.opus, ffmpeg: ctx.ffmpeg, log: ctx.log, ...ctx.encoder, container, overwrite: true, nice: NICE }, ctx.signal);
    if (!r.ok) throw new Error(`encoding ${p.wav}: ${r.error}`);
    const again = await decodedDuration(ctx.ffmpeg, p.opus, NICE);
    if (!again.ok || Math.abs(again.durationMs - expected) > DURATION_TOLERANCE_MS) {
      throw new Error(`the new ${p.opus} decodes to ${again.durationMs} ms, not ${expected} (${again.error ?? 'length differs'})`);
    }
    encode = { mode: 'offline', bytes: r.bytes, droppedFrames: 0, error: null };
    reencoded = true;
    // The job remembers it, so a restart before stage 2 still reports the truth.
    if (await exists(p.job)) await atomicWriteJson(p.job, { ...job, encode });
  }
  if (!(await waveformMatches(p.waveform, expected))) {
    const w = wav && !streamWhole ? await waveformOfWav(p.wav, wav) : await waveformOfOpus(ctx.ffmpeg, p.opus);
    // The voice share rides along for listings (rec-serve's "voice" column).
    await atomicWriteJson(p.waveform, { ...w, voiceRatio: job.voiceRatio });
  }
  if (wav || unreadable) await releaseWav(p.wav, ctx);
  return { durationMs: expected, encode, reencoded };
}

/** Peaks of a recording, decoded by ffmpeg (niced: a background job). */
export async function waveformOfOpus(ffmpeg: string, opus: string): Promise<Waveform> {
  const child = decodeToPcm(ffmpeg, opus, NICE);
  const w = await computeWaveform(child.stdout as AsyncIterable<Buffer>, DECODE_RATE);
  const error = decodeError(await child);
  if (error) throw new Error(`decoding ${opus} for its waveform: ${error}`);
  return w;
}

async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // The spool is on tmpfs, --keep-wav on the card: copy, then remove.
    await copyFile(from, `${to}.tmp`);
    await rename(`${to}.tmp`, to);
    await rm(from, { force: true });
  }
}

async function releaseWav(wav: string, ctx: JobContext): Promise<void> {
  if (ctx.keepWav) {
    await mkdir(ctx.keepWav, { recursive: true });
    await moveFile(wav, join(ctx.keepWav, basename(wav)));
  } else await rm(wav, { force: true });
}

export interface FinishOutcome {
  transcript: string | null;
  transcriptError: string | null;
  archived: boolean | null;
}

/** Stage 2: transcript and archive; the job file goes last. Throws when archiving failed (the job stays). */
export async function finishStage(job: EventFinished, ctx: JobContext): Promise<FinishOutcome> {
  const p = jobPaths(job, ctx);
  const outcome: FinishOutcome = { transcript: null, transcriptError: null, archived: null };
  if (ctx.transcriber && job.voiceRatio >= ctx.transcribeMinVoice) {
    if (await exists(p.transcript)) outcome.transcript = p.transcript;
    else {
      try {
        const timeoutMs = 60_000 + job.durationMs * 10;
        const t = await ctx.transcriber.transcribe(p.opus, { tmpDir: ctx.spool, timeoutMs, signal: ctx.signal });
        await atomicWriteJson(p.transcript, { ...t, durationMs: job.durationMs });
        outcome.transcript = p.transcript;
      } catch (err) {
        // A recogniser that fails is reported, not retried forever: the recording itself is complete.
        outcome.transcriptError = (err as Error).message;
        ctx.log.error({ id: job.id, err: outcome.transcriptError }, 'transcription failed; the recording is kept without a transcript');
      }
    }
  }
  if (ctx.archive) {
    const marker = join(p.dir, `${job.stem}.archived`);
    if (!(await exists(marker))) {
      // Its own finished files only: never a marker, a temp or a user's `<stem>.notes.txt`, never a link.
      const own = (await dayFiles(ctx.out, 'recordings', job.day)).stems.get(job.stem) ?? [];
      const files = own.filter((f) => !/\.(keep|archived|tmp|broken)$/.test(f)).map((f) => join(p.dir, f));
      const r = await archive({ day: job.day, stem: job.stem, dir: p.dir, opus: p.opus, files, marker }, { ...ctx.archive, log: ctx.log, signal: ctx.signal });
      if (!r.ok) throw new ArchiveError(r.error ?? 'archiving failed');
    }
    outcome.archived = true;
  }
  await removeWritten(p.job);
  return outcome;
}

export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

/** A job that can never succeed: its files go to `<spool>/failed/` with the reason beside them. */
export async function moveToFailed(spool: string, id: string, files: string[], reason: string): Promise<string> {
  const failed = join(spool, 'failed');
  await mkdir(failed, { recursive: true });
  for (const f of files) {
    if (await exists(f)) await rename(f, join(failed, basename(f))).catch(() => copyFile(f, join(failed, basename(f))).then(() => rm(f)));
  }
  await writeFile(join(failed, `${id}.reason.txt`), `${new Date().toISOString()} ${reason}\n`);
  return failed;
}

/** Read a job file; a file that is not a job is a permanent failure. */
export async function readJob(path: string): Promise<EventFinished> {
  let v: unknown;
  try {
    v = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw err;
    throw new PermanentJobError(`${path}: not JSON (${(err as Error).message})`);
  }
  return v as EventFinished;
}
