// Writes segmenter_status.json atomically: at most every 250 ms while something
// changes, and at least every 5 s as a heartbeat (readers call an older file stale).
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { atomicWriteJson } from '../lib/atomic-write.js';
import { freeBytes } from '../lib/disk.js';
import { ClockStepDetector, monotonicMs } from '../lib/clock.js';
import type { SegmenterStatus } from '../lib/contracts.js';
import type { Recorder } from './recorder.js';

export interface StatusWriterOptions {
  path: string;
  spool: string;
  out: string;
  recorder: Recorder;
  log: Logger;
  minIntervalMs?: number;
  heartbeatMs?: number;
}


async function spoolUsage(spool: string): Promise<{ pendingJobs: number; bytes: number }> {
  let pendingJobs = 0;
  let bytes = 0;
  for (const name of await readdir(spool).catch(() => [] as string[])) {
    if (name.endsWith('.job.json')) pendingJobs++;
    bytes += (await stat(join(spool, name)).catch(() => ({ size: 0 }))).size;
  }
  return { pendingJobs, bytes };
}

/** No frame for this long: not capturing. */
export const CAPTURING_WINDOW_MS = 2000;

export class StatusWriter {
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = -Infinity;
  private lastVersion = -1;
  private lastLevel = 0;
  private lastCapturing: boolean | null = null;
  private lastGaps = 0;
  private writing: Promise<void> | null = null;
  private stopped = false;
  private readonly startedAt = new Date().toISOString();
  // Spool and disk usage change slowly: scanned at most every heartbeat, not on
  // every 250 ms write (a scan stats every file in the spool).
  private usage: { pendingJobs: number; bytes: number; spoolFree: number | null; diskFree: number | null } | undefined;
  private usageAt = -Infinity;
  /** updatedAt is wall time, but due-ness is measured on the monotonic clock: a step back of the wall clock must not silence the heartbeat. */
  private readonly clockSteps = new ClockStepDetector();
  writes = 0;

  constructor(private readonly opts: StatusWriterOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.opts.minIntervalMs ?? 250);
    this.timer.unref();
    void this.tick(true);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writing; // a write in flight must not swallow the final one
    this.stopped = true;
    this.usage = undefined; // the final status has fresh figures
    await this.write();
  }

  private async tick(force = false): Promise<void> {
    const r = this.opts.recorder;
    const level = r.snapshot().level.rmsDbfs;
    // Level moves count when they are big enough to see on a meter (3 dB): a write
    // every 250 ms for every small wobble was most of rec-segment's CPU at real time.
    // So does audio stopping or starting again: monitors read `capturing` (rec-status --check),
    // and a hole in the input (a restarted capture) shows as soon as audio is back.
    const changed = r.version !== this.lastVersion || Math.abs(level - this.lastLevel) >= 3 || this.capturingNow() !== this.lastCapturing || r.gaps !== this.lastGaps;
    const due = monotonicMs() - this.lastWrite >= (this.opts.heartbeatMs ?? 5000);
    // After a step of the wall clock the file's updatedAt is on the old time:
    // readers would call it stale (or, stepped back, from the future) until rewritten.
    const stepped = this.clockSteps.check() !== 0;
    if (force || changed || due || stepped) await this.write();
  }

  async build(): Promise<SegmenterStatus> {
    const r = this.opts.recorder;
    const snap = r.snapshot();
    const { spoolError, ...rest } = snap;
    if (rest.event?.partialPath) {
      const size = (await stat(join(this.opts.out, rest.event.partialPath)).catch(() => undefined))?.size;
      rest.event.eventSizeBytes = size ?? 0;
    }
    if (!this.usage || monotonicMs() - this.usageAt >= (this.opts.heartbeatMs ?? 5000)) {
      this.usage = { ...(await spoolUsage(this.opts.spool)), spoolFree: await freeBytes(this.opts.spool), diskFree: await freeBytes(this.opts.out) };
      this.usageAt = monotonicMs();
    }
    const { spoolFree, diskFree, ...usage } = this.usage;
    return {
      schemaVersion: 1,
      updatedAt: new Date().toISOString(),
      pid: process.pid,
      startedAt: this.startedAt,
      capturing: !this.stopped && this.capturingNow(),
      ...rest,
      spool: { ...usage, freeBytes: spoolFree, error: spoolError, droppedFrames: r.wavDroppedTotal },
      disk: { freeBytes: diskFree },
    };
  }

  /** Frames arrived within the last CAPTURING_WINDOW_MS. */
  private capturingNow(): boolean {
    // The monotonic clock: a step of the wall clock must not flip `capturing`.
    const lastFrame = this.opts.recorder.lastFrameMono;
    return lastFrame !== null && monotonicMs() - lastFrame < CAPTURING_WINDOW_MS;
  }

  private write(): Promise<void> {
    this.writing ??= this.doWrite().finally(() => (this.writing = null));
    return this.writing;
  }

  private async doWrite(): Promise<void> {
    try {
      const r = this.opts.recorder;
      this.lastVersion = r.version;
      const status = await this.build();
      this.lastLevel = status.level.rmsDbfs;
      this.lastCapturing = status.capturing;
      this.lastGaps = status.input.gaps;
      // The status lives on tmpfs and is rewritten every few seconds: no fsync.
      await atomicWriteJson(this.opts.path, status, { fsync: false });
      this.lastWrite = monotonicMs();
      this.writes++;
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, path: this.opts.path }, 'cannot write the status file');
    }
  }
}
