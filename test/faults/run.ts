// `npm run faults`: the fault matrix in its long form (or --form short, --only
// id[,id]), printed and written to FAULTS.md as a table.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { allScenarios } from './scenarios.js';
import type { Scenario, TrialContext, TrialResult } from './types.js';

export interface Row {
  scenario: Scenario;
  trials: TrialResult[];
  unavailable: string | null;
}

export async function runScenario(s: Scenario, form: 'short' | 'long', onTrial?: (r: TrialResult, i: number) => void): Promise<Row> {
  const unavailable = (await s.unavailable?.()) ?? null;
  const trials: TrialResult[] = [];
  if (unavailable) return { scenario: s, trials, unavailable };
  for (let i = 0; i < s.trials[form]; i++) {
    const dir = await mkdtemp(join(tmpdir(), `rec-fault-${s.id}-`));
    const ctx: TrialContext = { seed: 1000 + i * 7919 + [...s.id].reduce((h, c) => h * 31 + c.charCodeAt(0), 0) % 10007, trial: i, dir, form };
    try {
      const r = await s.run(ctx).catch((err: Error) => ({ audioLostMs: NaN, leaked: [], recoveryMs: null, visible: null, note: `trial failed: ${err.message}` }) as TrialResult);
      if (!(r.audioLostMs === 0 && r.leaked.length === 0 && r.recoveryMs !== null)) r.diagnosis = await diagnosis(dir);
      trials.push(r);
      onTrial?.(r, i);
    } finally {
      if (process.env.FAULTS_KEEP) console.error(`kept ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    }
  }
  return { scenario: s, trials, unavailable };
}

/**
 * What a failed trial leaves to go on (its folder is deleted): each stage's
 * first lines and last warnings and errors, the microphone's log, and the
 * segmenter's last status.
 */
export async function diagnosis(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const stage of ['capture', 'segment', 'sidecars']) {
    const lines = (await readFile(join(dir, `${stage}.log`), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const worth = lines.filter((l) => /"level":[4-6]0/.test(l) || !l.startsWith('{'));
    out.push(`${stage}: ${lines.length} log lines`, ...lines.slice(0, 3).map((l) => `${stage} (start): ${l.slice(0, 300)}`), ...worth.slice(-15).map((l) => `${stage}: ${l.slice(0, 400)}`));
  }
  const mic = (await readFile(join(dir, 'mic.ndjson'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  out.push(`mic: ${mic.length} log lines`, ...(mic.length > 12 ? [...mic.slice(0, 6), '…', ...mic.slice(-6)] : mic).map((l) => `mic: ${l}`));
  const status = await readFile(join(dir, 'rec', '.spool', 'segmenter_status.json'), 'utf8').catch(() => 'none');
  out.push(`segmenter_status.json: ${status.slice(0, 600).trim()}`);
  return out;
}

export function table(rows: Row[]): string {
  const head = '| id | fault | trials | audio lost (ms) | files leaked | recovery (worst) | visible as | notes |\n|---|---|---|---|---|---|---|---|';
  const body = rows.map(({ scenario: s, trials, unavailable }) => {
    if (unavailable) return `| ${s.id} | ${s.fault} | 0 | – | – | – | – | not run: ${unavailable} |`;
    const lost = trials.reduce((a, t) => a + t.audioLostMs, 0);
    const leaked = trials.reduce((a, t) => a + t.leaked.length, 0);
    const rec = trials.map((t) => t.recoveryMs);
    const worst = rec.includes(null) ? 'did not recover' : `${(Math.max(...(rec as number[])) / 1000).toFixed(1)} s`;
    const visible = trials.find((t) => t.visible)?.visible ?? 'NOT VISIBLE';
    const notes = [s.allowance ? `allowed: ${s.allowance.why}` : '', ...new Set(trials.map((t) => t.note).filter(Boolean))].filter(Boolean).slice(0, 4).join('; ');
    return `| ${s.id} | ${s.fault} | ${trials.length} | ${lost} | ${leaked} | ${worst} | ${visible} | ${notes.replaceAll('|', '/')} |`;
  });
  return [head, ...body].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const form = args.includes('--form') && args[args.indexOf('--form') + 1] === 'short' ? 'short' : 'long';
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : null;
  const rows: Row[] = [];
  for (const s of allScenarios.filter((s) => !only || only.includes(s.id))) {
    const row = await runScenario(s, form, (r, i) => {
      console.error(`${s.id} #${i + 1}: lost ${r.audioLostMs} ms, leaked ${r.leaked.length}${r.leaked.length ? ` (${r.leaked.join(', ')})` : ''}, recovery ${r.recoveryMs} ms; ${r.note ?? ''}`);
      if (process.env.FAULTS_DETAIL) console.error(JSON.stringify(r.detail));
      if (r.diagnosis) console.error(r.diagnosis.join('\n'));
    });
    rows.push(row);
  }
  const file = join(ROOT, form === 'long' ? 'FAULTS.md' : 'FAULTS.short.md');
  // With --only, the other faults' rows are kept from the last full run.
  const previous = only ? await readFile(file, 'utf8').catch(() => '') : '';
  const kept = previous
    .split('\n')
    .filter((l) => /^\| [a-z0-9-]+ \|/.test(l) && !l.startsWith('| id |') && !rows.some((r) => l.startsWith(`| ${r.scenario.id} |`)));
  const order = (l: string) => allScenarios.findIndex((s) => l.startsWith(`| ${s.id} |`));
  const [head, sep, ...fresh] = table(rows).split('\n');
  const body = [...kept, ...fresh].sort((a, b) => order(a) - order(b));
  const md =
    `# Fault matrix\n\nGenerated by \`npm run faults\` (${form} form; \`-- --only ID[,ID]\` reruns some rows) on ${new Date().toISOString().slice(0, 10)}, ` +
    `node ${process.version}, on a 2-core VM. Each trial runs the whole pipeline on a generated world of tone bursts heard by a fake microphone, injects the fault, ` +
    `lets the pipeline recover by itself, then checks every burst against the recordings. Method: test/faults/README.md.\n\n${[head, sep, ...body].join('\n')}\n`;
  console.log(md);
  await writeFile(file, md);
  const bad = rows.some((r) => r.trials.some((t) => !(t.audioLostMs <= (r.scenario.allowance?.ms ?? 0)) || t.leaked.length > 0 || t.recoveryMs === null));
  process.exitCode = bad ? 1 : 0;
}
