// The fault matrix's ground truth: a deterministic "world" of tone bursts over a
// quiet noise floor, heard by a fake microphone (test/fixtures/arecord-world.mjs)
// whose clock runs `speed` times faster than real time. Every burst has its own
// frequency, so a recording tells which burst (and how much of it) it holds; the
// audit compares that with what the microphone actually delivered.
import { execa } from 'execa';
import { mulberry32 } from '../../bench/prng.js';

export interface Burst {
  startMs: number;
  durMs: number;
  freq: number;
}

export interface World {
  rate: number;
  epochMs: number;
  speed: number;
  lengthMs: number;
  noiseAmp: number;
  toneAmp: number;
  bursts: Burst[];
}

/** A small seeded PRNG, so a trial is the same every run. */
export const prng = mulberry32;

const FIRST_FREQ = 300;
const FREQ_STEP = 50;
const MAX_BURSTS = 40;

/**
 * Bursts of 1–4 s with 2.5–5 s of quiet between them (more than the 1 s hang the
 * rig uses), after 3 s for the noise floor to settle. The epoch is set when the
 * rig starts.
 */
export function makeWorld(seed: number, opts: { lengthMs: number; speed: number; rate?: number }): World {
  const rnd = prng(seed);
  const bursts: Burst[] = [];
  let t = 3000;
  while (bursts.length < MAX_BURSTS) {
    const durMs = Math.round(1000 + rnd() * 3000);
    if (t + durMs > opts.lengthMs - 2000) break;
    bursts.push({ startMs: t, durMs, freq: FIRST_FREQ + FREQ_STEP * bursts.length });
    t += durMs + Math.round(2500 + rnd() * 2500);
  }
  return { rate: opts.rate ?? 48000, epochMs: 0, speed: opts.speed, lengthMs: opts.lengthMs, noiseAmp: 0.002, toneAmp: 0.25, bursts };
}

/** Milliseconds of world time at a wall-clock moment. */
export function worldMsAt(world: World, wallMs: number): number {
  return (wallMs - world.epochMs) * world.speed;
}

export interface ToneRun {
  burst: number;
  ms: number;
}

const FRAME_MS = 20;

/**
 * The tone runs in a recording: 20 ms frames louder than -30 dBFS, grouped while
 * contiguous; each run's frequency (zero crossings) names its burst.
 */
export async function toneRuns(path: string, rate = 48000): Promise<ToneRun[] | null> {
  const r = await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', path, '-ac', '1', '-ar', String(rate), '-f', 's16le', 'pipe:1'], {
    encoding: 'buffer',
    reject: false,
  });
  if (r.exitCode !== 0) return null;
  const pcm = Buffer.from(r.stdout);
  const frame = (rate * FRAME_MS) / 1000;
  const frames = Math.floor(pcm.length / 2 / frame);
  const loud = (f: number) => {
    let sum = 0;
    for (let i = f * frame; i < (f + 1) * frame; i++) sum += pcm.readInt16LE(i * 2) ** 2;
    return 20 * Math.log10(Math.sqrt(sum / frame) / 32768 + 1e-12) > -30;
  };
  const runs: ToneRun[] = [];
  let f = 0;
  while (f < frames) {
    if (!loud(f)) {
      f++;
      continue;
    }
    const a = f;
    while (f < frames && loud(f)) f++;
    // The frequency of the run's inside: its first and last frames are partly the
    // noise around the tone (a burst starts mid-frame), whose zero crossings would
    // count as a much higher tone; measured without them, as the median over 100 ms
    // windows, so a codec transient cannot move it either.
    const inA = f - a >= 3 ? (a + 1) * frame : a * frame;
    const inB = f - a >= 3 ? (f - 1) * frame : f * frame;
    const win = rate / 10;
    const estimates: number[] = [];
    for (let w = inA; w + win <= inB || estimates.length === 0; w += win) {
      const end = Math.min(w + win, inB);
      let crossings = 0;
      let prev = pcm.readInt16LE(w * 2);
      for (let i = w + 1; i < end; i++) {
        const v = pcm.readInt16LE(i * 2);
        if ((prev < 0 && v >= 0) || (prev >= 0 && v < 0)) crossings++;
        prev = v;
      }
      estimates.push(crossings / 2 / ((end - w) / rate));
    }
    estimates.sort((x, y) => x - y);
    const freq = estimates[Math.floor(estimates.length / 2)]!;
    runs.push({ burst: Math.round((freq - FIRST_FREQ) / FREQ_STEP), ms: (f - a) * FRAME_MS });
  }
  return runs;
}

/** Length of [a, b) not covered by any of the excluded intervals. */
export function uncovered(a: number, b: number, excluded: Array<[number, number]>): number {
  const cut = excluded
    .map(([x, y]) => [Math.max(a, x), Math.min(b, y)] as [number, number])
    .filter(([x, y]) => y > x)
    .sort((p, q) => p[0] - q[0]);
  let covered = 0;
  let end = a;
  for (const [x, y] of cut) {
    if (y <= end) continue;
    covered += y - Math.max(x, end);
    end = y;
  }
  return b - a - covered;
}
