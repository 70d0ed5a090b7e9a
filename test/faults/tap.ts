// The fault matrix's short form under tap: each scenario's trials must lose no
// audio, leak no file, recover by itself, and show the failure somewhere.
import type { Test } from 'tap';
import { runScenario } from './run.js';
import type { Scenario } from './types.js';

export function tapScenarios(t: Test, scenarios: Scenario[]): void {
  for (const s of scenarios) {
    t.test(`${s.id}: ${s.fault}`, async (t) => {
      if (s.longOnly) {
        t.pass(`long form only (npm run faults): ${s.longOnly}`, { skip: s.longOnly });
        return;
      }
      const row = await runScenario(s, 'short');
      if (row.unavailable) {
        t.pass(`not run: ${row.unavailable}`, { skip: row.unavailable });
        return;
      }
      for (const [i, r] of row.trials.entries()) {
        const n = `trial ${i + 1}`;
        t.comment(`${n}: ${r.note ?? ''}`);
        const extra = { detail: r.detail, ...(r.diagnosis ? { diagnosis: r.diagnosis } : {}) };
        if (s.allowance) t.ok(r.audioLostMs <= s.allowance.ms, `${n}: ${r.audioLostMs} ms lost, within ${s.allowance.ms} ms (${s.allowance.why})`, extra);
        else t.equal(r.audioLostMs, 0, `${n}: no audio lost`, extra);
        t.same(r.leaked, [], `${n}: no file left behind`, extra);
        t.not(r.recoveryMs, null, `${n}: recovered by itself (${r.recoveryMs} ms)`, extra);
        t.ok(r.visible, `${n}: the failure is visible (${r.visible})`);
      }
    });
  }
}
