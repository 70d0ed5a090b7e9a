// The wall clock stepping under the running pipeline, as NTP steps it on a
// Raspberry Pi without a real-time clock: it boots at 1970 (or at the time
// fake-hwclock saved, days stale) and jumps forward when the network comes up;
// a bad time source can step it back. Debian's libfaketime plays NTP: every
// stage (and rec-status) runs with it preloaded, reading one offset file that
// the scenario rewrites (FAKETIME_NO_CACHE=1: re-read on every call), so all
// processes see the same clock, as on the Pi. FAKETIME_DONT_FAKE_MONOTONIC=1:
// only CLOCK_REALTIME moves, as with NTP — and without it node hangs as soon as
// the offset goes back (libuv's timers run on CLOCK_MONOTONIC). The fake
// microphone keeps the real clock (it stands for hardware; its world is timed
// from the real epoch).
import { existsSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { readStatus } from '../../src/status/read-status.js';
import { FIXTURES, bin } from '../helpers.js';
import type { Rig } from './rig.js';
import { rigTrial, sleepUntilWorld } from './trial.js';
import type { Scenario, TrialContext } from './types.js';
import type { World } from './world.js';

const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/arm-linux-gnueabihf/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
].find((p) => existsSync(p));

async function noFaketime(): Promise<string | null> {
  if (!LIBFAKETIME) return 'libfaketime is not installed (apt-get install faketime)';
  return null;
}

const HOUR = 3600;
const DAY = 86_400;

/** The clock every stage sees: real time plus an offset (s), stepped by rewriting one file. */
class FakeClock {
  readonly file: string;
  /** [real ms, offset s] from each step on. */
  readonly steps: Array<[number, number]> = [];

  constructor(dir: string, offsetS: number) {
    this.file = join(dir, 'faketime.rc');
    this.set(offsetS, 0);
  }

  set(offsetS: number, at = Date.now()): void {
    const s = Math.round(offsetS);
    writeFileSync(`${this.file}.tmp`, `${s >= 0 ? '+' : ''}${s}\n`);
    renameSync(`${this.file}.tmp`, this.file);
    this.steps.push([at, s]);
  }

  offsetAt(realMs: number): number {
    let off = this.steps[0]![1];
    for (const [at, s] of this.steps) if (at <= realMs) off = s;
    return off;
  }

  now(): number {
    return Date.now() + this.offsetAt(Date.now()) * 1000;
  }

  env(): Record<string, string> {
    return { LD_PRELOAD: LIBFAKETIME!, FAKETIME_TIMESTAMP_FILE: this.file, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
  }
}

/** arecord-world with the real clock: the wrapper drops libfaketime before the fake microphone starts. */
function realClockMic(dir: string): string {
  const path = join(dir, 'arecord-real-clock.sh');
  writeFileSync(path, `#!/bin/sh\nunset LD_PRELOAD FAKETIME_TIMESTAMP_FILE FAKETIME_NO_CACHE FAKETIME_DONT_FAKE_MONOTONIC\nexec node ${join(FIXTURES, 'arecord-world.mjs')} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

interface SeenEvent {
  id: string;
  day: string;
  stem: string;
  startedAt: string;
  startOffsetMs: number;
}

/**
 * Watches the status as rec-status would on the same (fake) clock: how long it
 * was judged stale, the longest real-time silence between two rewrites, and
 * every finished event it announced (for the names).
 */
function watch(rig: Rig, clock: FakeClock) {
  const path = join(rig.spool, 'segmenter_status.json');
  const events = new Map<string, SeenEvent>();
  let staleMs = 0;
  let staleRun = 0;
  let worstStaleRun = 0;
  let lastUpdatedAt = '';
  let lastChange = Date.now();
  let silentMs = 0;
  let stop = false;
  const done = (async () => {
    let prev = Date.now();
    while (!stop) {
      await sleep(100);
      const t = Date.now();
      const r = await readStatus(path, clock.now());
      if (r.ok) {
        if (r.stale) {
          staleMs += t - prev;
          staleRun += t - prev;
          worstStaleRun = Math.max(worstStaleRun, staleRun);
        } else staleRun = 0;
        if (r.status.updatedAt !== lastUpdatedAt) {
          lastUpdatedAt = r.status.updatedAt;
          lastChange = t;
        }
        silentMs = Math.max(silentMs, t - lastChange);
        const e = r.status.lastEvent;
        if (e && !events.has(e.id)) events.set(e.id, { id: e.id, day: e.day, stem: e.stem, startedAt: e.startedAt, startOffsetMs: e.startOffsetMs });
      }
      prev = t;
    }
  })();
  return {
    events,
    async stop() {
      stop = true;
      await done;
      return { staleMs, worstStaleRun, silentMs };
    },
  };
}

/** rec-status --check on the fake clock: its exit status and first line. */
async function statusCheck(rig: Rig, clock: FakeClock): Promise<string> {
  const r = await execa('node', [bin('rec-status'), '--status-file', join(rig.spool, 'segmenter_status.json'), '--check'], { env: { ...process.env, ...clock.env() }, reject: false });
  return `exit ${r.exitCode}${r.stdout ? `: ${r.stdout.split('\n')[0]}` : ''}`;
}

/** How far each event's name (its startedAt) is from the fake clock at its first sample, s. */
function nameSkews(world: World, clock: FakeClock, events: Iterable<SeenEvent>): Array<{ stem: string; day: string; skewS: number }> {
  return [...events].map((e) => {
    const real = world.epochMs + e.startOffsetMs;
    const expected = real + clock.offsetAt(real) * 1000;
    let skewMs = Date.parse(e.startedAt) - expected;
    // An event that rec-segment opened just after a step (it runs a little behind
    // the sound, more on a loaded machine) is named by the new clock, which after
    // NTP is the right time: a skew of exactly that step, within 3 s of it, is fine.
    for (const [at, off] of clock.steps) {
      const delta = (off - clock.offsetAt(at - 1)) * 1000;
      if (delta !== 0 && Math.abs(real - at) <= 3000 && Math.abs(skewMs - delta) <= 2000) skewMs -= delta;
    }
    return { stem: e.stem, day: e.day, skewS: Math.round(skewMs / 100) / 10 };
  });
}

/** A quiet moment between two events: half-way from burst i's event end (1 s hang) to burst i+1's pre-roll (2 s). */
function between(world: World, i: number): number {
  i = Math.max(0, Math.min(i, world.bursts.length - 2));
  const a = world.bursts[i]!;
  const b = world.bursts[i + 1]!;
  return (a.startMs + a.durMs + 1000 + b.startMs - 2000) / 2;
}

function middleOf(world: World, i: number): number {
  const b = world.bursts[Math.min(i, world.bursts.length - 1)]!;
  return b.startMs + b.durMs / 2;
}

/** Seconds from now until local midnight. */
function toMidnightS(): number {
  const now = new Date();
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  return (midnight.getTime() - now.getTime()) / 1000;
}

interface Step {
  /** World ms. */
  at: number;
  /** New offset, s (relative to real time). */
  offsetS: number;
  label: string;
}

/**
 * With rec-segment hung (SIGSTOP: its last status still says capturing), the
 * clock steps back an hour: that status is now an hour in the future, and
 * rec-status must call it stale rather than fresh for the hour. rec-segment
 * then carries on (SIGCONT).
 */
async function hungStepBack(rig: Rig, clock: FakeClock): Promise<string> {
  const pid = rig.pid('segment');
  if (pid === null) return 'rec-segment not running for the hung check';
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(300);
    clock.set(clock.offsetAt(Date.now()) - HOUR);
    await sleep(300);
    return `rec-segment hung, then back 1 h, rec-status --check: ${await statusCheck(rig, clock)}`;
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

async function clockTrial(ctx: TrialContext, startOffsetS: number, plan: (world: World) => Step[], sidecarsArgs: string[] = [], hungCheck = false) {
  const clock = new FakeClock(ctx.dir, startOffsetS);
  const env = clock.env();
  let watcher: ReturnType<typeof watch> | null = null;
  let named: ReturnType<typeof nameSkews> = [];
  const checks: string[] = [];
  return rigTrial(ctx, {
    speed: 1,
    lengthMs: 24_000,
    rig: {
      env: { capture: env, segment: env, sidecars: env },
      args: { capture: ['--arecord', realClockMic(ctx.dir)], sidecars: sidecarsArgs },
    },
    fault: async (rig, world) => {
      watcher = watch(rig, clock);
      const steps = plan(world);
      for (const s of steps) {
        await sleepUntilWorld(world, s.at);
        const inEvent = rig.status()?.event ? 'mid-event' : 'between events';
        clock.set(s.offsetS);
        await sleep(1000);
        checks.push(`${s.label} ${inEvent}, rec-status --check 1 s later: ${await statusCheck(rig, clock)}`);
      }
      await sleepUntilWorld(world, world.lengthMs);
      // Retention (if on) has run after the last step.
      await sleep(sidecarsArgs.length ? 4000 : 0);
      const w = await watcher.stop();
      const hung = hungCheck ? await hungStepBack(rig, clock) : null;
      if (hung) checks.push(hung);
      const skews = nameSkews(world, clock, watcher.events.values());
      named = skews;
      const worstSkew = skews.reduce((m, s) => (Math.abs(s.skewS) > Math.abs(m) ? s.skewS : m), 0);
      const trashed = (await readdir(join(rig.out, '.trash'), { recursive: true }).catch(() => [] as string[])).map(String).filter((f) => f.endsWith('.opus'));
      const days = (await readdir(rig.out).catch(() => [] as string[])).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d));
      const stems = skews.map((s) => s.stem.slice(0, 8));
      const sameSecond = stems.length - new Set(stems).size;
      const seg = rig.log('segment');
      const stepLogged = (seg.match(/wall clock stepped/g) ?? []).length;
      const gaps = rig.status()?.input.gaps ?? 0;
      const visible =
        stepLogged > 0
          ? `log: "wall clock stepped" ×${stepLogged}`
          : gaps > 0
            ? `status input.gaps=${gaps} (a clock step counted as an input gap)`
            : w.staleMs > 0
              ? `rec-status: stale for ${w.worstStaleRun} ms`
              : null;
      const note = [
        `names off the clock by up to ${worstSkew} s`,
        `judged stale ${w.staleMs} ms (longest ${w.worstStaleRun} ms)`,
        `status silent up to ${(w.silentMs / 1000).toFixed(1)} s`,
        `days ${days.join(',')}`,
        sameSecond ? `${sameSecond} names share an HH-MM-SS` : '',
        trashed.length ? `RETENTION TRASHED ${trashed.length} fresh recordings` : '',
        checks.join(', '),
      ]
        .filter(Boolean)
        .join('; ');
      // Recovered: rec-status on the same clock calls the status fresh again (the
      // watcher polls every 100 ms). Not recovered: names that stay off the
      // clock, a status judged stale for more than a moment, or a hung
      // rec-segment judged healthy.
      const failed = [
        Math.abs(worstSkew) > 2 ? `names stay ${worstSkew} s off the clock` : '',
        w.worstStaleRun > 5000 ? `a live status judged stale for ${w.worstStaleRun} ms` : '',
        hung && !/exit 1: stale/.test(hung) ? 'a hung rec-segment judged healthy' : '',
        trashed.length ? 'fresh recordings trashed' : '',
      ].filter(Boolean);
      return { recoveryMs: failed.length ? null : w.worstStaleRun, visible, note: failed.length ? `NOT RECOVERED: ${failed.join(', ')}; ${note}` : note };
    },
  }).then((r) => {
    r.detail = { ...(r.detail as object), clock: clock.steps, named };
    return r;
  });
}


export const scenarios: Scenario[] = [
  {
    id: 'clock-back',
    fault: 'wall clock stepped back 1 h (between events, then mid-event; long form also across midnight and small steps); then back again with rec-segment hung',
    trials: { short: 1, long: 2 },
    unavailable: noFaketime,
    run: (ctx) => {
      switch (ctx.trial) {
        case 1:
          // Small NTP corrections: the same seconds come round again.
          return clockTrial(ctx, 0, (w) => [
            { at: middleOf(w, 1), offsetS: -20, label: 'back 20 s' },
            { at: between(w, 2), offsetS: -40, label: 'back 20 s' },
          ], [], true);
        case 2: {
          // Just after midnight, back 1 h into yesterday's folder.
          const off = toMidnightS() + 8;
          return clockTrial(ctx, off, (w) => [{ at: between(w, 1), offsetS: off - HOUR, label: 'back 1 h across midnight' }], [], true);
        }
        default:
          return clockTrial(ctx, 0, (w) => [
            { at: between(w, 0), offsetS: -HOUR, label: 'back 1 h' },
            { at: middleOf(w, 2), offsetS: -2 * HOUR, label: 'back 1 h' },
          ], [], true);
      }
    },
  },
  {
    id: 'clock-forward',
    fault: 'wall clock stepped forward by NTP after boot: from 1970 (no RTC) or 2 days stale (fake-hwclock), with --keep-days 7',
    trials: { short: 1, long: 2 },
    unavailable: noFaketime,
    run: (ctx) => {
      const retention = ['--keep-days', '7', '--retention-interval', '0.05'];
      const epoch = -Math.floor(Date.now() / 1000);
      switch (ctx.trial) {
        case 1:
          return clockTrial(ctx, -2 * DAY, (w) => [{ at: middleOf(w, 1), offsetS: 0, label: 'forward 2 days' }], retention);
        case 2:
          return clockTrial(ctx, epoch, (w) => [{ at: middleOf(w, 1), offsetS: 0, label: 'forward from 1970' }], retention);
        default:
          return clockTrial(ctx, epoch, (w) => [{ at: between(w, 1), offsetS: 0, label: 'forward from 1970' }], retention);
      }
    },
  },
];
