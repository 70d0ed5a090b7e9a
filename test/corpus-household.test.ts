// The household set of the test corpus (bench/corpus.ts, issue #17): the same bytes on every
// render, events where the truth puts them and as loud as it says, the appliance switching by
// 10 dB with its energy below 200 Hz, the TV next door on and then off.
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { AFTER_TV_MS, HOUSEHOLD_SNRS, MIN_GAP_MS, ROOM_DBFS, TV_DB, TV_FOREGROUND_DB, householdScenarios, renderHousehold, scenarios, type CorpusTruth } from '../bench/corpus.js';
import { Biquad } from '../bench/synth.js';
import { recordedMs, scoreGroups, shareRecorded } from '../src/segment/score.js';
import { tempDir } from './helpers.js';

const KINDS = ['knock', 'bark', 'clink', 'whistle', 'slam', 'footsteps', 'ring', 'alarm', 'cry', 'shout'];

/** Decode with real ffmpeg to 48 kHz mono samples, full scale = 1. */
async function decode(path: string): Promise<Float32Array> {
  const r = await execa('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-ac', '1', '-ar', '48000', '-f', 's16le', 'pipe:1'], { encoding: 'buffer' });
  const b = r.stdout;
  return Float32Array.from(new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), (v) => v / 32768);
}

/** Mean power of samples [fromMs, toMs), in dBFS. */
function levelDb(x: Float32Array, fromMs: number, toMs: number): number {
  let sq = 0;
  const a = Math.round(fromMs * 48);
  const b = Math.round(toMs * 48);
  for (let i = a; i < b; i++) sq += x[i]! ** 2;
  return 10 * Math.log10(sq / (b - a));
}

/** Power of [fromMs, toMs) away from every event (50 ms margin), in dBFS, from 20 ms windows. */
function backgroundDb(x: Float32Array, truth: CorpusTruth, fromMs: number, toMs: number): number {
  let sq = 0;
  let n = 0;
  for (let w = fromMs; w + 20 <= toMs; w += 20) {
    if (truth.events.some((e) => w + 20 > e.startMs - 50 && w < e.endMs + 50)) continue;
    for (let i = w * 48; i < (w + 20) * 48; i++) sq += x[i]! ** 2;
    n += 960;
  }
  return 10 * Math.log10(sq / n);
}

/** An event's SNR as placed: its loudest 20 ms windows (as many as its active part) less the background, over the background. */
function measuredSnr(x: Float32Array, e: CorpusTruth['events'][number]): number {
  const windows: number[] = [];
  for (let w = e.startMs; w < e.endMs; w += 20) windows.push(10 ** (levelDb(x, w, Math.min(e.endMs, w + 20)) / 10));
  windows.sort((a, b) => b - a);
  const k = Math.max(1, Math.round(e.activeMs / 20));
  const active = windows.slice(0, k).reduce((a, b) => a + b, 0) / k;
  const bg = 10 ** (e.backgroundDbfs / 10);
  return 10 * Math.log10((active - bg) / bg);
}

async function renderTwice(t: Test, name: string, minutes?: number) {
  const [d1, d2] = [await tempDir(t), await tempDir(t)];
  const opts = minutes === undefined ? {} : { minutes };
  const a = await renderHousehold(name, d1, opts);
  const b = await renderHousehold(name, d2, opts);
  t.ok((await readFile(a.wav)).equals(await readFile(b.wav)), `${name}: the same bytes on a second render`);
  t.same(b.truth, a.truth, `${name}: the same truth`);
  t.same(JSON.parse(await readFile(a.wav.replace(/\.wav$/, '.json'), 'utf8')), a.truth, 'the JSON on disk is the returned truth');
  return a;
}

t.test('the household set: every kind at every level over a room and an appliance, the TV, names unique', async (t) => {
  const all = householdScenarios();
  t.same(householdScenarios(), all, 'the same scenarios on every call');
  const names = [...all, ...scenarios()].map((s) => s.name);
  t.equal(new Set(names).size, names.length, 'names unique, also against the standard set');
  for (const name of ['house-room', 'house-appliance']) {
    const s = all.find((x) => x.name === name)!;
    t.equal(s.events.length, KINDS.length * HOUSEHOLD_SNRS.length, `${name}: ${KINDS.length} kinds × ${HOUSEHOLD_SNRS.length} levels`);
    for (const kind of KINDS) {
      t.same(s.events.filter((e) => e.kind === kind).map((e) => e.snrDb).sort((a, b) => a - b), HOUSEHOLD_SNRS, `${name}: ${kind} once at each level`);
    }
    const gaps = s.events.slice(1).map((e, i) => e.atMs - s.events[i]!.atMs);
    t.ok(Math.min(...gaps) >= MIN_GAP_MS, `${name}: events ≥ 5 s apart`);
  }
  t.same([...new Set(all.find((s) => s.name === 'word-appliance')!.events.map((e) => e.snrDb))].sort(), [0, 2.5, 5]);
  for (const name of ['appliance-cycle', 'rain', 'clicks']) t.same(all.find((s) => s.name === name)!.events, [], `${name}: nothing but the background`);
  const tv = all.find((s) => s.name === 'tv')!;
  t.equal(tv.durationMs, 3_600_000, 'the TV runs an hour by default');
  t.equal(householdScenarios({ tvMinutes: 5 }).find((s) => s.name === 'tv')!.durationMs, 300_000);
  t.equal(householdScenarios({ minutes: 2 }).find((s) => s.name === 'rain')!.durationMs, 120_000);
});

t.test('fridge-knock-bark: deterministic, a knock and a bark at 12 dB over a running fridge, onsets where the truth says', async (t) => {
  const { wav, truth } = await renderTwice(t, 'fridge-knock-bark');
  t.match(truth, { durationMs: 35_000, background: 'appliance', backgroundDbfs: ROOM_DBFS, sourceOnMs: [[0, 35_000]] });
  t.same(
    truth.events.map((e) => [e.kind, e.startMs, e.snrDb]),
    [
      ['knock', 15_000, 12],
      ['bark', 25_000, 12],
    ],
  );
  const x = await decode(wav);
  const bg = backgroundDb(x, truth, 0, truth.durationMs);
  t.ok(Math.abs(bg - (ROOM_DBFS + 10)) < 1, `room and fridge: ${bg.toFixed(2)} dBFS, want ${ROOM_DBFS + 10} ± 1`);
  for (const e of truth.events) {
    t.ok(Math.abs(e.backgroundDbfs - (ROOM_DBFS + 10)) < 0.05, `${e.kind}: SNR refers to the room and fridge together`);
    const snr = measuredSnr(x, e);
    t.ok(Math.abs(snr - e.snrDb) <= 1.5, `${e.kind}: measured SNR ${snr.toFixed(1)} dB, want ${e.snrDb} ± 1.5`);
    const before = levelDb(x, e.startMs - 100, e.startMs);
    const onset = levelDb(x, e.startMs, e.startMs + 40);
    // 100 ms of a fridge's rumble varies by a dB or two; the event's first 40 ms are ≥ 14 dB up.
    t.ok(before < bg + 3, `${e.kind}: nothing in the 100 ms before its onset (${before.toFixed(1)} dBFS)`);
    t.ok(onset > bg + 8, `${e.kind}: sound in the first 40 ms (${onset.toFixed(1)} dBFS)`);
  }
});

t.test('appliance-cycle: the fridge alone switching on and off, a 10 dB step, its energy below 200 Hz', async (t) => {
  const dir = await tempDir(t);
  const { wav, truth } = await renderHousehold('appliance-cycle', dir, { minutes: 1 });
  t.equal(truth.durationMs, 60_000);
  t.same(truth.events, []);
  const spans = truth.sourceOnMs!;
  t.equal(spans.length, 3, 'on three times');
  const x = await decode(wav);
  let offFrom = 0;
  for (const [on, off] of spans) {
    t.ok(on - offFrom >= 5000 && off - on >= 5000, 'each on and off stretch lasts at least 5 s');
    const quiet = levelDb(x, offFrom + 500, on - 500);
    const running = levelDb(x, on + 500, off - 500);
    t.ok(Math.abs(quiet - ROOM_DBFS) < 1, `off: ${quiet.toFixed(2)} dBFS, the room`);
    t.ok(Math.abs(running - quiet - 10) < 1, `switching on: a ${(running - quiet).toFixed(2)} dB step, want 10 ± 1`);
    offFrom = off;
  }
  const [on, off] = spans[0]!;
  const low = x.slice(Math.round((on + 500) * 48), Math.round((off - 500) * 48));
  const all = low.reduce((a, v) => a + v * v, 0);
  for (const f of [new Biquad('lowpass', 200), new Biquad('lowpass', 200)]) f.run(low);
  const below = low.reduce((a, v) => a + v * v, 0) / all;
  t.ok(below > 0.7, `${(100 * below).toFixed(0)} % of the running level is below 200 Hz`);
});

t.test('tv (2 min): deterministic; the TV 8 dB over the room while on, foreground 12 dB over it, quiet words after it goes off', async (t) => {
  const { wav, truth } = await renderTwice(t, 'tv', 2);
  t.match(truth, { durationMs: 120_000, background: 'tv', sourceDb: TV_DB, sourceOnMs: [[20_000, 60_000]] });
  const [on, off] = truth.sourceOnMs![0]!;
  const during = truth.events.filter((e) => e.startMs >= on && e.endMs <= off);
  const after = truth.events.filter((e) => e.startMs >= off);
  t.equal(during.length, 4, 'four foreground utterances while the TV is on');
  t.ok(during.every((e) => e.kind === 'speech' && e.snrDb === TV_FOREGROUND_DB && Math.abs(e.backgroundDbfs - (ROOM_DBFS + TV_DB)) < 0.01), 'each 12 dB over the TV');
  t.same(
    after.map((e) => [e.kind, e.startMs - off, e.backgroundDbfs]),
    AFTER_TV_MS.map((ms) => ['word', ms, ROOM_DBFS]),
    'words at 15 and 40 s after the TV goes off, over the quiet room',
  );
  const x = await decode(wav);
  const room = backgroundDb(x, truth, 1000, on - 1000);
  t.ok(Math.abs(room - ROOM_DBFS) < 1, `before the TV: ${room.toFixed(2)} dBFS, the room`);
  const tv = backgroundDb(x, truth, on + 1000, off - 1000);
  t.ok(tv > ROOM_DBFS + 4 && tv < ROOM_DBFS + TV_DB + 2, `TV on: ${tv.toFixed(2)} dBFS between the foreground (speech and pauses)`);
  const quiet = backgroundDb(x, truth, off + 1000, truth.durationMs);
  t.ok(Math.abs(quiet - ROOM_DBFS) < 1, `TV off: ${quiet.toFixed(2)} dBFS, the room again`);
  for (const e of after) {
    const snr = measuredSnr(x, e);
    t.ok(Math.abs(snr - e.snrDb) <= 1.5, `${e.kind} after the TV: measured SNR ${snr.toFixed(1)} dB, want ${e.snrDb} ± 1.5`);
  }

  // The scoring helpers on this truth: its events as the detections.
  const detected = truth.events.map((e) => ({ startOffsetMs: e.startMs, endOffsetMs: e.endMs }));
  const total = truth.events.reduce((a, e) => a + e.endMs - e.startMs, 0);
  t.equal(recordedMs(detected), total);
  t.equal(shareRecorded(detected, truth.durationMs), total / truth.durationMs);
  t.equal(recordedMs(detected, off), after.reduce((a, e) => a + e.endMs - e.startMs, 0), 'recorded after the TV went off');
  t.same(
    scoreGroups(truth.events, detected, (e) => e.kind).map((g) => [g.key, g.truth, g.caught, g.onsetIntact]),
    [
      ['speech', 4, 4, 4],
      ['word', 2, 2, 2],
    ],
  );
});
