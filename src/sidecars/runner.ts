// The job runner: jobs arrive from the NDJSON fast path and from the spool (at
// start, then watched), are de-duplicated by id and run oldest first. Stage 1
// (opus, waveform) and stage 2 (transcript, archive) have a queue each, so a slow
// recogniser never delays the next event's recording. A job that fails for a
// passing reason is retried with back-off; one that never can goes to failed/.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EventFinished } from '../lib/contracts.js';
import { tempPathFor } from '../lib/atomic-write.js';
import { ArchiveError, PermanentJobError, finishStage, jobPaths, moveToFailed, recordingStage, type JobContext } from './job.js';
import { jobFileIntake, jobIds, lineIntake, rebuildJobFile, type Intake } from './intake.js';
import { StatusFile, type JobCounts } from './status-file.js';
import type { Retention } from './retention.js';
import { DiskRoom } from './disk-room.js';
import { monotonicMs } from '../lib/clock.js';
import { timerMs } from '../lib/timers.js';

/** Longest wait before retrying a job that failed on a full or read-only disk. */
const DISK_RECHECK_MS = 5_000;

export interface RecordingReady {
  type: 'recording.ready';
  id: string;
  day: string;
  stem: string;
  opus: string;
  waveform: string;
  transcript: string | null;
  durationMs: number;
  encode: EventFinished['encode'];
  archived: boolean | null;
}

export interface RunnerOptions {
  ctx: JobContext;
  retention: Retention | null;
  /** Below this many free bytes on the recordings disk, jobs wait (and retention runs). */
  minFreeBytes: number;
  statusFile: string;
  emit: (line: RecordingReady) => void;
  /** First retry delay after a passing failure; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Ids of finished (or failed) jobs remembered, so a late line does not run one again; the oldest are forgotten. */
  finishedMemory?: number;
}

interface Entry {
  job: EventFinished;
  attempts: number;
  /** When the next attempt is due, on the monotonic clock (a step of the wall clock must not hold a retry back for hours). */
  retryAt: number;
  stage: 1 | 2;
  lastError: string | null;
}

// About 60 bytes of heap per id (the string and its slot): some 120 KB when full.
const FINISHED_MEMORY = 2000;

export class Runner {
  private readonly entries = new Map<string, Entry>();
  private readonly finishedIds = new Set<string>();
  private readonly stage2: Entry[] = [];
  private busy1 = false;
  private busy2 = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private scanning: Promise<void> | null = null;
  private statusTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  private readonly log: Logger;
  readonly counts: JobCounts = { done: 0, failed: 0, rebuilt: 0, reencoded: 0, transcribed: 0, transcribeFailures: 0, archived: 0, archiveFailures: 0, retries: 0 };
  private readonly status: StatusFile;
  private readonly disk: DiskRoom;
  lastError: string | null = null;

  constructor(private readonly opts: RunnerOptions) {
    this.log = opts.ctx.log;
    this.status = new StatusFile(opts.statusFile, this.log);
    this.disk = new DiskRoom(opts.ctx.out, opts.minFreeBytes, opts.retention, this.log);
  }

  /** Queue a job already taken in (see intake.ts); a job already known or done is ignored. */
  add(job: EventFinished): void {
    if (this.entries.has(job.id) || this.finishedIds.has(job.id) || this.stopping) return;
    this.entries.set(job.id, { job, attempts: 0, retryAt: 0, stage: 1, lastError: null });
    this.kick();
  }

  /** Queue every job file in the spool (at start, on a change, and as a safety net). */
  scanSpool(): Promise<void> {
    this.scanning ??= this.doScan().finally(() => (this.scanning = null));
    return this.scanning;
  }

  private async doScan(): Promise<void> {
    const ctx = this.opts.ctx;
    for (const id of jobIds(await readdir(ctx.spool).catch(() => [] as string[]))) {
      if (this.entries.has(id) || this.finishedIds.has(id)) continue;
      let intake: Intake;
      try {
        intake = await jobFileIntake(id, ctx);
      } catch (err) {
        this.log.warn({ id, err: (err as Error).message }, 'cannot read a job file; will try again');
        continue;
      }
      if (intake.kind === 'job') this.add(intake.job);
      else if (intake.kind === 'refused') {
        this.remember(id);
        await this.fail(id, intake.files, intake.reason);
      } else if (intake.kind === 'corrupt') {
        // Its audio may still be there: rebuild the job rather than strand the WAV.
        const path = join(ctx.spool, `${id}.job.json`);
        const rebuilt = await rebuildJobFile(id, path, intake.reason, ctx);
        if (rebuilt) {
          this.counts.rebuilt++;
          this.add(rebuilt);
        } else await this.fail(id, [path], intake.reason);
      }
    }
  }

  /** A line from stdin: queued when it is a job of ours, else skipped with one log line (its files are not touched). */
  async offer(value: Record<string, unknown>, line: number): Promise<void> {
    const r = await lineIntake(value, this.opts.ctx);
    if ('job' in r) this.add(r.job);
    else this.log.warn({ line, id: value.id, err: r.reason }, 'skipped an event.finished line');
  }

  /** Watch the spool for new job files (plus a slow rescan: inotify can miss events). */
  follow(rescanMs = 30_000): void {
    try {
      let timer: NodeJS.Timeout | undefined;
      this.watcher = watch(this.opts.ctx.spool, (_e, name) => {
        if (!name?.toString().endsWith('.job.json')) return;
        clearTimeout(timer);
        timer = setTimeout(() => void this.scanSpool(), 100);
      });
      this.watcher.on('error', (err) => this.log.warn({ err: err.message }, 'watching the spool failed; rescanning on a timer only'));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot watch the spool; rescanning on a timer only');
    }
    // Not unref'd: with --follow this timer (and the watcher) keeps the process alive.
    setInterval(() => void this.scanSpool(), rescanMs);
    this.statusTimer = setInterval(() => void this.writeStatus(), 30_000);
    this.statusTimer.unref();
  }

  get pending(): number {
    return this.entries.size;
  }

  /** Resolves when nothing is queued or running (jobs waiting for a retry do not count when `ignoreRetries`). */
  idle(ignoreRetries: boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        const active = [...this.entries.values()].filter((e) => !(ignoreRetries && e.attempts > 0 && e.retryAt > monotonicMs())).length;
        if (active === 0 && !this.busy1 && !this.busy2 && !this.scanning) resolve();
        else this.idleWaiters.push(check);
      };
      check();
    });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.watcher?.close();
    clearTimeout(this.wakeTimer);
    clearInterval(this.statusTimer);
    await this.writeStatus();
  }

  private kick(): void {
    void this.runStage1();
    void this.runStage2();
  }

  private nextDue(stage: 1 | 2): Entry | undefined {
    const now = monotonicMs();
    let best: Entry | undefined;
    const pool = stage === 1 ? [...this.entries.values()].filter((e) => e.stage === 1) : this.stage2;
    for (const e of pool) if (e.retryAt <= now && (!best || e.job.id < best.job.id)) best = e;
    return best;
  }

  /** Wake up when the earliest retry is due. */
  private scheduleWake(): void {
    const times = [...this.entries.values()].map((e) => e.retryAt).filter((t) => t > monotonicMs());
    clearTimeout(this.wakeTimer);
    if (times.length && !this.stopping) {
      this.wakeTimer = setTimeout(() => this.kick(), timerMs(Math.min(...times) - monotonicMs() + 5));
      this.wakeTimer.unref();
    }
  }

  private async runStage1(): Promise<void> {
    if (this.busy1) return;
    this.busy1 = true;
    try {
      for (let e = this.nextDue(1); e && !this.stopping; e = this.nextDue(1)) {
        if (!(await this.disk.check())) {
          this.retryLater(e, 'recordings disk full', DISK_RECHECK_MS);
          break;
        }
        try {
          const r = await recordingStage(e.job, this.opts.ctx);
          if (r.reencoded) this.counts.reencoded++;
          e.job = { ...e.job, encode: r.encode };
          e.stage = 2;
          e.attempts = 0;
          e.retryAt = 0;
          this.stage2.push(e);
          void this.runStage2();
        } catch (err) {
          await this.failed(e, err as Error);
        }
        void this.writeStatus();
      }
    } finally {
      this.busy1 = false;
      this.scheduleWake();
      this.notifyIdle();
    }
  }

  private async runStage2(): Promise<void> {
    if (this.busy2) return;
    this.busy2 = true;
    try {
      for (let e = this.nextDue(2); e && !this.stopping; e = this.nextDue(2)) {
        try {
          const r = await finishStage(e.job, this.opts.ctx);
          if (r.transcript) this.counts.transcribed++;
          if (r.transcriptError) {
            this.counts.transcribeFailures++;
            this.lastError = r.transcriptError;
          }
          if (r.archived) this.counts.archived++;
          this.stage2.splice(this.stage2.indexOf(e), 1);
          this.done(e);
          const p = jobPaths(e.job, this.opts.ctx);
          this.opts.emit({
            type: 'recording.ready',
            id: e.job.id,
            day: e.job.day,
            stem: e.job.stem,
            opus: p.opus,
            waveform: p.waveform,
            transcript: r.transcript,
            durationMs: e.job.durationMs,
            encode: e.job.encode,
            archived: r.archived,
          });
        } catch (err) {
          if (err instanceof ArchiveError) this.counts.archiveFailures++;
          await this.failed(e, err as Error);
        }
        void this.writeStatus();
      }
    } finally {
      this.busy2 = false;
      this.scheduleWake();
      this.notifyIdle();
    }
  }

  private done(e: Entry): void {
    this.entries.delete(e.job.id);
    this.remember(e.job.id);
    this.counts.done++;
  }

  /** Bounded: a long-running service must not keep an id per event forever (issue #9). */
  private remember(id: string): void {
    this.finishedIds.add(id);
    const max = this.opts.finishedMemory ?? FINISHED_MEMORY;
    while (this.finishedIds.size > max) this.finishedIds.delete(this.finishedIds.values().next().value!);
  }

  private async failed(e: Entry, err: Error): Promise<void> {
    this.lastError = err.message;
    if (err instanceof PermanentJobError) {
      const paths = jobPaths(e.job, this.opts.ctx);
      await this.fail(e.job.id, [paths.job, paths.wav], err.message);
      if (e.stage === 2) this.stage2.splice(this.stage2.indexOf(e), 1);
      this.entries.delete(e.job.id);
      this.remember(e.job.id);
      return;
    }
    if (this.stopping && err.name === 'AbortError') return;
    const base = this.opts.retryMs ?? 30_000;
    const delay = Math.min(this.opts.maxRetryMs ?? 30 * 60_000, base * 2 ** e.attempts);
    // A full or read-only disk clears by itself (retention, a person): looking
    // again costs nothing, so it is checked often instead of backing off for minutes.
    const disk = /\b(ENOSPC|EROFS|EDQUOT)\b/.test(err.message) || ['ENOSPC', 'EROFS', 'EDQUOT'].includes((err as NodeJS.ErrnoException).code ?? '');
    this.retryLater(e, err.message, disk ? Math.min(delay, DISK_RECHECK_MS) : delay);
  }

  private retryLater(e: Entry, why: string, delayMs: number): void {
    e.attempts++;
    e.lastError = why;
    e.retryAt = monotonicMs() + delayMs;
    this.counts.retries++;
    this.log.warn({ id: e.job.id, stage: e.stage, err: why, retryInMs: delayMs }, 'job not done; it stays in the spool and is tried again');
  }

  private async fail(id: string, files: string[], reason: string): Promise<void> {
    this.counts.failed++;
    try {
      const dir = await moveToFailed(this.opts.ctx.spool, id, files, reason);
      // A rewrite of the job cut off by a kill left its temp file: it is no record of anything.
      for (const f of files) await rm(tempPathFor(f), { force: true }).catch(() => undefined);
      this.log.error({ id, reason, dir }, 'job cannot be done; moved to failed/ with its reason');
    } catch (err) {
      this.log.error({ id, reason, err: (err as Error).message }, 'job cannot be done, and moving it to failed/ failed too');
    }
  }

  async runRetention(): Promise<void> {
    await this.disk.runRetention();
    void this.writeStatus();
  }

  /** Written after every job and every 30 s. */
  writeStatus(): Promise<void> {
    return this.status.write(() => {
      const entries = [...this.entries.values()];
      return {
        jobs: {
          pending: entries.length,
          waitingRetry: entries.filter((e) => e.retryAt > monotonicMs()).length,
          finishing: this.stage2.length,
          ...this.counts,
        },
        lowSpace: this.disk.lowSpace,
        freeBytes: this.disk.freeBytes,
        lastError: this.lastError,
        retention: this.disk.lastRetention,
      };
    });
  }
}
