// A second-order IIR filter (the RBJ audio-EQ cookbook biquads) that keeps its
// state between calls, so a stream is filtered chunk by chunk: the VAD's
// high-pass (segment/vad.ts) and the test corpus's sound synthesis (bench/).
export type BiquadType = 'lowpass' | 'highpass' | 'bandpass';

export class Biquad {
  private readonly b0: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly a1: number;
  private readonly a2: number;
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;

  constructor(type: BiquadType, hz: number, rate: number, q = Math.SQRT1_2) {
    const w0 = (2 * Math.PI * hz) / rate;
    const alpha = Math.sin(w0) / (2 * q);
    const cos = Math.cos(w0);
    const a0 = 1 + alpha;
    const b = type === 'lowpass' ? [(1 - cos) / 2, 1 - cos, (1 - cos) / 2] : type === 'highpass' ? [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2] : [alpha, 0, -alpha];
    this.b0 = b[0]! / a0;
    this.b1 = b[1]! / a0;
    this.b2 = b[2]! / a0;
    this.a1 = (-2 * cos) / a0;
    this.a2 = (1 - alpha) / a0;
  }

  /** Filter the first `n` samples in place; 16-bit samples are clamped to their range. */
  run<T extends Float32Array | Int16Array>(x: T, n = x.length): T {
    const { b0, b1, b2, a1, a2 } = this;
    const clamp = x instanceof Int16Array;
    let { x1, x2, y1, y2 } = this;
    for (let i = 0; i < n; i++) {
      const x0 = x[i]!;
      const y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x0;
      y2 = y1;
      y1 = y0;
      x[i] = clamp ? (y0 > 32767 ? 32767 : y0 < -32768 ? -32768 : y0) : y0;
    }
    this.x1 = x1;
    this.x2 = x2;
    this.y1 = y1;
    this.y2 = y2;
    return x;
  }
}
