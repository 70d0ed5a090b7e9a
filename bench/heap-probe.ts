// Preloaded into the tools by the soak bench (BENCH_SOAK_HEAP=1) with
// `--expose-gc --import dist/bench/heap-probe.js`: on SIGUSR2 (no tool uses it),
// force a full GC and append the heap left, RSS, open fds and child processes to
// $BENCH_HEAP_DIR/<pid>.ndjson. Nothing is loaded or done without that variable.
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';

export interface HeapSample {
  t: number;
  /** V8 heap in use after a forced full GC (bytes). */
  heapUsed: number;
  /** Of which compiled code (grows while the JIT warms up). */
  codeSpace: number;
  external: number;
  rss: number;
  fds: number;
  children: number;
}

const dir = process.env.BENCH_HEAP_DIR;
const gc = (globalThis as { gc?: () => void }).gc;
if (dir && gc) {
  process.on('SIGUSR2', () => {
    gc();
    gc(); // a second pass frees what the first one's finalisers released
    const code = getHeapSpaceStatistics().find((s) => s.space_name === 'code_space')?.space_used_size ?? 0;
    let children = 0;
    try {
      children = readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).length;
    } catch {
      // not Linux: left at 0
    }
    const m = process.memoryUsage();
    const sample: HeapSample = {
      t: Date.now(),
      heapUsed: getHeapStatistics().used_heap_size,
      codeSpace: code,
      external: m.external,
      rss: m.rss,
      fds: readdirSync('/proc/self/fd').length, // includes the one the listing holds
      children,
    };
    appendFileSync(`${dir}/${process.pid}.ndjson`, JSON.stringify(sample) + '\n');
  });
}
