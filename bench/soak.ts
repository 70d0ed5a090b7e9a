// Memory over time (issue #9): hours of generated audio with an event every
// minute, pushed through rec-capture | rec-segment | rec-sidecars as fast as it
// goes, with the RSS of each long-running process sampled every second. The
// curve must be flat after warm-up: no growth per event. BENCH_SOAK_HOURS sets
// the length (default 6); BENCH_NODE_OPTIONS is passed to every tool.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { table } from './measure.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const bin = (tool: string) => join(ROOT, 'bin', `${tool}.js`);

async function rssKb(pid: number): Promise<number | null> {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return null;
  }
}

async function pidOf(pattern: string): Promise<number | null> {
  const r = await execa('pgrep', ['-f', pattern], { reject: false });
  const pid = Number(r.stdout.split('\n')[0]);
  return Number.isFinite(pid) && pid > 0 ? pid : null;
}

export async function runSoakBench(opts: { hours: number; nodeOptions: string }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rec-bench-soak-'));
  try {
    const out = join(dir, 'rec');
    const seconds = Math.round(opts.hours * 3600);
    // One 5 s tone burst per minute; ffmpeg generates it on the fly (nothing stored).
    const src = `aevalsrc='0.3*sin(2*PI*350*t)*lt(mod(t,60),5)*gt(t,1)':d=${seconds}:s=48000`;
    const cmd =
      `ffmpeg -hide_banner -loglevel error -f lavfi -i "${src}" -ac 1 -f wav pipe:1 | node ${bin('rec-capture')} --input - | ` +
      `node ${bin('rec-segment')} --out ${out} --trigger level --hang 1 | node ${bin('rec-sidecars')} --out ${out} > /dev/null`;
    const started = performance.now();
    const run = execa('bash', ['-c', cmd], { reject: false, env: { NODE_OPTIONS: opts.nodeOptions } });
    const samples: Array<{ t: number; capture: number | null; segment: number | null; sidecars: number | null }> = [];
    let capPid: number | null = null;
    let segPid: number | null = null;
    let sidePid: number | null = null;
    let done = false;
    void run.finally(() => (done = true));
    while (!done) {
      // ^node: the node processes themselves, not the bash -c line that names them all.
      capPid ??= await pidOf(`^node \\S*rec-capture\\.js --input -`);
      segPid ??= await pidOf(`^node \\S*rec-segment\\.js --out ${out}`);
      sidePid ??= await pidOf(`^node \\S*rec-sidecars\\.js --out ${out}`);
      samples.push({ t: (performance.now() - started) / 1000, capture: capPid ? await rssKb(capPid) : null, segment: segPid ? await rssKb(segPid) : null, sidecars: sidePid ? await rssKb(sidePid) : null });
      await new Promise((r) => setTimeout(r, 1000));
    }
    const r = await run;
    if (r.exitCode !== 0) throw new Error(`soak pipeline failed: ${r.stderr.slice(-500)}`);
    const wall = (performance.now() - started) / 1000;
    const mb = (kb: number | null | undefined) => (kb ? (kb / 1024).toFixed(1) : '-');
    // Ten points along the run, then warm-up (first 10 %) against the rest.
    const rows: Array<Record<string, string | number>> = [];
    for (let i = 0; i < 10; i++) {
      const s = samples[Math.min(samples.length - 1, Math.floor((i / 9) * (samples.length - 1)))]!;
      rows.push({ 'audio h (approx.)': ((s.t / wall) * opts.hours).toFixed(1), 'rec-capture RSS MB': mb(s.capture), 'rec-segment RSS MB': mb(s.segment), 'rec-sidecars RSS MB': mb(s.sidecars) });
    }
    const after = samples.slice(Math.floor(samples.length / 10));
    const stat = (k: 'capture' | 'segment' | 'sidecars') => {
      const xs = after.map((s) => s[k]).filter((x): x is number => typeof x === 'number');
      const half = Math.floor(xs.length / 2);
      const avg = (a: number[]) => a.reduce((p, x) => p + x, 0) / Math.max(1, a.length);
      return { min: Math.min(...xs), max: Math.max(...xs), firstHalf: avg(xs.slice(0, half)), secondHalf: avg(xs.slice(half)) };
    };
    const cap = stat('capture');
    const seg = stat('segment');
    const side = stat('sidecars');
    console.log(`\n## Soak: ${opts.hours} h of audio, an event a minute (${Math.round(opts.hours * 60)} events), in ${wall.toFixed(0)} s; NODE_OPTIONS="${opts.nodeOptions}"\n`);
    console.log(table(rows));
    console.log(
      `\nafter warm-up: rec-capture ${mb(cap.min)}–${mb(cap.max)} MB (mean ${mb(cap.firstHalf)} then ${mb(cap.secondHalf)}), rec-segment ${mb(seg.min)}–${mb(seg.max)} MB (mean ${mb(seg.firstHalf)} then ${mb(seg.secondHalf)}), ` +
        `rec-sidecars ${mb(side.min)}–${mb(side.max)} MB (mean ${mb(side.firstHalf)} then ${mb(side.secondHalf)})`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
