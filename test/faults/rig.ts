// The pipeline as systemd runs it, for the fault matrix: rec-capture → FIFO →
// rec-segment → FIFO → rec-sidecars --follow, each stage its own process,
// restarted after `restartMs` whenever it exits (Restart=always). Both FIFOs
// are held open by the rig as systemd's ListenFIFO= sockets hold them, with the
// PCM pipe at 1 MiB (PipeSize=1M), so a stage can die and come back without its
// neighbours noticing. The microphone is test/fixtures/arecord-world.mjs.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { SegmenterStatus } from '../../src/lib/contracts.js';
import { FIXTURES, bin } from '../helpers.js';
import type { World } from './world.js';

export type Stage = 'capture' | 'segment' | 'sidecars';
export const STAGES: Stage[] = ['capture', 'segment', 'sidecars'];

export interface RigOptions {
  dir: string;
  world: World;
  /** Recordings root (default <dir>/rec) and spool (default <out>/.spool). */
  out?: string;
  spool?: string;
  args?: Partial<Record<Stage, string[]>>;
  env?: Partial<Record<Stage, Record<string, string>>>;
  /** Delay before a stage that exited is started again (ms). */
  restartMs?: number;
}

export interface StageExit {
  stage: Stage;
  pid: number;
  code: number | null;
  signal: string | null;
  atMs: number;
}

export class Rig {
  readonly out: string;
  readonly spool: string;
  readonly micLog: string;
  readonly micCtl: string;
  readonly exits: StageExit[] = [];
  private readonly procs = new Map<Stage, ChildProcess>();
  private readonly started = new Map<Stage, number>();
  private readonly holders: number[] = [];
  private readonly pcmFifo: string;
  private readonly eventsFifo: string;
  private stopping = false;
  private readonly paused = new Set<Stage>();

  constructor(private readonly opts: RigOptions) {
    this.out = opts.out ?? join(opts.dir, 'rec');
    this.spool = opts.spool ?? join(this.out, '.spool');
    this.micLog = join(opts.dir, 'mic.ndjson');
    this.micCtl = join(opts.dir, 'mic-ctl');
    this.pcmFifo = join(opts.dir, 'pcm.fifo');
    this.eventsFifo = join(opts.dir, 'events.fifo');
  }

  log(stage: Stage): string {
    try {
      return readFileSync(join(this.opts.dir, `${stage}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  async start(): Promise<void> {
    mkdirSync(this.micCtl, { recursive: true });
    mkdirSync(this.out, { recursive: true });
    for (const fifo of [this.pcmFifo, this.eventsFifo]) {
      await execa('mkfifo', [fifo]);
      // O_RDWR: the pipe exists while the rig lives, like systemd's ListenFIFO=.
      this.holders.push(openSync(fifo, 'r+'));
    }
    // PipeSize=1M, as systemd/rec-capture.socket sets it (Node cannot call fcntl).
    await execa('python3', ['-c', `import os,fcntl; fd=os.open(${JSON.stringify(this.pcmFifo)}, os.O_RDWR|os.O_NONBLOCK); fcntl.fcntl(fd, 1031, 1<<20)`]);
    for (const s of ['sidecars', 'segment', 'capture'] as const) this.spawn(s);
    // The world begins when rec-segment is up (its status names it); the
    // microphone waits for it, as a room waits for nobody.
    const up = await this.until(() => this.status()?.pid === this.pid('segment'), 30_000);
    if (up === null) throw new Error(`rec-segment did not start: ${this.log('segment').slice(-300)}`);
    await sleep(300);
    this.opts.world.epochMs = Date.now();
    // Whole or not at all: the microphone reads it as soon as it exists.
    writeFileSync(join(this.opts.dir, 'world.json.tmp'), JSON.stringify(this.opts.world));
    renameSync(join(this.opts.dir, 'world.json.tmp'), join(this.opts.dir, 'world.json'));
  }

  private command(stage: Stage): string[] {
    const extra = this.opts.args?.[stage] ?? [];
    switch (stage) {
      case 'capture':
        return [bin('rec-capture'), '--device', 'world', '--arecord', join(FIXTURES, 'arecord-world.mjs'), '--retry-delay', '0.2', ...extra];
      case 'segment':
        return [bin('rec-segment'), '--out', this.out, '--spool', this.spool, '--trigger', 'level', '--hang', '1', ...extra];
      case 'sidecars':
        return [bin('rec-sidecars'), '--out', this.out, '--spool', this.spool, '--follow', '--retry', '1', ...extra];
    }
  }

  private spawn(stage: Stage): void {
    const fds: number[] = [];
    const open = (path: string, flags: string) => {
      const fd = openSync(path, flags);
      fds.push(fd);
      return fd;
    };
    const err = open(join(this.opts.dir, `${stage}.log`), 'a');
    const stdio: Array<number | 'ignore'> =
      stage === 'capture'
        ? ['ignore', open(this.pcmFifo, 'w'), err]
        : stage === 'segment'
          ? [open(this.pcmFifo, 'r'), open(this.eventsFifo, 'w'), err]
          : [open(this.eventsFifo, 'r'), open(join(this.opts.dir, 'ready.ndjson'), 'a'), err];
    const env = {
      ...process.env,
      LOG_LEVEL: 'info',
      FAKE_MIC_WORLD: join(this.opts.dir, 'world.json'),
      FAKE_MIC_LOG: this.micLog,
      FAKE_MIC_CTL: this.micCtl,
      ...this.opts.env?.[stage],
    };
    const p = spawn('node', this.command(stage), { stdio, env });
    for (const fd of fds) closeSync(fd);
    this.procs.set(stage, p);
    this.started.set(stage, Date.now());
    p.on('exit', (code, signal) => {
      this.exits.push({ stage, pid: p.pid ?? 0, code, signal, atMs: Date.now() });
      if (this.procs.get(stage) === p) this.procs.delete(stage);
      if (this.stopping || this.paused.has(stage)) return;
      setTimeout(() => {
        if (!this.stopping && !this.procs.has(stage) && !this.paused.has(stage)) this.spawn(stage);
      }, this.opts.restartMs ?? 1000);
    });
  }

  pid(stage: Stage): number | null {
    return this.procs.get(stage)?.pid ?? null;
  }

  startedAt(stage: Stage): number {
    return this.started.get(stage) ?? 0;
  }

  /** kill -9 (or another signal) the stage's node process; it is restarted. */
  kill(stage: Stage, signal: NodeJS.Signals = 'SIGKILL'): number {
    this.procs.get(stage)?.kill(signal);
    return Date.now();
  }

  /** Stop a stage and keep it stopped (systemctl stop), or let it run again. */
  async pause(stage: Stage): Promise<void> {
    this.paused.add(stage);
    const p = this.procs.get(stage);
    if (p) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await gone;
    }
  }

  resume(stage: Stage): void {
    this.paused.delete(stage);
    if (!this.procs.has(stage)) this.spawn(stage);
  }

  status(): SegmenterStatus | null {
    try {
      return JSON.parse(readFileSync(join(this.spool, 'segmenter_status.json'), 'utf8')) as SegmenterStatus;
    } catch {
      return null;
    }
  }

  /** Waits until `pred` holds (polled every 50 ms); the time it took, or null after the timeout. */
  async until(pred: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number | null> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (await pred()) return Date.now() - t0;
      await sleep(50);
    }
    return null;
  }

  /** Stops every stage (capture first, so the last event ends), then releases the FIFOs. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const stage of STAGES) {
      const p = this.procs.get(stage);
      if (!p) continue;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const killed = setTimeout(() => p.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(killed);
    }
    for (const fd of this.holders.splice(0)) closeSync(fd);
  }
}
