// RMS and peak level of one frame of s16le PCM, in dBFS (0 dBFS = 32768). Runs on
// every 20 ms frame, so it reads the bytes in place and allocates nothing.

/** Level reported for digital silence, instead of -Infinity. */
export const SILENCE_DBFS = -120;

export interface Levels {
  rmsDbfs: number;
  peakDbfs: number;
}

// 10·log10(32768²): subtracting it turns 10·log10(mean square) into dBFS.
const FULL_SCALE_DB = 20 * Math.log10(32768);

/**
 * Levels of a frame of Int16 LE samples. Pass `out` to have it filled in and
 * returned (the hot path reuses one object); otherwise a new object is returned.
 * An odd trailing byte is ignored; an empty frame counts as silence.
 */
export function frameLevels(frame: Buffer, out: Levels = { rmsDbfs: 0, peakDbfs: 0 }): Levels {
  const l = RAW.measure(frame, scratch);
  out.rmsDbfs = l.rmsDbfs;
  out.peakDbfs = l.peakDbfs;
  return out;
}

export interface DetectionLevels extends Levels {
  /** RMS after the high-pass: what the detector compares with its noise floor. */
  detectDbfs: number;
}

/**
 * Raw RMS and peak of a frame, and its RMS after a first-order high-pass (filter
 * state kept across frames), in one pass over the samples. The detector compares
 * the high-passed level with the noise floor: rumble and brown-ish room noise
 * (traffic, fans, handling) have most of their energy, and most of their
 * frame-to-frame swing, below ~150 Hz, where speech and most sounds worth keeping
 * have little. Without it a brown-noise room kept the level above threshold and
 * made one endless event (bench/segment.ts, scenario "brown").
 */
export class LevelMeter {
  private readonly a: number;
  private x1 = 0;
  private y1 = 0;

  /** cutoffHz 0 turns the filter off (detectDbfs = rmsDbfs). */
  constructor(rate: number, cutoffHz = 150) {
    this.a = Math.exp((-2 * Math.PI * cutoffHz) / rate);
  }

  measure(frame: Buffer, out: DetectionLevels): DetectionLevels {
    const end = frame.length - (frame.length & 1);
    const a = this.a;
    let x1 = this.x1;
    let y1 = this.y1;
    let sum = 0;
    let hpSum = 0;
    let max = 0;
    let min = 0;
    // Bytes are combined by hand rather than through an Int16Array view: a Buffer
    // from a stream may start at an odd byteOffset, where a view needs a copy. Max and
    // min rather than |x|: no branch on the sign, which made this loop twice as slow.
    for (let i = 0; i < end; i += 2) {
      const x = ((frame[i]! | (frame[i + 1]! << 8)) << 16) >> 16;
      sum += x * x;
      max = Math.max(max, x);
      min = Math.min(min, x);
      const y = a * (y1 + x - x1);
      hpSum += y * y;
      x1 = x;
      y1 = y;
    }
    this.x1 = x1;
    this.y1 = y1;
    const n = end >> 1;
    const peak = Math.max(max, -min);
    const db = (meanSquare: number) => (meanSquare > 0 ? Math.max(SILENCE_DBFS, 10 * Math.log10(meanSquare) - FULL_SCALE_DB) : SILENCE_DBFS);
    out.rmsDbfs = n > 0 ? db(sum / n) : SILENCE_DBFS;
    out.detectDbfs = n > 0 ? db(hpSum / n) : SILENCE_DBFS;
    out.peakDbfs = peak > 0 ? Math.max(SILENCE_DBFS, 20 * Math.log10(peak) - FULL_SCALE_DB) : SILENCE_DBFS;
    return out;
  }
}

// With the filter off (a = 1) the meter keeps no state between frames that matters
// (y - x stays 0), so one instance serves every caller of frameLevels.
const RAW = new LevelMeter(48000, 0);
const scratch: DetectionLevels = { rmsDbfs: 0, peakDbfs: 0, detectDbfs: 0 };
