// Generates the bundled demo recording (demo.opus) and its ground truth (demo.json): a quiet room
// with speech, a one-word reply and knocks at known times. Deterministic: same tools, same bytes.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

const RATE = 48000;
const NOISE_DBFS = -55; // background RMS
const HUM_DBFS = -66; // 50 Hz mains hum peak, just below the noise
const PEAK_DBFS = -9; // every event is normalised to this peak
// Clip edges: first/last sample above this (after normalising), widened to the nearest zero
// crossing so the cut does not click. High enough that a detector can find the same edges in
// the noise; fainter tails would be masked by the background anyway.
const TRIM_DBFS = -40;
const FIRST_MS = 3000;
const MIN_GAP_MS = 4600; // spec wants >= 4.5 s; the slack absorbs rounding to the 100 ms grid
const DURATION_MS = 40000;
const MIN_TAIL_MS = 3000;

type Kind = 'speech' | 'word' | 'knock';
interface Spec { kind: Kind; voice?: string; speed?: number; text?: string }
interface GtEvent { kind: Kind; text?: string; voice?: string; startMs: number; endMs: number }

const SPECS: Spec[] = [
  { kind: 'speech', voice: 'en', speed: 165, text: 'Good morning, this is a test recording.' },
  { kind: 'word', voice: 'en-us', speed: 200, text: 'yes' },
  { kind: 'speech', voice: 'en-us', speed: 175, text: 'The kettle is on, back in a minute.' },
  { kind: 'knock' },
  { kind: 'speech', voice: 'en+f3', speed: 190, text: 'Did you remember to lock the back door?' },
  { kind: 'speech', voice: 'en-gb+m3', speed: 140, text: 'The keys are on the kitchen table, by the door.' },
];

// Three knocks 0.22 s apart: a decaying low tone plus a noise click, low-passed to sound wooden.
// random(0) in ffmpeg expressions starts from a fixed state, so this is reproducible.
const knockExpr = [0, 0.22, 0.44]
  .map((t0) => `if(between(t,${t0},${t0}+0.15),(0.7*sin(2*PI*170*(t-${t0}))+0.5*(2*random(0)-1))*exp(-(t-${t0})*45),0)`)
  .join('+');

const db = (x: number) => 10 ** (x / 20);

async function decodeF32(args: string[], file: string): Promise<Float32Array> {
  await execa('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args, '-ac', '1', '-ar', String(RATE), '-f', 'f32le', file]);
  const buf = await readFile(file);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)); // copy: Buffer may be unaligned
}

/** Normalise to PEAK_DBFS and cut leading/trailing silence, so the clip length is the event length. */
function normaliseAndTrim(x: Float32Array): Float32Array {
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  if (peak === 0) throw new Error('generated clip is silent');
  const gain = db(PEAK_DBFS) / peak;
  const thr = db(TRIM_DBFS) / gain;
  let a = 0;
  let b = x.length - 1;
  while (Math.abs(x[a]!) < thr) a++;
  while (Math.abs(x[b]!) < thr) b--;
  while (a > 0 && x[a - 1]! * x[a]! > 0) a--;
  while (b < x.length - 1 && x[b + 1]! * x[b]! > 0) b++;
  return x.slice(a, b + 1).map((v) => v * gain);
}

async function makeClip(spec: Spec, tmp: string, i: number): Promise<Float32Array> {
  const raw = join(tmp, `clip${i}.f32`);
  if (spec.kind === 'knock') return normaliseAndTrim(await decodeF32(['-f', 'lavfi', '-i', `aevalsrc='${knockExpr}':s=${RATE}:d=0.65,lowpass=f=1500`], raw));
  const wav = join(tmp, `clip${i}.wav`);
  await execa('espeak-ng', ['-v', spec.voice!, '-s', String(spec.speed), '-w', wav, spec.text!]);
  return normaliseAndTrim(await decodeF32(['-i', wav], raw));
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .usage('Usage: $0 [--out-dir DIR]\n\nRegenerate the demo recording and its ground-truth JSON.')
    .option('out-dir', { type: 'string', default: 'examples/demo', requiresArg: true, describe: 'output directory (relative to cwd)' })
    .strict()
    .version(false)
    .help()
    .fail((msg, err) => {
      throw Object.assign(err ?? new Error(msg), { usage: true }); // one line via main().catch, not a help dump
    })
    .parseAsync();
  const outDir = resolve(argv['out-dir']);
  const tmp = await mkdtemp(join(tmpdir(), 'make-demo-'));
  try {
    const clips: Float32Array[] = [];
    for (const [i, s] of SPECS.entries()) clips.push(await makeClip(s, tmp, i));

    // Lay events out on a 100 ms grid with at least MIN_GAP_MS of background between them.
    const events: GtEvent[] = [];
    let at = FIRST_MS;
    for (const [i, s] of SPECS.entries()) {
      const lenMs = (clips[i]!.length * 1000) / RATE;
      if (s.kind === 'speech' && (lenMs < 1500 || lenMs > 4000)) throw new Error(`speech clip ${i} is ${lenMs.toFixed(0)} ms, want 1.5-4 s`);
      if (s.kind === 'word' && lenMs >= 500) throw new Error(`word clip is ${lenMs.toFixed(0)} ms, want < 0.5 s`);
      events.push({
        kind: s.kind,
        ...(s.text !== undefined && { text: s.text }),
        ...(s.voice && { voice: s.voice }),
        startMs: at,
        endMs: Math.round(at + lenMs),
      });
      at = Math.ceil((at + lenMs + MIN_GAP_MS) / 100) * 100;
    }
    const durationMs = DURATION_MS;
    if (events.at(-1)!.endMs + MIN_TAIL_MS > durationMs) throw new Error('events do not fit: shorten the texts or the gaps');

    // Background: seeded pink noise scaled to an exact RMS, plus a faint hum.
    const total = (durationMs * RATE) / 1000;
    const mix = await decodeF32(['-f', 'lavfi', '-i', `anoisesrc=color=pink:seed=20240611:amplitude=0.05:r=${RATE}:d=${durationMs / 1000}`], join(tmp, 'noise.f32'));
    if (mix.length !== total) throw new Error(`noise has ${mix.length} samples, expected ${total}`);
    let sq = 0;
    for (const v of mix) sq += v * v;
    const k = db(NOISE_DBFS) / Math.sqrt(sq / total);
    for (let n = 0; n < total; n++) mix[n] = mix[n]! * k + db(HUM_DBFS) * Math.sin((2 * Math.PI * 50 * n) / RATE);
    for (const [i, ev] of events.entries()) mix.set(clips[i]!.map((v, j) => v + mix[(ev.startMs * RATE) / 1000 + j]!), (ev.startMs * RATE) / 1000);

    const mixFile = join(tmp, 'mix.f32');
    await writeFile(mixFile, mix);
    await mkdir(outDir, { recursive: true });
    // bitexact: fixed Ogg serial number and no version string, so reruns give identical bytes.
    await execa('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'f32le', '-ar', String(RATE), '-ac', '1', '-i', mixFile,
      '-c:a', 'libopus', '-b:a', '32k', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact', join(outDir, 'demo.opus')]);
    const gt = { file: 'demo.opus', rate: RATE, durationMs, generator: 'examples/make-demo.ts', events };
    await writeFile(join(outDir, 'demo.json'), JSON.stringify(gt, null, 2) + '\n');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  const e = err as { shortMessage?: string; message?: string; usage?: boolean };
  console.error(`make-demo: ${(e.shortMessage ?? e.message ?? String(err)).split('\n')[0]}`);
  process.exit(e.usage ? 64 : 1); // 64 = EX_USAGE, as the project's tools use
});
