// `npm run bench`: runs the benchmarks and prints their figures (not a test).
// BENCH_MINUTES sets the length of the generated input (default 10), BENCH_REPEATS
// the runs per variant (best is kept), BENCH_REALTIME_S the real-time run (30 s).
import { runEncodeBench } from './encode.js';

const minutes = Number(process.env.BENCH_MINUTES ?? 10);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
console.log(`rec-tools benchmarks — ${new Date().toISOString()} — node ${process.version}`);
await runEncodeBench({ minutes, repeats, realtimeSeconds: Number(process.env.BENCH_REALTIME_S ?? 30) });
