// Adaptive noise floor: a low percentile of the recent frame levels, so the
// detection threshold follows the room (fan, traffic, rain) instead of a fixed number.
// Bounded memory and O(1) amortised per frame: a ring of the last N levels feeds a
// histogram of 0.5 dB bins, and a pointer walks to the percentile bin as counts change.
import { SILENCE_DBFS } from './levels.js';
import { defined } from '../lib/defined.js';

export interface NoiseFloorOptions {
  /** Duration of the frames (default 20 ms); converts the window and rise rate to frames. */
  frameMs?: number;
  /** How much recent history the percentile is taken over (default 10 s). */
  windowMs?: number;
  /** Which percentile of the window is the floor, 0-100 (default 20). */
  percentile?: number;
  /** Fastest the floor may rise, dB per second (default 1). It falls at once. */
  riseDbPerSec?: number;
}

export const DEFAULT_NOISE_FLOOR = Object.freeze({ frameMs: 20, windowMs: 10_000, percentile: 20, riseDbPerSec: 1 });

const BIN_DB = 0.5;
const BINS = Math.round(-SILENCE_DBFS / BIN_DB) + 1; // -120 … 0 dBFS

export class NoiseFloor {
  private readonly ring: Uint8Array; // bin index of each level in the window
  private readonly counts = new Uint32Array(BINS);
  private readonly fraction: number;
  private readonly riseDbPerSec: number;
  private readonly secondsPerFrame: number;
  private head = 0;
  private n = 0;
  /** The percentile bin and how many levels in the window lie below it. */
  private pBin = 0;
  private below = 0;
  private current = NaN;
  private seeded = false;

  constructor(opts: NoiseFloorOptions = {}) {
    const o = { ...DEFAULT_NOISE_FLOOR, ...defined(opts) };
    if (!(o.frameMs > 0) || !(o.windowMs >= o.frameMs)) throw new RangeError('noise floor window must be at least one frame');
    if (!(o.percentile >= 0 && o.percentile <= 100)) throw new RangeError('noise floor percentile must be 0-100');
    if (!(o.riseDbPerSec >= 0)) throw new RangeError('noise floor rise rate must be >= 0');
    this.ring = new Uint8Array(Math.round(o.windowMs / o.frameMs));
    this.fraction = o.percentile / 100;
    this.riseDbPerSec = o.riseDbPerSec;
    this.secondsPerFrame = o.frameMs / 1000;
  }

  /** The floor in dBFS; SILENCE_DBFS before the first update. */
  get value(): number {
    return Number.isNaN(this.current) ? SILENCE_DBFS : this.current;
  }

  /** The raw percentile of the window, before the rise limit. */
  get percentileDbfs(): number {
    return this.n === 0 ? SILENCE_DBFS : SILENCE_DBFS + this.pBin * BIN_DB;
  }

  /** True once the window has been filled. */
  get warm(): boolean {
    return this.n === this.ring.length;
  }

  /**
   * Learn one frame's level. The floor falls to the percentile at once but rises by at
   * most `maxRiseDbPerSec` (default: the configured rate once the window is full;
   * unlimited before, so start-up takes the room's level from what has been seen).
   */
  update(rmsDbfs: number, maxRiseDbPerSec?: number): number {
    const bin = binOf(rmsDbfs);
    if (this.n === this.ring.length) {
      const old = this.ring[this.head]!;
      this.counts[old]!--;
      if (old < this.pBin) this.below--;
    } else {
      this.n++;
    }
    this.ring[this.head] = bin;
    this.head = (this.head + 1) % this.ring.length;
    this.counts[bin]!++;
    if (bin < this.pBin) this.below++;
    this.seek();

    const target = this.percentileDbfs;
    const rise = maxRiseDbPerSec ?? (this.warm || this.seeded ? this.riseDbPerSec : Infinity);
    if (Number.isNaN(this.current) || target <= this.current) this.current = target;
    else this.current = Math.min(target, this.current + rise * this.secondsPerFrame);
    return this.current;
  }

  /**
   * Start from a floor already known (the last run's, after a restart): it then
   * rises at the configured rate from the first frame, so a sound that is going
   * on when the process starts cannot become the floor and go unrecorded.
   */
  seed(dbfs: number): void {
    this.current = dbfs;
    this.seeded = true;
  }

  /** Forget everything (e.g. the input source changed). */
  reset(): void {
    this.counts.fill(0);
    this.head = this.n = this.pBin = this.below = 0;
    this.current = NaN;
    this.seeded = false;
  }

  // Move the pointer to the smallest bin whose cumulative count reaches the rank
  // k = ceil(fraction·n) (at least 1). Each update changes k and the counts by at
  // most one, so the pointer usually stays or steps once; the walk is bounded by the
  // number of bins (it only crosses empty ones) and never sorts anything.
  private seek(): void {
    const k = Math.max(1, Math.ceil(this.fraction * this.n));
    while (this.below + this.counts[this.pBin]! < k) {
      this.below += this.counts[this.pBin]!;
      this.pBin++;
    }
    while (this.pBin > 0 && this.below >= k) {
      this.pBin--;
      this.below -= this.counts[this.pBin]!;
    }
  }
}

function binOf(dbfs: number): number {
  // NaN and anything out of range are clamped, so the histogram index is always valid.
  if (!(dbfs > SILENCE_DBFS)) return 0;
  if (dbfs >= 0) return BINS - 1;
  return Math.round((dbfs - SILENCE_DBFS) / BIN_DB);
}
