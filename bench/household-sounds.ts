// The sounds of a house for the test corpus, synthesised from seeds (no recordings): event
// clips (a dog's bark, a glass clink, a whistle, a door slam, footsteps, a phone, a smoke
// alarm, a baby's cry) and backgrounds (an appliance, rain, clicks, music, a TV next door).
// Pure: no files or processes; bench/corpus.ts places, levels and writes them.
import {
  Biquad,
  CHUNK_SAMPLES,
  Gate,
  Noise,
  RATE,
  Sequence,
  dbToAmp,
  gaussian,
  unitRms,
  uniform,
  type Placed,
  type Source,
} from './synth.js';

const TAU = 2 * Math.PI;
const sec = (s: number): number => Math.round(s * RATE);

/** Raised-cosine fade-in and fade-out of `edge` samples, in place (no click at either end). */
function fadeEdges(x: Float32Array, edge: number): Float32Array {
  for (let i = 0; i < Math.min(edge, x.length); i++) {
    const g = 0.5 - 0.5 * Math.cos((Math.PI * i) / edge);
    x[i]! *= g;
    x[x.length - 1 - i]! *= g;
  }
  return x;
}

/** Seeded white noise, `n` samples (unit variance). */
function whiteNoise(seed: number, n: number): Float32Array {
  const x = new Float32Array(n);
  new Noise('white', seed).fill(x);
  return x;
}

/** A resonance: how strongly a vocal tract shaped like `formants` passes frequency `hz`. */
function formantGain(hz: number, formants: Array<[hz: number, width: number, gain: number]>): number {
  let g = 0;
  for (const [f, w, a] of formants) g += a / (1 + ((hz - f) / w) ** 2);
  return g;
}

// ---------------------------------------------------------------------------------------------
// Event clips (raw: the corpus trims, measures and levels them).

/** Barks: short harmonic bursts, the pitch rising and falling around 450-700 Hz, with breath noise. */
export function barkClip(seed: number, count = 3): Float32Array {
  const rnd = uniform(seed);
  const barks: Array<{ at: number; len: number; f0: number }> = [];
  let at = 0;
  for (let k = 0; k < count; k++) {
    const len = sec(0.13 + 0.07 * rnd());
    barks.push({ at, len, f0: 430 + 80 * rnd() });
    at += sec(0.34 + 0.1 * rnd());
  }
  const last = barks.at(-1)!;
  const x = new Float32Array(last.at + last.len + sec(0.05));
  const breath = new Biquad('bandpass', 1100, 1.2).run(whiteNoise(seed ^ 0x5bd1e995, x.length));
  const formants: Array<[number, number, number]> = [
    [900, 450, 1],
    [2400, 800, 0.5],
  ];
  for (const b of barks) {
    let phase = 0;
    for (let n = 0; n < b.len; n++) {
      const t = n / RATE;
      const f0 = b.f0 * (1 + 0.45 * Math.sin((Math.PI * n) / b.len));
      phase += (TAU * f0) / RATE;
      let h = 0;
      for (let k = 1; k <= 9; k++) h += (formantGain(k * f0, formants) / k) * Math.sin(k * phase);
      const env = Math.min(1, t / 0.006) * Math.exp(-Math.max(0, t - 0.025) / 0.045);
      x[b.at + n]! += env * (0.8 * h + 1.5 * breath[b.at + n]!);
    }
  }
  return x;
}

/** A glass clinked: inharmonic partials at 2.2-4.8 kHz ringing down over a second, and the tap itself. */
export function clinkClip(seed: number): Float32Array {
  const rnd = uniform(seed);
  const w = gaussian(seed ^ 0x27d4eb2d);
  const partials = [
    [2280, 1, 0.25],
    [3050, 0.6, 0.18],
    [3870, 0.45, 0.12],
    [4720, 0.3, 0.08],
  ].map(([hz, amp, tau]) => [hz! * (1 + 0.02 * (rnd() - 0.5)), amp!, tau!, TAU * rnd()] as const);
  const x = new Float32Array(sec(1.2)); // the first partial is 42 dB down by the end
  for (let n = 0; n < x.length; n++) {
    const t = n / RATE;
    let v = 0.5 * w() * Math.exp(-t / 0.0008);
    for (const [hz, amp, tau, ph] of partials) v += amp * Math.sin(TAU * hz * t + ph) * Math.exp(-t / tau);
    x[n] = v * Math.min(1, n / 20, (x.length - 1 - n) / sec(0.05));
  }
  return x;
}

/** A whistled note: 2.1 kHz gliding up 350 Hz over about a second, with vibrato and a little breath. */
export function whistleClip(seed: number): Float32Array {
  const rnd = uniform(seed);
  const len = 1 + 0.2 * rnd();
  const x = new Float32Array(sec(len));
  const breath = new Biquad('bandpass', 2400, 1.5).run(whiteNoise(seed ^ 0x165667b1, x.length));
  let phase = 0;
  for (let n = 0; n < x.length; n++) {
    const t = n / RATE;
    phase += (TAU * (2100 + (350 * t) / len + 60 * Math.sin(TAU * 5.5 * t))) / RATE;
    x[n] = Math.sin(phase) * (1 + 0.1 * Math.sin(TAU * 5.5 * t + 1)) + 0.15 * breath[n]!;
  }
  return fadeEdges(x, sec(0.04));
}

/** A door slammed: a strong low thump (50-90 Hz) with a broadband crack, dying in a few tenths of a second. */
export function slamClip(seed: number): Float32Array {
  const x = new Float32Array(sec(0.7));
  const crack = whiteNoise(seed, x.length);
  const body = new Biquad('lowpass', 350).run(whiteNoise(seed ^ 0x85ebca6b, x.length));
  const rattle = new Biquad('bandpass', 1500, 2).run(whiteNoise(seed ^ 0xc2b2ae35, x.length));
  for (let n = 0; n < x.length; n++) {
    const t = n / RATE;
    let v = Math.sin(TAU * 52 * t) * Math.exp(-t / 0.1) + 0.6 * Math.sin(TAU * 87 * t + 0.5) * Math.exp(-t / 0.06);
    v += 0.9 * crack[n]! * Math.exp(-t / 0.01) + 3 * body[n]! * Math.exp(-t / 0.05);
    if (t > 0.09) v += 0.8 * rattle[n]! * Math.exp(-(t - 0.09) / 0.02);
    x[n] = v * Math.min(1, n / sec(0.001));
  }
  return x;
}

/** Footsteps: soft low heel-and-toe thumps (85-110 Hz) about half a second apart. */
export function footstepsClip(seed: number, count = 5): Float32Array {
  const rnd = uniform(seed);
  const steps: Array<{ at: number; hz: number; gain: number }> = [];
  let at = 0;
  for (let k = 0; k < count; k++) {
    steps.push({ at, hz: 85 + 25 * rnd(), gain: dbToAmp(4 * rnd() - 2) });
    at += sec(0.5 + 0.08 * (rnd() - 0.5));
  }
  const stepLen = sec(0.25);
  const x = new Float32Array(steps.at(-1)!.at + stepLen);
  const scuff = new Biquad('lowpass', 500).run(whiteNoise(seed ^ 0x9e3779b9, x.length));
  for (const s of steps) {
    for (let n = 0; n < stepLen; n++) {
      const t = n / RATE;
      const heel = Math.sin(TAU * s.hz * t) * Math.exp(-t / 0.03) + 2 * scuff[s.at + n]! * Math.exp(-t / 0.015);
      const tt = t - 0.07;
      const toe = tt < 0 ? 0 : 0.45 * (Math.sin(TAU * 1.2 * s.hz * tt) * Math.exp(-tt / 0.03) + 2 * scuff[s.at + n]! * Math.exp(-tt / 0.015));
      x[s.at + n]! += s.gain * (heel + toe) * Math.min(1, n / 48);
    }
  }
  return x;
}

/** A phone ringing: 400 + 450 Hz together for 2 s, through a small speaker (softly clipped). */
export function ringClip(): Float32Array {
  const x = new Float32Array(sec(2));
  for (let n = 0; n < x.length; n++) {
    const v = 0.5 * (Math.sin((TAU * 400 * n) / RATE) + Math.sin((TAU * 450 * n) / RATE));
    x[n] = Math.tanh(1.8 * v) / Math.tanh(1.8);
  }
  return fadeEdges(x, sec(0.01));
}

/** A smoke alarm: three 3.1 kHz beeps, 0.5 s on and 0.5 s off, with the piezo's overtones. */
export function alarmClip(beeps = 3): Float32Array {
  const on = sec(0.5);
  const x = new Float32Array((2 * beeps - 1) * on);
  const beep = new Float32Array(on);
  for (let n = 0; n < on; n++) {
    const p = (TAU * 3100 * n) / RATE;
    beep[n] = Math.sin(p) + 0.15 * Math.sin(2 * p) + 0.05 * Math.sin(3 * p);
  }
  fadeEdges(beep, sec(0.003));
  for (let k = 0; k < beeps; k++) x.set(beep, 2 * k * on);
  return x;
}

/** A baby crying: two voiced wails, the pitch gliding 380-560 Hz with vibrato, bright formants, a breath between. */
export function cryClip(seed: number): Float32Array {
  const rnd = uniform(seed);
  const w = gaussian(seed ^ 0x68e31da4);
  const wails = [0.8, 0.65].map((s) => sec(s * (0.9 + 0.2 * rnd())));
  const gap = sec(0.25);
  const x = new Float32Array(wails[0]! + gap + wails[1]!);
  const formants: Array<[number, number, number]> = [
    [1100, 300, 1],
    [3000, 600, 0.6],
  ];
  let at = 0;
  for (const len of wails) {
    const base = 380 + 40 * rnd();
    let phase = 0;
    let jitter = 0;
    const wail = new Float32Array(len);
    for (let n = 0; n < len; n++) {
      const t = n / RATE;
      jitter = 0.999 * jitter + 0.3 * w();
      const f0 = base + 170 * Math.sin((Math.PI * n) / len) ** 0.7 + 18 * Math.sin(TAU * 6.5 * t) + jitter;
      phase += (TAU * f0) / RATE;
      let h = 0;
      for (let k = 1; k * f0 < 9000; k++) h += (formantGain(k * f0, formants) / Math.sqrt(k)) * Math.sin(k * phase);
      wail[n] = h + 0.05 * w();
    }
    fadeEdges(wail, sec(0.06));
    x.set(wail, at);
    at += len + gap;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Backgrounds: sources that fill a chunk of the stream. Each is scaled to an exact RMS over
// the whole file (a dry run), except where a level is defined otherwise (said at each).

/** Noise of `color` through `filters` (made fresh for each run), at exactly `dbfs` RMS over `total`. */
function filteredNoise(seed: number, total: number, dbfs: number, filters: () => Biquad[], color: 'white' | 'pink' = 'white'): Source {
  const make = (): Source => {
    const n = new Noise(color, seed);
    const fs = filters();
    return (out) => {
      n.fill(out);
      for (const f of fs) f.run(out);
    };
  };
  const k = unitRms(make, total) * dbToAmp(dbfs);
  const src = make();
  return (out, start) => {
    src(out, start);
    for (let i = 0; i < out.length; i++) out[i]! *= k;
  };
}

/** Several sources summed, with their powers in the given shares (summing to 1) of `dbfs`. */
function mix(parts: Array<[share: number, make: (dbfs: number) => Source]>, dbfs: number): Source {
  const srcs = parts.map(([share, make]) => make(dbfs + 10 * Math.log10(share)));
  const scratch = new Float32Array(CHUNK_SAMPLES);
  return (out, start) => {
    srcs[0]!(out, start);
    for (const src of srcs.slice(1)) {
      const s = scratch.subarray(0, out.length);
      src(s, start);
      for (let i = 0; i < out.length; i++) out[i]! += s[i]!;
    }
  };
}

/**
 * A fridge compressor or boiler fan: a 60 Hz motor hum with harmonics to 300 Hz (half the
 * power), rumble low-passed at 140 Hz (0.4) and a little broadband whoosh (0.1), so nearly
 * all the energy is below 200 Hz.
 */
export function applianceSource(seed: number, total: number, dbfs: number): Source {
  const harmonics: Array<[hz: number, amp: number]> = [
    [60, 1],
    [120, 0.8],
    [180, 0.45],
    [240, 0.25],
    [300, 0.1],
  ];
  const period = new Float32Array(RATE / 60); // every harmonic repeats every 800 samples
  for (let n = 0; n < period.length; n++) {
    for (const [j, [hz, amp]] of harmonics.entries()) period[n]! += amp * Math.sin((TAU * hz * n) / RATE + 1.1 * j);
  }
  let sq = 0;
  for (const v of period) sq += v * v;
  const unit = 1 / Math.sqrt(sq / period.length);
  const hum = (db: number): Source => {
    const k = unit * dbToAmp(db);
    return (out, start) => {
      for (let i = 0; i < out.length; i++) out[i] = period[(start + i) % period.length]! * k;
    };
  };
  return mix(
    [
      [0.5, hum],
      [0.4, (db) => filteredNoise(seed, total, db, () => [new Biquad('lowpass', 140), new Biquad('lowpass', 140)])],
      [0.1, (db) => filteredNoise(seed ^ 0x1b873593, total, db, () => [], 'pink')],
    ],
    dbfs,
  );
}

/**
 * Rain on a window: steady broadband noise (pink and white low-passed at 7 kHz, `dbfs` RMS
 * together) and about 30 drops a second, each a tiny ringing tick 1.5-6 kHz whose peak is
 * 3-24 dB over the steady noise's RMS (mostly small: the dB is cubed-uniform).
 */
export function rainSource(seed: number, total: number, dbfs: number): Source {
  const steady = mix(
    [
      [0.5, (db) => filteredNoise(seed, total, db, () => [], 'pink')],
      [0.5, (db) => filteredNoise(seed ^ 0xcc9e2d51, total, db, () => [new Biquad('lowpass', 7000)])],
    ],
    dbfs,
  );
  const rnd = uniform(seed ^ 0xe6546b64);
  const w = gaussian(seed ^ 0x85ebca77);
  let at = 0;
  const drops = new Sequence((): Placed => {
    at += Math.round((-Math.log(1 - rnd()) / 30) * RATE);
    const hz = 1500 * 4 ** rnd();
    const tau = (0.0006 + 0.0025 * rnd()) * RATE;
    const peakDb = 3 + 21 * rnd() ** 3;
    const samples = new Float32Array(Math.ceil(6 * tau));
    for (let n = 0; n < samples.length; n++) samples[n] = Math.sin((TAU * hz * n) / RATE) * Math.exp(-n / tau) + 0.6 * w() * Math.exp(-n / (0.0003 * RATE));
    return { start: at, samples, gain: dbToAmp(dbfs + peakDb) };
  });
  return (out, start) => {
    steady(out, start);
    drops.add(out, start);
  };
}

/** A short ringing click: a damped sine (`hz`, time constant `tau` s) with a noise edge. */
function click(hz: number, tau: number, w: () => number): Float32Array {
  const t = tau * RATE;
  const x = new Float32Array(Math.ceil(7 * t));
  for (let n = 0; n < x.length; n++) x[n] = Math.sin((TAU * hz * n) / RATE) * Math.exp(-n / t) + 0.5 * w() * Math.exp(-n / (0.0002 * RATE));
  return x;
}

/**
 * Sparse sharp clicks in a quiet room (add to it): a clock ticking every second (tick 3.3 kHz,
 * tock 2.8 kHz, peaks `peakDbfs` ± 1 dB) and a radiator every 6-30 s: 2-6 louder, lower clicks
 * (0.8-2 kHz, peaks 2-12 dB over the clock's) 30-250 ms apart.
 */
export function clicksSource(seed: number, peakDbfs: number): Source {
  const rnd = uniform(seed);
  const w = gaussian(seed ^ 0x2545f491);
  const tick = click(3300, 0.0007, w);
  const tock = click(2800, 0.0007, w);
  let beat = 0;
  const clock = new Sequence(() => {
    const samples = beat % 2 ? tock : tick;
    const start = sec(0.37 + beat++ + 0.004 * (rnd() - 0.5));
    return { start, samples, gain: dbToAmp(peakDbfs + 2 * rnd() - 1) };
  });
  const rnd2 = uniform(seed ^ 0x7feb352d);
  let next = sec(3 + 10 * rnd2());
  let left = 0;
  const radiator = new Sequence(() => {
    if (left === 0) {
      left = 2 + Math.floor(5 * rnd2());
      next += sec(6 + 24 * rnd2());
    } else {
      next += sec(0.03 + 0.22 * rnd2());
    }
    left--;
    return { start: next, samples: click(800 + 1200 * rnd2(), 0.002 + 0.003 * rnd2(), w), gain: dbToAmp(peakDbfs + 2 + 10 * rnd2()) };
  });
  return (out, start) => {
    out.fill(0);
    clock.add(out, start);
    radiator.add(out, start);
  };
}

const midiHz = (m: number): number => 440 * 2 ** ((m - 69) / 12);

/**
 * Music in the room: piano-like chords (C, G, Am, F; a bass note and a triad, four harmonics
 * each) struck on every half-second beat, the first beat of each 2 s bar accented.
 */
export function musicSource(seed: number, total: number, dbfs: number): Source {
  const chords = [
    [48, 60, 64, 67],
    [43, 59, 62, 67],
    [45, 57, 60, 64],
    [41, 57, 60, 65],
  ];
  const strikeLen = sec(1.6);
  const release = sec(0.1);
  const strikes = chords.map((notes) => {
    const x = new Float32Array(strikeLen);
    for (const [j, m] of notes.entries()) {
      const hz = midiHz(m);
      const tau = j === 0 ? 0.8 : 0.45;
      for (let n = 0; n < strikeLen; n++) {
        const t = n / RATE;
        let v = 0;
        for (let h = 1; h <= 4; h++) v += Math.sin(TAU * h * hz * t) / (h * h);
        x[n]! += v * Math.min(1, t / 0.005) * Math.exp(-t / tau) * (j === 0 ? 1.2 : 1);
      }
    }
    for (let i = 0; i < release; i++) x[strikeLen - 1 - i]! *= 0.5 - 0.5 * Math.cos((Math.PI * i) / release);
    return x;
  });
  const make = (): Source => {
    const rnd = uniform(seed);
    let beat = 0;
    const seq = new Sequence(() => {
      const b = beat++;
      return { start: b * sec(0.5), samples: strikes[Math.floor(b / 4) % 4]!, gain: b % 4 === 0 ? 1 : 0.6 + 0.2 * rnd() };
    });
    return (out, start) => {
      out.fill(0);
      seq.add(out, start);
    };
  };
  const k = unitRms(make, total) * dbToAmp(dbfs);
  const src = make();
  return (out, start) => {
    src(out, start);
    for (let i = 0; i < out.length; i++) out[i]! *= k;
  };
}

/** Reverb tail added to each TV sentence (s). */
export const WALL_TAIL_S = 0.6;

/**
 * Speech as heard through a wall from the next room: low-passed (4th order at 900 Hz, and
 * nothing below 120 Hz) and reverberant (a Schroeder reverb, RT60 about 0.45 s), with a
 * WALL_TAIL_S tail appended.
 */
export function throughWall(dry: Float32Array): Float32Array {
  const x = new Float32Array(dry.length + sec(WALL_TAIL_S));
  x.set(dry);
  for (const f of [new Biquad('lowpass', 900), new Biquad('lowpass', 900), new Biquad('highpass', 120)]) f.run(x);
  const wet = new Float32Array(x.length);
  for (const d of [1687, 1601, 2053, 2251]) {
    const g = 10 ** ((-3 * d) / (0.45 * RATE));
    const buf = new Float32Array(d);
    for (let n = 0; n < x.length; n++) {
      const y = buf[n % d]!;
      buf[n % d] = x[n]! + g * y;
      wet[n]! += y / 4;
    }
  }
  for (const d of [347, 113]) {
    const buf = new Float32Array(d);
    for (let n = 0; n < wet.length; n++) {
      const delayed = buf[n % d]!;
      const v = wet[n]! + 0.7 * delayed;
      buf[n % d] = v;
      wet[n] = delayed - 0.7 * v;
    }
  }
  for (let n = 0; n < x.length; n++) x[n]! += 0.5 * wet[n]!;
  return x;
}

/**
 * A television in the next room: sentences from `pool` (through-wall, unit active RMS, each
 * ending in a WALL_TAIL_S tail) one after another while the set is on, each at `dbfs` ± 3 dB
 * (seeded), with the pauses of talk: 0.25-0.85 s, and one time in five 1.2-3 s.
 * Sentences start 0.5 s after the set is switched on; the set cuts off within 30 ms.
 */
export function tvSource(seed: number, pool: Float32Array[], onSpans: Array<[on: number, off: number]>, dbfs: number): Source {
  const rnd = uniform(seed);
  const tail = sec(WALL_TAIL_S);
  let span = 0;
  let at = onSpans.length ? onSpans[0]![0] + sec(0.5) : Infinity;
  let last = -1;
  const seq = new Sequence(() => {
    while (span < onSpans.length && at >= onSpans[span]![1]) {
      span++;
      if (span < onSpans.length) at = Math.max(at, onSpans[span]![0] + sec(0.5));
    }
    if (span >= onSpans.length) return null;
    let i = Math.floor(rnd() * pool.length);
    if (i === last) i = (i + 1) % pool.length; // never the same line twice running
    last = i;
    const samples = pool[i]!;
    const start = at;
    const pause = rnd() < 0.8 ? 0.25 + 0.6 * rnd() : 1.2 + 1.8 * rnd();
    at += samples.length - tail + sec(pause);
    return { start, samples, gain: dbToAmp(dbfs + 6 * rnd() - 3) };
  });
  const gate = new Gate(onSpans, sec(0.03));
  return (out, start) => {
    out.fill(0);
    seq.add(out, start);
    gate.apply(out, start);
  };
}

/** A source switched on and off: the gain ramps over `rampS` inside each [on, off) span. */
export function switched(src: Source, onSpans: Array<[on: number, off: number]>, rampS: number): Source {
  const gate = new Gate(onSpans, sec(rampS));
  return (out, start) => {
    src(out, start);
    gate.apply(out, start);
  };
}
