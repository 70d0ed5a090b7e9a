// The processes of the rec-serve fault scenarios: a real-time pipeline and
// rec-serve, each started in its own process group so that it can be ended whole
// by its id, and what /proc says about them (children, RSS, liveness).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { bin } from '../helpers.js';
import type { EventLine } from '../../src/lib/contracts.js';
import { mulberry32 } from '../../bench/prng.js';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** R, S, D, Z, … (/proc/<pid>/stat) */
  state: string;
  comm: string;
}

export async function procInfo(pid: number): Promise<ProcInfo | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  const close = stat.lastIndexOf(')');
  const f = stat.slice(close + 2).split(' ');
  return { pid, comm: stat.slice(stat.indexOf('(') + 1, close), state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]) };
}

/** Running (not zombie) and, when given, still the program it was (pids are reused). */
export async function alive(pid: number, comm?: string): Promise<boolean> {
  const p = await procInfo(pid);
  return !!p && p.state !== 'Z' && p.state !== 'X' && (comm === undefined || p.comm === comm);
}

/** Live (not zombie) children of `pid`. */
export async function childrenOf(pid: number): Promise<ProcInfo[]> {
  const list = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const kids = await Promise.all(list.trim().split(/\s+/).filter(Boolean).map((p) => procInfo(Number(p))));
  return kids.filter((k): k is ProcInfo => !!k && k.state !== 'Z' && k.state !== 'X');
}

/** Every live process of a process group (a group outlives its leader). */
export async function groupMembers(pgid: number): Promise<ProcInfo[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  const all = await Promise.all(pids.map((p) => procInfo(Number(p))));
  return all.filter((p): p is ProcInfo => !!p && p.pgid === pgid && p.state !== 'Z' && p.state !== 'X');
}

/** Resident memory of a process in MB (0 once it is gone). */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Anonymous resident memory in MB: the part of RSS that no other process shares and no reclaim can drop. */
export async function anonMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Private memory of a process in MB (what it adds to its cgroup beyond shared libraries). */
export async function privateMb(pid: number): Promise<number> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
  return (kb('Private_Clean') + kb('Private_Dirty')) / 1024;
}

/** Progress lines on stderr when SIEGE_DEBUG is set. */
export function debug(msg: string): void {
  if (process.env.SIEGE_DEBUG) process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
}

/**
 * Process groups started here and not yet ended. They are detached (so that each
 * can be ended whole), so they would outlive a harness that is killed, by a test
 * timeout say: its exit and its fatal signals end them first.
 */
const groups = new Set<number>();
let guarded = false;

function guard(pgid: number): void {
  groups.add(pgid);
  if (guarded) return;
  guarded = true;
  process.once('exit', () => {
    for (const g of groups) killGroup(g);
  });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGALRM'] as const) {
    process.once(sig, () => {
      for (const g of groups) killGroup(g);
      process.kill(process.pid, sig);
    });
  }
}

/** SIGKILL a whole process group; quiet when it is already gone. */
export function killGroup(pgid: number | undefined): void {
  if (!pgid) return;
  groups.delete(pgid);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // gone already
  }
}

export function killPid(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

/** `rec-capture --input FILE --realtime | rec-segment --out OUT …` in one process group. */
export class LivePipeline {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private out = '';
  private err = '';

  constructor(input: string, readonly root: string, extra: string[]) {
    const cmd = `node ${bin('rec-capture')} --input '${input}' --realtime | exec node ${bin('rec-segment')} --out '${root}' ${extra.join(' ')}`;
    this.proc = spawn('sh', ['-c', cmd], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.proc.pid) guard(this.proc.pid);
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.err = (this.err + d.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => this.proc.once('close', (code) => resolve(code)));
  }

  get pgid(): number | undefined {
    return this.proc.pid;
  }

  /** What rec-segment printed: one JSON object per line. */
  get events(): EventLine[] {
    return this.out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as EventLine);
  }

  get stderr(): string {
    return this.err;
  }

  /** Waits for the input to end and the segmenter to exit; null on timeout. */
  async finish(timeoutMs: number): Promise<number | null> {
    const timer = sleep(timeoutMs, 'timeout' as const);
    const r = await Promise.race([this.exited, timer]);
    return r === 'timeout' ? null : r;
  }

  kill(): void {
    killGroup(this.pgid);
  }
}

/** rec-serve in its own process group, with the environment its systemd unit gives it. */
export class ServeProc {
  readonly proc: ChildProcess;
  readonly url: Promise<string>;
  private err = '';

  constructor(args: string[], env: Record<string, string>) {
    this.proc = spawn('node', [bin('rec-serve'), ...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    if (this.proc.pid) guard(this.proc.pid);
    this.proc.stderr!.on('data', (d: Buffer) => (this.err = (this.err + d.toString()).slice(-8000)));
    this.url = new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`rec-serve did not print its URL: ${this.err}`)), 15_000);
      this.proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.split('\n')[0]!.replace(/\/$/, ''));
        }
      });
      this.proc.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`rec-serve exited (${code}): ${this.err}`));
      });
    });
    this.url.catch(() => undefined);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get stderr(): string {
    return this.err;
  }

  /** The whole group: rec-serve and any child it left behind. */
  kill(): void {
    killGroup(this.proc.pid);
  }
}

/** NODE_OPTIONS from systemd/rec-serve.service (the heap limit rec-serve runs with on the Pi). */
export async function unitSetting(unitFile: string, pattern: RegExp): Promise<string | undefined> {
  return pattern.exec(await readFile(unitFile, 'utf8').catch(() => ''))?.[1];
}

/** Tone bursts (seeded lengths and pitches) after a lead-in of silence, as a WAV of `seconds`. */
export async function toneBursts(path: string, seconds: number, rnd: () => number, leadS = 1.5): Promise<string> {
  // Each burst: 1.8–3.2 s of tone, then 1.2–1.8 s of quiet (longer than --hang).
  const parts: string[] = [];
  let t = leadS;
  while (t < seconds - 2) {
    const on = 1.8 + rnd() * 1.4;
    const off = 1.2 + rnd() * 0.6;
    const f = Math.round(250 + rnd() * 600);
    parts.push(`between(t,${t.toFixed(3)},${(t + on).toFixed(3)})*0.4*sin(2*PI*${f}*t)`);
    t += on + off;
  }
  // Commas inside a filter's options must be escaped in a filtergraph.
  const expr = (parts.join('+') || '0').replace(/,/g, '\\,');
  await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc=${expr}:s=48000:d=${seconds}`, '-ac', '1', path]);
  return path;
}

/** A small seeded PRNG, so every trial is repeatable. */
export const prng = mulberry32;
