// Seeded synthesis primitives for the test corpus (bench/corpus.ts, bench/household.ts):
// noise, filters, gates and sequences of short sounds, all streamed chunk by chunk, so a
// scenario is the same bytes on every machine and an hour of it never sits in memory.
import { mulberry32 } from './prng.js';
import { Biquad as LibBiquad, type BiquadType } from '../src/lib/biquad.js';

export const RATE = 48000;
export const SAMPLES_PER_MS = RATE / 1000;
/** Backgrounds are generated this many samples at a time (1 s). */
export const CHUNK_SAMPLES = RATE;

export const dbToAmp = (db: number): number => 10 ** (db / 20);

/** A 32-bit seed from a name (FNV-1a): each part of a scenario draws from its own stream. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export const uniform = mulberry32;

export type NoiseColor = 'white' | 'pink' | 'brown';
const SQRT3 = Math.sqrt(3);

/**
 * Seeded noise, filled a block at a time with the state in locals: a 10-minute file is
 * 29 M samples, twice over (a dry run sets the exact level), so this loop is the hot path.
 */
export class Noise {
  private rng: number;
  private b = new Float64Array(7); // filter state: pink b0..b6, brown b0

  constructor(
    private readonly color: NoiseColor,
    seed: number,
  ) {
    this.rng = seed >>> 0 || 1; // xorshift32 state must not be 0
  }

  fill(out: Float32Array): void {
    // White, near-Gaussian: the sum of four uniforms (xorshift32), unit variance, within ±3.5.
    // Cheaper than Box–Muller, and the filters below make it Gaussian anyway.
    let a = this.rng;
    for (let i = 0; i < out.length; i++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) {
        a ^= a << 13;
        a ^= a >>> 17;
        a ^= a << 5;
        sum += a >>> 0;
      }
      out[i] = (sum / 4294967296 - 2) * SQRT3;
    }
    this.rng = a;
    const b = this.b;
    if (this.color === 'brown') {
      // Leaky integrator: -6 dB/octave above ~8 Hz, and stationary.
      let b0 = b[0]!;
      for (let i = 0; i < out.length; i++) out[i] = b0 = 0.999 * b0 + 0.05 * out[i]!;
      b[0] = b0;
    } else if (this.color === 'pink') {
      // Paul Kellet's refined pink filter (-3 dB/octave within 0.5 dB from ~10 Hz up).
      let b0 = b[0]!, b1 = b[1]!, b2 = b[2]!, b3 = b[3]!, b4 = b[4]!, b5 = b[5]!, b6 = b[6]!;
      for (let i = 0; i < out.length; i++) {
        const x = out[i]!;
        b0 = 0.99886 * b0 + x * 0.0555179;
        b1 = 0.99332 * b1 + x * 0.0750759;
        b2 = 0.969 * b2 + x * 0.153852;
        b3 = 0.8665 * b3 + x * 0.3104856;
        b4 = 0.55 * b4 + x * 0.5329522;
        b5 = -0.7616 * b5 - x * 0.016898;
        out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + x * 0.5362;
        b6 = x * 0.115926;
      }
      b.set([b0, b1, b2, b3, b4, b5, b6]);
    }
  }
}

/** White noise samples (unit variance), one at a time, for the short event clips. */
export function gaussian(seed: number): () => number {
  const n = new Noise('white', seed);
  const block = new Float32Array(1024);
  let i = block.length;
  return () => {
    if (i === block.length) {
      n.fill(block);
      i = 0;
    }
    return block[i++]!;
  };
}

/** The scale that gives a seeded noise exactly unit RMS over `total` samples (one dry run). */
export function unitScale(color: NoiseColor, seed: number, total: number): number {
  const n = new Noise(color, seed);
  const block = new Float32Array(CHUNK_SAMPLES);
  let sq = 0;
  for (let done = 0; done < total; done += block.length) {
    const part = block.subarray(0, Math.min(block.length, total - done));
    n.fill(part);
    for (const v of part) sq += v * v;
  }
  return 1 / Math.sqrt(sq / total);
}

/** Noise of `color` scaled to an exact RMS of `dbfs` over `total` samples. */
export function scaledNoise(color: NoiseColor, seed: number, total: number, dbfs: number): (out: Float32Array) => void {
  const k = unitScale(color, seed, total) * dbToAmp(dbfs);
  const n = new Noise(color, seed);
  return (out) => {
    n.fill(out);
    for (let i = 0; i < out.length; i++) out[i]! *= k;
  };
}

/** Second-order low-pass (RBJ biquad, Q 0.707), in place. */
export function lowpass(x: Float32Array, hz: number): Float32Array {
  const w0 = (2 * Math.PI * hz) / RATE;
  const alpha = Math.sin(w0) / (2 * Math.SQRT1_2);
  const c = Math.cos(w0);
  const a0 = 1 + alpha;
  const [b0, b1, b2, a1, a2] = [(1 - c) / 2 / a0, (1 - c) / a0, (1 - c) / 2 / a0, (-2 * c) / a0, (1 - alpha) / a0];
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let n = 0; n < x.length; n++) {
    const x0 = x[n]!;
    const y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    [x2, x1, y2, y1] = [x1, x0, y1, y0];
    x[n] = y0;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Added for the household set (bench/household.ts). The standard set above must keep its bytes.

/** The shared biquad (src/lib/biquad.ts) at the corpus's rate. */
export class Biquad extends LibBiquad {
  constructor(type: BiquadType, hz: number, q = Math.SQRT1_2) {
    super(type, hz, RATE, q);
  }
}

/**
 * Fills (overwrites) the chunk of a stream that starts at sample `start`; called with
 * consecutive chunks, each continuing where the last one stopped.
 */
export type Source = (out: Float32Array, start: number) => void;

/** A scenario's background, chunk by chunk, and the level an event's SNR there refers to. */
export interface Background {
  /** Fill `out` with the samples that start at `start` (called with consecutive ranges). */
  fill(out: Float32Array, start: number): void;
  /** RMS level around `ms`, in dBFS: what an event's SNR there refers to. */
  levelDbfsAt(ms: number): number;
}

/** The factor that gives a freshly made source exactly unit RMS over `total` samples (one dry run). */
export function unitRms(make: () => Source, total: number): number {
  const src = make();
  const block = new Float32Array(CHUNK_SAMPLES);
  let sq = 0;
  for (let done = 0; done < total; done += block.length) {
    const part = block.subarray(0, Math.min(block.length, total - done));
    src(part, done);
    for (const v of part) sq += v * v;
  }
  if (sq === 0) throw new Error('source is silent');
  return 1 / Math.sqrt(sq / total);
}

/** A placed sound: `samples` × `gain` from sample `start` on. */
export interface Placed {
  start: number;
  samples: Float32Array;
  gain: number;
}

/**
 * Short sounds placed one after another and mixed into a stream: `next` gives the next one
 * (starts never decreasing), or null when there are no more. Sounds are drawn only as the
 * stream reaches them, so the randomness they use is consumed in the same order whatever
 * the chunk size, and only the sounds still playing are held.
 */
export class Sequence {
  private active: Placed[] = [];
  private upcoming: Placed | null;

  constructor(private readonly next: () => Placed | null) {
    this.upcoming = next();
  }

  /** Add the sounds playing during [start, start + out.length) to `out`. */
  add(out: Float32Array, start: number): void {
    const end = start + out.length;
    while (this.upcoming && this.upcoming.start < end) {
      this.active.push(this.upcoming);
      this.upcoming = this.next();
    }
    for (const p of this.active) {
      const from = Math.max(start, p.start);
      const to = Math.min(end, p.start + p.samples.length);
      const g = p.gain;
      for (let i = from; i < to; i++) out[i - start]! += p.samples[i - p.start]! * g;
    }
    this.active = this.active.filter((p) => p.start + p.samples.length > end);
  }
}

/**
 * On/off switching: the gain is 1 inside each [on, off) span (samples), 0 outside, with
 * raised-cosine ramps of `rampSamples` inside the span's ends (a motor spinning up, a set
 * switched off).
 */
export class Gate {
  constructor(
    private readonly spans: Array<[on: number, off: number]>,
    private readonly rampSamples: number,
  ) {
    if (!(rampSamples >= 1)) throw new RangeError('a gate needs a ramp of at least one sample');
  }

  /** Multiply the chunk starting at `start` by the gain. */
  apply(out: Float32Array, start: number): void {
    const end = start + out.length;
    const r = this.rampSamples;
    const hit = this.spans.filter(([on, off]) => on < end && off > start);
    if (hit.length === 1 && hit[0]![0] + r <= start && hit[0]![1] - r >= end) return; // fully on
    for (let i = 0; i < out.length; i++) {
      const n = start + i;
      let g = 0;
      for (const [on, off] of hit) {
        if (n < on || n >= off) continue;
        const edge = Math.min(1, (n - on) / r, (off - 1 - n) / r);
        g = Math.max(g, edge >= 1 ? 1 : 0.5 - 0.5 * Math.cos(Math.PI * edge));
      }
      out[i]! *= g;
    }
  }

  isOn(n: number): boolean {
    return this.spans.some(([on, off]) => n >= on && n < off);
  }
}
