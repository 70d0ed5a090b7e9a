// The detection core of rec-segment: frame levels, the adaptive noise floor, the
// VAD wrapper (on real espeak-ng speech) and the event state machine, driven by
// synthetic frame sequences whose events are known to the frame.
import t from 'tap';
import { join } from 'node:path';
import { execa } from 'execa';
import which from 'which';
import { Detector, type DetectorConfig, type FrameInput, type Decision } from '../src/segment/detector.js';
import { NoiseFloor } from '../src/segment/noise-floor.js';
import { frameLevels, SILENCE_DBFS } from '../src/segment/levels.js';
import { createVad } from '../src/segment/vad.js';
import { tempDir } from './helpers.js';

const FPS = 50; // 20 ms frames

/** Deterministic PRNG (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const quiet = (db = -60): FrameInput => ({ rmsDbfs: db, peakDbfs: db + 10, voice: false });
const loud = (db = -40, voice = false): FrameInput => ({ rmsDbfs: db, peakDbfs: db + 10, voice });

interface Part {
  /** Stream indices of the frames in this event (part), pre-roll included. */
  frames: number[];
  startDecision?: Extract<Decision, { type: 'start' }>;
  /** Index of the frame that made the start decision. */
  startedAt?: number;
  ending?: { reason: string; discard: boolean; at: number };
}

/**
 * Plays the recorder: applies each decision to stream frame indices, so the tests can
 * check which frames ended up in which event, with nothing lost or doubled.
 */
function play(d: Detector, frames: Iterable<FrameInput>, eof = true): { parts: Part[]; decisions: Decision[] } {
  const parts: Part[] = [];
  const decisions: Decision[] = [];
  let cur: Part | null = null;
  let i = 0;
  for (const f of frames) {
    const dec = d.push(f);
    decisions.push(dec);
    if (dec.type === 'start') {
      if (cur) throw new Error(`start inside an event at ${i}`);
      cur = { frames: [], startDecision: dec, startedAt: i };
      for (let k = i - dec.preRollFrames; k <= i; k++) cur.frames.push(k);
    } else if (dec.type === 'record') {
      if (!cur) throw new Error(`record outside an event at ${i}`);
      cur.frames.push(i);
    } else if (dec.type === 'end') {
      if (!cur) throw new Error(`end outside an event at ${i}`);
      cur.frames.push(i);
      cur.ending = { reason: dec.reason, discard: dec.discard, at: i };
      parts.push(cur);
      cur = null;
    } else if (dec.type === 'split') {
      if (!cur) throw new Error(`split outside an event at ${i}`);
      cur.ending = { reason: `split:${dec.reason}`, discard: false, at: i - 1 };
      parts.push(cur);
      cur = { frames: [i], startedAt: i };
    }
    i++;
  }
  if (eof) {
    const end = d.flush();
    if (end && cur) {
      cur.ending = { reason: end.reason, discard: end.discard, at: i - 1 };
      parts.push(cur);
    } else if (end || cur) throw new Error('flush disagrees with the open event');
  }
  return { parts, decisions };
}

function* seq(...pieces: Array<[number, (k: number) => FrameInput]>): Generator<FrameInput> {
  for (const [n, make] of pieces) for (let k = 0; k < n; k++) yield make(k);
}

/** Room noise: rms uniformly within ±spread dB of `db`. */
function room(db: number, spread: number, seed = 1): (k: number) => FrameInput {
  const r = rng(seed);
  return () => quiet(db + (r() * 2 - 1) * spread);
}

const level = (c: Partial<DetectorConfig> = {}) => new Detector({ trigger: 'level', ...c });

t.test('levels: full-scale sine, silence, odd byteOffset', (t) => {
  const n = 960;
  const sine = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) sine.writeInt16LE(Math.round(32767 * Math.sin((2 * Math.PI * 1000 * i) / 48000)), i * 2);
  const l = frameLevels(sine);
  t.ok(Math.abs(l.rmsDbfs - -3.01) < 0.05, `sine rms ${l.rmsDbfs.toFixed(3)} ≈ -3.01 dBFS`);
  t.ok(Math.abs(l.peakDbfs) < 0.01, `sine peak ${l.peakDbfs.toFixed(3)} ≈ 0 dBFS`);

  const silence = frameLevels(Buffer.alloc(n * 2));
  t.same(silence, { rmsDbfs: SILENCE_DBFS, peakDbfs: SILENCE_DBFS }, 'silence is the finite floor');
  t.same(frameLevels(Buffer.alloc(0)), { rmsDbfs: SILENCE_DBFS, peakDbfs: SILENCE_DBFS }, 'empty frame too');

  const neg = Buffer.alloc(4);
  neg.writeInt16LE(-32768, 0);
  neg.writeInt16LE(-32768, 2);
  t.same(frameLevels(neg), { rmsDbfs: 0, peakDbfs: 0 }, 'negative full scale is 0 dBFS');

  // The same samples starting at an odd offset in a larger buffer.
  const big = Buffer.alloc(sine.length + 1);
  sine.copy(big, 1);
  const odd = big.subarray(1);
  t.equal(odd.byteOffset % 2, 1, 'really odd');
  const out = { rmsDbfs: 0, peakDbfs: 0 };
  t.equal(frameLevels(odd, out), out, 'fills and returns the object passed in');
  t.same(out, l, 'same levels at an odd byteOffset');
  t.end();
});

t.test('noise floor: the percentile of the window, exactly, without sorting', (t) => {
  const window = 50;
  const nf = new NoiseFloor({ windowMs: window * 20, percentile: 20, riseDbPerSec: 1e9 });
  const r = rng(7);
  const recent: number[] = [];
  const bin = (db: number) => Math.round((db + 120) * 2) / 2 - 120;
  let ok = true;
  for (let i = 0; i < 2000; i++) {
    // Wandering level with jumps, so the pointer has to travel both ways.
    const db = -90 + 60 * r() * (i % 300 < 150 ? 0.3 : 1);
    nf.update(db);
    recent.push(bin(db));
    if (recent.length > window) recent.shift();
    const sorted = [...recent].sort((a, b) => a - b);
    const want = sorted[Math.max(1, Math.ceil(0.2 * sorted.length)) - 1]!;
    if (nf.percentileDbfs !== want) {
      ok = false;
      t.fail(`frame ${i}: percentile ${nf.percentileDbfs}, brute force ${want}`);
      break;
    }
  }
  t.ok(ok, '2000 frames agree with sort-and-pick');
  t.end();
});

t.test('noise floor: falls at once, rises at the configured rate', (t) => {
  const nf = new NoiseFloor({ windowMs: 1000, percentile: 20, riseDbPerSec: 2 });
  t.equal(nf.value, SILENCE_DBFS, 'finite before any frame');
  nf.update(-50);
  t.equal(nf.value, -50, 'first frame sets it');
  for (let i = 0; i < 60; i++) nf.update(-50);
  for (let i = 0; i < 50; i++) nf.update(-30);
  t.equal(nf.percentileDbfs, -30, 'the window is all -30');
  // 2 dB/s for 1 s of frames after the percentile moved (it moves after 80% of the window).
  t.ok(nf.value < -47, `rose slowly: ${nf.value.toFixed(2)}`);
  for (let i = 0; i < 50 * 10; i++) nf.update(-30);
  t.equal(nf.value, -30, 'reaches the new level');
  for (let i = 0; i < 10; i++) nf.update(-70);
  t.equal(nf.value, -70, 'falls as soon as the percentile does');
  t.end();
});

t.test('silence gives no event and a finite threshold', (t) => {
  const d = level();
  const { parts, decisions } = play(d, seq([FPS * 30, () => quiet(SILENCE_DBFS)]));
  t.equal(parts.length, 0);
  t.ok(decisions.every((x) => x.type === 'idle'), 'every frame idle');
  t.equal(d.state.thresholdDbfs, -60, 'threshold held at minThresholdDbfs');
  t.ok(Number.isFinite(d.state.noiseFloorDbfs));
  t.end();
});

t.test('a 0.3 s burst 20 dB above the floor is one event with its onset and pre-roll', (t) => {
  const first = FPS * 10;
  const { parts } = play(level(), seq([first, room(-60, 1)], [15, () => loud(-40)], [FPS * 10, room(-60, 1, 2)]));
  t.equal(parts.length, 1, 'one event');
  const p = parts[0]!;
  t.equal(p.startDecision!.trigger, 'level');
  t.ok(p.frames[0]! <= first - 100, `starts ${first - p.frames[0]!} frames (>= 2 s) before the first active frame`);
  t.equal(p.startDecision!.preRollFrames, p.startedAt! - p.frames[0]!);
  t.equal(p.ending!.at, first + 14 + 150, 'ends 3 s after the last active frame');
  t.same(p.ending, { reason: 'hang', discard: false, at: first + 14 + 150 });

  // In the first second the floor is still learning the room: the level alone starts nothing.
  t.equal(play(level(), seq([30, () => quiet(-60)], [15, () => loud(-40)], [FPS * 5, () => quiet(-60)])).parts.length, 0, 'warm-up');
  // Near the stream start the pre-roll is what there is.
  const early = play(level(), seq([60, () => quiet(-60)], [15, () => loud(-40)], [FPS * 5, () => quiet(-60)])).parts;
  t.equal(early.length, 1);
  t.equal(early[0]!.startDecision!.preRollFrames, early[0]!.startedAt!, 'pre-roll = every frame seen so far');
  t.equal(early[0]!.frames[0], 0, 'the event starts at the first frame of the stream');
  t.end();
});

t.test('a single 20 ms click (or two) is not an event; three frames are', (t) => {
  t.equal(play(level(), seq([FPS * 5, () => quiet()], [1, () => loud(-10)], [FPS * 5, () => quiet()])).parts.length, 0, 'one frame');
  t.equal(play(level(), seq([FPS * 5, () => quiet()], [2, () => loud(-10)], [FPS * 5, () => quiet()])).parts.length, 0, 'two frames');
  // Three active frames within five (with gaps) start an event.
  const three = (k: number) => (k % 2 === 0 ? loud(-30) : quiet());
  t.equal(play(level({ minLengthMs: 0 }), seq([FPS * 5, () => quiet()], [5, three], [FPS * 5, () => quiet()])).parts.length, 1, '3 of 5');
  t.end();
});

t.test('bursts with 1 s gaps make one event, with 4 s gaps two', (t) => {
  const words = (gapS: number) => seq([FPS * 5, room(-60, 1)], ...[0, 1, 2].flatMap((): Array<[number, (k: number) => FrameInput]> => [
    [FPS * 0.5, () => loud(-35)],
    [FPS * gapS, room(-60, 1)],
  ]), [FPS * 5, room(-60, 1)]);
  const one = play(level(), words(1)).parts;
  t.equal(one.length, 1, '1 s gaps: one event');
  const two = play(level(), words(4)).parts;
  t.equal(two.length, 3, '4 s gaps (> 3 s hang): an event per burst');
  // Pre-roll never reaches back into the previous event: no frame is in two events.
  const all = two.flatMap((p) => p.frames);
  t.equal(new Set(all).size, all.length, 'events do not overlap');
  t.equal(two[1]!.frames[0], two[0]!.ending!.at + 1, 'the second event starts right after the first (1 s gap < 2 s pre-roll)');
  t.end();
});

t.test('minLengthMs: a short blip is ended with discard, its frames free for the next pre-roll', (t) => {
  const d = level({ minLengthMs: 1000 });
  const { parts } = play(
    d,
    seq([FPS * 5, () => quiet()], [15, () => loud(-35)], [FPS * 4, () => quiet()], [FPS * 2, () => loud(-35)], [FPS * 5, () => quiet()]),
  );
  t.equal(parts.length, 2);
  t.same(parts[0]!.ending, { reason: 'hang', discard: true, at: FPS * 5 + 14 + 150 });
  t.equal(parts[1]!.ending!.discard, false, '2 s of sound is kept');
  t.equal(parts[1]!.startDecision!.preRollFrames, 100 + 2, 'full pre-roll: the discarded blip does not cap it');
  t.end();
});

t.test('max length: seamless split into parts of exactly maxLength frames', (t) => {
  const d = level({ maxLengthMs: 10_000 });
  const { parts } = play(d, seq([FPS * 5, room(-60, 1)], [FPS * 33, room(-30, 2, 3)], [FPS * 5, room(-60, 1, 4)]));
  t.equal(parts.length, 4, '2 s pre-roll + 33 s + 3 s hang = 38 s: 10+10+10+8');
  const all = parts.flatMap((p) => p.frames);
  t.equal(new Set(all).size, all.length, 'no frame in two parts');
  t.same(all, Array.from({ length: all.length }, (_, k) => all[0]! + k), 'no frame lost: contiguous');
  for (const p of parts.slice(0, -1)) {
    t.equal(p.frames.length, 500, 'part of exactly maxLength');
    t.equal(p.ending!.reason, 'split:max-length');
  }
  t.same(parts.at(-1)!.ending, { reason: 'hang', discard: false, at: FPS * 38 - 1 + 150 });
  t.end();
});

t.test('the part after the last split is kept even when it holds only the hang time (issue #17: the end of a long event was lost)', (t) => {
  // 2 s pre-roll + 28 s of sound = 30 s: split at 10, 20 and 30 s, right where the
  // sound ends; the last part is the 3 s hang with no active frame in it.
  for (const [label, cfg, eof] of [
    ['hang', { maxLengthMs: 10_000 }, false],
    ['end of input', { maxLengthMs: 10_000 }, true],
  ] as const) {
    const d = level(cfg);
    const tail = eof ? FPS : FPS * 5;
    const { parts } = play(d, seq([FPS * 5, room(-60, 1)], [FPS * 28, room(-30, 2, 3)], [tail, room(-60, 1, 4)]));
    t.equal(parts.length, 4, `${label}: three full parts and the tail`);
    const all = parts.flatMap((p) => p.frames);
    t.same(all, Array.from({ length: all.length }, (_, k) => all[0]! + k), `${label}: contiguous from the pre-roll to the end`);
    t.equal(parts.at(-1)!.ending!.discard, false, `${label}: the tail part is kept`);
    t.equal(all.at(-1), eof ? FPS * 34 - 1 : FPS * 33 - 1 + 150, `${label}: through the hang time (or the last frame of input)`);
  }
  // A manual split a moment before the sound ends leaves a tail of 0.1 s of sound: kept.
  const d = level({ minLengthMs: 500 });
  play(d, seq([FPS * 5, room(-60, 1)], [FPS * 3, room(-30, 2, 3)]), false);
  t.ok(d.state.inEvent);
  d.command('split');
  const rest = [...seq([5, room(-30, 2, 5)], [FPS * 4, room(-60, 1, 6)])].map((f) => d.push(f));
  t.same(rest[0], { type: 'split', reason: 'manual' });
  const end = rest.find((x) => x.type === 'end');
  t.same(end, { type: 'end', reason: 'hang', discard: false }, 'a tail shorter than --min-length after a manual split is kept');
  t.end();
});

t.test('manual start, split and stop', (t) => {
  const d = level();
  const frames: FrameInput[] = [];
  const decisions: Decision[] = [];
  const step = (n: number, f: FrameInput) => {
    for (let k = 0; k < n; k++) {
      frames.push(f);
      decisions.push(d.push(f));
    }
  };
  d.command('split');
  d.command('stop');
  step(FPS, quiet());
  t.ok(decisions.every((x) => x.type === 'idle'), 'split and stop are ignored when idle');
  d.command('start');
  step(1, quiet());
  t.same(decisions.at(-1), { type: 'start', preRollFrames: 50, trigger: 'manual' });
  step(FPS * 20, quiet());
  t.ok(d.state.inEvent, 'stays open through 20 s of quiet');
  d.command('split');
  step(1, quiet());
  t.same(decisions.at(-1), { type: 'split', reason: 'manual' });
  step(FPS, quiet());
  d.command('stop');
  step(1, quiet());
  t.same(decisions.at(-1), { type: 'end', reason: 'manual', discard: false });
  t.notOk(d.state.inEvent);

  // Stopping an automatic event mid-sound: no new event until that sound has gone quiet.
  const d2 = level();
  const r = play(d2, seq([FPS * 5, () => quiet()], [FPS * 2, () => loud(-30)]), false);
  t.equal(r.parts.length, 0);
  t.ok(d2.state.inEvent);
  d2.command('stop');
  t.same(d2.push(loud(-30)), { type: 'end', reason: 'manual', discard: false });
  const after = play(d2, seq([FPS * 5, () => loud(-30)], [FPS * 3, () => quiet()], [FPS, () => loud(-30)]), false);
  t.equal(after.decisions.findIndex((x) => x.type === 'start'), FPS * 8 + 2, 'the next sound after the quiet starts a new event');
  t.end();
});

t.test('flush at end of input', (t) => {
  const d = level();
  t.equal(d.flush(), null, 'nothing open');
  play(d, seq([FPS * 3, () => quiet()], [FPS, () => loud(-30)]), false);
  t.same(d.flush(), { type: 'end', reason: 'eof', discard: false });
  t.equal(d.flush(), null, 'only once');
  const d2 = level({ minLengthMs: 2000 });
  play(d2, seq([FPS * 3, () => quiet()], [FPS, () => loud(-30)]), false);
  t.same(d2.flush(), { type: 'end', reason: 'eof', discard: true }, 'a short event is discarded at eof too');
  t.end();
});

t.test('stationary noise (±3 dB around -55 dBFS) for 10 minutes: no event', (t) => {
  const d = level();
  const { parts } = play(d, seq([FPS * 600, room(-55, 3, 11)]));
  t.equal(parts.length, 0);
  t.ok(d.state.noiseFloorDbfs > -58 && d.state.noiseFloorDbfs < -54, `floor ${d.state.noiseFloorDbfs} follows the room`);
  t.end();
});

t.test('noise rising from -60 to -35 dBFS over 60 s: the burst is an event, and it ends', (t) => {
  for (const trigger of ['level', 'any'] as const) {
    const r = rng(5);
    const d = new Detector({ trigger });
    const frames = function* () {
      for (let i = 0; i < FPS * 180; i++) {
        const s = i / FPS;
        const base = -60 + 25 * Math.min(1, s / 60);
        // A 1 s "speech" burst at 10 s: 200 ms syllables 25 dB above the noise.
        const speech = s >= 10 && s < 11 && i % 15 < 10;
        yield speech ? loud(base + 25, true) : quiet(base + (r() * 2 - 1) * 3);
      }
    };
    const { parts } = play(d, frames());
    const events = parts.map((p) => ({ from: p.frames[0]! / FPS, s: p.frames.length / FPS }));
    t.ok(events.some((e) => e.from <= 10 && e.from + e.s >= 11), `${trigger}: the burst is recorded: ${JSON.stringify(events)}`);
    t.ok(events.every((e) => e.s < 20), `${trigger}: no event longer than 20 s`);
    t.ok(d.state.noiseFloorDbfs > -40, `${trigger}: the floor followed the room to ${d.state.noiseFloorDbfs}`);
  }
  t.end();
});

t.test('a conversation while the noise rises 25 dB: the event ends with the talk, not never', (t) => {
  // The room gets louder during the event, so a floor that learned only outside events
  // would leave the threshold below the new noise and hold the event open for good.
  for (const eventRiseDbPerSec of [undefined, 0]) {
    const r = rng(3);
    const d = level({ noiseFloor: { eventRiseDbPerSec } });
    const frames = function* () {
      for (let i = 0; i < FPS * 240; i++) {
        const s = i / FPS;
        const base = -60 + 25 * Math.min(1, s / 60);
        const on = s >= 10 && s < 40 && i % 20 < 15;
        yield on ? loud(base + 20 + (r() * 2 - 1) * 8, true) : quiet(base + (r() * 2 - 1) * 3);
      }
    };
    const { parts } = play(d, frames());
    if (eventRiseDbPerSec === 0) {
      t.equal(parts.at(-1)?.ending?.reason, 'eof', 'control: with in-event learning off the event never ends');
    } else {
      t.equal(parts.length, 1, 'one event');
      t.ok(parts[0]!.ending!.at < FPS * 45, `ends at ${parts[0]!.ending!.at / FPS} s, within 5 s of the talk's end at 40 s`);
    }
  }
  t.end();
});

t.test('two minutes of speech with pauses: one event, the floor stays at the room', (t) => {
  const r = rng(9);
  const d = level();
  let floorMax = -Infinity;
  const frames = function* () {
    for (let i = 0; i < FPS * 130; i++) {
      const s = i / FPS;
      // 300 ms syllables at -40 ±8 dB, 100 ms pauses: a dense talker.
      const on = s >= 5 && s < 125 && i % 20 < 15;
      yield on ? loud(-40 + (r() * 2 - 1) * 8, true) : quiet(-60 + (r() * 2 - 1) * 2);
      if (d.state.inEvent) floorMax = Math.max(floorMax, d.state.noiseFloorDbfs);
    }
  };
  const { parts } = play(d, frames());
  t.equal(parts.length, 1, 'one event');
  t.ok(floorMax < -55, `floor peaked at ${floorMax} during the event`);
  t.end();
});

t.test('triggers: voice, both, any', (t) => {
  // Voice at room level: only VAD-driven triggers see it.
  const whisper = () => seq([FPS * 5, () => quiet()], [FPS, () => ({ ...quiet(), voice: true })], [FPS * 5, () => quiet()]);
  t.equal(play(new Detector({ trigger: 'level' }), whisper()).parts.length, 0, 'level ignores quiet voice');
  const v = play(new Detector({ trigger: 'voice' }), whisper()).parts;
  t.equal(v.length, 1, 'voice catches it');
  t.equal(v[0]!.startDecision!.trigger, 'vad');
  t.equal(play(new Detector({ trigger: 'any' }), whisper()).parts.length, 1, 'any catches it');
  t.equal(play(new Detector({ trigger: 'both' }), whisper()).parts.length, 0, 'both needs the level too');

  // Loud sound without voice.
  const bang = () => seq([FPS * 5, () => quiet()], [FPS, () => loud(-30)], [FPS * 5, () => quiet()]);
  t.equal(play(new Detector({ trigger: 'voice' }), bang()).parts.length, 0, 'voice ignores a loud non-voice sound');
  t.equal(play(new Detector({ trigger: 'both' }), bang()).parts.length, 0, 'both ignores it too');
  const a = play(new Detector({ trigger: 'any' }), bang()).parts;
  t.equal(a[0]!.startDecision!.trigger, 'level', 'any reports a level trigger for it');

  // Loud voice: both.
  const speech = () => seq([FPS * 5, () => quiet()], [FPS, () => loud(-30, true)], [FPS * 5, () => quiet()]);
  const b = play(new Detector({ trigger: 'both' }), speech()).parts;
  t.equal(b.length, 1);
  t.equal(b[0]!.startDecision!.trigger, 'vad');
  t.equal(play(new Detector({ trigger: 'any' }), speech()).parts[0]!.startDecision!.trigger, 'vad');
  t.end();
});

t.test('config is checked', (t) => {
  t.throws(() => new Detector({ startWindowFrames: 40 }), RangeError);
  t.throws(() => new Detector({ startActiveFrames: 6, startWindowFrames: 5 }), RangeError);
  t.throws(() => new Detector({ maxLengthMs: 1000 }), RangeError, 'max length shorter than the pre-roll');
  t.throws(() => new Detector().command('pause' as 'stop'), RangeError);
  t.end();
});

const espeak = await which('espeak-ng', { nothrow: true });
t.test('VAD on espeak-ng speech: voice in the speech, not in the quiet', { skip: espeak ? false : 'espeak-ng is not installed' }, async (t) => {
  const dir = await tempDir(t);
  const wav = join(dir, 'speech.wav');
  await execa('espeak-ng', ['-w', wav, 'hello there this is a test of the voice detector']);
  // 1 s of faint pink noise, the speech (over the same noise), 1 s of noise.
  const pcm = await execa(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-i', wav, '-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.002:seed=1:r=48000',
      '-filter_complex', '[0]aresample=48000,adelay=1000,apad=pad_dur=1[s];[s][1]amix=inputs=2:duration=first:normalize=0',
      '-ac', '1', '-ar', '48000', '-f', 's16le', 'pipe:1'],
    { encoding: 'buffer' },
  );
  const audio = Buffer.from(pcm.stdout);
  const speechMs = Number((await execa('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', wav])).stdout) * 1000;
  for (const decimate of [true, false]) {
    const vad = await createVad({ rate: 48000, aggressiveness: 3, decimate });
    t.equal(vad.vadRate, decimate ? 16000 : 48000);
    let inSpeech = 0, speechVoice = 0, inQuiet = 0, quietVoice = 0;
    for (let o = 0, i = 0; o + 1920 <= audio.length; o += 1920, i++) {
      const ms = i * 20;
      const voice = vad.isVoice(audio.subarray(o, o + 1920));
      if (ms >= 1000 && ms < 1000 + speechMs) {
        inSpeech++;
        if (voice) speechVoice++;
      } else if (ms < 900 || ms > 1100 + speechMs) {
        inQuiet++;
        if (voice) quietVoice++;
      }
    }
    t.ok(speechVoice / inSpeech > 0.7, `decimate ${decimate}: ${speechVoice}/${inSpeech} speech frames are voice`);
    t.ok(quietVoice / inQuiet < 0.05, `decimate ${decimate}: ${quietVoice}/${inQuiet} quiet frames are voice`);
    vad.close();
    vad.close();
    t.throws(() => vad.isVoice(audio.subarray(0, 1920)), 'unusable after close');
  }
  // Other rates and odd offsets go through the same path.
  const v16 = await createVad({ rate: 16000 });
  const at16 = await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', wav, '-ac', '1', '-ar', '16000', '-f', 's16le', 'pipe:1'], { encoding: 'buffer' });
  const odd = Buffer.alloc(at16.stdout.length + 1);
  Buffer.from(at16.stdout).copy(odd, 1);
  let voiced = 0, n = 0;
  for (let o = 1; o + 640 <= odd.length; o += 640, n++) if (v16.isVoice(odd.subarray(o, o + 640))) voiced++;
  t.ok(voiced / n > 0.6, `16 kHz at an odd byteOffset: ${voiced}/${n} voice`);
  t.throws(() => v16.isVoice(Buffer.alloc(100)), RangeError, 'a frame of the wrong length is refused');
  v16.close();
  await t.rejects(createVad({ rate: 44100 }), RangeError);
});
