// rec-segment in a house (issue #17): the household set of bench/corpus.ts scored per sound
// kind and level, the false events of an appliance switching, rain and clicks, and the share of
// the time a TV next door gets recorded, next to the plain tools (ffmpeg silencedetect, and
// sox's silence effect at 2 %). `BENCH_ONLY=household npm run bench` (also run by 'segment').
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOUSEHOLD_SNRS, MIN_GAP_MS, ROOM_DBFS, TV_DB, TV_FOREGROUND_DB, householdScenarios, minGapMs, renderScenario, type CorpusTruth } from './corpus.js';
import { markdownTable, measure } from './measure.js';
import { bin, silencedetect } from './segment.js';
import { soxSilence } from './sox-silence.js';
import { readWavInfo } from '../src/lib/wav.js';
import { recordedMs, scoreEvents, scoreGroups, shareRecorded, type DetectedEvent, type TruthEvent } from '../src/segment/score.js';

const REC_SEGMENT = 'rec-segment (defaults: --trigger any)';
const METHODS = [REC_SEGMENT, 'ffmpeg silencedetect -40 dB', 'sox silence 2%'] as const;
/** On the TV file only: how much a fixed threshold's result hangs on the input gain. */
const SOX_1 = 'sox silence 1%';
type Method = (typeof METHODS)[number] | typeof SOX_1;

interface Run {
  method: Method;
  truth: CorpusTruth;
  detected: DetectedEvent[];
}

interface Cost {
  cpuS: number;
  audioS: number;
  peakRssMb: number;
}

/** rec-segment on the WAV's samples (no decoder in the way), with its CPU time and peak RSS. */
async function segmentMeasured(wav: string, out: string): Promise<{ detected: DetectedEvent[]; cpuS: number; peakRssMb: number }> {
  const { dataOffset } = await readWavInfo(wav);
  const m = await measure(`tail -c +${dataOffset + 1} ${wav} | ${bin('rec-segment')} --out ${out} --no-stream-encode`);
  await rm(out, { recursive: true, force: true });
  if (m.exitCode !== 0) throw new Error(`rec-segment failed on ${wav}: ${m.stderr.slice(-500)}`);
  const detected = m.stdout
    .split('\n')
    .filter((l) => l.includes('"event.finished"'))
    .map((l) => JSON.parse(l) as DetectedEvent);
  return { detected, cpuS: m.cpuS, peakRssMb: m.peakRssByProgram['node'] ?? m.peakRssMb };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
const num = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '-');
/** An onset error: in ms, or in whole seconds (with the unit) once it is a long event's. */
const err = (ms: number): string => (Math.abs(ms) >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : num(ms));
const longestS = (d: DetectedEvent[]): number => Math.max(0, ...d.map((e) => e.endOffsetMs - e.startOffsetMs)) / 1000;
const name = (t: CorpusTruth): string => t.file.replace(/\.wav$/, '');

/** One event's cell: its onset error in ms, '!' when the onset was cut off, 'miss' when not caught. */
function cell(truth: TruthEvent[], detected: DetectedEvent[]): string {
  if (truth.length === 0) return '';
  const s = scoreEvents(truth, detected, 0);
  if (s.caught === 0) return 'miss';
  const e = err(s.onsetErrorMs.mean);
  return s.clippedOnsets ? `${e}!` : e;
}

function kindByLevel(runs: Run[], method: Method): string {
  const mine = runs.filter((r) => r.method === method);
  const room = mine.find((r) => name(r.truth) === 'house-room')!;
  const appliance = mine.find((r) => name(r.truth) === 'house-appliance')!;
  const kinds = [...new Set(room.truth.events.map((e) => e.kind))];
  const cols = [
    ['room', room],
    ['appl.', appliance],
  ] as const;
  const rows = kinds.map((kind) => {
    const row: Record<string, string> = { kind };
    for (const [label, r] of cols) {
      for (const snr of HOUSEHOLD_SNRS) row[`${label} ${snr}`] = cell(r.truth.events.filter((e) => e.kind === kind && e.snrDb === snr), r.detected);
    }
    return row;
  });
  const recall: Record<string, string> = { kind: '**recall**' };
  for (const [label, r] of cols) {
    for (const g of scoreGroups(r.truth.events, r.detected, (e) => String(e.snrDb))) {
      recall[`${label} ${g.key}`] = `${g.caught}/${g.truth}`;
    }
  }
  return markdownTable([...rows, recall]);
}

function summary(runs: Run[]): string {
  return markdownTable(
    runs.map(({ method, truth, detected }) => {
      const s = scoreEvents(truth.events, detected, truth.durationMs);
      return {
        method,
        scenario: name(truth),
        minutes: (truth.durationMs / 60_000).toFixed(1),
        events: s.truth,
        caught: s.caught,
        'onset intact': s.caught - s.clippedOnsets,
        'onset err ms (mean/max)': `${err(s.onsetErrorMs.mean)}/${err(s.onsetErrorMs.max)}`,
        detected: s.detected,
        false: s.falseEvents,
        'false/h': s.falsePerHour.toFixed(0),
        'share recorded': pct(shareRecorded(detected, truth.durationMs)),
        'longest s': longestS(detected).toFixed(1),
      };
    }),
  );
}

function byLevel(runs: Run[]): string {
  return markdownTable(
    runs.map(({ method, truth, detected }) => ({
      method,
      ...Object.fromEntries(
        scoreGroups(truth.events, detected, (e) => `${e.snrDb} dB`).map((g) => [g.key, `${g.caught}/${g.truth}${g.onsetIntact < g.caught ? ` (${g.caught - g.onsetIntact} clipped)` : ''}`]),
      ),
    })),
  );
}

function tvTable(runs: Run[], costs: Map<string, Cost>): string {
  return markdownTable(
    runs.map(({ method, truth, detected }) => {
      const [on, off] = truth.sourceOnMs![0]!;
      const during = truth.events.filter((e) => e.startMs < off);
      const after = truth.events.filter((e) => e.startMs >= off);
      const fg = scoreEvents(during, detected, truth.durationMs);
      const quiet = scoreEvents(after, detected, truth.durationMs);
      const all = scoreEvents(truth.events, detected, truth.durationMs);
      const cost = method === REC_SEGMENT ? costs.get('tv') : undefined;
      return {
        method,
        detected: detected.length,
        'foreground caught': `${fg.caught}/${fg.truth}`,
        'onset intact': `${fg.caught - fg.clippedOnsets}/${fg.truth}`,
        'onset err ms (mean)': err(fg.onsetErrorMs.mean),
        'after TV off: caught (intact)': after.map((e) => `+${((e.startMs - off) / 1000).toFixed(0)} s: ${cell([e], detected)}`).join(', ') + ` (${quiet.caught - quiet.clippedOnsets}/${quiet.truth})`,
        'false events': all.falseEvents,
        'false/h': all.falsePerHour.toFixed(0),
        'share recorded (file)': pct(shareRecorded(detected, truth.durationMs)),
        'share recorded (TV on)': pct(shareRecorded(detected, truth.durationMs, { fromMs: on, toMs: off })),
        'recorded after TV off s': (recordedMs(detected, off) / 1000).toFixed(1),
        'longest min': (longestS(detected) / 60).toFixed(1),
        'cpu-s/audio-h': cost ? ((cost.cpuS * 3600) / cost.audioS).toFixed(1) : '-',
      };
    }),
  );
}

export async function runHouseholdBench(opts: { minutes: number; tvMinutes: number }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rec-bench-house-'));
  const runs: Run[] = [];
  const costs = new Map<string, Cost>();
  const seconds: Record<string, number> = { render: 0, ...Object.fromEntries(METHODS.map((m) => [m, 0])) };
  const scenarios = householdScenarios({ minutes: opts.minutes, tvMinutes: opts.tvMinutes });
  let audioS = 0;
  let tvRenderS = 0;
  try {
    for (const s of scenarios) {
      let t0 = performance.now();
      const { wav, truth } = await renderScenario(s, dir);
      const renderS = (performance.now() - t0) / 1000;
      seconds.render! += renderS;
      if (s.name === 'tv') tvRenderS = renderS;
      audioS += truth.durationMs / 1000;
      const gap = minGapMs(truth);
      if (gap < MIN_GAP_MS) throw new Error(`${s.name}: only ${gap} ms between events, want ≥ ${MIN_GAP_MS} (a clip is longer than its slot)`);
      for (const method of METHODS) {
        t0 = performance.now();
        let detected: DetectedEvent[];
        if (method === REC_SEGMENT) {
          const r = await segmentMeasured(wav, join(dir, 'out'));
          costs.set(s.name, { cpuS: r.cpuS, audioS: truth.durationMs / 1000, peakRssMb: r.peakRssMb });
          detected = r.detected;
        } else if (method === 'sox silence 2%') {
          detected = await soxSilence(wav, dir);
        } else {
          detected = await silencedetect(wav, truth.durationMs, -40);
        }
        seconds[method]! += (performance.now() - t0) / 1000;
        runs.push({ method, truth, detected });
      }
      if (s.name === 'tv') runs.push({ method: SOX_1, truth, detected: await soxSilence(wav, dir, { threshold: '1%' }) });
      await rm(wav, { force: true }); // an hour of TV is 330 MB
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const tv = runs.find((r) => name(r.truth) === 'tv')!.truth;
  const [on, off] = tv.sourceOnMs![0]!;
  const timing = Object.entries(seconds)
    .map(([k, v]) => `${k} ${v.toFixed(1)} s${k === 'render' ? ` (the TV file: ${tvRenderS.toFixed(1)} s)` : ''}`)
    .join(', ');
  const tvCost = costs.get('tv')!;
  const all = [...costs.values()].reduce((a, c) => ({ cpuS: a.cpuS + c.cpuS, audioS: a.audioS + c.audioS, peakRssMb: Math.max(a.peakRssMb, c.peakRssMb) }));
  console.log(`
## rec-segment in a house (issue #17): the household set

${scenarios.length} scenarios, ${(audioS / 60).toFixed(0)} min of audio. Time: ${timing}.
Room: pink noise at ${ROOM_DBFS} dBFS. Appliance: a 60 Hz motor with harmonics and rumble (80 % of its energy below 200 Hz), a 10 dB step in broadband level (about 5 dB above 150 Hz) when it switches.
Levels are each sound's active RMS over what runs there (room, room + appliance, room + music).
rec-segment runs with its defaults; silencedetect at -40 dB and sox at 2 % (about -34 dBFS) are fixed thresholds, 3 s of quiet ending an event.

### Household sounds caught, by kind and level (dB over the room / over a running appliance)

A cell is the caught event's onset error in ms, or in s when large (covering start − true start; rec-segment's pre-roll is 2000 ms, so -2000 is an immediate trigger), \`!\` when the onset was cut off (the covering event starts after the sound), \`miss\` when nothing overlapped it.
${METHODS.map((m) => `\n#### ${m}\n\n${kindByLevel(runs, m)}`).join('\n')}

### Every household scenario

False events overlap no truth event: in appliance-cycle (the fridge switching on and off alone), rain and clicks every event is one. Share recorded: detected time / file length.

${summary(runs.filter((r) => name(r.truth) !== 'tv'))}

### Recall by level: words over a running appliance, shouts over music, a knock and a bark under the fridge

${['word-appliance', 'shout-music', 'fridge-knock-bark'].map((n) => `#### ${n}\n\n${byLevel(runs.filter((r) => name(r.truth) === n))}`).join('\n\n')}

### A TV next door: ${(tv.durationMs / 60_000).toFixed(0)} min, TV speech through the wall at ${TV_DB} dB over the room from ${on / 1000} s to ${off / 1000} s

Four foreground utterances at ${TV_FOREGROUND_DB} dB over the TV (${ROOM_DBFS + TV_DB + TV_FOREGROUND_DB} dBFS active RMS; sox's 2 % is about -34 dBFS, so its result hangs on the input gain: 1 % is shown too), then words at ${TV_FOREGROUND_DB} dB over the quiet room after the TV goes off (does the detector come back to full sensitivity?). Onset error: of the event covering the utterance (a long event that began with the TV gives a large negative one).

${tvTable(runs.filter((r) => r.truth === tv), costs)}

rec-segment's cost: ${tvCost.cpuS.toFixed(1)} cpu-s for the ${(tvCost.audioS / 60).toFixed(0)} min TV file (${((tvCost.cpuS * 3600) / tvCost.audioS).toFixed(1)} cpu-s per audio hour, peak RSS ${tvCost.peakRssMb} MB); ${((all.cpuS * 3600) / all.audioS).toFixed(1)} cpu-s per audio hour over the whole household set (no encoding, event WAVs written).`);
}
