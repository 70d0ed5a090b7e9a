// Measuring a command line: exact CPU seconds of its whole process tree (from
// the shell's `times`, which counts every waited-for descendant) and peak RSS,
// sampled from /proc every 20 ms (per program and in total); and printing rows as tables
// (aligned plain text, or markdown).
import { readFile, readdir } from 'node:fs/promises';
import { execa } from 'execa';

export interface Measured {
  wallS: number;
  cpuS: number;
  userS: number;
  sysS: number;
  peakRssMb: number;
  /** Peak RSS per program name (comm), MB. */
  peakRssByProgram: Record<string, number>;
  exitCode: number;
  stdout: string;
  stderr: string;
}

function parseTimes(line: string): number {
  const m = /(\d+)m([\d.]+)s/.exec(line);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

async function processTree(root: number): Promise<Array<{ pid: number; comm: string; rssKb: number }>> {
  const entries = await readdir('/proc');
  const info = new Map<number, { ppid: number; comm: string; rssKb: number }>();
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        try {
          const status = await readFile(`/proc/${e}/status`, 'utf8');
          const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
          const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
          const comm = /Name:\s+(\S+)/.exec(status)?.[1] ?? '?';
          info.set(Number(e), { ppid, comm, rssKb });
        } catch {
          // Gone while we looked.
        }
      }),
  );
  const out: Array<{ pid: number; comm: string; rssKb: number }> = [];
  const want = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of info) {
      if (!want.has(pid) && want.has(p.ppid)) {
        want.add(pid);
        grew = true;
      }
    }
  }
  for (const pid of want) {
    const p = info.get(pid);
    if (p && pid !== root) out.push({ pid, comm: p.comm, rssKb: p.rssKb });
  }
  return out;
}

/** Run `command` with bash and measure it. */
export async function measure(command: string, opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Measured> {
  const started = performance.now();
  const child = execa('bash', ['-c', `${command}\nrc=$?\ntimes >&2\nexit $rc`], { reject: false, ...opts, all: false });
  let peak = 0;
  const byProgram: Record<string, number> = {};
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const tree = child.pid ? await processTree(child.pid) : [];
      const total = tree.reduce((s, p) => s + p.rssKb, 0);
      peak = Math.max(peak, total);
      const sums: Record<string, number> = {};
      for (const p of tree) sums[p.comm] = (sums[p.comm] ?? 0) + p.rssKb;
      for (const [k, v] of Object.entries(sums)) byProgram[k] = Math.max(byProgram[k] ?? 0, v);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const r = await child;
  sampling = false;
  await sampler;
  const wallS = (performance.now() - started) / 1000;
  const lines = String(r.stderr).trimEnd().split('\n');
  const childTimes = lines.at(-1) ?? '';
  const [u, s] = childTimes.split(/\s+/).map(parseTimes);
  const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
  return {
    wallS,
    userS: u ?? NaN,
    sysS: s ?? NaN,
    cpuS: (u ?? NaN) + (s ?? NaN),
    peakRssMb: mb(peak),
    peakRssByProgram: Object.fromEntries(Object.entries(byProgram).map(([k, v]) => [k, mb(v)])),
    exitCode: r.exitCode ?? -1,
    stdout: String(r.stdout),
    stderr: lines.slice(0, -2).join('\n'),
  };
}

/** Print rows as an aligned plain-text table. */
export function table(rows: Array<Record<string, string | number>>): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => String(r[k] ?? ''))))].join('\n');
}

/** Print rows as a markdown table (cells with '|' escaped). */
export function markdownTable(rows: Array<Record<string, string | number>>): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const cell = (v: unknown) => String(v ?? '').replace(/\|/g, '\\|');
  const line = (vals: string[]) => `| ${vals.join(' | ')} |`;
  return [line(keys.map(cell)), line(keys.map(() => '---')), ...rows.map((r) => line(keys.map((k) => cell(r[k]))))].join('\n');
}
