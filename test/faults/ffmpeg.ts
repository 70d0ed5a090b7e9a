// ffmpeg missing, crashing, hanging or slow under rec-segment's streaming
// encode (rec-sidecars has a working one, except where it is missing too):
// every event must still end as a good .opus, encoded from its WAV.
import { readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { FIXTURES } from '../helpers.js';
import { rigTrial, sleepUntilWorld } from './trial.js';
import type { Scenario } from './types.js';

const streamFailures = (n: number | undefined) => (n ? `status streamingEncode.failures=${n}` : null);

function broken(id: string, fault: string, fixture: string): Scenario {
  return {
    id,
    fault,
    trials: { short: 1, long: 2 },
    run: (ctx) =>
      rigTrial(ctx, {
        speed: 1,
        lengthMs: 20_000,
        rig: { args: { segment: ['--ffmpeg', join(FIXTURES, fixture)] } },
        fault: async (rig, world) => {
          await sleepUntilWorld(world, world.lengthMs);
          const s = rig.status()?.streamingEncode;
          return { visible: streamFailures(s?.failures) + (s?.suspended ? ', suspended' : ''), note: s?.suspended ? 'streaming suspended' : undefined };
        },
      }),
  };
}

export const scenarios: Scenario[] = [
  broken('ffmpeg-crash', 'streaming ffmpeg exits 1 mid-event', 'ffmpeg-exit1'),
  broken('ffmpeg-hang', 'streaming ffmpeg hangs (killed after the close timeout)', 'ffmpeg-hang'),
  broken('ffmpeg-slow', 'streaming ffmpeg at half real time', 'ffmpeg-slow'),
  {
    id: 'ffmpeg-missing',
    fault: 'ffmpeg missing for rec-segment and rec-sidecars, installed mid-run',
    trials: { short: 1, long: 2 },
    run: (ctx) => {
      const ffmpeg = join(ctx.dir, 'bin', 'ffmpeg');
      return rigTrial(ctx, {
        speed: 1,
        lengthMs: 20_000,
        rig: { args: { segment: ['--ffmpeg', ffmpeg], sidecars: ['--ffmpeg', ffmpeg] } },
        fault: async (rig, world) => {
          await sleepUntilWorld(world, 12_000);
          const visible = /ffmpeg is missing/.test(rig.log('segment')) && /ffmpeg is missing/.test(rig.log('sidecars')) ? 'log: "ffmpeg is missing" (both)' : null;
          const real = (await execa('sh', ['-c', 'command -v ffmpeg'])).stdout.trim();
          await execa('mkdir', ['-p', join(ctx.dir, 'bin')]);
          await symlink(real, ffmpeg);
          // Recovered: the jobs recorded while it was missing are done.
          const waiting = (await readdir(rig.spool)).filter((f) => f.endsWith('.job.json'));
          const took = await rig.until(async () => {
            const left = await readdir(rig.spool).catch(() => [] as string[]);
            return waiting.every((j) => !left.includes(j));
          }, 90_000);
          const retried = `${waiting.length} jobs waited`;
          return { recoveryMs: took, visible, note: retried };
        },
      });
    },
  },
];
