// Faults of the input itself: a microphone that stalls (no data for a while),
// a device that goes away mid-sample and comes back, and a device that delivers
// its audio in odd-sized pieces with a burst of garbage in it. The fake
// microphone (test/fixtures/arecord-world.mjs) plays each part.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { bin } from '../helpers.js';
import { rigTrial, sleepUntilWorld, wallAt } from './trial.js';
import { readText } from './audit.js';
import type { Rig } from './rig.js';
import type { Scenario } from './types.js';
import { makeWorld, prng, type World } from './world.js';

/** rec-status --check on the rig's status file: exit code and output. */
export async function statusCheck(rig: Rig): Promise<{ code: number; out: string }> {
  const r = await execa('node', [bin('rec-status'), '--check', '--status-file', join(rig.spool, 'segmenter_status.json')], { reject: false });
  return { code: r.exitCode ?? -1, out: `${r.stdout}\n${r.stderr}`.trim() };
}

/** Frames flow again: rec-segment is capturing and its last frame is newer than `since` (wall ms). */
function flowing(rig: Rig, since: number): boolean {
  const s = rig.status();
  return !!s && s.capturing && Date.parse(s.input.lastFrameAt ?? '') > since + 100;
}

/** Microphone starts logged so far (one per arecord run). */
const micStarts = (rig: Rig) => readText(rig.micLog).split('\n').filter((l) => l.includes('"type":"start"')).length;

/** The middle of the longest quiet gap between two bursts (world ms). */
function quietestMoment(world: World): number {
  let best = { at: 1500, len: 0 };
  for (let i = 1; i < world.bursts.length; i++) {
    const a = world.bursts[i - 1]!;
    const end = a.startMs + a.durMs;
    const len = world.bursts[i]!.startMs - end;
    if (len > best.len) best = { at: end + len / 2, len };
  }
  return Math.round(best.at);
}

const GARBAGE_MS = 300;

/** The first pino log message matching `re`. */
export function firstMsg(log: string, re: RegExp): string {
  for (const line of log.split('\n')) {
    try {
      const msg = (JSON.parse(line) as { msg?: string }).msg;
      if (msg && re.test(msg)) return msg;
    } catch {
      // not a log line
    }
  }
  return '';
}

export const scenarios: Scenario[] = [
  {
    id: 'capture-stall',
    fault: 'the microphone stalls (no data) for 12 s (long: 2 min), then resumes',
    trials: { short: 1, long: 2 },
    run: (ctx) => {
      const stallMs = ctx.form === 'long' ? 120_000 : 12_000;
      const rnd = prng(ctx.seed ^ 0x57a11);
      const from = Math.round(5000 + rnd() * 3000);
      return rigTrial(ctx, {
        speed: 1,
        lengthMs: from + stallMs + 12_000,
        fault: async (rig, world) => {
          await sleepUntilWorld(world, from);
          writeFileSync(join(rig.micCtl, 'stall'), '');
          // rec-status --check must say so while it lasts (polled: capturing turns false after 2 s).
          let visible: string | null = null;
          let seenAfterMs: number | null = null;
          const t0 = Date.now();
          while (Date.now() < wallAt(world, from + stallMs) - 1500) {
            const c = await statusCheck(rig);
            if (c.code === 1 && /not capturing/.test(c.out)) {
              visible = `rec-status --check: exit 1, "${c.out.split('\n')[0]}"`;
              seenAfterMs = Date.now() - t0;
              break;
            }
            await new Promise((r) => setTimeout(r, 500));
          }
          await sleepUntilWorld(world, from + stallMs);
          rmSync(join(rig.micCtl, 'stall'), { force: true });
          const resumed = Date.now();
          const took = await rig.until(() => flowing(rig, resumed), 30_000);
          // And the check is clean again.
          const after = took === null ? null : await statusCheck(rig);
          const restarts = (rig.log('capture').match(/capture source stalled/g) ?? []).length;
          return {
            recoveryMs: took,
            visible,
            note: [`stall ${stallMs / 1000} s`, `rec-capture restarted the stalled source ${restarts}×`, seenAfterMs !== null ? `seen by rec-status ${(seenAfterMs / 1000).toFixed(1)} s in` : 'rec-status never said so', after && after.code !== 0 ? `rec-status after: ${after.out}` : ''].filter(Boolean).join(', '),
          };
        },
      });
    },
  },
  {
    id: 'capture-restart',
    fault: 'the device goes away 3 times mid-sample (arecord writes 3 stray bytes, exits 1)',
    trials: { short: 1, long: 2 },
    run: (ctx) => {
      const rnd = prng(ctx.seed ^ 0xdead);
      const lengthMs = ctx.form === 'long' ? 60_000 : 26_000;
      // Three moments, 5–7 s apart from 4 s on.
      const moments: number[] = [];
      for (let t = 4000, i = 0; i < 3; i++) {
        t += Math.round(rnd() * 2000);
        moments.push(t);
        t += ctx.form === 'long' ? 15_000 : 5000;
      }
      return rigTrial(ctx, {
        speed: 1,
        lengthMs,
        rig: { env: { capture: { FAKE_MIC_EXIT_ODD: '1' } } },
        fault: async (rig, world) => {
          let worst = 0;
          let inEvent = 0;
          for (const at of moments) {
            await sleepUntilWorld(world, at);
            if (rig.status()?.event) inEvent++;
            const starts = micStarts(rig);
            const gone = Date.now();
            writeFileSync(join(rig.micCtl, 'exit'), '');
            const took = await rig.until(() => micStarts(rig) > starts && flowing(rig, gone), 30_000);
            if (took === null) return { recoveryMs: null, visible: null, note: `no frames after the exit at ${at} ms` };
            worst = Math.max(worst, took);
          }
          const log = rig.log('capture');
          const lost = (log.match(/capture source lost/g) ?? []).length;
          const dropped = (log.match(/partial frame dropped/g) ?? []).length;
          const captureExits = rig.exits.filter((e) => e.stage === 'capture').length;
          return {
            recoveryMs: worst,
            visible: lost ? `rec-capture log: "${firstMsg(log, /capture source lost/)}" ×${lost}, "partial frame dropped" ×${dropped}` : null,
            note: `${moments.length} exits, ${inEvent} mid-event${captureExits ? `, rec-capture itself exited ${captureExits}×` : ''}${dropped < moments.length ? `, only ${dropped} partial frames dropped` : ''}`,
          };
        },
      });
    },
  },
  {
    id: 'odd-chunks-garbage',
    fault: 'the device delivers odd-sized writes, and 300 ms of loud garbage between bursts',
    trials: { short: 1, long: 2 },
    run: (ctx) => {
      const lengthMs = ctx.form === 'long' ? 60_000 : 26_000;
      // The world is made again inside rigTrial from the same seed: the gap is known now.
      const garbageAt = quietestMoment(makeWorldFor(ctx.seed, lengthMs)) - GARBAGE_MS / 2;
      return rigTrial(ctx, {
        speed: 1,
        lengthMs,
        rig: { env: { capture: { FAKE_MIC_ODD_WRITES: '1', FAKE_MIC_GARBAGE_AT: String(garbageAt) } } },
        fault: async (rig, world) => {
          await sleepUntilWorld(world, world.lengthMs);
          const s = rig.status();
          const exits = rig.exits.length;
          const events = readText(join(ctx.dir, 'ready.ndjson')).split('\n').filter(Boolean).length;
          return {
            visible: exits ? `${exits} stage exits (${rig.exits.map((e) => `${e.stage} ${e.code ?? e.signal}`).join(', ')})` : `nothing crashed; status input.oddBytes=${s?.input.oddBytes ?? 0}, gaps=${s?.input.gaps ?? 0}`,
            note: `garbage at ${garbageAt} ms; ${events} recordings ready by the world's end${exits ? '; STAGES EXITED' : ''}`,
          };
        },
      });
    },
  },
];

function makeWorldFor(seed: number, lengthMs: number): World {
  return makeWorld(seed, { lengthMs, speed: 1 });
}
