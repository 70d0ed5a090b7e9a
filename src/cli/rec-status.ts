// rec-status: segmenter_status.json for people and monitors: a short summary,
// the validated object (--json), a live view (--watch), or a health check
// (--check: exit 0 healthy, 1 not) for a systemd timer, cron or an agent.
import { watch } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, runTool, toolLogger, numberOption, type ToolCli } from '../lib/cli.js';
import { CliError, EX } from '../lib/exit-codes.js';
import { readStatus } from '../status/read-status.js';
import { checkHealth, formatSummary } from '../status/summary.js';

const NAME = 'rec-status';

const cli: ToolCli = {
  name: NAME,
  usage: '$0 [options]',
  description: "Show rec-segment's status file: capturing or idle, levels, the current and last event, encoder and spool health, and how fresh it is.",
  examples: [
    ['$0 --out /srv/rec', 'a summary'],
    ['$0 --json | jq .level.rmsDbfs', 'the validated status object'],
    ['$0 --check --max-pending-jobs 50 || echo "recorder unhealthy"', 'for cron, a systemd timer or a monitoring agent'],
    ['$0 --watch', 'redraw whenever it changes'],
  ],
  epilog:
    'Exit status: 0 shown (or healthy with --check), 1 unhealthy (--check), 64 usage, 65 status file corrupt or not a status file ' +
    '(a symlink, FIFO, device or directory, or over 1 MiB), 66 status file missing.',
  noEnv: ['json', 'watch', 'check'],
  configure: (y) => y.conflicts({ json: ['watch', 'check'], watch: 'check' }),
  options: {
    out: { describe: 'Recordings root (the status file is looked for in <out>/.spool)', type: 'string', default: './recordings', requiresArg: true },
    spool: { describe: 'Spool directory (default <out>/.spool)', type: 'string', requiresArg: true },
    'status-file': { describe: 'Status file (default <spool>/segmenter_status.json)', type: 'string', requiresArg: true },
    json: { describe: 'Print the validated status object as JSON, with ageMs and stale added', type: 'boolean' },
    watch: { describe: 'Redraw the summary whenever the file changes (Ctrl-C ends)', type: 'boolean' },
    check: { describe: 'Print problems only; exit 0 when healthy, 1 when not', type: 'boolean' },
    'max-age': numberOption('--check: a status older than this (seconds) is stale', { default: 15, min: 1 }),
    'max-pending-jobs': numberOption('--check: more job files waiting in the spool than this is a backlog', { default: 20, min: 0, integer: true }),
    'min-free': numberOption('--check: less free space than this (MB) on the spool or disk is a problem', { default: 100, min: 0 }),
  },
};

runTool(NAME, async () => {
  const args = parseArgs(cli);
  const log = toolLogger(NAME, args);
  const out = resolve(args.out as string);
  const spool = resolve((args.spool as string | undefined) ?? join(out, '.spool'));
  const path = resolve((args['status-file'] as string | undefined) ?? join(spool, 'segmenter_status.json'));
  const maxAgeMs = (args['max-age'] as number) * 1000;

  const once = async (): Promise<number> => {
    const r = await readStatus(path, Date.now(), maxAgeMs);
    // Corrupt, or not a status file at all (a FIFO, a device, a symlink, huge): bad data, 65.
    if (!r.ok) throw new CliError(r.reason === 'missing' ? EX.NOINPUT : EX.DATAERR, r.message);
    if (args.json) {
      process.stdout.write(JSON.stringify({ ...r.status, ageMs: r.ageMs, stale: r.stale }) + '\n');
      return EX.OK;
    }
    if (args.check) {
      const problems = checkHealth(r.status, r.ageMs, { maxAgeMs, maxPendingJobs: args['max-pending-jobs'] as number, minFreeBytes: (args['min-free'] as number) * 1024 * 1024 });
      for (const p of problems) process.stdout.write(`${p}\n`);
      return problems.length ? EX.FAILURE : EX.OK;
    }
    process.stdout.write(formatSummary(r.status, r.ageMs, r.stale));
    return EX.OK;
  };

  if (!args.watch) return once();

  // --watch: redraw on every change of the file (a rename into its folder), and
  // every second anyway so the ages tick and a dead segmenter shows as stale.
  const clear = process.stdout.isTTY ? '\x1b[H\x1b[2J' : '';
  const draw = async () => {
    try {
      const r = await readStatus(path, Date.now(), maxAgeMs);
      process.stdout.write(clear + (r.ok ? formatSummary(r.status, r.ageMs, r.stale) : `${r.message}\n`) + (clear ? '' : '\n'));
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'cannot read the status file');
    }
  };
  let pending: NodeJS.Timeout | undefined;
  try {
    watch(dirname(path), (_e, name) => {
      if (name?.toString() !== join(path).split('/').pop()) return;
      clearTimeout(pending);
      pending = setTimeout(() => void draw(), 50);
    });
  } catch (err) {
    throw new CliError(EX.NOINPUT, `${dirname(path)}: cannot watch (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  setInterval(() => void draw(), 1000);
  await draw();
  await new Promise<void>((resolveStop) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => resolveStop());
  });
  return EX.OK;
});
