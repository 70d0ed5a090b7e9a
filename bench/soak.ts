// Memory over time (issue #9): hours of generated audio with an event every
// minute, pushed through rec-capture | rec-segment | rec-sidecars as fast as it
// goes, with the RSS of each long-running process sampled every second. The
// curve must be flat after warm-up: no growth per event. BENCH_SOAK_HOURS sets
// the length (default 6); BENCH_NODE_OPTIONS is passed to every tool;
// BENCH_SOAK_PERIOD the seconds from one event to the next (default 60).
// RSS is a blunt measure (the heap grows to its limit before V8 collects hard), so
// BENCH_SOAK_HEAP=1 also takes rec-segment's and rec-sidecars' heap after a forced
// full GC every BENCH_SOAK_HEAP_S seconds (default 10; bench/heap-probe.ts, preloaded),
// against the events done so far, and fits the growth per event after the first 10 %.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { table } from './measure.js';
import type { HeapSample } from './heap-probe.js';

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

/** Events finished by rec-segment (done or queued in rec-sidecars) and done by rec-sidecars, from its status file. */
async function eventCounts(spool: string): Promise<{ segment: number; sidecars: number } | null> {
  try {
    const { jobs } = JSON.parse(await readFile(join(spool, 'sidecars_status.json'), 'utf8')) as { jobs: { done: number; failed: number; pending: number } };
    return { segment: jobs.done + jobs.failed + jobs.pending, sidecars: jobs.done + jobs.failed };
  } catch {
    return null;
  }
}

async function heapSamples(dir: string, pid: number | null): Promise<HeapSample[]> {
  if (pid === null) return [];
  const text = await readFile(join(dir, `${pid}.ndjson`), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as HeapSample);
}

/** Least-squares slope of y over x. */
function slope(pts: Array<[number, number]>): number {
  const n = pts.length;
  const mx = pts.reduce((a, p) => a + p[0], 0) / n;
  const my = pts.reduce((a, p) => a + p[1], 0) / n;
  return pts.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / pts.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
}

export async function runSoakBench(opts: { hours: number; nodeOptions: string; periodS?: number; heapEveryS?: number | null }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rec-bench-soak-'));
  try {
    const out = join(dir, 'rec');
    const seconds = Math.round(opts.hours * 3600);
    const period = opts.periodS ?? 60;
    const heapDir = join(dir, 'heap');
    const heapEvery = opts.heapEveryS ?? null;
    let nodeOptions = opts.nodeOptions;
    if (heapEvery !== null) {
      await mkdir(heapDir);
      nodeOptions += ` --expose-gc --import ${join(ROOT, 'dist', 'bench', 'heap-probe.js')}`;
    }
    // One 5 s tone burst per period; ffmpeg generates it on the fly (nothing stored).
    const src = `aevalsrc='0.3*sin(2*PI*350*t)*lt(mod(t,${period}),5)*gt(t,1)':d=${seconds}:s=48000`;
    const cmd =
      `ffmpeg -hide_banner -loglevel error -f lavfi -i "${src}" -ac 1 -f wav pipe:1 | node ${bin('rec-capture')} --input - | ` +
      `node ${bin('rec-segment')} --out ${out} --trigger level --hang 1 | node ${bin('rec-sidecars')} --out ${out} > /dev/null`;
    const started = performance.now();
    const run = execa('bash', ['-c', cmd], { reject: false, env: { NODE_OPTIONS: nodeOptions, BENCH_HEAP_DIR: heapDir } });
    const samples: Array<{ t: number; capture: number | null; segment: number | null; sidecars: number | null }> = [];
    let capPid: number | null = null;
    let segPid: number | null = null;
    let sidePid: number | null = null;
    let done = false;
    void run.finally(() => (done = true));
    const heapMarks: Array<{ segment: number; sidecars: number }> = [];
    let nextHeap = heapEvery === null ? Infinity : performance.now() + heapEvery * 1000;
    while (!done) {
      // ^node: the node processes themselves, not the bash -c line that names them all.
      capPid ??= await pidOf(`^node \\S*rec-capture\\.js --input -`);
      segPid ??= await pidOf(`^node \\S*rec-segment\\.js --out ${out}`);
      sidePid ??= await pidOf(`^node \\S*rec-sidecars\\.js --out ${out}`);
      samples.push({ t: (performance.now() - started) / 1000, capture: capPid ? await rssKb(capPid) : null, segment: segPid ? await rssKb(segPid) : null, sidecars: sidePid ? await rssKb(sidePid) : null });
      const counts = performance.now() >= nextHeap && segPid && sidePid ? await eventCounts(join(out, '.spool')) : null;
      if (counts) {
        nextHeap += heapEvery! * 1000;
        try {
          // Both at once, so each sample pairs with these counts.
          process.kill(segPid!, 'SIGUSR2');
          process.kill(sidePid!, 'SIGUSR2');
          heapMarks.push(counts);
        } catch {
          // one of them has just exited
        }
      }
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
    console.log(`\n## Soak: ${opts.hours} h of audio, an event every ${period} s (${Math.floor(seconds / period)} events), in ${wall.toFixed(0)} s; NODE_OPTIONS="${nodeOptions}"\n`);
    console.log(table(rows));
    console.log(
      `\nafter warm-up: rec-capture ${mb(cap.min)}–${mb(cap.max)} MB (mean ${mb(cap.firstHalf)} then ${mb(cap.secondHalf)}), rec-segment ${mb(seg.min)}–${mb(seg.max)} MB (mean ${mb(seg.firstHalf)} then ${mb(seg.secondHalf)}), ` +
        `rec-sidecars ${mb(side.min)}–${mb(side.max)} MB (mean ${mb(side.firstHalf)} then ${mb(side.secondHalf)})`,
    );
    if (heapEvery !== null) await reportHeap(heapDir, segPid, sidePid, heapMarks);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Heap after a forced GC against events done: a few rows, then the fitted growth per event after warm-up. */
async function reportHeap(dir: string, segPid: number | null, sidePid: number | null, marks: Array<{ segment: number; sidecars: number }>): Promise<void> {
  const kb = (b: number) => (b / 1024).toFixed(0);
  for (const [tool, pid, events] of [
    ['rec-segment', segPid, (m: { segment: number }) => m.segment],
    ['rec-sidecars', sidePid, (m: { sidecars: number }) => m.sidecars],
  ] as const) {
    // A signal that arrived after the process exited left no sample: pair from the start.
    const pts = (await heapSamples(dir, pid)).map((s, i) => ({ ...s, events: marks[i] ? events(marks[i]) : NaN })).filter((p) => Number.isFinite(p.events));
    if (pts.length < 4) {
      console.log(`\n${tool}: too few heap samples (${pts.length}); a longer run or a smaller BENCH_SOAK_HEAP_S`);
      continue;
    }
    const last = pts.at(-1)!.events;
    const rows = [0.1, 0.25, 0.5, 0.75, 1].map((f) => pts.reduce((best, p) => (Math.abs(p.events - f * last) < Math.abs(best.events - f * last) ? p : best)));
    console.log(`\n### ${tool}: heap after a forced full GC (${pts.length} samples)\n`);
    console.log(
      table(
        [...new Set(rows)].map((p) => ({
          events: p.events,
          'heap used KB': kb(p.heapUsed),
          'of which code KB': kb(p.codeSpace),
          'heap less code KB': kb(p.heapUsed - p.codeSpace),
          'external KB': kb(p.external),
          'RSS MB': (p.rss / 1048576).toFixed(1),
          fds: p.fds,
          children: p.children,
        })),
      ),
    );
    const after = pts.filter((p) => p.events >= last / 10);
    const fit = (f: (p: HeapSample) => number) => {
      const ys = after.map(f);
      return `${slope(after.map((p) => [p.events, f(p)])).toFixed(0)} B/event (range ${kb(Math.max(...ys) - Math.min(...ys))} KB)`;
    };
    console.log(
      `\n${tool} after event ${Math.round(last / 10)}: heap used ${fit((p) => p.heapUsed)}, compiled code ${fit((p) => p.codeSpace)}, heap less code ${fit((p) => p.heapUsed - p.codeSpace)}; ` +
        `fds ${Math.min(...after.map((p) => p.fds))}–${Math.max(...after.map((p) => p.fds))}, children ${Math.min(...after.map((p) => p.children))}–${Math.max(...after.map((p) => p.children))}`,
    );
  }
}
