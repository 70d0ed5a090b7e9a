// Paces a PCM stream at real time, one chunk of whole frames at a time, so a file
// behaves like a microphone downstream. After a stall it resumes at real time
// instead of bursting to catch up.
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

export interface PacerOptions {
  bytesPerSecond: number;
  /**
   * Bytes per write (a whole number of frames). 100 ms rather than one 20 ms frame:
   * every write wakes the reader, and a wake-up of a Node reader cost ~0.3 ms of
   * CPU here — 14 ms/s at 50 writes a second against 4 ms/s at 10.
   */
  chunkBytes: number;
  /** Being later than this (ms) resets the clock rather than sending a burst. */
  maxLagMs?: number;
}

export class RealtimePacer extends Transform {
  private readonly bytesPerMs: number;
  private readonly chunkBytes: number;
  private readonly maxLagMs: number;
  private t0 = -1;
  private sent = 0;

  constructor(opts: PacerOptions) {
    super();
    this.bytesPerMs = opts.bytesPerSecond / 1000;
    this.chunkBytes = opts.chunkBytes;
    this.maxLagMs = opts.maxLagMs ?? 1000;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.pace(chunk).then(() => cb(), cb);
  }

  private async pace(chunk: Buffer): Promise<void> {
    for (let off = 0; off < chunk.length; off += this.chunkBytes) {
      const now = performance.now();
      if (this.t0 < 0) this.t0 = now;
      let due = this.t0 + this.sent / this.bytesPerMs;
      if (now - due > this.maxLagMs) {
        this.t0 = now - this.sent / this.bytesPerMs;
        due = now;
      }
      if (due - now >= 1) await sleep(due - now);
      const piece = chunk.subarray(off, off + this.chunkBytes);
      this.sent += piece.length;
      this.push(piece);
    }
  }
}
