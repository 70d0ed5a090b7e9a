// The scorer on hand-made cases, and the test-recording generator checked by decoding what it
// wrote: events at their stated SNR, background at its stated level, edges where the truth says.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { scoreEvents, formatScoreTable, type TruthEvent, type DetectedEvent } from '../src/segment/score.js';
import { renderScenario, scenarios, MIN_GAP_MS, type Scenario } from '../bench/corpus.js';
import { readWavInfo } from '../src/lib/wav.js';
import { tempDir } from './helpers.js';

const T = (startMs: number, endMs: number, kind = 'speech'): TruthEvent => ({ startMs, endMs, kind });
const D = (startOffsetMs: number, endOffsetMs: number): DetectedEvent => ({ startOffsetMs, endOffsetMs });
const HOUR = 3_600_000;

t.test('caught, missed and false events', async (t) => {
  const truth = [T(1000, 2000), T(5000, 6000, 'knock')];
  const s = scoreEvents(truth, [D(500, 2500), D(8000, 9000)], 10_000);
  t.match(s, { truth: 2, detected: 2, caught: 1, recall: 0.5, falseEvents: 1, clippedOnsets: 0, clippedOffsets: 0, audioMs: 10_000 });
  t.same(s.missed, [truth[1]], 'the knock is missed');
  t.same(s.onsetErrorMs, { mean: -500, max: -500 });
  t.same(s.offsetErrorMs, { mean: 500, max: 500 });
});

t.test('overlap must be positive: touching is not catching', async (t) => {
  const s = scoreEvents([T(1000, 2000)], [D(0, 1000), D(2000, 3000)], 10_000);
  t.equal(s.caught, 0);
  t.equal(s.falseEvents, 2);
  t.ok(Number.isNaN(s.onsetErrorMs.mean), 'no error figures without a caught event');
});

t.test('clipped onsets and offsets, and the tolerance', async (t) => {
  const truth = [T(1000, 2000), T(5000, 6000)];
  const detected = [D(1200, 2500), D(4500, 5900)];
  const s = scoreEvents(truth, detected, 10_000);
  t.equal(s.caught, 2);
  t.equal(s.clippedOnsets, 1, 'the first starts 200 ms late');
  t.equal(s.clippedOffsets, 1, 'the second ends 100 ms early');
  t.same(s.onsetErrorMs, { mean: (200 - 500) / 2, max: 200 });
  t.same(s.offsetErrorMs, { mean: (500 - 100) / 2, max: 500 });
  const lenient = scoreEvents(truth, detected, 10_000, { toleranceMs: 200 });
  t.equal(lenient.clippedOnsets, 0, 'within the tolerance');
  t.equal(lenient.clippedOffsets, 0);
  t.equal(scoreEvents(truth, detected, 10_000, { toleranceMs: 199 }).clippedOnsets, 1);
});

t.test('several truth events merged into one detected event are all caught', async (t) => {
  const s = scoreEvents([T(1000, 2000), T(3000, 4000), T(4500, 4600, 'word')], [D(500, 5000)], 10_000);
  t.match(s, { caught: 3, recall: 1, falseEvents: 0, clippedOnsets: 0, clippedOffsets: 0 });
  t.same(s.onsetErrorMs, { mean: (-500 - 2500 - 4000) / 3, max: -500 });
});

t.test('one truth event split across contiguous parts is covered by their union', async (t) => {
  const truth = [T(1000, 10_000)];
  const parts = [D(8000, 11_000), D(500, 4000), D(4000, 8000)]; // unsorted on purpose
  const s = scoreEvents(truth, parts, 20_000);
  t.match(s, { caught: 1, detected: 3, falseEvents: 0, clippedOnsets: 0, clippedOffsets: 0 });
  t.same(s.onsetErrorMs, { mean: -500, max: -500 });
  t.same(s.offsetErrorMs, { mean: 1000, max: 1000 });

  // A gap inside the event loses audio: the covering event is the first run, which ends early.
  const gapped = scoreEvents(truth, [D(500, 4000), D(4300, 11_000)], 20_000);
  t.match(gapped, { caught: 1, falseEvents: 0, clippedOffsets: 1 });
  t.same(gapped.offsetErrorMs, { mean: -6000, max: -6000 });
  t.equal(scoreEvents(truth, [D(500, 4000), D(4300, 11_000)], 20_000, { toleranceMs: 300 }).clippedOffsets, 0, 'a gap within the tolerance joins the parts');
});

t.test('false events per hour, and the pre-roll window', async (t) => {
  const detected = [D(10_000, 11_000), D(100_000, 100_500), D(900_000, 901_000)];
  const s = scoreEvents([], detected, HOUR / 2);
  t.match(s, { truth: 0, recall: 1, falseEvents: 3, falsePerHour: 6 });
  t.equal(scoreEvents([], detected, 0).falsePerHour, 0, 'no audio, no rate');

  // A detection lying only in the pre-roll before an onset is its lead-in, not a false alarm.
  const truth = [T(5000, 6000)];
  const leadIn = [D(4400, 4900), D(5100, 6500)];
  t.equal(scoreEvents(truth, leadIn, 10_000).falseEvents, 1);
  t.equal(scoreEvents(truth, leadIn, 10_000, { preRollMs: 500 }).falseEvents, 0);
  t.equal(scoreEvents(truth, leadIn, 10_000, { preRollMs: 500 }).clippedOnsets, 1, 'the onset is still clipped: the parts are not contiguous');
});

t.test('formatScoreTable aligns its columns', async (t) => {
  const a = scoreEvents([T(1000, 2000)], [D(500, 2500)], 60_000);
  const b = scoreEvents([T(1000, 2000), T(5000, 6000)], [D(1100, 2500), D(30_000, 31_000)], 3_600_000);
  const text = formatScoreTable([
    { name: 'pink-20db', score: a },
    { name: 'a-much-longer-name', score: b },
  ]);
  const lines = text.split('\n');
  t.equal(lines.length, 4, 'header, rule, two rows');
  t.ok(lines.every((l) => l.length === lines[0]!.length), 'every line as wide as the header');
  t.match(lines[0], /^name\s+truth\s+caught\s+recall/);
  t.match(lines[2], /^pink-20db\s+1\s+1\s+1\.000\s/);
  t.match(lines[3], /^a-much-longer-name\s+2\s+1\s+0\.500\s+1\s+2\s+1\s+1\.0\s+1\s+0\s+100\/100\s+500\/500\s+60\.0$/);
  // Columns line up: each header word ends where its figures end.
  const end = (line: string, re: RegExp) => {
    const m = re.exec(line);
    return m ? m.index + m[0].length : -1;
  };
  t.equal(end(lines[2]!, /1\.000/), end(lines[0]!, /recall/));
  t.equal(end(lines[3]!, /0\.500/), end(lines[0]!, /recall/));
});

t.test('the standard set is deterministic and covers what it should', async (t) => {
  const a = scenarios();
  t.same(scenarios(), a, 'same scenarios on every call');
  t.equal(new Set(a.map((s) => s.name)).size, a.length, 'names are unique');
  t.same(new Set(a.map((s) => s.background)), new Set(['silence', 'pink', 'brown', 'hum', 'rising']));
  const events = a.flatMap((s) => s.events);
  t.same(new Set(events.map((e) => e.kind)), new Set(['speech', 'word', 'knock', 'tone', 'burst']));
  t.ok([20, 10, 6].every((snr) => events.some((e) => e.snrDb === snr)), 'SNRs 20, 10 and 6 dB');
  t.ok(new Set(events.filter((e) => e.kind === 'speech').map((e) => e.voice)).size >= 4, 'several voices');
  for (const s of a) {
    for (let i = 1; i < s.events.length; i++) t.ok(s.events[i]!.atMs - s.events[i - 1]!.atMs >= MIN_GAP_MS, `${s.name}: events ≥ 5 s apart`);
  }
  const quiet = a.find((s) => s.events.length === 0);
  t.equal(quiet?.durationMs, 600_000, 'an event-free scenario, 10 minutes by default');
  t.equal(scenarios({ minutes: 0.5 }).find((s) => s.name === quiet?.name)?.durationMs, 30_000);
});

/** Decode a file with ffmpeg to 48 kHz mono s16 samples. */
async function decodeSamples(path: string): Promise<Int16Array> {
  const r = await execa('ffmpeg', ['-nostdin', '-v', 'error', '-i', path, '-ac', '1', '-ar', '48000', '-f', 's16le', 'pipe:1'], { encoding: 'buffer' });
  const b = r.stdout;
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Mean power (full scale = 1) of samples [from, to). */
function power(x: Int16Array, from: number, to: number): number {
  let sq = 0;
  for (let i = from; i < to; i++) sq += (x[i]! / 32768) ** 2;
  return sq / Math.max(1, to - from);
}

const dB = (p: number) => 10 * Math.log10(p);

t.test('a rendered scenario: events at their SNR over a background at its level', async (t) => {
  const dir = await tempDir(t);
  const scenario: Scenario = {
    name: 'short-pink',
    background: 'pink',
    backgroundDbfs: -50,
    durationMs: 17_000,
    events: [
      { kind: 'speech', text: 'The kettle is on, back in a minute.', voice: 'en-us', speed: 175, atMs: 1000, snrDb: 20 },
      { kind: 'word', text: 'yes', voice: 'en-us', speed: 200, atMs: 5000, snrDb: 10 },
      { kind: 'tone', freqHz: 440, lengthMs: 1000, atMs: 7500, snrDb: 6 },
      { kind: 'knock', count: 3, atMs: 11_000, snrDb: 10 },
      { kind: 'burst', lengthMs: 300, atMs: 14_000, snrDb: 20 },
    ],
  };
  const { wav, truth } = await renderScenario(scenario, dir);
  t.equal(wav, join(dir, 'short-pink.wav'));
  t.same(JSON.parse(await readFile(join(dir, 'short-pink.json'), 'utf8')), truth, 'the JSON on disk is the returned truth');
  t.match(await readWavInfo(wav), { format: 1, channels: 1, rate: 48000, bitsPerSample: 16, dataBytes: 17_000 * 48 * 2, needsRepair: false });
  t.match(truth, { file: 'short-pink.wav', rate: 48000, durationMs: 17_000, background: 'pink' });
  t.equal(truth.events.length, 5);

  const x = await decodeSamples(wav);
  t.equal(x.length, 17_000 * 48, 'decodes to the full length');
  const bgPower = 10 ** (scenario.backgroundDbfs / 10);
  for (const [i, e] of truth.events.entries()) {
    const planned = scenario.events[i]!;
    t.equal(e.startMs, planned.atMs, `${e.kind} starts where planned`);
    t.ok(e.endMs > e.startMs && Number.isInteger(e.endMs), `${e.kind} ends on a whole millisecond`);
    if (e.kind === 'word') t.ok(e.endMs - e.startMs < 500, 'a word is under 0.5 s');
    // The loudest 20 ms windows of the event (as many as its active part has), less the
    // background's power, over the background's power: its SNR.
    const start = e.startMs * 48;
    const end = e.endMs * 48;
    const windows: number[] = [];
    for (let w = start; w < end; w += 960) windows.push(power(x, w, Math.min(end, w + 960)));
    windows.sort((a, b) => b - a);
    const k = Math.max(1, Math.round(e.activeMs / 20));
    const active = windows.slice(0, k).reduce((a, b) => a + b, 0) / k;
    const snr = dB((active - bgPower) / bgPower);
    t.ok(Math.abs(snr - e.snrDb) <= 1.5, `${e.kind}: measured SNR ${snr.toFixed(1)} dB, want ${e.snrDb} ± 1.5`);
    t.ok(Math.abs(e.levelDbfs - (scenario.backgroundDbfs + e.snrDb)) < 0.01, 'levelDbfs is background plus SNR');
  }

  // Background: every 20 ms window at least 50 ms away from any event.
  const levels: number[] = [];
  let sum = 0;
  for (let w = 0; w + 960 <= x.length; w += 960) {
    const inEvent = truth.events.some((e) => w + 960 > (e.startMs - 50) * 48 && w < (e.endMs + 50) * 48);
    if (inEvent) continue;
    const p = power(x, w, w + 960);
    levels.push(dB(p));
    sum += p;
  }
  t.ok(levels.length > 300, 'most of the file is background');
  t.ok(Math.abs(dB(sum / levels.length) - scenario.backgroundDbfs) < 1, `background RMS ${dB(sum / levels.length).toFixed(2)} dBFS, want -50 ± 1`);
  const near = levels.filter((l) => Math.abs(l - scenario.backgroundDbfs) <= 4).length / levels.length;
  t.ok(near >= 0.95, `${(near * 100).toFixed(1)} % of background windows within 4 dB of -50 dBFS`);
});

t.test('over digital silence every event lies exactly inside its truth', async (t) => {
  const dir = await tempDir(t);
  const scenario: Scenario = {
    name: 'short-silence',
    background: 'silence',
    backgroundDbfs: -60,
    durationMs: 6000,
    events: [
      { kind: 'word', text: 'no', voice: 'en', speed: 180, atMs: 1000, snrDb: 20 },
      { kind: 'tone', freqHz: 1000, lengthMs: 500, atMs: 2500, snrDb: 10 },
      { kind: 'knock', count: 1, atMs: 4500, snrDb: 30 },
    ],
  };
  const { wav, truth } = await renderScenario(scenario, dir);
  const x = await decodeSamples(wav);
  let prevEnd = 0;
  for (const e of truth.events) {
    const start = e.startMs * 48;
    const end = e.endMs * 48;
    let first = -1;
    let last = -1;
    for (let i = start; i < end; i++) {
      if (x[i] !== 0) {
        if (first < 0) first = i;
        last = i;
      }
    }
    t.ok(x.subarray(prevEnd, start).every((v) => v === 0), `${e.kind}: silence before it`);
    t.ok(first >= start && first < start + 48, `${e.kind}: sound within 1 ms of startMs`);
    t.ok(last >= end - 96, `${e.kind}: sound until within 2 ms of endMs`);
    prevEnd = end;
  }
  t.ok(x.subarray(prevEnd).every((v) => v === 0), 'silence after the last event');
});

t.test('renderScenario refuses overlapping events and events past the end', async (t) => {
  const dir = await tempDir(t);
  const base = { name: 'bad', background: 'silence', backgroundDbfs: -60 } as const;
  await t.rejects(
    renderScenario({ ...base, durationMs: 5000, events: [{ kind: 'tone', lengthMs: 1000, atMs: 1000, snrDb: 10 }, { kind: 'burst', atMs: 1500, snrDb: 10 }] }, dir),
    /overlaps/,
  );
  await t.rejects(renderScenario({ ...base, durationMs: 1500, events: [{ kind: 'tone', lengthMs: 1000, atMs: 1000, snrDb: 10 }] }, dir), /after the end/);
  await t.rejects(renderScenario({ ...base, durationMs: 5000, events: [{ kind: 'tone', atMs: 1000, snrDb: 70 }] }, dir), /peak/);
});
