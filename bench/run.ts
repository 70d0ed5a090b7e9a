// `npm run bench`: runs the benchmarks and prints their figures (not a test).
// BENCH_MINUTES sets the length of the generated input (default 10), BENCH_TV_MINUTES
// the household set's TV-next-door file for the segment bench (default 60), BENCH_REPEATS
// the runs per variant (best is kept), BENCH_REALTIME_S the real-time run (30 s),
// BENCH_ONLY one of detector, segment (household included), household, encode, stream, serve, soak, pipeline (BENCH_EVENTS:
// real-time events for the streaming latency, default 20; BENCH_SOAK_HOURS, default 6, and
// BENCH_NODE_OPTIONS for the soak; BENCH_SOAK_PERIOD, seconds between events, default 60;
// BENCH_SOAK_HEAP=1 adds heap-after-GC samples, every BENCH_SOAK_HEAP_S seconds, default 10;
// BENCH_PIPELINE_MINUTES, default 30, BENCH_PIPELINE_REALTIME_S, default 120,
// BENCH_PIPELINE_VARIANT_MINUTES for the NODE_OPTIONS runs, default 10, and
// BENCH_PIPELINE_VARIANTS=0 to skip them, for the pipeline).
import { runEncodeBench } from './encode.js';
import { runSegmentBench } from './segment.js';
import { runHouseholdBench } from './segment-household.js';
import { runDetectorBench } from './detector.js';
import { runStreamBench } from './stream.js';
import { runServeBench } from './serve.js';
import { runSoakBench } from './soak.js';
import { runPipelineBench } from './pipeline.js';

const minutes = Number(process.env.BENCH_MINUTES ?? 10);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
console.log(`rec-tools benchmarks — ${new Date().toISOString()} — node ${process.version}`);
const only = process.env.BENCH_ONLY; // encode | segment | household | detector | stream | serve | soak | pipeline
if (!only || only === 'detector') await runDetectorBench();
if (!only || only === 'segment') await runSegmentBench({ minutes });
if (!only || only === 'segment' || only === 'household') await runHouseholdBench({ minutes, tvMinutes: Number(process.env.BENCH_TV_MINUTES ?? 60) });
if (!only || only === 'encode') await runEncodeBench({ minutes, repeats, realtimeSeconds: Number(process.env.BENCH_REALTIME_S ?? 30) });
if (!only || only === 'stream') await runStreamBench({ minutes, events: Number(process.env.BENCH_EVENTS ?? 20) });
if (!only || only === 'serve') await runServeBench();
if (!only || only === 'soak')
  await runSoakBench({
    hours: Number(process.env.BENCH_SOAK_HOURS ?? 6),
    nodeOptions: process.env.BENCH_NODE_OPTIONS ?? '',
    periodS: Number(process.env.BENCH_SOAK_PERIOD ?? 60),
    heapEveryS: process.env.BENCH_SOAK_HEAP === '1' ? Number(process.env.BENCH_SOAK_HEAP_S ?? 10) : null,
  });
if (!only || only === 'pipeline')
  await runPipelineBench({
    minutes: Number(process.env.BENCH_PIPELINE_MINUTES ?? 30),
    realtimeSeconds: Number(process.env.BENCH_PIPELINE_REALTIME_S ?? 120),
    variants: process.env.BENCH_PIPELINE_VARIANTS !== '0',
    variantMinutes: Number(process.env.BENCH_PIPELINE_VARIANT_MINUTES ?? 10),
  });
