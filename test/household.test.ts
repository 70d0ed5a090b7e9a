// Issue #17: detection in a real house. The steady-background tracker on
// synthetic frames (exact), then rec-segment on short generated recordings
// (bench/corpus.ts): a knock and a bark under a running fridge, the fridge alone
// switching, and a television next door with a voice over it.
import t from 'tap';
import { join } from 'node:path';
import { Background } from '../src/segment/background.js';
import { VadNoise } from '../src/segment/vad-noise.js';
import { Detector, type Decision, type FrameInput } from '../src/segment/detector.js';
import { formatSummary } from '../src/status/summary.js';
import { renderHousehold } from '../bench/corpus.js';
import { mulberry32 } from '../bench/prng.js';
import { segmentWav } from '../bench/segment.js';
import { scoreEvents, shareRecorded } from '../src/segment/score.js';
import { statusFixture, tempDir } from './helpers.js';

const FPS = 50;

/** A television through a wall: talk 70 % of the time, 6-12 dB over a -60 dBFS room, pauses at the room's level. */
function* tv(seconds: number, r = mulberry32(7)): Generator<FrameInput> {
  for (let k = 0; k < seconds * FPS; k++) {
    const talking = Math.floor(k / 40) % 10 < 7; // 0.8 s phrases, 70 % of the time
    const db = talking ? -54 + r() * 6 : -60 + r();
    yield { rmsDbfs: db, peakDbfs: db + 10, voice: talking && r() < 0.3 };
  }
}
const room = function* (seconds: number, r = mulberry32(3)): Generator<FrameInput> {
  for (let k = 0; k < seconds * FPS; k++) yield { rmsDbfs: -60 + r(), peakDbfs: -50, voice: false };
};
const voice = function* (seconds: number, db: number): Generator<FrameInput> {
  for (let k = 0; k < seconds * FPS; k++) yield { rmsDbfs: db, peakDbfs: db + 10, voice: true };
};

t.test('Background: learned from minutes of a quiet, busy sound; never from a loud one; let go when it stops', (t) => {
  const b = new Background();
  let level: number | null = null;
  let learnedAt = -1;
  let k = 0;
  for (const f of tv(120)) {
    level = b.update(f.rmsDbfs, -60);
    if (level !== null && learnedAt < 0) learnedAt = k;
    k++;
  }
  t.ok(learnedAt >= 59.9 * FPS && learnedAt <= 62 * FPS, `learned once half the window was heard (${learnedAt / FPS} s)`);
  t.ok(level !== null && level > -54 && level < -47, `its level is the talk's loud level (${level})`);
  // Quiet for most of the last 10 s: the television is off.
  let off = -1;
  k = 0;
  for (const f of room(12)) {
    if (b.update(f.rmsDbfs, -60) === null && off < 0) off = k;
    k++;
  }
  t.ok(off > 0 && off <= 9 * FPS, `let go ${off / FPS} s after it stopped`);

  // The same busy pattern 25 dB over the floor is the room itself (a conversation): never learned.
  const loud = new Background();
  let ever = false;
  for (const f of tv(180)) ever ||= loud.update(f.rmsDbfs + 19, -60) !== null;
  t.notOk(ever, 'a loud conversation is not a background');
  // Sparse sounds (an event every 10 s) are not a steady background either.
  const sparse = new Background();
  ever = false;
  for (let s = 0; s < 180; s++) for (const f of s % 10 === 0 ? voice(1, -45) : room(1)) ever ||= sparse.update(f.rmsDbfs, -60) !== null;
  t.notOk(ever, 'sparse events are not a background');
  t.throws(() => new Background({ windowMs: 5000, releaseMs: 10_000 }), RangeError);
  t.end();
});

t.test('Detector: a television next door records only until it is learned; a voice over it and a word after it still start events', (t) => {
  const d = new Detector({ trigger: 'any' });
  const starts: number[] = [];
  const bg: Array<number | null> = [];
  let i = 0;
  const push = (frames: Iterable<FrameInput>) => {
    for (const f of frames) {
      const dec: Decision = d.push(f);
      if (dec.type === 'start') starts.push(i);
      bg.push(d.state.backgroundDbfs);
      i++;
    }
  };
  push(room(10));
  push(tv(600));
  const tvStarts = starts.filter((s) => s > 10 * FPS + 150 * FPS).length;
  t.equal(tvStarts, 0, 'no event from the television once it is learned');
  t.ok(bg.at(-1) !== null, 'the status says a background is being ignored');
  const before = starts.length;
  push(voice(1.5, -36)); // 12+ dB over the television's loud level
  push(tv(20));
  t.equal(starts.length, before + 1, 'a voice 12 dB over the television starts an event');
  push(room(15));
  t.equal(bg.at(-1), null, 'the television is off: no background');
  const quiet = starts.length;
  push(voice(0.6, -48)); // 12 dB over the room: too quiet while the television was on
  t.equal(starts.length, quiet + 1, 'a quiet word after the television stopped starts an event');
  t.end();
});

t.test('rec-status says when a steady background is being ignored', async (t) => {
  const s = statusFixture();
  t.notMatch(formatSummary(s, 1000, false), /background/);
  const with_ = formatSummary({ ...s, level: { ...s.level, backgroundDbfs: -47.5 } }, 1000, false);
  t.match(with_, /background\s+steady voice-like sound \(a TV or radio\?\) at -47\.5 dBFS ignored/);
});

t.test('a knock and a bark under a running fridge are caught with their onsets', async (t) => {
  const dir = await tempDir(t);
  const { wav, truth } = await renderHousehold('fridge-knock-bark', dir);
  const detected = await segmentWav(wav, join(dir, 'out'));
  const s = scoreEvents(truth.events, detected, truth.durationMs);
  t.equal(s.recall, 1, `both caught (missed: ${JSON.stringify(s.missed.map((m) => m.kind))})`);
  t.equal(s.clippedOnsets, 0, 'no onset clipped');
});

t.test('the fridge switching on and off alone records nothing with --vad-highpass 200', async (t) => {
  const dir = await tempDir(t);
  const { wav } = await renderHousehold('appliance-cycle', dir, { minutes: 1 });
  t.same(await segmentWav(wav, join(dir, 'out'), ['--vad-highpass', '200']), [], 'no event');
});

t.test('a television next door with a voice over it: every utterance caught, a bounded share recorded', async (t) => {
  const dir = await tempDir(t);
  const { wav, truth } = await renderHousehold('tv', dir, { minutes: 5 });
  // A shorter window than the default 120 s learns it sooner, so a 5-minute file shows the steady state.
  const detected = await segmentWav(wav, join(dir, 'out'), ['--background-window', '40']);
  const s = scoreEvents(truth.events, detected, truth.durationMs);
  t.equal(s.recall, 1, `every utterance and word caught (missed: ${JSON.stringify(s.missed.map((m) => [m.kind, m.startMs]))})`);
  t.equal(s.clippedOnsets, 0, 'no onset clipped');
  const share = shareRecorded(detected, truth.durationMs);
  t.ok(share < 0.35, `${(share * 100).toFixed(1)} % of the file recorded (television on ${(((truth.durationMs - 80_000) / truth.durationMs) * 100).toFixed(0)} % of it)`);
  const without = await segmentWav(wav, join(dir, 'out'), ['--background-window', '0']);
  t.ok(shareRecorded(without, truth.durationMs) > 0.7, 'without the background tracker the television is recorded most of the time');
});

t.test('VadNoise: a VAD that calls voice at the floor one frame in ten is noisy; a quiet room\'s is not', (t) => {
  const r = mulberry32(11);
  const rain = new VadNoise();
  const quiet = new VadNoise();
  for (let k = 0; k < 30 * FPS; k++) {
    rain.update(-50 + r(), r() < 0.1, -50.5);
    quiet.update(-60 + r(), r() < 0.002, -60.5);
  }
  t.ok(rain.noisy, 'rain: noisy');
  t.notOk(quiet.noisy, 'a quiet room: not noisy');
  // Voice well over the floor does not count: only frames at the floor do.
  const talk = new VadNoise();
  for (let k = 0; k < 30 * FPS; k++) talk.update(k % 100 < 60 ? -35 : -60, k % 100 < 60, -60);
  t.notOk(talk.noisy, 'talk over a quiet floor: not noisy');
  t.end();
});

t.test('Detector: a noisy VAD needs a voice frame over the floor; a thump below the high-pass counts on the unfiltered level', (t) => {
  const r = mulberry32(5);
  // Steady rain: the filtered level at the floor, the VAD calling voice one frame in ten.
  const d = new Detector({ trigger: 'any' });
  let starts = 0;
  for (let k = 0; k < 120 * FPS; k++) if (d.push({ rmsDbfs: -50 + r(), peakDbfs: -40, voice: r() < 0.1 }).type === 'start') starts++;
  t.ok(starts <= 3, `${starts} events in 2 minutes of rain (before it was learned that the VAD is noisy here)`);
  let after = 0;
  for (let k = 0; k < 60 * FPS; k++) if (d.push({ rmsDbfs: -50 + r(), peakDbfs: -40, voice: r() < 0.1 }).type === 'start') after++;
  t.equal(after, 0, 'none once it is known');
  // A door slammed: 6 dB over the floor after the high-pass, 20 dB over it unfiltered.
  const e = new Detector({ trigger: 'level' });
  for (let k = 0; k < 10 * FPS; k++) e.push({ rmsDbfs: -60 + r(), peakDbfs: -50, voice: false, rawDbfs: -50 + r() });
  const slam = [-30, -31, -33, -36, -40].map((raw) => e.push({ rmsDbfs: -54, peakDbfs: -20, voice: false, rawDbfs: raw }));
  t.ok(slam.some((x) => x.type === 'start'), 'the slam starts an event');
  // An appliance switching on: a 10 dB step of hum, unfiltered; 3 dB after the high-pass.
  const f = new Detector({ trigger: 'level' });
  for (let k = 0; k < 10 * FPS; k++) f.push({ rmsDbfs: -60 + r(), peakDbfs: -50, voice: false, rawDbfs: -50 + r() });
  let fridge = 0;
  for (let k = 0; k < 20 * FPS; k++) if (f.push({ rmsDbfs: -57 + r(), peakDbfs: -35, voice: false, rawDbfs: -40 + r() }).type === 'start') fridge++;
  t.equal(fridge, 0, 'a fridge switching on does not');
  t.end();
});

t.test('Detector: the VAD alone starts an event only when voice runs for 100 ms', (t) => {
  const starts = (frames: FrameInput[]) => {
    const d = new Detector({ trigger: 'any' });
    for (let k = 0; k < 5 * FPS; k++) d.push({ rmsDbfs: -60, peakDbfs: -50, voice: false });
    return frames.map((f) => d.push(f)).filter((x) => x.type === 'start').length;
  };
  const quietVoice = (v: boolean): FrameInput => ({ rmsDbfs: -58, peakDbfs: -48, voice: v });
  // A flicker: voice for 4 frames (80 ms), then not, over and over (an appliance switching on).
  t.equal(starts(Array.from({ length: 10 * FPS }, (_, k) => quietVoice(k % 50 < 4))), 0, 'flickers of 80 ms start nothing');
  t.equal(starts(Array.from({ length: 2 * FPS }, (_, k) => quietVoice(k >= 20 && k < 40))), 1, 'a quiet word of 400 ms starts an event');
  t.end();
});
