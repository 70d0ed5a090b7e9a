// Streaming encode, measured (issue #5), and the sidecar costs (issue #6):
//  - latency from an event's start to (a) the partial's first audio page on disk and
//    (b) the partial decoding >= 1 s, median and worst over many real-time events;
//  - CPU of stream-encode (+ verify in rec-sidecars) against encode-after-event
//    (rec-sidecars encodes) on the same input, and peak RSS;
//  - rec-sidecars per audio hour: verify, waveform, offline encode, transcription.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { measure, table } from './measure.js';
import { decodedDuration } from '../src/encode/verify.js';
import type { EventStarted } from '../src/lib/contracts.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const bin = (tool: string) => join(ROOT, 'bin', `${tool}.js`);
/** An Ogg Opus file's two header pages (OpusHead + OpusTags from ffmpeg) are under this size. */
const OGG_HEADERS_BYTES = 200;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};
const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '-');

/** `events` bursts of 4 s of tone, `gapS` of quiet between them (level trigger). */
async function bursts(dir: string, events: number, gapS: number): Promise<string> {
  const period = 4 + gapS;
  const d = 1 + events * period;
  const wav = join(dir, `bursts-${events}.wav`);
  const expr = `0.3*sin(2*PI*350*t)*gt(t,1)*lt(mod(t-1,${period}),4)`;
  await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc='${expr}':d=${d}:s=48000`, '-ac', '1', wav]);
  return wav;
}

async function latency(dir: string, events: number): Promise<void> {
  const wav = await bursts(dir, events, 3);
  const out = join(dir, 'latency');
  const seg = execa('sh', ['-c', `node ${bin('rec-capture')} --input ${wav} --realtime | node ${bin('rec-segment')} --out ${out} --trigger level --hang 1`], { reject: false });
  const firstPage: number[] = [];
  const oneSecond: number[] = [];
  const fromOnsetPage: number[] = [];
  const watchers: Promise<void>[] = [];
  for await (const line of createInterface({ input: seg.stdout! })) {
    if (!line.includes('"event.started"')) continue;
    const seen = performance.now();
    const wallSeen = Date.now();
    const ev = JSON.parse(line) as EventStarted;
    if (!ev.partial) continue;
    const partial = ev.partial;
    // The onset is 2 s (the pre-roll) after the event's first sample.
    const onsetWall = Date.parse(ev.startedAt) + 2000;
    watchers.push(
      (async () => {
        let page = NaN;
        for (let i = 0; i < 500 && Number.isNaN(page); i++) {
          const size = (await stat(partial).catch(() => null))?.size ?? 0;
          if (size > OGG_HEADERS_BYTES) page = performance.now() - seen;
          else await new Promise((r) => setTimeout(r, 5));
        }
        firstPage.push(page);
        fromOnsetPage.push(wallSeen + page - onsetWall);
        for (let i = 0; i < 100; i++) {
          const d = await decodedDuration('ffmpeg', partial);
          if (d.durationMs >= 1000) {
            oneSecond.push(performance.now() - seen);
            return;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })(),
    );
  }
  await seg;
  await Promise.all(watchers);
  console.log(`\n## Streaming encode latency (${firstPage.length} events in real time, 2 s pre-roll, 200 ms pages)\n`);
  console.log(
    table([
      { from: 'event.started line', to: 'first audio page on disk', median: ms(median(firstPage)), worst: ms(Math.max(...firstPage)) },
      { from: 'event.started line', to: 'partial decodes >= 1 s', median: ms(median(oneSecond)), worst: ms(Math.max(...oneSecond)) },
      { from: 'sound onset (wall clock)', to: 'first audio page on disk', median: ms(median(fromOnsetPage)), worst: ms(Math.max(...fromOnsetPage)) },
    ]),
  );
}

async function cost(dir: string, minutes: number): Promise<void> {
  const events = Math.max(2, Math.round((minutes * 60) / 10));
  const wav = await bursts(dir, events, 6);
  const audioH = (1 + events * 10) / 3600;
  const seg = (out: string, extra: string) => `node ${bin('rec-capture')} --input ${wav} | node ${bin('rec-segment')} --out ${out} --trigger level --hang 1 ${extra} > /dev/null`;
  const side = (out: string, extra = '') => `node ${bin('rec-sidecars')} --out ${out} ${extra} < /dev/null > /dev/null`;
  const rows: Array<Record<string, string | number>> = [];
  const row = (what: string, m: Awaited<ReturnType<typeof measure>>) => {
    if (m.exitCode !== 0) throw new Error(`${what}: ${m.stderr.slice(-400)}`);
    rows.push({
      what,
      'cpu-s/audio-h': (m.cpuS / audioH).toFixed(1),
      'cpu-s/event': (m.cpuS / events).toFixed(2),
      'wall s': m.wallS.toFixed(1),
      'peak RSS MB (all)': m.peakRssMb,
      'peak RSS MB by program (summed)': Object.entries(m.peakRssByProgram).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${v}`).join(', '),
    });
  };
  const s = join(dir, 'stream');
  const o = join(dir, 'offline');
  const segStream = await measure(seg(s, ''));
  row('A1 rec-segment, streaming encode', segStream);
  const sideStream = await measure(side(s));
  row('A2 rec-sidecars: verify + waveform', sideStream);
  const segOff = await measure(seg(o, '--no-stream-encode'));
  row('B1 rec-segment, no streaming', segOff);
  const sideOff = await measure(side(o));
  row('B2 rec-sidecars: encode + verify + waveform', sideOff);
  rows.push({ what: 'A total (stream)', 'cpu-s/audio-h': ((segStream.cpuS + sideStream.cpuS) / audioH).toFixed(1), 'cpu-s/event': ((segStream.cpuS + sideStream.cpuS) / events).toFixed(2) });
  rows.push({ what: 'B total (encode after)', 'cpu-s/audio-h': ((segOff.cpuS + sideOff.cpuS) / audioH).toFixed(1), 'cpu-s/event': ((segOff.cpuS + sideOff.cpuS) / events).toFixed(2) });
  // Transcription on the same events (their audio is a tone: the cost, not the words).
  const t = join(dir, 'transcribe');
  await execa('sh', ['-c', seg(t, '--no-stream-encode')]);
  const hasPs = (await execa('sh', ['-c', 'command -v pocketsphinx_continuous'], { reject: false })).exitCode === 0;
  if (hasPs) row('rec-sidecars --transcribe (pocketsphinx, every event)', await measure(side(t, '--transcribe --transcribe-min-voice 0')));
  console.log(`\n## Stream encode vs encode-after-event, and rec-sidecars (${events} events of ~7 s in ${(audioH * 60).toFixed(1)} min of audio, as fast as it goes)\n`);
  console.log(table(rows));
}

export async function runStreamBench(opts: { minutes: number; events: number }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rec-bench-stream-'));
  try {
    await latency(dir, opts.events);
    await cost(dir, opts.minutes);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
