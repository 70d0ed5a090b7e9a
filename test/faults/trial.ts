// One trial on the rig: start the pipeline on a fresh world, inject the fault
// while the world plays, let everything settle, stop, and audit.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { audit } from './audit.js';
import { Rig, type RigOptions } from './rig.js';
import type { TrialContext, TrialResult } from './types.js';
import { makeWorld, type World } from './world.js';

export interface FaultOutcome {
  /** Omitted for a fault that lasts the whole run: recovery is then the wait, after the world ends, for every recording to be finished. */
  recoveryMs?: number | null;
  visible: string | null;
  note?: string;
}

export interface RigTrialOptions {
  /** World length (ms of world time; default 20 s in the short form, 30 s in the long) and how much faster than real time it runs. */
  lengthMs?: number;
  speed?: number;
  rig?: Omit<RigOptions, 'dir' | 'world'>;
  /** Runs while the world plays; injects the fault, waits for recovery. */
  fault: (rig: Rig, world: World, ctx: TrialContext) => Promise<FaultOutcome>;
  /** Longest wait for the pipeline to finish its work after the world ends. */
  settleMs?: number;
}

/** Wall-clock time (ms) at which the world reaches `worldMs`. */
export const wallAt = (world: World, worldMs: number) => world.epochMs + worldMs / world.speed;

export async function sleepUntilWorld(world: World, worldMs: number): Promise<void> {
  const wait = wallAt(world, worldMs) - Date.now();
  if (wait > 0) await sleep(wait);
}

/** Anything left in the spool (jobs, WAVs, start records) or a partial under out. */
export async function pendingWork(rig: Rig): Promise<string[]> {
  const spool = (await readdir(rig.spool).catch(() => [] as string[])).filter((f) => !f.endsWith('_status.json'));
  const out = (await readdir(rig.out, { recursive: true }).catch(() => [] as string[])).map(String).filter((f) => f.includes('.partial.'));
  return [...spool, ...out];
}

export async function rigTrial(ctx: TrialContext, opts: RigTrialOptions): Promise<TrialResult> {
  // The short (CI) form plays a shorter world: fewer bursts, the same faults.
  const lengthMs = opts.lengthMs ?? (ctx.form === 'short' ? 20_000 : 30_000);
  const world = makeWorld(ctx.seed, { lengthMs, speed: opts.speed ?? 2 });
  const rig = new Rig({ dir: ctx.dir, world, ...opts.rig });
  try {
    await rig.start();
    const outcome = await opts.fault(rig, world, ctx);
    await sleepUntilWorld(world, world.lengthMs);
    // Settled: no event open, nothing in the spool, no partial.
    const settled = await rig.until(async () => rig.status()?.event === null && (await pendingWork(rig)).length === 0, opts.settleMs ?? 60_000);
    await rig.stop();
    const a = await audit({ out: rig.out, spool: rig.spool, world, micLog: join(ctx.dir, 'mic.ndjson') });
    const notes = [
      `${a.recordings} recordings of ${world.bursts.length} bursts`,
      a.notCapturedMs ? `${a.notCapturedMs} ms never captured` : '',
      a.duplicatedMs ? `${a.duplicatedMs} ms duplicated` : '',
      settled === null ? 'did not settle' : '',
      outcome.note ?? '',
    ].filter(Boolean);
    return {
      audioLostMs: a.audioLostMs,
      leaked: a.leaked,
      recoveryMs: settled === null ? null : outcome.recoveryMs === undefined ? settled : outcome.recoveryMs,
      visible: outcome.visible,
      note: notes.join('; '),
      detail: { bursts: a.bursts, exits: rig.exits.map((e) => ({ ...e, atMs: e.atMs - world.epochMs })) },
    };
  } finally {
    await rig.stop().catch(() => undefined);
    await execa('pkill', ['-KILL', '-f', ctx.dir], { reject: false });
  }
}
