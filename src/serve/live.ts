// Live playback of the event in progress. Chromium plays a growing file only up
// to the size it had when asked, and its Media Source Extensions take WebM but not
// Ogg; so the partial Ogg file is tailed (tail-file.ts) and remuxed to WebM by
// `ffmpeg -c copy` (no re-encoding) into a held-open response, one ffmpeg per
// listener, bounded in number. The page feeds that stream to MSE.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { tailGrowingFile } from './tail-file.js';
import { NO_PROBE_ARGS } from '../encode/settings.js';

export interface LiveOptions {
  remux: RemuxPool;
  log: Logger;
  idleTimeoutMs?: number;
}

/** ffmpeg: Ogg/Opus on stdin → WebM/Opus on stdout, packets copied, written as they come. */
export function remuxArgs(clusterMs: number): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    // The Opus headers are in the first two Ogg pages: nothing to probe for.
    ...NO_PROBE_ARGS,
    '-fflags',
    '+nobuffer',
    '-f',
    'ogg',
    '-i',
    'pipe:0',
    '-map',
    '0:a:0',
    '-c',
    'copy',
    '-f',
    'webm',
    '-live',
    '1',
    '-cluster_time_limit',
    String(clusterMs),
    '-flush_packets',
    '1',
    'pipe:1',
  ];
}

/**
 * The remux processes. While an event is in progress one spare ffmpeg waits on
 * its stdin, so that a listener does not wait for ffmpeg to start (~0.1 s here,
 * more on a Pi); it costs ~9 MB private memory, only during events.
 */
export class RemuxPool {
  private spare: ChildProcessWithoutNullStreams | undefined;
  private wanted = false;

  constructor(
    private readonly ffmpeg: string,
    /** WebM cluster length in ms: a cluster is sent when it is complete, so this adds to the lag. */
    private readonly clusterMs = 100,
  ) {}

  /** A remux process: the spare if it is alive, else a new one; a new spare follows if wanted. */
  take(): ChildProcessWithoutNullStreams {
    const s = this.spare;
    this.spare = undefined;
    const child = s && s.exitCode === null && s.signalCode === null ? s : this.spawn();
    if (this.wanted) setImmediate(() => this.setWarm(this.wanted));
    return child;
  }

  /** Keep a spare (an event is in progress) or not. */
  setWarm(warm: boolean): void {
    this.wanted = warm;
    if (warm && !this.spare) {
      const c = this.spawn();
      c.once('close', () => this.spare === c && (this.spare = undefined));
      this.spare = c;
    } else if (!warm && this.spare) {
      this.spare.kill('SIGKILL');
      this.spare = undefined;
    }
  }

  get hasSpare(): boolean {
    return this.spare !== undefined;
  }

  close(): void {
    this.setWarm(false);
  }

  private spawn(): ChildProcessWithoutNullStreams {
    const c = spawn(this.ffmpeg, remuxArgs(this.clusterMs), { stdio: ['pipe', 'pipe', 'pipe'] });
    c.on('error', () => undefined); // reported by the stream that uses it
    c.stdin.on('error', () => undefined);
    return c;
  }
}

/** Counts live listeners so a handful of browser tabs cannot start unbounded ffmpegs. */
export class LiveLimiter {
  active = 0;
  constructor(readonly max: number) {}
  tryAcquire(): (() => void) | null {
    if (this.active >= this.max) return null;
    this.active++;
    let done = false;
    return () => {
      if (!done) {
        done = true;
        this.active--;
      }
    };
  }
}

/**
 * Answer with the growing Ogg file at `partialPath` remuxed to WebM, held open
 * until the event ends (the partial is renamed and read to its end) or the client
 * leaves. ffmpeg is killed when the client goes away.
 */
export async function streamLiveWebm(res: ServerResponse, partialPath: string, opts: LiveOptions): Promise<void> {
  const abort = new AbortController();
  const child = opts.remux.take();
  let stderrTail = '';
  child.stderr.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-1024)));
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.on('error', (err) => {
      stderrTail += err.message;
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
  const onClose = () => {
    abort.abort();
    child.kill('SIGKILL');
  };
  res.on('close', onClose);
  res.writeHead(200, {
    'Content-Type': 'audio/webm',
    'Cache-Control': 'no-store',
    // Proxies must not buffer a live stream.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  child.stdout.pipe(res);

  // Feed the tail into ffmpeg with backpressure; close its stdin when the event ends.
  const feed = (async () => {
    try {
      for await (const chunk of tailGrowingFile(partialPath, { signal: abort.signal, idleTimeoutMs: opts.idleTimeoutMs })) {
        if (!child.stdin.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              child.stdin.off('drain', done);
              child.stdin.off('close', done);
              resolve();
            };
            child.stdin.on('drain', done);
            child.stdin.on('close', done);
          });
        }
        if (abort.signal.aborted || child.stdin.destroyed) break;
      }
    } catch (err) {
      opts.log.warn({ path: partialPath, err: (err as Error).message }, 'live tail failed');
    } finally {
      child.stdin.end();
    }
  })();
  const code = await exited;
  await feed;
  res.off('close', onClose);
  if (code !== 0 && !abort.signal.aborted) opts.log.warn({ path: partialPath, code, stderr: stderrTail.trim() }, 'live remux ended with an error');
  if (!res.writableEnded) res.end();
}
