// When to stop streaming: an encoder that keeps missing its deadline (its queue
// fills up, frames overflow, ffmpeg hangs or dies) costs CPU for a file that gets
// re-encoded anyway, on a machine that is already short of CPU. After `strikes`
// bad events in a row, new events are not stream-encoded for a while (doubling on
// every relapse, up to `maxPauseMs`); the first event after the pause is a trial,
// and a good one ends the suspension. Pure: the caller passes the clock.

export type StreamOutcome = 'ok' | 'late' | 'failed';

export interface StreamHealthConfig {
  /** Bad events in a row before streaming is suspended. */
  strikes: number;
  firstPauseMs: number;
  maxPauseMs: number;
}

export const DEFAULT_STREAM_HEALTH: StreamHealthConfig = { strikes: 2, firstPauseMs: 60_000, maxPauseMs: 15 * 60_000 };

export class StreamHealth {
  private readonly cfg: StreamHealthConfig;
  private badInRow = 0;
  private pauseMs: number;
  private until = 0;
  /** Why streaming was last suspended (null while it is healthy). */
  reason: string | null = null;
  suspensions = 0;

  constructor(cfg: Partial<StreamHealthConfig> = {}) {
    this.cfg = { ...DEFAULT_STREAM_HEALTH, ...cfg };
    this.pauseMs = this.cfg.firstPauseMs;
  }

  /** Whether a new event may be stream-encoded at `now`. */
  allowed(now: number): boolean {
    return now >= this.until;
  }

  /** Until when streaming is suspended (ms since the epoch), or null. */
  suspendedUntil(now: number): number | null {
    return now < this.until ? this.until : null;
  }

  /** Record how an event's streaming went; returns true when this suspends streaming. */
  record(outcome: StreamOutcome, detail: string, now: number): boolean {
    if (outcome === 'ok') {
      this.badInRow = 0;
      this.pauseMs = this.cfg.firstPauseMs;
      this.reason = null;
      return false;
    }
    this.badInRow++;
    // A trial after a pause that fails again suspends at once, for longer.
    const relapse = this.reason !== null;
    if (this.badInRow < this.cfg.strikes && !relapse) return false;
    if (relapse) this.pauseMs = Math.min(this.cfg.maxPauseMs, this.pauseMs * 2);
    this.until = now + this.pauseMs;
    this.reason = detail;
    this.badInRow = 0;
    this.suspensions++;
    return true;
  }
}
