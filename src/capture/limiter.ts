// Passes exactly `maxBytes` of a stream, then reports that the limit was reached.
import { Transform, type TransformCallback } from 'node:stream';

export class ByteLimiter extends Transform {
  private remaining: number;

  constructor(
    maxBytes: number,
    private readonly onLimit: () => void,
  ) {
    super();
    this.remaining = maxBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.remaining <= 0) return cb();
    const piece = chunk.length <= this.remaining ? chunk : chunk.subarray(0, this.remaining);
    this.remaining -= piece.length;
    this.push(piece);
    if (this.remaining === 0) {
      this.push(null);
      this.onLimit();
    }
    cb();
  }
}
