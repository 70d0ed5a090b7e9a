// Cuts a byte stream of PCM arriving in arbitrary chunks into whole frames, so a
// consumer (or a restarted producer) can never be misaligned by half a sample.
import { Transform, type TransformCallback } from 'node:stream';

export type TailPolicy = 'pad' | 'drop' | 'keep';

export interface FramerOptions {
  frameBytes: number;
  /**
   * What to do with a partial frame at end of stream: `pad` it with silence to a
   * whole frame, `drop` it, or `keep` its whole samples (an odd byte is always dropped).
   */
  tail?: TailPolicy;
  /** Called once at end of stream when a partial frame was padded, dropped or trimmed. */
  onTail?: (info: { partialBytes: number; policy: TailPolicy; emittedBytes: number }) => void;
}

/**
 * Transform stream: every chunk it emits is a whole number of frames (several
 * frames per chunk when they arrive together, to keep allocations low).
 */
export class PcmFramer extends Transform {
  private carry: Buffer = Buffer.alloc(0);
  readonly frameBytes: number;
  private readonly tail: TailPolicy;
  private readonly onTail: FramerOptions['onTail'];
  /** Bytes emitted so far. */
  emittedBytes = 0;

  constructor(opts: FramerOptions) {
    super();
    if (!Number.isInteger(opts.frameBytes) || opts.frameBytes <= 0 || opts.frameBytes % 2 !== 0) {
      throw new RangeError(`frameBytes must be a positive even integer, got ${opts.frameBytes}`);
    }
    this.frameBytes = opts.frameBytes;
    this.tail = opts.tail ?? 'drop';
    this.onTail = opts.onTail;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let data = chunk;
    if (this.carry.length) {
      // Complete the carried frame from the head of the chunk, rather than copying
      // the whole chunk behind it.
      const need = this.frameBytes - this.carry.length;
      if (chunk.length < need) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return cb();
      }
      this.emittedBytes += this.frameBytes;
      this.push(Buffer.concat([this.carry, chunk.subarray(0, need)]));
      data = chunk.subarray(need);
    }
    const whole = data.length - (data.length % this.frameBytes);
    if (whole > 0) {
      this.emittedBytes += whole;
      this.push(data.subarray(0, whole));
    }
    // Copy the remainder: keeping a view would pin the whole chunk in memory.
    this.carry = whole === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(whole));
    cb();
  }

  override _flush(cb: TransformCallback): void {
    const partial = this.carry.length;
    if (partial > 0) {
      if (this.tail === 'pad') {
        const frame = Buffer.alloc(this.frameBytes);
        this.carry.copy(frame, 0, 0, partial - (partial % 2));
        this.push(frame);
        this.emittedBytes += frame.length;
      } else if (this.tail === 'keep' && partial >= 2) {
        const samples = this.carry.subarray(0, partial - (partial % 2));
        this.push(samples);
        this.emittedBytes += samples.length;
      }
      this.onTail?.({ partialBytes: partial, policy: this.tail, emittedBytes: this.emittedBytes });
    }
    this.carry = Buffer.alloc(0);
    cb();
  }
}
