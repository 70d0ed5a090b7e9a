// A steady background, voice-like or not (a television or radio in the next room):
// learned over minutes so that it stops holding an event open all day, while a
// voice well over it still starts one, and let go within seconds when it stops.
//
// Pure and bounded like NoiseFloor: the last `windowMs` of levels (a histogram) and
// of "busy" bits, plus a short window of levels. Fed every frame; no timers, no I/O.
//
// The background counts as steady when, over the long window, at least
// `minBusyShare` of the frames were `busyDb` or more over the room's floor (a
// television talks most of the time; the VAD calls only some of it voice once a
// wall has muffled it, so it is not asked) and its loud level (the `percentile` of
// the window) is within `maxOverFloorDb` of the floor: quiet, as through a wall. A
// conversation in the room itself is louder than that and is never learned. A
// foreground voice over it hardly moves that percentile; when most of the last
// `releaseMs` was quiet, the television is off and the background is let go.
import { NoiseFloor } from './noise-floor.js';
import { defined } from '../lib/defined.js';

export interface BackgroundOptions {
  frameMs?: number;
  /** How much history makes a background "steady" (default 120 s). */
  windowMs?: number;
  /** Least share of that history the background must have been learned over (default 0.5: a minute). */
  minFillShare?: number;
  /** Least share of the window's frames that must be busy (`busyDb` over the floor) for a steady background (default 0.5). */
  minBusyShare?: number;
  /** A frame this far over the room's floor is busy: something is sounding (default 3 dB). */
  busyDb?: number;
  /** Which percentile of the window's frame levels is the background's level (default 80). */
  percentile?: number;
  /** The short window: when most of it was quiet (under `busyDb` over the floor) the background is let go (default 10 s). */
  releaseMs?: number;
  /** A background louder than the room's floor by more than this is the room itself, not a background (default 16 dB). */
  maxOverFloorDb?: number;
}

export const DEFAULT_BACKGROUND = Object.freeze({
  frameMs: 20,
  windowMs: 120_000,
  minFillShare: 0.5,
  minBusyShare: 0.5,
  busyDb: 3,
  percentile: 80,
  releaseMs: 10_000,
  maxOverFloorDb: 16,
});

export class Background {
  private readonly o: Required<BackgroundOptions>;
  private readonly long: NoiseFloor;
  private readonly short: NoiseFloor;
  private readonly busy: Uint8Array;
  private head = 0;
  private n = 0;
  private busyFrames = 0;
  private current: number | null = null;

  constructor(opts: BackgroundOptions = {}) {
    this.o = { ...DEFAULT_BACKGROUND, ...defined(opts) };
    const { frameMs, windowMs, releaseMs, percentile } = this.o;
    if (!(windowMs >= releaseMs && releaseMs >= frameMs)) throw new RangeError('background window must be longer than its release');
    this.long = new NoiseFloor({ frameMs, windowMs, percentile, riseDbPerSec: Infinity });
    this.short = new NoiseFloor({ frameMs, windowMs: releaseMs, percentile, riseDbPerSec: Infinity });
    this.busy = new Uint8Array(Math.round(windowMs / frameMs));
  }

  /** The steady background's level in dBFS, or null when there is none to ignore. */
  get levelDbfs(): number | null {
    return this.current;
  }

  /** Share of busy frames over the window so far. */
  get busyShare(): number {
    return this.n ? this.busyFrames / this.n : 0;
  }

  /** Learn one frame; `floorDbfs` is the room's noise floor now. Returns the background level (or null). */
  update(rmsDbfs: number, floorDbfs: number): number | null {
    this.long.update(rmsDbfs);
    this.short.update(rmsDbfs);
    const busy = rmsDbfs >= floorDbfs + this.o.busyDb ? 1 : 0;
    if (this.n === this.busy.length) this.busyFrames -= this.busy[this.head]!;
    else this.n++;
    this.busy[this.head] = busy;
    this.busyFrames += busy;
    this.head = (this.head + 1) % this.busy.length;

    const filled = this.n >= this.o.minFillShare * this.busy.length;
    const level = this.long.percentileDbfs;
    const steady = filled && this.busyFrames >= this.o.minBusyShare * this.n && level - floorDbfs <= this.o.maxOverFloorDb;
    // Gone quiet for most of the release window: the television is off.
    const released = this.short.percentileDbfs < floorDbfs + this.o.busyDb;
    this.current = steady && !released ? level : null;
    return this.current;
  }
}
