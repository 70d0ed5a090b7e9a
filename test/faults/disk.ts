// Space and permission faults, on small tmpfs mounts (root only): the spool
// full, the recordings disk full, the recordings directory read-only. Each lasts
// part of the run and is then lifted; the pipeline must catch up by itself.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freeBytes } from '../../src/lib/disk.js';
import { rigTrial, sleepUntilWorld, pendingWork } from './trial.js';
import type { Scenario } from './types.js';
import type { Rig } from './rig.js';

export async function mount(dir: string, sizeMb: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir]);
}

export const umount = (dir: string) => execa('umount', ['-l', dir], { reject: false });

/** Null when this machine lets us mount a tmpfs (root, or CAP_SYS_ADMIN). */
export async function cannotMount(): Promise<string | null> {
  const dir = await mkdtemp(join(tmpdir(), 'rec-mount-'));
  try {
    await mount(dir, 1);
    await umount(dir);
    return null;
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Fill the filesystem of `dir` to the last few KB. */
async function fill(dir: string): Promise<string> {
  const filler = join(dir, 'filler');
  const free = (await freeBytes(dir)) ?? 0;
  await execa('sh', ['-c', `head -c ${free} /dev/zero > ${filler}`], { reject: false });
  return filler;
}

/** From the moment the fault is lifted until every job waiting then is done. */
async function caughtUp(rig: Rig, lifted: number): Promise<number | null> {
  const took = await rig.until(async () => (await pendingWork(rig)).every((f) => !f.endsWith('.job.json')), 90_000);
  return took === null ? null : Date.now() - lifted;
}

function diskScenario(id: string, fault: string, where: 'spool' | 'out', inject: (dir: string) => Promise<() => Promise<void>>): Scenario {
  return {
    id,
    fault,
    trials: { short: 1, long: 2 },
    unavailable: cannotMount,
    run: async (ctx) => {
      const out = join(ctx.dir, 'rec');
      const spool = join(ctx.dir, 'spool');
      const mounted = where === 'spool' ? spool : out;
      await mount(mounted, where === 'spool' ? 8 : 16);
      try {
        return await rigTrial(ctx, {
          speed: 1,
          lengthMs: 26_000,
          rig: { out, spool, args: { sidecars: ['--min-free', '1'] } },
          fault: async (rig, world) => {
            await sleepUntilWorld(world, 7000);
            const lift = await inject(mounted);
            await sleepUntilWorld(world, 17_000);
            const segLog = rig.log('segment');
            const sideLog = rig.log('sidecars');
            const s = rig.status();
            await lift();
            const lifted = Date.now();
            const visible =
              [
                /cannot write to the spool|ENOSPC|EROFS/.test(segLog) ? 'rec-segment log' : '',
                /ENOSPC|EROFS|low on space|space/i.test(sideLog) ? 'rec-sidecars log' : '',
                s?.spool.error ? `status spool.error` : '',
                s?.streamingEncode.failures ? `status streamingEncode.failures=${s.streamingEncode.failures}` : '',
              ]
                .filter(Boolean)
                .join(', ') || null;
            return { recoveryMs: await caughtUp(rig, lifted), visible };
          },
        });
      } finally {
        await umount(mounted);
      }
    },
  };
}

export const scenarios: Scenario[] = [
  diskScenario('spool-full', 'spool (tmpfs) full for 10 s', 'spool', async (dir) => {
    const filler = await fill(dir);
    return () => rm(filler, { force: true });
  }),
  diskScenario('disk-full', 'recordings disk full for 10 s', 'out', async (dir) => {
    const filler = await fill(dir);
    return () => rm(filler, { force: true });
  }),
  diskScenario('read-only', 'recordings directory read-only for 10 s', 'out', async (dir) => {
    // A mount with a file open for writing (an event's partial) cannot turn
    // read-only: it does between two events.
    for (let i = 0; (await execa('mount', ['-o', 'remount,ro', dir], { reject: false })).exitCode !== 0; i++) {
      if (i > 200) throw new Error('could not remount read-only within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return async () => {
      await execa('mount', ['-o', 'remount,rw', dir]);
    };
  }),
];

