// Test recordings with ground truth for scoring rec-segment: espeak-ng speech, short words,
// knocks, tones and noise bursts at known sample offsets and SNRs over several backgrounds.
// `node dist/bench/corpus.js --out-dir DIR [--scenario NAME ...] [--minutes N] [--list]`
import { realpathSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { wavHeader } from '../src/lib/wav.js';
import { EX, outputErrorCode } from '../src/lib/exit-codes.js';
import type { TruthEvent } from '../src/segment/score.js';
import { mulberry32 } from './prng.js';

const RATE = 48000;
const SAMPLES_PER_MS = RATE / 1000;
const WINDOW_SAMPLES = 960; // 20 ms
/** An event's SNR is measured over its "active" 20 ms windows: those within this of its loudest. */
const ACTIVE_DB = 30;
/** A clip starts/ends at its first/last sample this far below its peak (then the nearest zero crossing). */
const TRIM_DB = -40;
/** Standard set: at least this much background between events, and before the first and after the last. */
export const MIN_GAP_MS = 5000;
/** 'rising': the floor climbs RISE_DB (linear in dB) between these times, like a fan spinning up. */
const RISE_DB = 24;
const RISE_FROM_MS = 10_000;
const RISE_TO_MS = 70_000;
/** 'hum': pink noise this far below the hum. */
const HUM_NOISE_DB = -15;
const HUM_HARMONICS: Array<[hz: number, amplitude: number]> = [
  [50, 1],
  [100, 0.6],
  [150, 0.45],
  [200, 0.25],
  [250, 0.15],
  [300, 0.1],
];

export type Kind = 'speech' | 'word' | 'knock' | 'tone' | 'burst';
export type BackgroundKind = 'silence' | 'pink' | 'brown' | 'hum' | 'rising';

export interface ScenarioEvent {
  kind: Kind;
  /** speech/word: what espeak-ng says. */
  text?: string;
  /** speech/word: espeak-ng voice (default 'en'). */
  voice?: string;
  /** speech/word: words per minute (default 175). */
  speed?: number;
  /** tone: frequency (default 1000 Hz). */
  freqHz?: number;
  /** tone/burst: length before trimming (defaults 700 / 300 ms). */
  lengthMs?: number;
  /** knock: how many knocks, 220 ms apart (default 3). */
  count?: number;
  /** Where the event's first sample goes. */
  atMs: number;
  /** Active RMS of the event over the background's RMS there (for 'silence', over backgroundDbfs). */
  snrDb: number;
}

export interface Scenario {
  name: string;
  background: BackgroundKind;
  /** RMS of the background (for 'rising', at the start; for 'silence', the nominal level SNRs refer to). */
  backgroundDbfs: number;
  durationMs: number;
  events: ScenarioEvent[];
}

export interface CorpusEvent extends TruthEvent {
  snrDb: number;
  text?: string;
  voice?: string;
  speed?: number;
  /** Active RMS of the event as placed. */
  levelDbfs: number;
  /** Background RMS the SNR refers to (the local level for 'rising'). */
  backgroundDbfs: number;
  /** Length of the active 20 ms windows (counted from startMs) the SNR is measured over. */
  activeMs: number;
}

export interface CorpusTruth {
  file: string;
  rate: 48000;
  durationMs: number;
  background: string;
  backgroundDbfs: number;
  generator: string;
  events: CorpusEvent[];
}

const dbToAmp = (db: number): number => 10 ** (db / 20);

// ---------------------------------------------------------------------------------------------
// Deterministic randomness (same scenario → same bytes on every machine).

function hashSeed(text: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const uniform = mulberry32;

type NoiseColor = 'white' | 'pink' | 'brown';
const SQRT3 = Math.sqrt(3);

/**
 * Seeded noise, filled a block at a time with the state in locals: a 10-minute file is
 * 29 M samples, twice over (a dry run sets the exact level), so this loop is the hot path.
 */
class Noise {
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
function gaussian(seed: number): () => number {
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

// ---------------------------------------------------------------------------------------------
// Backgrounds, generated chunk by chunk (a 10-minute file never sits in memory).

const CHUNK_SAMPLES = RATE; // 1 s

interface Background {
  /** Fill `out` with the samples that start at `start` (called with consecutive ranges). */
  fill(out: Float32Array, start: number): void;
  /** RMS level around `ms`, in dBFS: what an event's SNR there refers to. */
  levelDbfsAt(ms: number): number;
}

/** The scale that gives a seeded noise exactly unit RMS over `total` samples (one dry run). */
function unitScale(color: NoiseColor, seed: number, total: number): number {
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

function risingDb(ms: number): number {
  return RISE_DB * Math.min(1, Math.max(0, (ms - RISE_FROM_MS) / (RISE_TO_MS - RISE_FROM_MS)));
}

/** Noise of `color` scaled to an exact RMS of `dbfs` over `total` samples. */
function scaledNoise(color: NoiseColor, seed: number, total: number, dbfs: number): (out: Float32Array) => void {
  const k = unitScale(color, seed, total) * dbToAmp(dbfs);
  const n = new Noise(color, seed);
  return (out) => {
    n.fill(out);
    for (let i = 0; i < out.length; i++) out[i]! *= k;
  };
}

function makeBackground(s: Scenario, total: number): Background {
  const level = s.backgroundDbfs;
  const seed = hashSeed(`${s.name}/background`);
  switch (s.background) {
    case 'silence':
      return { fill: (out) => out.fill(0), levelDbfsAt: () => level };
    case 'pink':
    case 'brown':
      return { fill: scaledNoise(s.background, seed, total, level), levelDbfsAt: () => level };
    case 'hum': {
      // Hum and noise powers add up to the requested level. Every harmonic of 50 Hz repeats
      // every 960 samples, so one period is computed once.
      const humPower = dbToAmp(level) ** 2 / (1 + dbToAmp(HUM_NOISE_DB) ** 2);
      const humUnit = Math.sqrt(HUM_HARMONICS.reduce((a, [, amp]) => a + (amp * amp) / 2, 0));
      const period = new Float32Array(RATE / 50);
      for (let n = 0; n < period.length; n++) {
        let h = 0;
        for (const [j, [hz, amp]] of HUM_HARMONICS.entries()) h += amp * Math.sin((2 * Math.PI * hz * n) / RATE + 0.7 * j);
        period[n] = (h * Math.sqrt(humPower)) / humUnit;
      }
      const noise = scaledNoise('pink', seed, total, 10 * Math.log10(humPower) + HUM_NOISE_DB);
      return {
        fill: (out, start) => {
          noise(out);
          for (let i = 0; i < out.length; i++) out[i]! += period[(start + i) % period.length]!;
        },
        levelDbfsAt: () => level,
      };
    }
    case 'rising': {
      const noise = scaledNoise('pink', seed, total, 0);
      return {
        fill: (out, start) => {
          noise(out);
          // The gain moves by 0.0004 dB per ms: one step per millisecond is smooth.
          for (let ms0 = 0; ms0 < out.length; ms0 += SAMPLES_PER_MS) {
            const g = dbToAmp(level + risingDb((start + ms0) / SAMPLES_PER_MS));
            for (let i = ms0; i < Math.min(out.length, ms0 + SAMPLES_PER_MS); i++) out[i]! *= g;
          }
        },
        levelDbfsAt: (ms) => level + risingDb(ms),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Event clips: synthesised, trimmed to where the sound really is, measured.

interface Clip {
  samples: Float32Array;
  /** RMS over the active windows. */
  activeRms: number;
  activeSamples: number;
}

async function speechClip(text: string, voice: string, speed: number): Promise<Float32Array> {
  const spoken = await execa('espeak-ng', ['-v', voice, '-s', String(speed), '--stdout', text], { encoding: 'buffer' });
  const pcm = await execa('ffmpeg', ['-nostdin', '-v', 'error', '-i', 'pipe:0', '-ac', '1', '-ar', String(RATE), '-f', 'f32le', 'pipe:1'], {
    input: spoken.stdout,
    encoding: 'buffer',
  });
  const b = pcm.stdout;
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); // copy: Buffer may be unaligned
}

/** Second-order low-pass (RBJ biquad, Q 0.707), in place. */
function lowpass(x: Float32Array, hz: number): Float32Array {
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

/** Knocks: a decaying 170 Hz thump plus a noise click, low-passed to sound wooden. */
function knockClip(count: number, seed: number): Float32Array {
  const spacing = 0.22 * RATE;
  const len = 0.15 * RATE;
  const x = new Float32Array(Math.round((count - 1) * spacing + len + 0.05 * RATE));
  const w = gaussian(seed);
  for (let k = 0; k < count; k++) {
    const at = Math.round(k * spacing);
    for (let n = 0; n < len; n++) {
      const t = n / RATE;
      x[at + n] = (0.7 * Math.sin(2 * Math.PI * 170 * t) + 0.3 * w()) * Math.exp(-45 * t);
    }
  }
  return lowpass(x, 1500);
}

/** A sine with 5 ms raised-cosine edges, so neither end clicks. */
function toneClip(hz: number, ms: number): Float32Array {
  const n = Math.round(ms * SAMPLES_PER_MS);
  const edge = 5 * SAMPLES_PER_MS;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const fade = Math.min(1, i / edge, (n - 1 - i) / edge);
    x[i] = Math.sin((2 * Math.PI * hz * i) / RATE) * (0.5 - 0.5 * Math.cos(Math.PI * Math.max(0, fade)));
  }
  return x;
}

/** White noise with a 2 ms attack, decaying 40 dB over its length (a hiss, a clap, a dropped thing). */
function burstClip(ms: number, seed: number): Float32Array {
  const n = Math.round(ms * SAMPLES_PER_MS);
  const attack = 2 * SAMPLES_PER_MS;
  const w = gaussian(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = w() * Math.min(1, i / attack) * dbToAmp((-40 * i) / n);
  return x;
}

/**
 * Cut to the first/last sample within |TRIM_DB| of the peak, widened to the nearest zero
 * crossing, and the end then padded to a whole millisecond so startMs/endMs are exact.
 */
function trim(x: Float32Array): Float32Array {
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  if (peak === 0) throw new Error('generated clip is silent');
  const thr = peak * dbToAmp(TRIM_DB);
  let a = 0;
  let b = x.length - 1;
  while (Math.abs(x[a]!) < thr) a++;
  while (Math.abs(x[b]!) < thr) b--;
  while (a > 0 && x[a - 1]! * x[a]! > 0) a--;
  while (b < x.length - 1 && x[b + 1]! * x[b]! > 0) b++;
  const len = Math.ceil((b + 1 - a) / SAMPLES_PER_MS) * SAMPLES_PER_MS;
  const out = new Float32Array(len); // zero-padded past the source's end, if it ends first
  out.set(x.subarray(a, Math.min(x.length, a + len)));
  return out;
}

/** RMS over the 20 ms windows (counted from the clip's start) within ACTIVE_DB of the loudest. */
function measureActive(x: Float32Array): Omit<Clip, 'samples'> {
  const windows: Array<[sumSq: number, n: number]> = [];
  for (let s = 0; s < x.length; s += WINDOW_SAMPLES) {
    const e = Math.min(x.length, s + WINDOW_SAMPLES);
    let sq = 0;
    for (let i = s; i < e; i++) sq += x[i]! * x[i]!;
    windows.push([sq, e - s]);
  }
  const maxPower = Math.max(...windows.map(([sq, n]) => sq / n));
  const floor = maxPower * 10 ** (-ACTIVE_DB / 10);
  let sq = 0;
  let n = 0;
  for (const [wsq, wn] of windows) {
    if (wsq / wn >= floor) {
      sq += wsq;
      n += wn;
    }
  }
  return { activeRms: Math.sqrt(sq / n), activeSamples: n };
}

const clipCache = new Map<string, Promise<Clip>>();

function eventClip(e: ScenarioEvent): Promise<Clip> {
  const key = JSON.stringify([e.kind, e.text, e.voice, e.speed, e.freqHz, e.lengthMs, e.count]);
  let clip = clipCache.get(key);
  if (!clip) {
    clip = (async () => {
      let raw: Float32Array;
      switch (e.kind) {
        case 'speech':
        case 'word':
          if (!e.text) throw new Error(`${e.kind} event at ${e.atMs} ms has no text`);
          raw = await speechClip(e.text, e.voice ?? 'en', e.speed ?? 175);
          break;
        case 'knock':
          raw = knockClip(e.count ?? 3, hashSeed(key));
          break;
        case 'tone':
          raw = toneClip(e.freqHz ?? 1000, e.lengthMs ?? 700);
          break;
        case 'burst':
          raw = burstClip(e.lengthMs ?? 300, hashSeed(key));
          break;
      }
      const samples = trim(raw);
      return { samples, ...measureActive(samples) };
    })();
    clip.catch(() => clipCache.delete(key));
    clipCache.set(key, clip);
  }
  return clip;
}

// ---------------------------------------------------------------------------------------------
// The standard set.

const SPEECH: Array<Pick<ScenarioEvent, 'text' | 'voice' | 'speed'>> = [
  { text: 'Good morning, this is a test recording.', voice: 'en', speed: 165 },
  { text: 'The kettle is on, back in a minute.', voice: 'en-us', speed: 175 },
  { text: 'Did you remember to lock the back door?', voice: 'en+f3', speed: 190 },
  { text: 'The keys are on the kitchen table, by the door.', voice: 'en-gb+m3', speed: 140 },
  { text: 'Can you hear me now?', voice: 'en-us+f2', speed: 230 },
  { text: 'Please call me back tomorrow afternoon.', voice: 'en-gb-scotland', speed: 120 },
  { text: 'I will be home a little late tonight.', voice: 'en+m7', speed: 160 },
  { text: 'Whisper it quietly so nobody hears.', voice: 'en-029+f4', speed: 200 },
];
const WORDS: Array<Pick<ScenarioEvent, 'text' | 'voice' | 'speed'>> = [
  { text: 'yes', voice: 'en-us', speed: 200 },
  { text: 'no', voice: 'en', speed: 180 },
  { text: 'stop', voice: 'en-gb+m3', speed: 200 },
  { text: 'hi', voice: 'en+f3', speed: 200 },
];
type Planned = Omit<ScenarioEvent, 'atMs' | 'snrDb'>;
const S = (i: number): Planned => ({ kind: 'speech', ...SPEECH[i]! });
const W = (i: number): Planned => ({ kind: 'word', ...WORDS[i]! });
/** The events of every standard scenario with events, in order: speech, words and sounds interleaved. */
const PALETTE: Planned[] = [
  S(0), W(0), { kind: 'knock', count: 3 }, S(1), { kind: 'tone', freqHz: 1000, lengthMs: 500 }, W(1),
  S(2), { kind: 'burst', lengthMs: 300 }, S(3), { kind: 'knock', count: 1 }, { kind: 'tone', freqHz: 440, lengthMs: 1000 }, S(4),
  W(2), { kind: 'burst', lengthMs: 150 }, S(5), { kind: 'tone', freqHz: 2500, lengthMs: 700 }, S(6), W(3), S(7),
];
/** Room reserved for each kind when planning (the clips are checked against it when rendered). */
const SLOT_MS: Record<Kind, number> = { speech: 3500, word: 500, knock: 800, tone: 1000, burst: 400 };

/** Place the palette: gaps of MIN_GAP_MS plus up to 1.5 s (seeded), SNRs cycling through `snrs`. */
function planned(name: string, snrs: number[]): { events: ScenarioEvent[]; durationMs: number } {
  const rnd = uniform(hashSeed(`${name}/gaps`));
  const events: ScenarioEvent[] = [];
  let at = MIN_GAP_MS;
  for (const [i, p] of PALETTE.entries()) {
    events.push({ ...p, atMs: at, snrDb: snrs[i % snrs.length]! });
    at += SLOT_MS[p.kind] + MIN_GAP_MS + Math.round(rnd() * 150) * 10;
  }
  const last = events.at(-1)!;
  return { events, durationMs: last.atMs + SLOT_MS[last.kind] + MIN_GAP_MS };
}

/** The standard scenarios, the same on every call. `minutes` sets the length of 'noise-only' (default 10). */
export function scenarios(opts: { minutes?: number } = {}): Scenario[] {
  const minutes = opts.minutes ?? 10;
  const mixed = [20, 10, 6];
  const named = (name: string, background: BackgroundKind, backgroundDbfs: number, snrs: number[]): Scenario => ({
    name,
    background,
    backgroundDbfs,
    ...planned(name, snrs),
  });
  return [
    // Digital silence: SNRs over a nominal -60 dBFS, i.e. events at -30, -40 and -50 dBFS.
    named('silence', 'silence', -60, [30, 20, 10]),
    named('pink-20db', 'pink', -50, [20]),
    named('pink-10db', 'pink', -50, [10]),
    named('pink-6db', 'pink', -50, [6]),
    named('brown', 'brown', -45, mixed),
    named('hum', 'hum', -50, mixed),
    named('rising', 'rising', -62, mixed),
    { name: 'noise-only', background: 'pink', backgroundDbfs: -50, durationMs: Math.round(minutes * 60_000), events: [] },
  ];
}

// ---------------------------------------------------------------------------------------------
// Rendering.

interface Placed {
  start: number;
  samples: Float32Array;
}

/** Write <outDir>/<name>.wav (48 kHz mono s16le) and <name>.json (ground truth). */
export async function renderScenario(s: Scenario, outDir: string): Promise<{ wav: string; truth: CorpusTruth }> {
  if (!/^[\w.-]+$/.test(s.name)) throw new Error(`scenario name "${s.name}": use letters, digits, '.', '-', '_'`);
  const total = Math.round(s.durationMs * SAMPLES_PER_MS);
  const bg = makeBackground(s, total);
  const sorted = [...s.events].sort((a, b) => a.atMs - b.atMs);
  const clips = await Promise.all(sorted.map(eventClip)); // espeak-ng runs in parallel
  const placed: Placed[] = [];
  const events: CorpusEvent[] = [];
  for (const [i, e] of sorted.entries()) {
    const clip = clips[i]!;
    const start = Math.round(e.atMs * SAMPLES_PER_MS);
    const end = start + clip.samples.length;
    const startMs = start / SAMPLES_PER_MS;
    const endMs = end / SAMPLES_PER_MS;
    const where = `${s.name}: ${e.kind} at ${e.atMs} ms`;
    if (e.kind === 'word' && endMs - startMs >= 500) throw new Error(`${where} is ${endMs - startMs} ms long, a word must be under 500 ms`);
    if (end > total) throw new Error(`${where} ends at ${endMs} ms, after the end of the recording`);
    const prev = events.at(-1);
    if (prev && startMs < prev.endMs) throw new Error(`${where} overlaps the previous event (ends at ${prev.endMs} ms)`);
    const backgroundDbfs = bg.levelDbfsAt((startMs + endMs) / 2);
    const levelDbfs = backgroundDbfs + e.snrDb;
    const gain = dbToAmp(levelDbfs) / clip.activeRms;
    const samples = clip.samples.map((v) => v * gain);
    let peak = 0;
    for (const v of samples) peak = Math.max(peak, Math.abs(v));
    if (peak > dbToAmp(-1)) throw new Error(`${where} would peak at ${(20 * Math.log10(peak)).toFixed(1)} dBFS: lower its SNR or the background`);
    placed.push({ start, samples });
    events.push({
      startMs,
      endMs,
      kind: e.kind,
      snrDb: e.snrDb,
      ...(e.text !== undefined && { text: e.text, voice: e.voice ?? 'en', speed: e.speed ?? 175 }),
      levelDbfs: round2(levelDbfs),
      backgroundDbfs: round2(backgroundDbfs),
      activeMs: clip.activeSamples / SAMPLES_PER_MS,
    });
  }

  await mkdir(outDir, { recursive: true });
  const wav = join(outDir, `${s.name}.wav`);
  const tmp = `${wav}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(wavHeader({ rate: RATE, dataBytes: total * 2 }));
    const buf = new Float32Array(CHUNK_SAMPLES);
    const pcm = new Int16Array(CHUNK_SAMPLES);
    for (let c0 = 0; c0 < total; c0 += CHUNK_SAMPLES) {
      const n = Math.min(CHUNK_SAMPLES, total - c0);
      const chunk = buf.subarray(0, n);
      bg.fill(chunk, c0);
      for (const p of placed) {
        const from = Math.max(c0, p.start);
        const to = Math.min(c0 + n, p.start + p.samples.length);
        for (let i = from; i < to; i++) chunk[i - c0]! += p.samples[i - p.start]!;
      }
      for (let i = 0; i < n; i++) {
        const v = Math.round(chunk[i]! * 32768);
        pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      await fh.write(new Uint8Array(pcm.buffer, 0, n * 2)); // s16le: little-endian hosts only (x86, ARM)
    }
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, wav);

  const truth: CorpusTruth = {
    file: `${s.name}.wav`,
    rate: RATE,
    durationMs: total / SAMPLES_PER_MS,
    background: s.background,
    backgroundDbfs: s.backgroundDbfs,
    generator: 'bench/corpus.ts',
    events,
  };
  await writeFile(join(outDir, `${s.name}.json`), JSON.stringify(truth, null, 2) + '\n');
  return { wav, truth };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The shortest stretch of background between events (and at either end) of a rendered scenario. */
export function minGapMs(truth: Pick<CorpusTruth, 'durationMs' | 'events'>): number {
  let prevEnd = 0;
  let gap = Infinity;
  for (const e of truth.events) {
    gap = Math.min(gap, e.startMs - prevEnd);
    prevEnd = e.endMs;
  }
  return truth.events.length ? Math.min(gap, truth.durationMs - prevEnd) : truth.durationMs;
}

// ---------------------------------------------------------------------------------------------
// Command line.

function describe(s: Scenario): string {
  const snrs = [...new Set(s.events.map((e) => e.snrDb))].join('/') || '-';
  return `${s.name.padEnd(12)} ${s.background.padEnd(8)} ${String(s.backgroundDbfs).padStart(4)} dBFS  ${(s.durationMs / 1000).toFixed(0).padStart(4)} s  ${String(s.events.length).padStart(2)} events  SNR ${snrs} dB`;
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .usage('Usage: $0 --out-dir DIR [--scenario NAME ...] [--minutes N]\n\nWrite test recordings (<name>.wav) with ground truth (<name>.json) for scoring rec-segment; prints the .json paths.')
    .option('out-dir', { type: 'string', requiresArg: true, describe: 'output directory' })
    .option('scenario', { type: 'string', array: true, requiresArg: true, describe: 'only these scenarios (default: all)' })
    .option('minutes', { type: 'number', default: 10, requiresArg: true, describe: "length of the 'noise-only' scenario" })
    .option('list', { type: 'boolean', describe: 'list the scenarios and exit' })
    .example('$0 --out-dir /tmp/corpus --minutes 2', 'the standard set, with 2 minutes of noise-only')
    .check((a) => {
      if (!Number.isFinite(a.minutes) || a.minutes <= 0 || a.minutes > 600) throw new Error(`--minutes: must be > 0 and ≤ 600, got ${a.minutes}`);
      if (!a.list && !a['out-dir']) throw new Error('--out-dir is required');
      return true;
    })
    .strict()
    .version(false)
    .help()
    .fail((msg, err) => {
      throw Object.assign(err ?? new Error(msg), { usage: true }); // one line via main().catch, not a help dump
    })
    .parseAsync();
  const all = scenarios({ minutes: argv.minutes });
  const wanted = argv.scenario ?? all.map((s) => s.name);
  const unknown = wanted.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw Object.assign(new Error(`unknown scenario ${unknown.join(', ')} (known: ${all.map((s) => s.name).join(', ')})`), { usage: true });
  const chosen = all.filter((s) => wanted.includes(s.name));
  if (argv.list) {
    for (const s of chosen) console.log(describe(s));
    return;
  }
  const outDir = resolve(argv['out-dir']!);
  for (const s of chosen) {
    const { truth } = await renderScenario(s, outDir);
    const gap = minGapMs(truth);
    if (gap < MIN_GAP_MS) throw new Error(`${s.name}: only ${gap} ms between events, want ≥ ${MIN_GAP_MS} (a clip is longer than its slot)`);
    console.log(join(outDir, `${s.name}.json`));
  }
}

const invoked = process.argv[1];
if (invoked && import.meta.url === pathToFileURL(realpathSync(invoked)).href) {
  main().catch((err: unknown) => {
    const e = err as NodeJS.ErrnoException & { shortMessage?: string; usage?: boolean };
    console.error(`corpus: ${(e.shortMessage ?? e.message ?? String(err)).split('\n')[0]}`);
    if (e.usage) process.exit(EX.USAGE);
    if (e.shortMessage !== undefined) process.exit(e.code === 'ENOENT' ? EX.UNAVAILABLE : EX.FAILURE); // execa: espeak-ng/ffmpeg missing or failed
    process.exit(e.syscall ? outputErrorCode(e) : EX.FAILURE);
  });
}
