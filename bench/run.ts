// `npm run bench`: runs the benchmarks and prints their figures (not a test).
// BENCH_MINUTES sets the length of the generated input (default 10).
import { runEncodeBench } from './encode.js';

const minutes = Number(process.env.BENCH_MINUTES ?? 10);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
console.log(`rec-tools benchmarks — ${new Date().toISOString()} — node ${process.version}`);
await runEncodeBench({ minutes, repeats });
