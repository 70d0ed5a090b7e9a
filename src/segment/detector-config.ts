// The detector's contract: its settings with their defaults, what it is fed per
// frame, what it answers, and the state it shows (detector.ts is the machine).
import { DEFAULT_NOISE_FLOOR } from './noise-floor.js';
import { DEFAULT_BACKGROUND, type BackgroundOptions } from './background.js';

export type Trigger = 'level' | 'voice' | 'any' | 'both';

export interface DetectorConfig {
  /** Frame duration in ms (20). */
  frameMs: number;
  /** What makes a frame active: its level, the VAD, either, or both. */
  trigger: Trigger;
  /** Audio kept from before the onset (the first active frame of the start window). */
  preRollMs: number;
  /** An event ends after this much audio with no active frame. */
  hangMs: number;
  /**
   * An event whose active span (first to last active frame, so pre-roll and hang
   * time are not counted) is shorter than this is ended with `discard: true`; never a
   * part that continues an event after a split.
   * Short enough that a lone "yes" (~0.3 s) or a knock at 10 dB SNR is kept (measured: 0.2 s
   * discarded a third of the short words and bursts of the corpus); clicks are already
   * rejected by the start debounce.
   */
  minLengthMs: number;
  /** An event is split seamlessly into parts of exactly this length. */
  maxLengthMs: number;
  /** Level threshold = noise floor + this. */
  marginDb: number;
  /**
   * A VAD voice frame counts only when it is at least this far over the noise
   * floor: steady rain or hiss the VAD calls voice now and then is at the floor.
   */
  voiceMarginDb: number;
  /** An event the VAD alone starts (no loud frame in the start window) needs voice running this long. */
  voiceRunMs: number;
  /** The unfiltered level (FrameInput.rawDbfs) is active this far over its own floor; 0 = not used. */
  rawMarginDb: number;
  /** The level threshold never goes below this, however quiet the room. */
  minThresholdDbfs: number;
  /** At stream start, how much audio the noise floor learns from before the level may trigger. */
  warmupMs: number;
  /**
   * A noise floor already known (dBFS), e.g. the last run's from its status file:
   * no warm-up, and the floor rises from there at its normal rate.
   */
  initialFloorDbfs?: number | null;
  /** An event starts when this many frames … */
  startActiveFrames: number;
  /** … of the last this many (at most 31) are active: one click is not an event. */
  startWindowFrames: number;
  /**
   * A steady voice-like background (a television next door) learned over minutes
   * (background.ts): while there is one, a frame is active only when it is
   * `marginDb` over it. `windowMs: 0` turns it off.
   */
  background?: BackgroundOptions & { marginDb?: number };
  noiseFloor?: {
    windowMs?: number;
    percentile?: number;
    /** How fast the floor may rise outside events (dB/s). */
    riseDbPerSec?: number;
    /**
     * How fast it may rise inside events (dB/s). Event frames are learned from too
     * (the low percentile picks out the pauses between words), but slowly, so speech
     * cannot lift the threshold into itself while a noise that keeps rising (a fan
     * spinning up) is still followed and ends the event instead of holding it open.
     */
    eventRiseDbPerSec?: number;
  };
}

export const DEFAULT_FLOOR = {
  windowMs: DEFAULT_NOISE_FLOOR.windowMs,
  percentile: DEFAULT_NOISE_FLOOR.percentile,
  riseDbPerSec: DEFAULT_NOISE_FLOOR.riseDbPerSec,
  eventRiseDbPerSec: 0.5,
};

export const DEFAULT_DETECTOR: Readonly<DetectorConfig> = Object.freeze({
  frameMs: 20,
  trigger: 'any',
  preRollMs: 2000,
  hangMs: 3000,
  minLengthMs: 100,
  warmupMs: 1000,
  maxLengthMs: 900_000,
  marginDb: 10,
  voiceMarginDb: 6,
  rawMarginDb: 14,
  voiceRunMs: 100,
  minThresholdDbfs: -60,
  startActiveFrames: 3,
  startWindowFrames: 5,
  noiseFloor: Object.freeze(DEFAULT_FLOOR),
  background: Object.freeze({ ...DEFAULT_BACKGROUND, marginDb: 9 }),
});

export interface FrameInput {
  /** The level the detector judges: high-passed at --detect-highpass. */
  rmsDbfs: number;
  peakDbfs: number;
  voice: boolean;
  /** The unfiltered level, for thumps whose energy is below the high-pass; absent: not used. */
  rawDbfs?: number;
}

/**
 * What to do with the frame just pushed. The recorder keeps a ring of the last
 * `ringFrames` frames, every frame whatever its decision, for the pre-roll.
 */
export type Decision =
  /** The frame belongs to the pre-roll ring only. */
  | { type: 'idle' }
  /**
   * An event starts: the last `preRollFrames` frames of the ring (those before this
   * one) plus this frame. Never reaches back past the stream start or into the
   * previous kept event, so events never overlap.
   */
  | { type: 'start'; preRollFrames: number; trigger: 'vad' | 'level' | 'manual' }
  /** Append this frame to the event. */
  | { type: 'record' }
  /** Append this frame, then finish the event; `discard` when its active span was too short. */
  | { type: 'end'; reason: 'hang' | 'manual'; discard: boolean }
  /** Finish the event with the frames before this one; this frame starts the next part (no pre-roll). */
  | { type: 'split'; reason: 'max-length' | 'manual' };

export interface DetectorState {
  inEvent: boolean;
  /** Floor and threshold as learned so far: what the next frame is judged by. */
  thresholdDbfs: number;
  noiseFloorDbfs: number;
  /** Whether the last frame was active / voice. */
  active: boolean;
  voice: boolean;
  /** Frames in the current event (part), pre-roll included. */
  eventFrames: number;
  /** First to last active frame of the current event (part). */
  activeSpanFrames: number;
  /** The steady background being ignored (dBFS), or null. */
  backgroundDbfs: number | null;
}

export type Command = 'start' | 'stop' | 'split';
