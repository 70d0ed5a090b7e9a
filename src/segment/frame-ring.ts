// The pre-roll: the last N frames in one preallocated buffer, so the start of an
// event can be written from before it was detected, at no allocation per frame.
export class FrameRing {
  private readonly buf: Buffer;
  private next = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    readonly frameBytes: number,
  ) {
    this.buf = Buffer.alloc(Math.max(1, capacity) * frameBytes);
  }

  get size(): number {
    return this.count;
  }

  push(frame: Buffer): void {
    if (this.capacity === 0) return;
    frame.copy(this.buf, this.next * this.frameBytes, 0, this.frameBytes);
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Copies of the last `n` frames, oldest first (copies: the ring is overwritten later). */
  last(n: number): Buffer[] {
    const k = Math.min(n, this.count);
    const out: Buffer[] = [];
    for (let i = k; i > 0; i--) {
      const slot = (this.next - i + this.capacity) % this.capacity;
      out.push(Buffer.from(this.buf.subarray(slot * this.frameBytes, (slot + 1) * this.frameBytes)));
    }
    return out;
  }

  clear(): void {
    this.count = 0;
  }
}
