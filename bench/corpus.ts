// Test recordings with ground truth for scoring rec-segment: espeak-ng speech, short words,
// knocks, tones and noise bursts at known sample offsets and SNRs over several backgrounds
// (the standard set), and the sounds of a house over a room, an appliance, rain, clicks,
// music and a TV next door (the household set, issue #17; sounds in household-sounds.ts).
// `node dist/bench/corpus.js --out-dir DIR [--set standard|household|all] [--scenario NAME ...] [--minutes N] [--tv-minutes N] [--list]`
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
import { CHUNK_SAMPLES, RATE, SAMPLES_PER_MS, dbToAmp, gaussian, hashSeed, lowpass, scaledNoise, uniform, type Background, type Source } from './synth.js';
import * as house from './household-sounds.js';

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

export type Kind = 'speech' | 'word' | 'knock' | 'tone' | 'burst' | HouseholdKind;
/** The household set's sounds besides knock (shout: loud, high-pitched espeak-ng). */
export type HouseholdKind = 'bark' | 'clink' | 'whistle' | 'slam' | 'footsteps' | 'ring' | 'alarm' | 'cry' | 'shout';
/**
 * room: a quiet room (pink noise at backgroundDbfs). The others lie on that room, with a
 * source `sourceDb` over it while switched on (Scenario.onMs): appliance (a fridge or fan,
 * energy below 200 Hz), rain, clicks (a clock and a radiator), music (piano chords), tv
 * (speech through a wall, from the next room).
 */
export type BackgroundKind = 'silence' | 'pink' | 'brown' | 'hum' | 'rising' | 'room' | 'appliance' | 'rain' | 'clicks' | 'music' | 'tv';

export interface ScenarioEvent {
  kind: Kind;
  /** speech/word: what espeak-ng says. */
  text?: string;
  /** speech/word: espeak-ng voice (default 'en'). */
  voice?: string;
  /** speech/word: words per minute (default 175). */
  speed?: number;
  /** speech/word/shout: espeak-ng pitch 0-99 (default: espeak-ng's, 50). */
  pitch?: number;
  /** tone: frequency (default 1000 Hz). */
  freqHz?: number;
  /** tone/burst: length before trimming (defaults 700 / 300 ms). */
  lengthMs?: number;
  /** knock: how many knocks, 220 ms apart (default 3); bark (3), footsteps (5), alarm beeps (3). */
  count?: number;
  /** Where the event's first sample goes. */
  atMs: number;
  /** Active RMS of the event over the background's RMS there (for 'silence', over backgroundDbfs). */
  snrDb: number;
}

export interface Scenario {
  name: string;
  background: BackgroundKind;
  /**
   * RMS of the background (for 'rising', at the start; for 'silence', the nominal level SNRs
   * refer to; for the household backgrounds, the room's).
   */
  backgroundDbfs: number;
  durationMs: number;
  events: ScenarioEvent[];
  /**
   * Household backgrounds: how far the source is over the room, in dB: its RMS (appliance,
   * rain's steady noise, music), the active RMS of its speech (tv), the clock ticks' peak (clicks).
   */
  sourceDb?: number;
  /** Household backgrounds: when the source is on, [from, to) ms (default: the whole file). */
  onMs?: Array<[number, number]>;
}

export interface CorpusEvent extends TruthEvent {
  snrDb: number;
  text?: string;
  voice?: string;
  speed?: number;
  pitch?: number;
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
  /** Household backgrounds: Scenario.sourceDb and .onMs. */
  sourceDb?: number;
  sourceOnMs?: Array<[number, number]>;
}

// ---------------------------------------------------------------------------------------------
// Backgrounds, generated chunk by chunk (a 10-minute file never sits in memory).

function risingDb(ms: number): number {
  return RISE_DB * Math.min(1, Math.max(0, (ms - RISE_FROM_MS) / (RISE_TO_MS - RISE_FROM_MS)));
}

async function makeBackground(s: Scenario, total: number): Promise<Background> {
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
    default:
      return householdBackground(s, total);
  }
}

/**
 * A household background: the room, plus the source while it is on. Events' SNRs refer to the
 * room and source together (their powers summed), except for 'tv', where they refer to the
 * TV's speech level, and 'clicks', where they refer to the room.
 */
async function householdBackground(s: Scenario, total: number): Promise<Background> {
  const room = s.backgroundDbfs;
  const sourceDbfs = room + (s.sourceDb ?? 0);
  const onMs = s.onMs ?? [[0, s.durationMs]];
  const spans = onMs.map(([a, b]): [number, number] => [Math.round(a * SAMPLES_PER_MS), Math.round(b * SAMPLES_PER_MS)]);
  const seed = (part: string) => hashSeed(`${s.name}/${part}`);
  let source: Source | null;
  let sourceLevel = 10 * Math.log10(10 ** (room / 10) + 10 ** (sourceDbfs / 10));
  switch (s.background) {
    case 'room':
      source = null;
      break;
    case 'appliance':
      source = house.switched(house.applianceSource(seed('appliance'), total, sourceDbfs), spans, 0.3);
      break;
    case 'rain':
      source = house.switched(house.rainSource(seed('rain'), total, sourceDbfs), spans, 2);
      break;
    case 'clicks':
      source = house.switched(house.clicksSource(seed('clicks'), sourceDbfs), spans, 0.001);
      sourceLevel = room;
      break;
    case 'music':
      source = house.switched(house.musicSource(seed('music'), total, sourceDbfs), spans, 0.5);
      break;
    case 'tv':
      source = house.tvSource(seed('tv'), await tvPool(), spans, sourceDbfs);
      sourceLevel = sourceDbfs;
      break;
    default:
      throw new Error(`${s.name}: unknown background ${s.background}`);
  }
  const fillRoom = scaledNoise('pink', seed('background'), total, room);
  const scratch = new Float32Array(CHUNK_SAMPLES);
  return {
    fill: (out, start) => {
      fillRoom(out);
      if (!source) return;
      const x = scratch.subarray(0, out.length);
      source(x, start);
      for (let i = 0; i < out.length; i++) out[i]! += x[i]!;
    },
    levelDbfsAt: (ms) => (source && onMs.some(([a, b]) => ms >= a && ms < b) ? sourceLevel : room),
  };
}

/** What the TV next door says: news, weather, drama, adverts, in ten voices. */
const TV_LINES: Array<[text: string, voice: string, speed: number]> = [
  ['Good evening, and welcome to the news at six.', 'en-gb+m3', 165],
  ['Police are asking anyone who saw the accident to come forward.', 'en-gb', 170],
  ['And now the weather for the rest of the week.', 'en-us+f2', 175],
  ['I told you never to come back here again!', 'en+m7', 185],
  ['Well, that depends on what you mean by fair.', 'en-us+m4', 160],
  ['The match was stopped for twenty minutes after the floodlights failed.', 'en-gb-scotland', 170],
  ['Are you sure nobody followed you?', 'en+f3', 190],
  ['Prices rose again last month, led by food and energy.', 'en-us', 165],
  ['We will be right back after these messages.', 'en+f4', 180],
  ['Scientists say the discovery could change how we think about the ocean.', 'en-029', 160],
];

let tvPoolCache: Promise<Float32Array[]> | null = null;

/** The TV's sentences, spoken once per process, through the wall, at unit active RMS (reverb tail included). */
function tvPool(): Promise<Float32Array[]> {
  tvPoolCache ??= Promise.all(
    TV_LINES.map(async ([text, voice, speed]) => {
      const x = house.throughWall(trim(await speechClip(text, voice, speed)));
      const { activeRms } = measureActive(x);
      return x.map((v) => v / activeRms);
    }),
  );
  tvPoolCache.catch(() => (tvPoolCache = null));
  return tvPoolCache;
}

// ---------------------------------------------------------------------------------------------
// Event clips: synthesised, trimmed to where the sound really is, measured.

interface Clip {
  samples: Float32Array;
  /** RMS over the active windows. */
  activeRms: number;
  activeSamples: number;
}

async function speechClip(text: string, voice: string, speed: number, pitch?: number): Promise<Float32Array> {
  const spoken = await execa('espeak-ng', ['-v', voice, '-s', String(speed), ...(pitch === undefined ? [] : ['-p', String(pitch)]), '--stdout', text], { encoding: 'buffer' });
  const pcm = await execa('ffmpeg', ['-nostdin', '-v', 'error', '-i', 'pipe:0', '-ac', '1', '-ar', String(RATE), '-f', 'f32le', 'pipe:1'], {
    input: spoken.stdout,
    encoding: 'buffer',
  });
  const b = pcm.stdout;
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); // copy: Buffer may be unaligned
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
  // The key seeds knocks and bursts: what is added for new fields must leave old keys alone.
  const key = JSON.stringify([e.kind, e.text, e.voice, e.speed, e.freqHz, e.lengthMs, e.count]) + (e.pitch === undefined ? '' : `/p${e.pitch}`);
  let clip = clipCache.get(key);
  if (!clip) {
    clip = (async () => {
      let raw: Float32Array;
      switch (e.kind) {
        case 'speech':
        case 'word':
        case 'shout':
          if (!e.text) throw new Error(`${e.kind} event at ${e.atMs} ms has no text`);
          raw = await speechClip(e.text, e.voice ?? 'en', e.speed ?? 175, e.pitch);
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
        case 'bark':
          raw = house.barkClip(hashSeed(key), e.count ?? 3);
          break;
        case 'clink':
          raw = house.clinkClip(hashSeed(key));
          break;
        case 'whistle':
          raw = house.whistleClip(hashSeed(key));
          break;
        case 'slam':
          raw = house.slamClip(hashSeed(key));
          break;
        case 'footsteps':
          raw = house.footstepsClip(hashSeed(key), e.count ?? 5);
          break;
        case 'ring':
          raw = house.ringClip();
          break;
        case 'alarm':
          raw = house.alarmClip(e.count ?? 3);
          break;
        case 'cry':
          raw = house.cryClip(hashSeed(key));
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
const SLOT_MS: Record<Kind, number> = {
  speech: 3500, word: 500, knock: 800, tone: 1000, burst: 400,
  bark: 1500, clink: 1200, whistle: 1300, slam: 700, footsteps: 2500, ring: 2000, alarm: 2500, cry: 2100, shout: 2500,
};

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
// The household set (issue #17): what a recorder hears in a real house.

/** The room every household scenario lies on. */
export const ROOM_DBFS = -55;
/** The household kinds' levels over what is running there. */
export const HOUSEHOLD_SNRS = [6, 9, 12, 18, 24];
/** The appliance alone over the room: with the room, a 10 dB step in broadband level when it switches. */
const APPLIANCE_DB = 9.54;
const RAIN_DB = 10;
/** The clock's ticks peak this far over the room's RMS. */
const CLICK_PEAK_DB = 24;
const MUSIC_DB = 12;
/** The TV next door's speech over the room, and the foreground's over the TV. */
export const TV_DB = 8;
export const TV_FOREGROUND_DB = 12;
/** The TV switches on this long after the start and off this long before the end. */
const TV_ON_MS = 20_000;
export const TV_OFF_BEFORE_END_MS = 60_000;
/** The quiet-room words after the TV goes off: how long after, what (at TV_FOREGROUND_DB over the room). */
export const AFTER_TV_MS = [15_000, 40_000];

const SHOUTS: Planned[] = [
  { kind: 'shout', text: 'Hey! Turn that music down!', voice: 'en+m3', speed: 185, pitch: 80 },
  { kind: 'shout', text: 'Watch out, it is hot!', voice: 'en-us+f2', speed: 200, pitch: 90 },
];
/** One of each household kind, in the order they come round. */
const HOUSEHOLD_KINDS: Planned[] = [
  { kind: 'knock', count: 3 },
  { kind: 'bark', count: 3 },
  { kind: 'clink' },
  { kind: 'whistle' },
  { kind: 'slam' },
  { kind: 'footsteps', count: 5 },
  { kind: 'ring' },
  { kind: 'alarm', count: 3 },
  { kind: 'cry' },
  SHOUTS[0]!,
];

/**
 * A recorder in a house has been listening for a while: the first household event (and the
 * appliance's first switching) comes after this, once the detector's 10 s noise-floor window
 * holds only the background, so a start-up event cannot cover it.
 */
const SETTLED_MS = 15_000;

/**
 * Every sound at every level, in rounds: round r gives sound k the level snrs[(k + r) % n], so
 * each round mixes levels and neighbours differ. Gaps as in the standard set.
 */
function rounds(name: string, sounds: Planned[], snrs: number[]): { events: ScenarioEvent[]; durationMs: number } {
  const rnd = uniform(hashSeed(`${name}/gaps`));
  const events: ScenarioEvent[] = [];
  let at = SETTLED_MS;
  for (let r = 0; r < snrs.length; r++) {
    for (const [k, p] of sounds.entries()) {
      events.push({ ...p, atMs: at, snrDb: snrs[(k + r) % snrs.length]! });
      at += SLOT_MS[p.kind] + MIN_GAP_MS + Math.round(rnd() * 150) * 10;
    }
  }
  const last = events.at(-1)!;
  return { events, durationMs: last.atMs + SLOT_MS[last.kind] + MIN_GAP_MS };
}

/** On-spans at these fractions of the time after SETTLED_MS, to the 100 ms. */
const spans = (durationMs: number, fractions: Array<[number, number]>): Array<[number, number]> =>
  fractions.map((f) => f.map((x) => SETTLED_MS + Math.round((x * (durationMs - SETTLED_MS)) / 100) * 100) as [number, number]);

/**
 * The TV next door for `minutes` (≥ 2): on from 20 s until a minute before the end, four
 * foreground utterances 12 dB over it, then two words at 12 dB over the quiet room 15 s and
 * 40 s after it goes off (has the detector come back to full sensitivity?).
 */
function tvScenario(minutes: number): Scenario {
  const durationMs = Math.round(minutes * 60) * 1000;
  const off = durationMs - TV_OFF_BEFORE_END_MS;
  const on = TV_ON_MS;
  const foreground = [S(1), S(2), S(6), S(0)].map((p, i): ScenarioEvent => ({ ...p, atMs: on + Math.round(((off - on) * (i + 1)) / 5 / 10) * 10, snrDb: TV_FOREGROUND_DB }));
  const after = [W(0), W(2)].map((p, i): ScenarioEvent => ({ ...p, atMs: off + AFTER_TV_MS[i]!, snrDb: TV_FOREGROUND_DB }));
  return { name: 'tv', background: 'tv', backgroundDbfs: ROOM_DBFS, sourceDb: TV_DB, onMs: [[on, off]], durationMs, events: [...foreground, ...after] };
}

/**
 * The household set, the same on every call. `minutes` sets the length of the scenarios
 * without events (appliance-cycle, rain, clicks; default 10), `tvMinutes` the TV's (default 60).
 */
export function householdScenarios(opts: { minutes?: number; tvMinutes?: number } = {}): Scenario[] {
  const alone = Math.round((opts.minutes ?? 10) * 60) * 1000;
  const tvMinutes = opts.tvMinutes ?? 60;
  if (!(alone >= 30_000)) throw new RangeError(`minutes: at least 0.5, got ${opts.minutes}`);
  if (!(tvMinutes >= 2)) throw new RangeError(`tvMinutes: at least 2, got ${tvMinutes}`);
  const over = (name: string, background: BackgroundKind, sourceDb: number | undefined, sounds: Planned[], snrs: number[]): Scenario => ({
    name,
    background,
    backgroundDbfs: ROOM_DBFS,
    ...(sourceDb !== undefined && { sourceDb }),
    ...rounds(name, sounds, snrs),
  });
  return [
    over('house-room', 'room', undefined, HOUSEHOLD_KINDS, HOUSEHOLD_SNRS),
    over('house-appliance', 'appliance', APPLIANCE_DB, HOUSEHOLD_KINDS, HOUSEHOLD_SNRS),
    over('shout-music', 'music', MUSIC_DB, SHOUTS, HOUSEHOLD_SNRS),
    over('word-appliance', 'appliance', APPLIANCE_DB, [W(0), W(1), W(2), W(3)], [0, 2.5, 5]),
    // The fridge switching on and off three times, alone: any event is a false one.
    { name: 'appliance-cycle', background: 'appliance', backgroundDbfs: ROOM_DBFS, sourceDb: APPLIANCE_DB, onMs: spans(alone, [[0.05, 0.25], [0.45, 0.6], [0.75, 0.9]]), durationMs: alone, events: [] },
    { name: 'rain', background: 'rain', backgroundDbfs: ROOM_DBFS, sourceDb: RAIN_DB, durationMs: alone, events: [] },
    { name: 'clicks', background: 'clicks', backgroundDbfs: ROOM_DBFS, sourceDb: CLICK_PEAK_DB, durationMs: alone, events: [] },
    tvScenario(tvMinutes),
    // Small, for the tests: a knock and a bark under a running fridge.
    {
      name: 'fridge-knock-bark',
      background: 'appliance',
      backgroundDbfs: ROOM_DBFS,
      sourceDb: APPLIANCE_DB,
      durationMs: 35_000,
      events: [
        { kind: 'knock', count: 3, atMs: SETTLED_MS, snrDb: 12 },
        { kind: 'bark', count: 3, atMs: SETTLED_MS + 10_000, snrDb: 12 },
      ],
    },
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
  const bg = await makeBackground(s, total);
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
      ...(e.pitch !== undefined && { pitch: e.pitch }),
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
    ...(s.sourceDb !== undefined && { sourceDb: s.sourceDb, sourceOnMs: s.onMs ?? [[0, total / SAMPLES_PER_MS]] }),
  };
  await writeFile(join(outDir, `${s.name}.json`), JSON.stringify(truth, null, 2) + '\n');
  return { wav, truth };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Render one household scenario by name into `dir`: `minutes` sets the length of those whose
 * length is free (appliance-cycle, rain, clicks, tv). For tests: 'fridge-knock-bark' (35 s),
 * 'appliance-cycle' at { minutes: 1 }, 'tv' at { minutes: 4 }.
 */
export async function renderHousehold(name: string, dir: string, opts: { minutes?: number } = {}): Promise<{ wav: string; truth: CorpusTruth }> {
  const all = householdScenarios(opts.minutes === undefined ? {} : name === 'tv' ? { tvMinutes: opts.minutes } : { minutes: opts.minutes });
  const s = all.find((x) => x.name === name);
  if (!s) throw new Error(`unknown household scenario ${name} (known: ${all.map((x) => x.name).join(', ')})`);
  return renderScenario(s, dir);
}

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
  return `${s.name.padEnd(17)} ${s.background.padEnd(9)} ${String(s.backgroundDbfs).padStart(4)} dBFS  ${(s.durationMs / 1000).toFixed(0).padStart(4)} s  ${String(s.events.length).padStart(2)} events  SNR ${snrs} dB`;
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .usage('Usage: $0 --out-dir DIR [--set standard|household|all] [--scenario NAME ...] [--minutes N] [--tv-minutes N]\n\nWrite test recordings (<name>.wav) with ground truth (<name>.json) for scoring rec-segment; prints the .json paths.')
    .option('out-dir', { type: 'string', requiresArg: true, describe: 'output directory' })
    .option('set', { type: 'string', choices: ['standard', 'household', 'all'], default: 'standard', describe: 'which set of scenarios' })
    .option('scenario', { type: 'string', array: true, requiresArg: true, describe: 'only these scenarios (default: all of the set)' })
    .option('minutes', { type: 'number', default: 10, requiresArg: true, describe: "length of 'noise-only', 'appliance-cycle', 'rain' and 'clicks'" })
    .option('tv-minutes', { type: 'number', default: 60, requiresArg: true, describe: "length of 'tv' (≥ 2)" })
    .option('list', { type: 'boolean', describe: 'list the scenarios and exit' })
    .example('$0 --out-dir /tmp/corpus --minutes 2', 'the standard set, with 2 minutes of noise-only')
    .example('$0 --set household --scenario tv --tv-minutes 5 --out-dir /tmp/corpus', 'five minutes of a TV next door, with foreground speech')
    .check((a) => {
      if (!Number.isFinite(a.minutes) || a.minutes <= 0 || a.minutes > 600) throw new Error(`--minutes: must be > 0 and ≤ 600, got ${a.minutes}`);
      if (!Number.isFinite(a['tv-minutes']) || a['tv-minutes'] < 2 || a['tv-minutes'] > 600) throw new Error(`--tv-minutes: must be ≥ 2 and ≤ 600, got ${a['tv-minutes']}`);
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
  const all = [
    ...(argv.set !== 'household' ? scenarios({ minutes: argv.minutes }) : []),
    ...(argv.set !== 'standard' ? householdScenarios({ minutes: Math.max(argv.minutes, 0.5), tvMinutes: argv['tv-minutes'] }) : []),
  ];
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
