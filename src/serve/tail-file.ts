// Following a growing file: read what is there, then what is appended, until the
// writer is done. The file is read through one descriptor opened at the start, so
// the atomic rename <stem>.partial.opus → <stem>.opus does not interrupt it; the
// tail ends once the partial name is gone and every byte of the inode was read.
import { watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { monotonicMs } from '../lib/clock.js';

export interface TailOptions {
  signal?: AbortSignal;
  /** Fallback check when no watch event arrives (ms). */
  pollMs?: number;
  /** A partial that has not grown for this long is given up on (the writer died). */
  idleTimeoutMs?: number;
  chunkBytes?: number;
}

/**
 * Yields the bytes of `path` as they are written. Ends when `path` no longer
 * exists under its name (renamed or removed) and the descriptor is read to its
 * end, or after `idleTimeoutMs` without growth, or on abort. Throws ENOENT if
 * `path` does not exist at the start.
 */
export async function* tailGrowingFile(path: string, opts: TailOptions = {}): AsyncGenerator<Buffer> {
  const pollMs = opts.pollMs ?? 250;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  const chunk = opts.chunkBytes ?? 16 * 1024;
  const fh = await open(path, 'r');
  let wake: (() => void) | undefined;
  const name = basename(path);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_t, f) => {
      if (!f || String(f) === name || String(f).startsWith(name.replace(/\.partial\.[^.]+$/, ''))) wake?.();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined; // the poll timer still works
  }
  const onAbort = () => wake?.();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    let pos = 0;
    let lastGrowth = monotonicMs();
    while (!opts.signal?.aborted) {
      // A fresh buffer per chunk: the consumer may hold on to what was yielded.
      const buf = Buffer.allocUnsafe(chunk);
      const { bytesRead } = await fh.read(buf, 0, chunk, pos);
      if (bytesRead > 0) {
        pos += bytesRead;
        lastGrowth = monotonicMs();
        yield bytesRead === chunk ? buf : buf.subarray(0, bytesRead);
        continue;
      }
      const stillThere = await stat(path).then(
        () => true,
        () => false,
      );
      if (!stillThere) {
        // Renamed (or removed) after the writer closed it: drain what is left, then stop.
        if (pos >= (await fh.stat()).size) return;
        continue;
      }
      if (monotonicMs() - lastGrowth > idleTimeoutMs) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    watcher?.close();
    await fh.close();
  }
}
