// The streaming encoder: PCM frames in, a growing `<name>.partial.opus` out,
// renamed to `<name>.opus` once ffmpeg has exited cleanly with every frame.
// feed() never blocks: frames beyond a bounded queue are dropped and counted, and
// such a file is reported as not ok, so the caller can encode the WAV instead.
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setPriority } from 'node:os';
import { execa, type ResultPromise } from 'execa';
import type { Logger } from 'pino';
import { DEFAULT_SETTINGS, ffmpegEncodeArgs, partialPathFor, type EncoderSettings } from './settings.js';
import { bytesToMs, frameBytes } from '../lib/pcm.js';
import { timerMs } from '../lib/timers.js';
import { createErrorText, makeDirsSync } from '../lib/make-dirs.js';

export interface StreamEncoderOptions extends Partial<EncoderSettings> {
  /** Final path (`.opus`, or `.webm` for WebM). The partial is written beside it. */
  path: string;
  rate: number;
  /** Resolved ffmpeg executable. */
  ffmpeg: string;
  /** Most audio (ms) that may wait for ffmpeg before frames are dropped. */
  maxQueueMs?: number;
  /** How long close() waits for ffmpeg to exit before killing it. */
  closeTimeoutMs?: number;
  /** Keep the partial file when the result is not ok (default: remove it). */
  keepPartialOnFailure?: boolean;
  /** Replace an existing final file (default: refuse to start). */
  overwrite?: boolean;
  /**
   * Replace an existing `.partial` file (default: yes; a partial at a path the
   * caller owns is a leftover of a crash). The CLI asks first: it may be live.
   */
  replacePartial?: boolean;
  /** Niceness for ffmpeg (e.g. 10 for offline encodes beside live capture). */
  nice?: number;
  log?: Logger;
}

export interface EncodeResult {
  ok: boolean;
  /** The final file when ok; otherwise the partial if kept, else the intended final path. */
  path: string;
  bytes: number;
  /** Audio handed to ffmpeg, in ms. */
  durationMs: number;
  droppedFrames: number;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  error: string | null;
  /**
   * A failed encode's partial that could not be removed (a read-only or vanished
   * directory): still on disk, for the caller to remove once it can.
   */
  partialLeft?: string;
}

const STDERR_TAIL_BYTES = 2048;

export class EncoderStartError extends Error {
  override name = 'EncoderStartError';
  constructor(
    message: string,
    /** `exists`: the final (or partial) file is there and may not be replaced; `create`: the output cannot be created. */
    readonly reason: 'exists' | 'create',
    readonly code?: string,
  ) {
    super(message);
  }
}

export class StreamEncoder {
  readonly path: string;
  readonly partialPath: string;
  readonly rate: number;
  private readonly child: ResultPromise<{ stdin: 'pipe'; stdout: 'ignore'; stderr: 'pipe'; reject: false; buffer: false }>;
  private readonly maxQueueBytes: number;
  private readonly frameBytes: number;
  private readonly opts: StreamEncoderOptions;
  private stderrTail = '';
  private exit: { code: number | null; signal: string | null; error?: string } | undefined;
  private readonly exited: Promise<void>;
  private closing: Promise<EncodeResult> | undefined;
  private fedBytes = 0;
  private dropped = 0;
  private roomWaiters: Array<() => void> = [];

  /**
   * Start ffmpeg and hand it `initialFrames` (e.g. the pre-roll). Synchronous so a
   * caller in a frame loop can feed the next frame right away.
   */
  constructor(opts: StreamEncoderOptions, initialFrames: Iterable<Buffer> = []) {
    this.opts = opts;
    this.path = opts.path;
    this.partialPath = partialPathFor(opts.path);
    this.rate = opts.rate;
    this.frameBytes = frameBytes(opts.rate);
    this.maxQueueBytes = Math.max(this.frameBytes, Math.round(((opts.maxQueueMs ?? 2000) / 1000) * opts.rate) * 2);
    const settings: EncoderSettings = {
      bitrate: opts.bitrate ?? DEFAULT_SETTINGS.bitrate,
      complexity: opts.complexity ?? DEFAULT_SETTINGS.complexity,
      container: opts.container ?? DEFAULT_SETTINGS.container,
      pageMs: opts.pageMs ?? DEFAULT_SETTINGS.pageMs,
    };
    if (!opts.overwrite && existsSync(this.path)) {
      throw new EncoderStartError(`${this.path}: already exists`, 'exists', 'EEXIST');
    }
    try {
      makeDirsSync(dirname(this.path));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new EncoderStartError(`${dirname(this.path)}: cannot create directory: ${createErrorText(e)}`, 'create', e.code);
    }
    // Create the partial ourselves: an unwritable place is a clear error before
    // any process starts, and a partial we may not replace is never touched.
    try {
      closeSync(openSync(this.partialPath, opts.replacePartial === false ? 'wx' : 'w'));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST') throw new EncoderStartError(`${this.partialPath}: already exists (another encoder may be writing it)`, 'exists', e.code);
      throw new EncoderStartError(`${this.partialPath}: cannot create: ${createErrorText(e)}`, 'create', e.code);
    }
    this.child = execa(opts.ffmpeg, ffmpegEncodeArgs(opts.rate, settings, this.partialPath), {
      stdin: 'pipe',
      stdout: 'ignore',
      stderr: 'pipe',
      reject: false,
      buffer: false,
      // Own process group: Ctrl-C in a terminal reaches us, not ffmpeg, so we
      // can close its input and keep the file (ffmpeg would exit 255 mid-stream).
      detached: true,
    });
    if (opts.nice && this.child.pid) {
      try {
        setPriority(this.child.pid, opts.nice);
      } catch {
        // Not fatal: the encode still works at normal priority.
      }
    }
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    // A dead ffmpeg turns writes into EPIPE; the exit status tells the story.
    this.child.stdin.on('error', () => undefined);
    this.child.stdin.on('drain', () => this.wakeRoomWaiters());
    this.exited = this.child.then(
      (r) => {
        this.exit = {
          code: r.exitCode ?? null,
          signal: r.signal ?? null,
          ...(r.failed && r.exitCode === undefined && !r.signal ? { error: r.shortMessage } : {}),
        };
        if (!this.closing) opts.log?.warn({ path: this.partialPath, exitCode: r.exitCode, signal: r.signal }, 'encoder exited early');
        this.wakeRoomWaiters();
      },
      (err: Error) => {
        this.exit = { code: null, signal: null, error: err.message };
        this.wakeRoomWaiters();
      },
    );
    for (const frame of initialFrames) this.feed(frame);
  }

  /** Audio waiting for ffmpeg, in bytes. */
  get queuedBytes(): number {
    return this.child.stdin.writableLength;
  }

  get droppedFrames(): number {
    return this.dropped;
  }

  /** True once ffmpeg has exited or failed to start. */
  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** False once ffmpeg's input is gone: it exited or failed, or close() was called. */
  get acceptsInput(): boolean {
    return !this.exit && !this.closing && !this.child.stdin.destroyed;
  }

  /** Whether `bytes` more fit in the queue (an empty queue takes any chunk). */
  hasRoom(bytes: number): boolean {
    const queued = this.queuedBytes;
    return queued === 0 || queued + bytes <= this.maxQueueBytes;
  }

  /**
   * Queue a frame for ffmpeg without ever blocking. Returns false (and counts the
   * frame as dropped) when the queue is full, ffmpeg is gone, or close() was called.
   */
  feed(frame: Buffer): boolean {
    if (!this.acceptsInput || !this.hasRoom(frame.length)) {
      this.dropped += Math.max(1, Math.ceil(frame.length / this.frameBytes));
      return false;
    }
    this.fedBytes += frame.length;
    this.child.stdin.write(frame);
    return true;
  }

  /** For callers that can wait (a file or pipe as input): resolves when feed() has room again. */
  async waitForRoom(bytes = this.frameBytes): Promise<void> {
    while (!this.exit && !this.closing && !this.hasRoom(bytes)) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  /** End the input, wait for ffmpeg (killing it after the timeout), finalise or clean up. */
  close(): Promise<EncodeResult> {
    this.closing ??= this.finish();
    return this.closing;
  }

  /** Kill ffmpeg now (e.g. the caller gave up on it) and clean up as a failure. */
  abort(reason: string): Promise<EncodeResult> {
    if (!this.exit) this.child.kill('SIGKILL');
    this.abortReason ??= reason;
    return this.close();
  }

  private abortReason: string | undefined;

  private async finish(): Promise<EncodeResult> {
    this.wakeRoomWaiters();
    this.child.stdin.end();
    const timeoutMs = this.opts.closeTimeoutMs ?? 10_000;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.exited,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          resolve();
        }, timerMs(timeoutMs));
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.opts.log?.warn({ path: this.partialPath, timeoutMs }, 'encoder did not exit in time, killing it');
      this.child.kill('SIGKILL');
      await this.exited;
    }
    const exit = this.exit ?? { code: null, signal: null };
    let error: string | null = null;
    if (this.abortReason) error = this.abortReason;
    else if (timedOut) error = `ffmpeg did not exit within ${timeoutMs} ms and was killed`;
    else if (exit.error) error = exit.error;
    else if (exit.code !== 0) error = exit.signal ? `ffmpeg killed by ${exit.signal}` : `ffmpeg exited with status ${exit.code}`;
    else if (this.dropped > 0) error = `${this.dropped} frames dropped (encoder too slow)`;
    else if (this.fedBytes === 0) error = 'no audio to encode';
    let bytes = (await stat(this.partialPath).catch(() => undefined))?.size;
    if (error === null && bytes === undefined) error = 'ffmpeg exited 0 but wrote no file';
    let path = this.path;
    if (error === null) {
      try {
        await rename(this.partialPath, this.path);
      } catch (err) {
        error = `cannot rename partial: ${(err as Error).message}`;
      }
    }
    let partialLeft: string | undefined;
    if (error !== null) {
      if (this.opts.keepPartialOnFailure && bytes !== undefined) path = this.partialPath;
      else {
        // A directory gone read-only refuses the removal too: reported, never thrown,
        // so the caller still gets its result (and the WAV still gets its job).
        await rm(this.partialPath, { force: true }).then(
          () => undefined,
          (err: Error) => {
            partialLeft = this.partialPath;
            this.opts.log?.warn({ path: this.partialPath, err: err.message }, 'cannot remove the partial of a failed encode yet');
          },
        );
        bytes = 0;
      }
    }
    return {
      ok: error === null,
      path,
      bytes: bytes ?? 0,
      durationMs: Math.round(bytesToMs(this.fedBytes, this.rate)),
      droppedFrames: this.dropped,
      exitCode: exit.code,
      signal: exit.signal,
      stderrTail: this.stderrTail.trim(),
      error,
      ...(partialLeft ? { partialLeft } : {}),
    };
  }
}
