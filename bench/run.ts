// `npm run bench`: runs the benchmarks and prints their figures (not a test).
// BENCH_MINUTES sets the length of the generated input (default 10), BENCH_REPEATS
// the runs per variant (best is kept), BENCH_REALTIME_S the real-time run (30 s),
// BENCH_ONLY one of detector, segment, encode, stream, serve, soak (BENCH_EVENTS: real-time
// events for the streaming latency, default 20; BENCH_SOAK_HOURS, default 6, and
// BENCH_NODE_OPTIONS for the soak; BENCH_SOAK_PERIOD, seconds between events, default 60;
// BENCH_SOAK_HEAP=1 adds heap-after-GC samples, every BENCH_SOAK_HEAP_S seconds, default 10).
import { runEncodeBench } from './encode.js';
import { runSegmentBench } from './segment.js';
import { runDetectorBench } from './detector.js';
import { runStreamBench } from './stream.js';
import { runServeBench } from './serve.js';
import { runSoakBench } from './soak.js';

const minutes = Number(process.env.BENCH_MINUTES ?? 10);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
console.log(`rec-tools benchmarks — ${new Date().toISOString()} — node ${process.version}`);
const only = process.env.BENCH_ONLY; // encode | segment | detector | stream | serve | soak
if (!only || only === 'detector') await runDetectorBench();
if (!only || only === 'segment') await runSegmentBench({ minutes });
if (!only || only === 'encode') await runEncodeBench({ minutes, repeats, realtimeSeconds: Number(process.env.BENCH_REALTIME_S ?? 30) });
if (!only || only === 'stream') await runStreamBench({ minutes, events: Number(process.env.BENCH_EVENTS ?? 20) });
if (!only || only === 'serve') await runServeBench();
if (!only || only === 'soak') await runSoakBench({
    hours: Number(process.env.BENCH_SOAK_HOURS ?? 6),
    nodeOptions: process.env.BENCH_NODE_OPTIONS ?? '',
    periodS: Number(process.env.BENCH_SOAK_PERIOD ?? 60),
    heapEveryS: process.env.BENCH_SOAK_HEAP === '1' ? Number(process.env.BENCH_SOAK_HEAP_S ?? 10) : null,
  });
