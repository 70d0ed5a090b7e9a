// kill -9 of each stage at random moments (fixed seed), including mid-event,
// mid-rename (just as an event ends) and mid-job. systemd's part, restarting the
// stage, is played by the rig.
import { readdir } from 'node:fs/promises';
import { sleepUntilWorld, rigTrial, wallAt } from './trial.js';
import type { Scenario, TrialContext } from './types.js';
import { prng, type World } from './world.js';
import type { Rig } from './rig.js';

const KILLS = 3;

/** World moments to strike at: one random, one inside a burst, one just as an event ends (its rename). */
function moments(world: World, seed: number): number[] {
  const rnd = prng(seed ^ 0x5eed);
  const pick = () => world.bursts[Math.floor(rnd() * (world.bursts.length - 1))]!;
  const random = 4000 + rnd() * (world.lengthMs - 10_000);
  const b1 = pick();
  const midEvent = b1.startMs + rnd() * b1.durMs;
  const b2 = pick();
  // The event ends 1 s (the hang) after the burst; the rename follows within ms.
  const atEnd = b2.startMs + b2.durMs + 1000 + rnd() * 300;
  return [random, midEvent, atEnd].sort((a, b) => a - b);
}

/** Kills `stage` at each moment and waits for `recovered` after each; the worst recovery time. */
async function strike(rig: Rig, world: World, ctx: TrialContext, stage: 'capture' | 'segment', recovered: (killedAt: number) => Promise<boolean>) {
  let worst = 0;
  let kills = 0;
  let inEvent = 0;
  for (const at of moments(world, ctx.seed)) {
    await sleepUntilWorld(world, at);
    if (rig.status()?.event) inEvent++;
    const killedAt = rig.kill(stage);
    kills++;
    const took = await rig.until(() => recovered(killedAt), 30_000);
    if (took === null) return { recoveryMs: null, kills, inEvent };
    worst = Math.max(worst, took);
  }
  return { recoveryMs: worst, kills, inEvent };
}

export const scenarios: Scenario[] = [
  {
    id: 'none',
    fault: 'no fault (the control: the rig and the audit themselves)',
    trials: { short: 1, long: 3 },
    run: (ctx) => rigTrial(ctx, { fault: async () => ({ recoveryMs: 0, visible: 'nothing to see' }) }),
  },
  {
    id: 'kill-capture',
    fault: 'kill -9 rec-capture (random, mid-event, at an event end)',
    trials: { short: 1, long: 3 },
    run: (ctx) =>
      rigTrial(ctx, {
        speed: 1,
        fault: async (rig, world) => {
          // Recovered: a new microphone delivers and rec-segment counts its frames.
          const r = await strike(rig, world, ctx, 'capture', async (killedAt) => {
            const s = rig.status();
            return rig.startedAt('capture') > killedAt && s !== null && s.capturing && Date.parse(s.input.lastFrameAt ?? '') > rig.startedAt('capture') + 200;
          });
          const gaps = rig.status()?.input.gaps ?? 0;
          return {
            recoveryMs: r.recoveryMs,
            visible: gaps > 0 ? `status input.gaps=${gaps}; journal: SIGKILL, restarted` : null,
            note: `${r.kills} kills, ${r.inEvent} mid-event`,
          };
        },
      }),
  },
  {
    id: 'kill-segment',
    fault: 'kill -9 rec-segment (random, mid-event, mid-rename)',
    allowance: { ms: 3 * 700, why: 'a kill takes what rec-segment held only in memory: the onset frames of a sound not yet long enough to open an event, and the read it was working through (at most 64 KiB, 0.68 s at 48 kHz); measured 0' },
    trials: { short: 1, long: 3 },
    run: (ctx) =>
      rigTrial(ctx, {
        speed: 1,
        fault: async (rig, world) => {
          const r = await strike(rig, world, ctx, 'segment', async (killedAt) => {
            const s = rig.status();
            return rig.startedAt('segment') > killedAt && s !== null && s.pid === rig.pid('segment') && s.capturing;
          });
          const log = rig.log('segment');
          const recovered = (log.match(/recovered an event cut off by a crash/g) ?? []).length;
          return {
            recoveryMs: r.recoveryMs,
            visible: recovered > 0 ? `log: "recovered an event cut off by a crash" ×${recovered}` : 'journal: SIGKILL, restarted',
            note: `${r.kills} kills, ${r.inEvent} mid-event`,
          };
        },
      }),
  },
  {
    id: 'kill-sidecars',
    fault: 'kill -9 rec-sidecars mid-job',
    trials: { short: 1, long: 3 },
    run: (ctx) =>
      rigTrial(ctx, {
        fault: async (rig, world) => {
          const rnd = prng(ctx.seed ^ 0x51dec);
          let worst = 0;
          let kills = 0;
          for (let i = 0; i < KILLS; i++) {
            // A job is in the spool: rec-sidecars is at it (or about to be).
            const job = await rig.until(async () => (await readdir(rig.spool).catch(() => [] as string[])).some((f) => f.endsWith('.job.json')), wallAt(world, world.lengthMs) - Date.now());
            if (job === null) break;
            const jobs = (await readdir(rig.spool)).filter((f) => f.endsWith('.job.json'));
            await new Promise((r) => setTimeout(r, rnd() * 300));
            const killedAt = rig.kill('sidecars');
            kills++;
            const took = await rig.until(async () => {
              const left = await readdir(rig.spool).catch(() => [] as string[]);
              return jobs.every((j) => !left.includes(j));
            }, 60_000);
            if (took === null) return { recoveryMs: null, visible: null, note: `job ${jobs[0]} never finished after the kill at ${killedAt}` };
            worst = Math.max(worst, took);
          }
          return { recoveryMs: worst, visible: 'journal: SIGKILL, restarted; the job is redone', note: `${kills} kills mid-job` };
        },
      }),
  },
];
