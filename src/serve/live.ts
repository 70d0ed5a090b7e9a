// Live playback of the event in progress. Chromium plays a growing file only up
// to the size it had when asked, and its Media Source Extensions take WebM but not
// Ogg; so the partial Ogg file is tailed (tail-file.ts) and remuxed to WebM by
// `ffmpeg -c copy` (no re-encoding) into a held-open response, one ffmpeg per
// listener, bounded in number. The page feeds that stream to MSE.
import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { tailGrowingFile } from './tail-file.js';

export interface LiveOptions {
  ffmpeg: string;
  log: Logger;
  /** WebM cluster length in ms: a cluster is sent when it is complete, so this adds to the lag. */
  clusterMs?: number;
  idleTimeoutMs?: number;
}

/** ffmpeg: Ogg/Opus on stdin → WebM/Opus on stdout, packets copied, written as they come. */
export function remuxArgs(clusterMs: number): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    // Do not wait to probe: the Opus headers are in the first two Ogg pages.
    '-probesize',
    '32',
    '-analyzeduration',
    '0',
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
  const child = spawn(opts.ffmpeg, remuxArgs(opts.clusterMs ?? 100), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderrTail = '';
  child.stderr.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-1024)));
  child.stdin.on('error', () => undefined); // ffmpeg gone: the exit handler reports it
  const exited = new Promise<number | null>((resolve) => {
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
