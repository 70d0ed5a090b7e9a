// Runs the clock scenarios alone (they are not in scenarios.ts yet):
// node dist/test/faults/clock-run.js [--form short|long] [--only id[,id]]
import { runScenario, table, type Row } from './run.js';
import { scenarios } from './clock.js';

const args = process.argv.slice(2);
const form = args.includes('--form') && args[args.indexOf('--form') + 1] === 'long' ? 'long' : 'short';
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : null;
const rows: Row[] = [];
for (const s of scenarios.filter((s) => !only || only.includes(s.id))) {
  rows.push(
    await runScenario(s, form, (r, i) => {
      console.error(`${s.id} #${i + 1}: lost ${r.audioLostMs} ms, leaked ${r.leaked.length}${r.leaked.length ? ` (${r.leaked.join(', ')})` : ''}, recovery ${r.recoveryMs} ms; visible ${r.visible}; ${r.note ?? ''}`);
      if (process.env.FAULTS_DETAIL) console.error(JSON.stringify(r.detail));
    }),
  );
}
console.log(table(rows));
process.exitCode = rows.some((r) => r.trials.some((t) => t.audioLostMs !== 0 || t.leaked.length > 0 || t.recoveryMs === null)) ? 1 : 0;
