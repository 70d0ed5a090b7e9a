// What rec-sidecars takes as a job. Its stdin is an interface anyone can pipe into
// and the spool is shared with other processes, so every line and job file is
// checked before any file is touched (issue #16): a valid event.finished object,
// whose id, day and stem are event names and whose "wav" and "opus" are exactly
// the paths rec-sidecars derives from its own --out and --spool, none of them a
// symbolic link. A job file whose content is not a job is rebuilt from the audio
// its name points to, as before.
import { join } from 'node:path';
import { schemaError, type EventFinished } from '../lib/contracts.js';
import { atomicWriteJson } from '../lib/atomic-write.js';
import { rebuildJob } from '../segment/rebuild.js';
import { eventFiles } from '../lib/event-files.js';
import { lstatOrNull } from '../lib/safe-fs.js';
import { PermanentJobError, readJob, refusalOf, type JobContext } from './job.js';

export type Intake =
  | { kind: 'job'; job: EventFinished }
  /** Not a job at all (cut short, overwritten, another event's content): rebuild it from its audio. */
  | { kind: 'corrupt'; reason: string }
  /** A job that names files not its own: it goes to failed/ with `files` (its own, never the foreign ones). */
  | { kind: 'refused'; reason: string; files: string[] }
  /** Gone meanwhile (finished by another run). */
  | { kind: 'gone' };

type Dirs = Pick<JobContext, 'out' | 'spool'>;

/** A line from stdin: the job, or the reason it is skipped (a line names no file of ours to move). */
export async function lineIntake(value: Record<string, unknown>, dirs: Dirs): Promise<{ job: EventFinished } | { reason: string }> {
  const invalid = schemaError('event.schema.json', value);
  if (invalid) return { reason: `does not match the schema (${invalid})` };
  const job = value as unknown as EventFinished;
  const refused = await refusalOf(job, dirs);
  return refused ? { reason: refused } : { job };
}

/** `<spool>/<id>.job.json`: the job it holds, or what to do with it instead. */
export async function jobFileIntake(id: string, dirs: Dirs): Promise<Intake> {
  const path = join(dirs.spool, `${id}.job.json`);
  let job: EventFinished;
  try {
    job = await readJob(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    if (err instanceof PermanentJobError) return { kind: 'corrupt', reason: err.message };
    throw err;
  }
  const invalid = schemaError('event.schema.json', job);
  if (invalid || job.type !== 'event.finished') return { kind: 'corrupt', reason: `${path}: not an event.finished job (${invalid ?? job.type})` };
  if (job.id !== id) return { kind: 'corrupt', reason: `${path}: holds the job of ${JSON.stringify(job.id)}` };
  const refused = await refusalOf(job, dirs);
  if (!refused) return { kind: 'job', job };
  // Its own WAV (derived from the file's name, never the one it names) keeps the audio in failed/.
  const own = eventFiles(job, dirs);
  const wav = await lstatOrNull(own.wav);
  return { kind: 'refused', reason: `${path}: ${refused}`, files: wav?.isFile() ? [path, own.wav] : [path] };
}

/** Ids of the job files in the spool, oldest first. */
export function jobIds(names: string[]): string[] {
  return names
    .filter((n) => n.endsWith('.job.json'))
    .map((n) => n.slice(0, -'.job.json'.length))
    .sort();
}

/** A corrupt job file rewritten from its WAV (or recording); null when there is nothing to rebuild it from. */
export async function rebuildJobFile(id: string, path: string, reason: string, ctx: Pick<JobContext, 'out' | 'spool' | 'ffmpeg' | 'log'>): Promise<EventFinished | null> {
  try {
    const job = await rebuildJob(id, ctx);
    if (!job) return null;
    await atomicWriteJson(path, job);
    ctx.log.warn({ id, reason, wav: job.wav, opus: job.opus, durationMs: job.durationMs }, 'job file was corrupt; rebuilt it from its audio in the spool');
    return job;
  } catch (err) {
    ctx.log.error({ id, reason, err: (err as Error).message }, 'job file is corrupt and rebuilding it failed');
    return null;
  }
}
