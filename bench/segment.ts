// rec-segment on the generated corpus: events scored against ground truth for
// each --trigger, next to plain-tool references (ffmpeg silencedetect, and sox's
// `silence` effect at 2 %, its parts located in the input: bench/sox-silence.ts),
// and throughput: CPU seconds per audio hour and peak RSS on a long input. The household
// set has its own tables: bench/segment-household.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { renderScenario, scenarios, type CorpusTruth } from './corpus.js';
import { measure, table } from './measure.js';
import { soxSilence } from './sox-silence.js';
import { scoreEvents, type DetectedEvent, type Score } from '../src/segment/score.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const bin = (tool: string) => `node ${join(ROOT, 'bin', `${tool}.js`)}`;

/** Run rec-segment on a WAV and return its finished events. */
export async function segmentWav(wav: string, out: string, args: string[] = []): Promise<DetectedEvent[]> {
  const r = await execa('sh', ['-c', `${bin('rec-capture')} --input ${wav} | ${bin('rec-segment')} --out ${out} --no-stream-encode ${args.join(' ')}`], {
    reject: false,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.exitCode !== 0) throw new Error(`rec-segment failed on ${wav}: ${r.stderr.slice(-500)}`);
  await rm(out, { recursive: true, force: true });
  return r.stdout
    .split('\n')
    .filter((l) => l.includes('"event.finished"'))
    .map((l) => JSON.parse(l) as DetectedEvent);
}

/** What a user could script instead: non-silent spans from ffmpeg's silencedetect (3 s of quiet ends an event). */
export async function silencedetect(wav: string, durationMs: number, noiseDb: number): Promise<DetectedEvent[]> {
  const r = await execa('ffmpeg', ['-hide_banner', '-nostats', '-i', wav, '-af', `silencedetect=noise=${noiseDb}dB:d=3`, '-f', 'null', '-'], { reject: false });
  const events: DetectedEvent[] = [];
  let soundFrom = 0;
  for (const m of r.stderr.matchAll(/silence_(start|end): ([\d.]+)/g)) {
    const t = Number(m[2]) * 1000;
    if (m[1] === 'start' && t > soundFrom) events.push({ startOffsetMs: soundFrom, endOffsetMs: t });
    if (m[1] === 'end') soundFrom = t;
  }
  if (soundFrom < durationMs - 20 && !r.stderr.match(/silence_start: [\d.]+\s*$/)) events.push({ startOffsetMs: soundFrom, endOffsetMs: durationMs });
  return events;
}

function speechScore(truth: CorpusTruth, detected: DetectedEvent[], minSnr: number): Score {
  const speech = truth.events.filter((e) => (e.kind === 'speech' || e.kind === 'word') && (e.snrDb ?? 99) >= minSnr);
  return scoreEvents(speech, detected, truth.durationMs);
}

export async function runSegmentBench(opts: { minutes: number }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rec-bench-seg-'));
  try {
    const rendered = [];
    const t0 = performance.now();
    for (const s of scenarios({ minutes: opts.minutes })) rendered.push(await renderScenario(s, dir));
    console.log(`\n## rec-segment accuracy on the generated corpus (${rendered.length} scenarios, rendered in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    const rows: Array<Record<string, string | number>> = [];
    const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
    const methods: Array<[string, (wav: string, truth: CorpusTruth) => Promise<DetectedEvent[]>]> = [
      ...(['any', 'level', 'voice', 'both'] as const).map(
        (trigger) => [`rec-segment --trigger ${trigger}`, (wav: string) => segmentWav(wav, join(dir, 'out'), ['--trigger', trigger])] as [string, (wav: string, truth: CorpusTruth) => Promise<DetectedEvent[]>],
      ),
      ['ffmpeg silencedetect -40 dB', (wav, truth) => silencedetect(wav, truth.durationMs, -40)],
      ['sox silence 2%', (wav) => soxSilence(wav, dir)],
    ];
    for (const [method, run] of methods) {
      for (const { wav, truth } of rendered) {
        const detected = await run(wav, truth);
        const all = scoreEvents(truth.events, detected, truth.durationMs);
        const speech10 = speechScore(truth, detected, 10);
        const longest = Math.max(0, ...detected.map((e) => e.endOffsetMs - e.startOffsetMs));
        rows.push({
          method,
          scenario: truth.file.replace(/\.wav$/, ''),
          events: all.truth,
          detected: detected.length,
          recall: all.recall.toFixed(2),
          'speech>=10dB recall': speech10.truth ? speech10.recall.toFixed(2) : '-',
          'false/h': all.falsePerHour.toFixed(0),
          'clipped onsets': all.clippedOnsets,
          'onset err ms (mean/max)': `${fmt(all.onsetErrorMs.mean)}/${fmt(all.onsetErrorMs.max)}`,
          'offset err ms (mean)': fmt(all.offsetErrorMs.mean),
          'longest s': (longest / 1000).toFixed(1),
        });
      }
    }
    console.log(table(rows));

    // Throughput on a long input: the pink-10db scenario looped to 30 min, as raw PCM.
    const pcm = join(dir, 'long.pcm');
    const src = rendered.find((r) => r.truth.file.startsWith('pink-10db'))!.wav;
    await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-stream_loop', '-1', '-i', src, '-t', '1800', '-f', 's16le', '-ac', '1', '-ar', '48000', '-y', pcm]);
    const through: Array<Record<string, string | number>> = [];
    for (const trigger of ['any', 'level']) {
      const m = await measure(`${bin('rec-segment')} --out ${dir}/thr --no-stream-encode --trigger ${trigger} < ${pcm} > /dev/null`);
      if (m.exitCode !== 0) throw new Error(m.stderr);
      through.push({
        'rec-segment, 30 min of pink-10db': `--trigger ${trigger}${trigger === 'level' ? ' (no VAD)' : ''}`,
        'cpu-s': m.cpuS.toFixed(2),
        'cpu-s/audio-h': (m.cpuS * 2).toFixed(1),
        'x realtime': (1800 / m.wallS).toFixed(0),
        'peak RSS MB': m.peakRssMb,
      });
      await rm(join(dir, 'thr'), { recursive: true, force: true });
    }
    console.log(`\n## rec-segment throughput (framing, levels, VAD, WAVs, status; no encoding)\n\n${table(through)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
