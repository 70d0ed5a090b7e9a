// The two clocks. The wall clock (Date.now) names recordings and stamps the
// status, and it can step: a Raspberry Pi has no real-time clock, so it boots
// at 1970 (or at the time fake-hwclock saved, days stale) and NTP steps it to
// the right time once the network is up; a bad time source can step it back.
// Everything that measures a duration (heartbeats, retries, timeouts) uses the
// monotonic clock instead, which never steps.
import { performance } from 'node:perf_hooks';

/** Milliseconds on a clock that never steps (the origin is arbitrary: only differences mean anything). */
export const monotonicMs = (): number => performance.now();

/** A change of (wall − monotonic) larger than this between two readings is a step of the wall clock, not drift. */
export const CLOCK_STEP_MS = 1000;

/**
 * Notices steps of the wall clock: each call compares how far the wall clock
 * has moved since the last one with how far the monotonic clock has; the
 * difference (ms, positive forward) when it exceeds CLOCK_STEP_MS, else 0.
 */
export class ClockStepDetector {
  private offset: number | null = null;

  constructor(
    private readonly wall: () => number = Date.now,
    private readonly mono: () => number = monotonicMs,
  ) {}

  check(): number {
    const offset = this.wall() - this.mono();
    if (this.offset === null) {
      this.offset = offset;
      return 0;
    }
    const step = offset - this.offset;
    this.offset = offset;
    return Math.abs(step) > CLOCK_STEP_MS ? step : 0;
  }
}

/**
 * The earliest day a recording made by rec-tools can honestly carry: the
 * project did not exist before. A day folder dated earlier was named by a
 * clock that had not been set yet (1970 on a Pi without a real-time clock
 * before NTP), so its age is unknown, not decades.
 */
export const CLOCK_FLOOR_DAY = '2026-01-01';
