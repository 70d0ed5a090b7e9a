// Node's timers hold a signed 32-bit count of milliseconds: a longer delay (24.8
// days and more) becomes 1 ms, so a huge --archive-timeout made every archive
// "time out" at once and a huge back-off became a busy loop (issue #16). Flags
// that feed a timer are capped at parse time (numberOption's `unit`); delays
// computed at run time (back-off doubling) go through timerMs().
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay Node's timers keep as given: at least 0, at most MAX_TIMER_MS (anything not finite is the most). */
export function timerMs(ms: number): number {
  if (!Number.isFinite(ms)) return MAX_TIMER_MS;
  return Math.min(MAX_TIMER_MS, Math.max(0, ms));
}
