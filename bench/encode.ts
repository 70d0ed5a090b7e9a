// rec-opus-stream against plain ffmpeg on the same PCM, in the same run: CPU
// seconds per audio hour and peak RSS. Also the encoder settings (complexity,
// bitrate, Ogg page duration) that the defaults are chosen from.
import { mkdtemp, rm, stat, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { measure, table } from './measure.js';
import { ffmpegEncodeArgs, DEFAULT_SETTINGS, type EncoderSettings } from '../src/encode/settings.js';
import { StreamEncoder } from '../src/encode/stream-encoder.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const DEMO = join(ROOT, 'examples/demo/demo.opus');
const RATE = 48000;

/** `minutes` of real content (the demo, looped) as raw PCM in a file. */
async function makePcm(dir: string, minutes: number): Promise<string> {
  const path = join(dir, 'input.pcm');
  await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-stream_loop', '-1', '-i', DEMO, '-t', String(minutes * 60), '-ac', '1', '-ar', String(RATE), '-f', 's16le', '-y', path]);
  return path;
}

function perHour(cpuS: number, minutes: number): string {
  return ((cpuS * 60) / minutes).toFixed(1);
}

async function compareWithFfmpeg(dir: string, pcm: string, minutes: number, repeats: number): Promise<string> {
  const s = DEFAULT_SETTINGS;
  const plainArgs = ffmpegEncodeArgs(RATE, s, join(dir, 'plain.opus')).map((a) => (a === 'pipe:0' ? pcm : a));
  const variants: Array<[string, string]> = [
    ['ffmpeg (same settings)', `ffmpeg ${plainArgs.join(' ')}`],
    ['rec-opus-stream < pcm', `node ${ROOT}/bin/rec-opus-stream.js --force ${dir}/ours.opus < ${pcm} > /dev/null`],
    ['rec-opus-stream, 0.1 s (start-up)', `head -c 9600 ${pcm} | node ${ROOT}/bin/rec-opus-stream.js --force ${dir}/tiny.opus > /dev/null`],
    ['ffmpeg, default complexity 10', `ffmpeg -hide_banner -loglevel error -f s16le -ar ${RATE} -ac 1 -i ${pcm} -c:a libopus -b:a ${s.bitrate}k -threads 1 -y ${dir}/plain10.opus`],
  ];
  const rows = [];
  const results: Record<string, number[]> = {};
  for (let i = 0; i < repeats; i++) {
    for (const [name, cmd] of variants) {
      const m = await measure(cmd);
      if (m.exitCode !== 0) throw new Error(`${name} failed: ${m.stderr}`);
      (results[name] ??= []).push(m.cpuS);
      if (i === repeats - 1) {
        const cpu = Math.min(...results[name]!);
        rows.push({
          variant: name,
          'cpu-s (best)': cpu.toFixed(2),
          'cpu-s/audio-h': perHour(cpu, minutes),
          'x realtime': ((minutes * 60) / m.wallS).toFixed(0),
          'peak RSS MB': `${m.peakRssMb} (${Object.entries(m.peakRssByProgram).map(([k, v]) => `${k} ${v}`).join(', ')})`,
        });
      }
    }
  }
  const base = Math.min(...results['ffmpeg (same settings)']!);
  const ours = Math.min(...results['rec-opus-stream < pcm']!);
  const startup = Math.min(...results['rec-opus-stream, 0.1 s (start-up)']!);
  const steady = ours - base - startup;
  return (
    `${table(rows)}\n\nrec-opus-stream overhead over plain ffmpeg: ${(ours - base).toFixed(2)} cpu-s for ${minutes} min ` +
    `(${(((ours - base) / base) * 100).toFixed(1)} %), of which start-up ${startup.toFixed(2)} s (Node + modules + ffmpeg start); ` +
    `the rest, ${steady.toFixed(2)} s = ${perHour(steady, minutes)} cpu-s/audio-h (${((steady / base) * 100).toFixed(1)} %), is moving PCM through Node ` +
    `and a pipe. Best of ${repeats} runs each.`
  );
}

async function settingsGrid(dir: string, pcm: string, minutes: number): Promise<string> {
  const rows = [];
  for (const complexity of [0, 5, 10]) {
    for (const bitrate of [24, 32, 48]) {
      const s: EncoderSettings = { ...DEFAULT_SETTINGS, complexity, bitrate };
      const out = join(dir, `c${complexity}b${bitrate}.opus`);
      const args = ffmpegEncodeArgs(RATE, s, out).map((a) => (a === 'pipe:0' ? pcm : a));
      const m = await measure(`ffmpeg ${args.join(' ')}`);
      const bytes = (await stat(out)).size;
      rows.push({ complexity, 'kb/s': bitrate, 'cpu-s/audio-h': perHour(m.cpuS, minutes), 'MB/audio-h': ((bytes * 60) / minutes / 1e6).toFixed(1) });
    }
  }
  return table(rows);
}

async function pageDurations(dir: string, pcm: string, minutes: number): Promise<string> {
  const rows = [];
  for (const pageMs of [100, 200, 500, 1000]) {
    const out = join(dir, `p${pageMs}.opus`);
    const args = ffmpegEncodeArgs(RATE, { ...DEFAULT_SETTINGS, pageMs }, out).map((a) => (a === 'pipe:0' ? pcm : a));
    await execa('ffmpeg', args);
    const bytes = (await stat(out)).size;
    const live = await liveLag(dir, pcm, pageMs);
    rows.push({ 'page ms': pageMs, 'MB/audio-h': ((bytes * 60) / minutes / 1e6).toFixed(2), ...live });
  }
  return table(rows);
}

/** Feed 6 s at real time; when does audio reach the disk, and how far behind live is the decodable partial? */
async function liveLag(dir: string, pcm: string, pageMs: number): Promise<Record<string, string>> {
  const fh = await open(pcm, 'r');
  const frame = Buffer.alloc(1920);
  const enc = new StreamEncoder({ path: join(dir, `live${pageMs}.opus`), rate: RATE, ffmpeg: 'ffmpeg', pageMs, overwrite: true });
  const t0 = performance.now();
  let firstByteMs = -1;
  const lags: number[] = [];
  for (let i = 0; i < 300; i++) {
    await fh.read(frame, 0, 1920, i * 1920);
    enc.feed(Buffer.from(frame));
    const due = t0 + (i + 1) * 20;
    if (firstByteMs < 0 && ((await stat(enc.partialPath).catch(() => undefined))?.size ?? 0) > 0) firstByteMs = performance.now() - t0;
    if (i % 50 === 49) {
      const d = await execa('ffmpeg', ['-v', 'quiet', '-i', enc.partialPath, '-f', 's16le', '-ac', '1', '-ar', '48000', 'pipe:1'], { encoding: 'buffer', reject: false });
      lags.push((i + 1) * 20 - (d.stdout.length / 96000) * 1000);
    }
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  }
  await enc.close();
  await fh.close();
  return {
    'first bytes on disk (ms after first frame)': firstByteMs.toFixed(0),
    'decodable lag behind live, ms (mean of 6)': (lags.reduce((a, b) => a + b, 0) / lags.length).toFixed(0),
  };
}

/** The live case: a file paced like a microphone through capture and encoder; memory at steady state. */
async function realtimePipeline(seconds: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rec-bench-rt-'));
  try {
    const cmd = `node ${ROOT}/bin/rec-capture.js --input ${DEMO} --realtime --duration ${seconds} | node ${ROOT}/bin/rec-opus-stream.js ${dir}/rt.opus > /dev/null`;
    const m = await measure(cmd);
    if (m.exitCode !== 0) throw new Error(`real-time pipeline failed: ${m.stderr}`);
    return table([
      {
        pipeline: `rec-capture --realtime | rec-opus-stream, ${seconds} s`,
        'cpu-s': m.cpuS.toFixed(2),
        'cpu-s/audio-h': ((m.cpuS * 3600) / seconds).toFixed(1),
        'peak RSS MB': `${m.peakRssMb} (${Object.entries(m.peakRssByProgram).map(([k, v]) => `${k} ${v}`).join(', ')}; node = both tools)`,
      },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runEncodeBench(opts: { minutes: number; repeats: number; realtimeSeconds: number }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rec-bench-'));
  try {
    const pcm = await makePcm(dir, opts.minutes);
    console.log(`\n## Encoding ${opts.minutes} min of the demo (48 kHz mono), ${DEFAULT_SETTINGS.bitrate} kb/s, complexity ${DEFAULT_SETTINGS.complexity}\n`);
    console.log(await compareWithFfmpeg(dir, pcm, opts.minutes, opts.repeats));
    console.log('\n## libopus settings (plain ffmpeg, same input)\n');
    console.log(await settingsGrid(dir, pcm, opts.minutes));
    console.log('\n## Ogg page duration: size, and how early a growing partial is playable\n');
    console.log(await pageDurations(dir, pcm, opts.minutes));
    console.log('\n## Real time: capture + streaming encode of the demo, paced like a microphone\n');
    console.log(await realtimePipeline(opts.realtimeSeconds));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
