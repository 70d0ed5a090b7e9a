// Runs a capture source (one or two piped processes) and keeps it running: a lost
// device or a dead arecord/ffmpeg is logged and started again with backoff, and
// one that stops delivering audio without exiting (a hung USB device) is killed
// and started again.
// Output is cut into whole frames per run, so a process dying mid-frame never
// leaves a misaligned stream downstream: its partial frame is dropped and logged.
import { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import type { Logger } from 'pino';
import { PcmFramer } from '../lib/pcm-framer.js';
import type { RestartPolicy, Stage } from './source.js';
import { timerMs } from '../lib/timers.js';

export interface SupervisorOptions {
  stages: Stage[];
  /** Resolved executables by program name. */
  programs: Record<Stage['program'], string>;
  policy: RestartPolicy;
  frameBytes: number;
  /** Shared destination; never ended by the supervisor. */
  out: Writable;
  log: Logger;
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** A run that delivered at least this much audio (bytes) resets the backoff. */
  healthyRunBytes?: number;
  /**
   * A source that delivers nothing for this long (ms) while still running is
   * stalled: killed and restarted. 0 or absent: never (a file or stdin may pause).
   */
  stallTimeoutMs?: number;
  signal: AbortSignal;
}

export interface StageExit {
  program: string;
  exitCode: number | null;
  signal: string | null;
  /** Last line the program wrote on stderr. */
  message: string;
}

export interface SupervisorResult {
  outcome: 'ended' | 'stopped' | 'failed';
  runs: number;
  lastExit: StageExit[];
}

interface Run {
  done: Promise<{ exits: StageExit[]; bytes: number; stalled: boolean }>;
  kill: () => void;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines.at(-1) ?? '').trim();
}

function startRun(opts: SupervisorOptions): Run {
  type Child = ResultPromise<{ stdout: 'pipe'; stderr: 'pipe'; reject: false; buffer: false }>;
  const procs: Child[] = opts.stages.map(
    (stage, i) =>
      execa(opts.programs[stage.program], stage.args, {
        stdin: i === 0 ? (stage.stdinInherit ? 'inherit' : 'ignore') : 'pipe',
        stdout: 'pipe',
        stderr: 'pipe',
        reject: false,
        buffer: false,
        forceKillAfterDelay: 2000,
      }) as unknown as Child,
  );
  const stderr = procs.map(() => '');
  procs.forEach((p, i) => {
    p.stderr.on('data', (c: Buffer) => {
      stderr[i] = (stderr[i] + c.toString('utf8')).slice(-1024);
    });
    if (i > 0) {
      const prev = procs[i - 1]!;
      p.stdin?.on('error', () => undefined);
      prev.stdout.pipe(p.stdin!);
    }
  });
  const kill = () => procs.forEach((p) => p.kill('SIGTERM'));
  const exits = procs.map((p, i) =>
    p.then((r) => {
      // A later stage that ends leaves the earlier ones writing into nothing.
      if (i > 0) procs.slice(0, i).forEach((q) => q.kill('SIGTERM'));
      return {
        program: opts.stages[i]!.program,
        exitCode: r.exitCode ?? null,
        signal: r.signal ?? null,
        message: lastLine(stderr[i] ?? '') || (r.failed && r.exitCode === undefined ? (r.shortMessage ?? '') : ''),
      } satisfies StageExit;
    }),
  );
  const framer = new PcmFramer({
    frameBytes: opts.frameBytes,
    tail: opts.policy === 'never' ? 'keep' : 'drop',
    onTail: ({ partialBytes, policy }) => {
      // Stopped by us (--duration, a signal): the cut is ours, not worth a warning.
      const level = opts.signal.aborted ? 'debug' : 'warn';
      opts.log[level]({ partialBytes, policy }, policy === 'drop' ? 'source stopped mid-frame; partial frame dropped' : 'input ended mid-frame');
    },
  });
  const last = procs.at(-1)!;
  // The watchdog counts on the monotonic clock: a step of the wall clock is not a stall.
  let stalled = false;
  let watchdog: NodeJS.Timeout | undefined;
  if (opts.stallTimeoutMs) {
    const limit = opts.stallTimeoutMs;
    const tickMs = Math.min(1000, limit);
    let lastData = performance.now();
    let lastTick = lastData;
    last.stdout.on('data', () => (lastData = performance.now()));
    watchdog = setInterval(
      () => {
        const now = performance.now();
        // Not the source's silence but ours: downstream is not taking audio (so
        // the source is not read), or this process itself was held up. A late tick
        // (a busy machine, or a write into a full pipe, which blocks the whole
        // process) is time the source was not listened to: it does not count as
        // silence. (Forgiving only ticks over 2 s late misjudged a 2.5 s hold-up
        // as a stall on a loaded machine.)
        const late = now - lastTick - tickMs;
        if (opts.out.writableNeedDrain) lastData = now;
        else if (late > 0) lastData = Math.min(now, lastData + late);
        lastTick = now;
        if (now - lastData < limit) return;
        stalled = true;
        clearInterval(watchdog);
        opts.log.warn({ stallTimeoutMs: limit }, `capture source stalled: no audio for ${(limit / 1000).toFixed(1)} s; restarting it`);
        kill();
      },
      tickMs,
    );
  }
  // The output outlives every run: each run pipes into it and lets go of it when done
  // (pipeline() into a stream that is not ended left a listener on it per run).
  // An output that goes away (a write error downstream) ends the run, as a source that fails does.
  framer.pipe(opts.out, { end: false });
  const outGone = () => framer.destroy(new Error('output closed'));
  opts.out.once('close', outGone);
  const flowed = pipeline(last.stdout, framer)
    .catch((err: Error) => {
      opts.log.debug({ err: err.message }, 'capture pipe closed');
      kill();
    })
    // Every frame handed on before the run counts as done.
    .then(() => finished(framer).catch(() => undefined))
    .finally(() => {
      opts.out.off('close', outGone);
      framer.unpipe(opts.out);
    });
  const done = Promise.all([Promise.all(exits), flowed]).then(([e]) => {
    clearInterval(watchdog);
    return { exits: e, bytes: framer.emittedBytes, stalled };
  });
  return { done, kill };
}

function failed(exits: StageExit[]): boolean {
  return exits.some((e) => e.exitCode !== 0);
}

function describe(exits: StageExit[]): string {
  const bad = exits.find((e) => e.exitCode !== 0) ?? exits[0];
  if (!bad) return 'no process';
  const how = bad.signal ? `killed by ${bad.signal}` : `exited with status ${bad.exitCode}`;
  return `${bad.program} ${how}${bad.message ? `: ${bad.message}` : ''}`;
}

export async function supervise(opts: SupervisorOptions): Promise<SupervisorResult> {
  const initialDelay = opts.retryDelayMs ?? 1000;
  const maxDelay = Math.max(initialDelay, opts.maxRetryDelayMs ?? 30_000);
  const healthy = opts.healthyRunBytes ?? opts.frameBytes * 50 * 10;
  let delay = initialDelay;
  let runs = 0;
  let lastExit: StageExit[] = [];
  while (!opts.signal.aborted) {
    runs++;
    const run = startRun(opts);
    const onAbort = () => run.kill();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const { exits, bytes, stalled } = await run.done;
    opts.signal.removeEventListener('abort', onAbort);
    lastExit = exits;
    if (opts.signal.aborted) break;
    if (stalled) {
      // The watchdog already spaced this restart by its timeout: no backoff on top,
      // so a device that comes back is heard again within a second of the next try.
      try {
        await sleep(timerMs(initialDelay), undefined, { signal: opts.signal });
      } catch {
        break;
      }
      continue;
    }
    const bad = failed(exits);
    if (!bad && opts.policy !== 'always') return { outcome: 'ended', runs, lastExit };
    if (opts.policy === 'never') return { outcome: 'failed', runs, lastExit };
    if (bytes >= healthy) delay = initialDelay;
    opts.log.warn(
      { attempt: runs, retryInMs: delay, audioMs: Math.round((bytes / opts.frameBytes) * 20) },
      `capture source lost (${bad ? describe(exits) : 'stream ended'}); restarting in ${(delay / 1000).toFixed(1)} s`,
    );
    try {
      await sleep(timerMs(delay), undefined, { signal: opts.signal });
    } catch {
      break;
    }
    delay = Math.min(maxDelay, delay * 2);
  }
  return { outcome: 'stopped', runs, lastExit };
}

export { describe as describeExits };
