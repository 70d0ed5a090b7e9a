// The event detector of rec-segment: a pure state machine fed one 20 ms frame's
// levels and VAD verdict at a time, answering what the recorder does with that frame.
// No timers, files or audio here: time is counted in frames, so tests replay it exactly.
import { NoiseFloor, DEFAULT_NOISE_FLOOR } from './noise-floor.js';
import { Background, DEFAULT_BACKGROUND, type BackgroundOptions } from './background.js';

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

const DEFAULT_FLOOR = {
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
  minThresholdDbfs: -60,
  startActiveFrames: 3,
  startWindowFrames: 5,
  noiseFloor: Object.freeze(DEFAULT_FLOOR),
  background: Object.freeze({ ...DEFAULT_BACKGROUND, marginDb: 9 }),
});

/** How long at the stream start the VAD's verdicts are not taken. */
const VAD_SETTLE_MS = 500;

export interface FrameInput {
  rmsDbfs: number;
  peakDbfs: number;
  voice: boolean;
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

const IDLE: Decision = Object.freeze({ type: 'idle' });
const RECORD: Decision = Object.freeze({ type: 'record' });

/** The object without its undefined values, so `{ hangMs: undefined }` keeps the default. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function popcount(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

export class Detector {
  readonly config: Readonly<DetectorConfig>;
  /** Frames the recorder's pre-roll ring must hold. */
  readonly ringFrames: number;
  private readonly floor: NoiseFloor;
  private readonly eventRise: number;
  private readonly preRollFrames: number;
  private readonly hangFrames: number;
  private readonly maxFrames: number;
  private readonly windowMask: number;
  private readonly _state: DetectorState;
  private readonly background: Background | null;
  private readonly vadSettleFrames: number;
  private readonly backgroundMarginDb: number;

  private frame = 0; // index of the frame being pushed
  private lastKeptFrame = -1; // last frame of the last event that was not discarded
  private activeBits = 0; // start window, bit 0 = this frame
  private voiceBits = 0;
  private pending: Command | null = null;
  private inEvent = false;
  private manual = false;
  private continued = false; // this part follows a split
  private eventFrames = 0;
  private firstActive = -1;
  private lastActive = -1;
  private readonly warmupFrames: number;
  private quietFrames = 0; // frames since the last active one (in events, and in the hold-off)
  private armed = true; // false after a manual stop, until the sound has gone quiet

  constructor(config: Partial<DetectorConfig> = {}) {
    const c = {
      ...DEFAULT_DETECTOR,
      ...defined(config),
      noiseFloor: { ...DEFAULT_FLOOR, ...defined(config.noiseFloor ?? {}) },
      background: { ...DEFAULT_DETECTOR.background, ...defined(config.background ?? {}) },
    };
    const frames = (ms: number) => Math.round(ms / c.frameMs);
    if (!(c.frameMs > 0)) throw new RangeError('frameMs must be positive');
    if (!Number.isInteger(c.startWindowFrames) || c.startWindowFrames < 1 || c.startWindowFrames > 31) {
      throw new RangeError('startWindowFrames must be 1-31');
    }
    if (!Number.isInteger(c.startActiveFrames) || c.startActiveFrames < 1 || c.startActiveFrames > c.startWindowFrames) {
      throw new RangeError('startActiveFrames must be 1-startWindowFrames');
    }
    if (!(c.preRollMs >= 0) || !(c.hangMs >= 0) || !(c.minLengthMs >= 0)) throw new RangeError('durations must be >= 0');
    this.config = c;
    this.preRollFrames = frames(c.preRollMs);
    this.ringFrames = this.preRollFrames + c.startWindowFrames - 1;
    const seeded = typeof c.initialFloorDbfs === 'number' && Number.isFinite(c.initialFloorDbfs);
    this.warmupFrames = seeded ? 0 : Math.round((c.warmupMs ?? 0) / c.frameMs);
    this.vadSettleFrames = Math.round(VAD_SETTLE_MS / c.frameMs);
    this.hangFrames = Math.max(1, frames(c.hangMs));
    this.maxFrames = frames(c.maxLengthMs);
    if (this.maxFrames <= this.ringFrames) throw new RangeError('maxLengthMs must be longer than the pre-roll and start window');
    this.windowMask = 2 ** c.startWindowFrames - 1;
    const { eventRiseDbPerSec, ...floorOpts } = c.noiseFloor;
    this.eventRise = eventRiseDbPerSec;
    this.floor = new NoiseFloor({ ...floorOpts, frameMs: c.frameMs });
    if (seeded) this.floor.seed(c.initialFloorDbfs!);
    const { marginDb: backgroundMarginDb, ...backgroundOpts } = c.background;
    this.backgroundMarginDb = backgroundMarginDb ?? 9;
    this.background = backgroundOpts.windowMs ? new Background({ ...backgroundOpts, frameMs: c.frameMs }) : null;
    this._state = { inEvent: false, thresholdDbfs: 0, noiseFloorDbfs: 0, active: false, voice: false, eventFrames: 0, activeSpanFrames: 0, backgroundDbfs: null };
    this.updateState();
  }

  /** Live view of the detector, updated by every push (copy it to keep it). */
  get state(): Readonly<DetectorState> {
    return this._state;
  }

  /** Manual control; takes effect at the next push. The last command given wins. */
  command(cmd: Command): void {
    if (cmd !== 'start' && cmd !== 'stop' && cmd !== 'split') throw new RangeError(`unknown command ${String(cmd)}`);
    this.pending = cmd;
  }

  push(input: FrameInput): Decision {
    const c = this.config;
    const i = this.frame++;
    const threshold = this.threshold();
    // The level needs a floor learned from some of the room first: during the
    // warm-up only the VAD (or a command) can start an event.
    const loud = i >= this.warmupFrames && input.rmsDbfs >= threshold;
    // The VAD adapts to the room over its first frames and calls some of them voice
    // (a false event at every start): its verdicts count from VAD_SETTLE_MS on. A
    // sound already there is not lost: the pre-roll reaches back to the stream start.
    // Over a steady background (a television), voice counts only when it is louder than it.
    const voice =
      input.voice && i >= this.vadSettleFrames && (this.backgroundLevel === null || input.rmsDbfs >= this.backgroundLevel + this.backgroundMarginDb);
    const active = c.trigger === 'level' ? loud : c.trigger === 'voice' ? voice : c.trigger === 'any' ? loud || voice : loud && voice;
    this.activeBits = ((this.activeBits << 1) | (active ? 1 : 0)) & this.windowMask;
    this.voiceBits = ((this.voiceBits << 1) | (input.voice ? 1 : 0)) & this.windowMask;
    const cmd = this.pending;
    this.pending = null;

    const decision = this.inEvent ? this.inEventStep(i, active, cmd) : this.idleStep(i, active, cmd);
    // Learn after deciding, so a frame never lowers its own threshold. Frames of an
    // event (its end frame included) are learned at the slow in-event rate.
    const inEventFrame = decision.type !== 'idle';
    this.floor.update(input.rmsDbfs, inEventFrame ? this.eventRise : undefined);
    this.backgroundLevel = this.background?.update(input.rmsDbfs, this.floor.value) ?? null;

    const s = this._state;
    s.active = active;
    s.voice = input.voice;
    this.updateState();
    return decision;
  }

  /** At end of input: finish an open event (null when there is none). */
  flush(): { type: 'end'; reason: 'eof'; discard: boolean } | null {
    this.pending = null;
    if (!this.inEvent) return null;
    const discard = this.discard();
    this.close(discard);
    this.updateState();
    return { type: 'end', reason: 'eof', discard };
  }

  private backgroundLevel: number | null = null;

  private threshold(): number {
    const t = Math.max(this.floor.value + this.config.marginDb, this.config.minThresholdDbfs);
    return this.backgroundLevel === null ? t : Math.max(t, this.backgroundLevel + this.backgroundMarginDb);
  }

  private idleStep(i: number, active: boolean, cmd: Command | null): Decision {
    const available = i - this.lastKeptFrame - 1;
    if (cmd === 'start') {
      const preRollFrames = Math.min(this.preRollFrames, available);
      this.open(i, preRollFrames, active ? i : -1, active ? i : -1, true);
      return { type: 'start', preRollFrames, trigger: 'manual' };
    }
    // After a manual stop, wait for the sound that was stopped to go quiet.
    if (!this.armed) {
      this.quietFrames = active ? 0 : this.quietFrames + 1;
      if (this.quietFrames >= this.hangFrames) this.armed = true;
      return IDLE;
    }
    const bits = this.activeBits;
    const n = popcount(bits);
    if (n < this.config.startActiveFrames) return IDLE;
    // Offsets back from this frame of the first (onset) and last active frames in the window.
    const onset = 31 - Math.clz32(bits);
    const latest = 31 - Math.clz32(bits & -bits);
    // Pre-roll counts back from the onset, not from this frame, so debouncing never clips it.
    const preRollFrames = Math.min(this.preRollFrames + onset, available);
    this.open(i, preRollFrames, i - onset, i - latest, false);
    const t = this.config.trigger;
    const voiced = popcount(bits & this.voiceBits);
    const trigger = t === 'level' ? 'level' : t === 'any' && voiced * 2 < n ? 'level' : 'vad';
    return { type: 'start', preRollFrames, trigger };
  }

  private inEventStep(i: number, active: boolean, cmd: Command | null): Decision {
    if (cmd === 'stop') {
      this.close(false);
      this.armed = false;
      this.quietFrames = 0;
      return { type: 'end', reason: 'manual', discard: false };
    }
    if (cmd === 'start') this.manual = true;
    if (active) {
      this.quietFrames = 0;
    } else {
      this.quietFrames++;
    }
    if (cmd === 'split' || this.eventFrames >= this.maxFrames) {
      // The hang count carries on across the split: it measures audio, not parts.
      this.continued = true;
      this.eventFrames = 1;
      this.firstActive = this.lastActive = active ? i : -1;
      return { type: 'split', reason: cmd === 'split' ? 'manual' : 'max-length' };
    }
    this.eventFrames++;
    if (active) {
      if (this.firstActive < 0) this.firstActive = i;
      this.lastActive = i;
    } else if (!this.manual && this.quietFrames >= this.hangFrames) {
      const discard = this.discard();
      this.close(discard);
      return { type: 'end', reason: 'hang', discard };
    }
    return RECORD;
  }

  private open(i: number, preRollFrames: number, firstActive: number, lastActive: number, manual: boolean): void {
    this.inEvent = true;
    this.manual = manual;
    this.continued = false;
    this.eventFrames = preRollFrames + 1;
    this.firstActive = firstActive;
    this.lastActive = lastActive;
    this.quietFrames = lastActive < 0 ? 0 : i - lastActive;
  }

  // Ends the event on the frame just pushed.
  private close(discard: boolean): void {
    if (!discard) this.lastKeptFrame = this.frame - 1;
    this.inEvent = false;
    this.manual = false;
    this.activeBits = this.voiceBits = 0; // an ended event's frames do not count toward the next start
  }

  private activeSpan(): number {
    return this.firstActive < 0 ? 0 : this.lastActive - this.firstActive + 1;
  }

  // Manual events are never discarded, and neither is a part after a split: it is the
  // end of a recording the user already has (its last words' decay and the hang time,
  // even when no frame of it crossed the threshold). --min-length is for events that
  // start from silence.
  private discard(): boolean {
    if (this.manual || this.continued) return false;
    return this.activeSpan() * this.config.frameMs < this.config.minLengthMs;
  }

  private updateState(): void {
    const s = this._state;
    s.inEvent = this.inEvent;
    s.noiseFloorDbfs = this.floor.value;
    s.thresholdDbfs = this.threshold();
    s.eventFrames = this.inEvent ? this.eventFrames : 0;
    s.activeSpanFrames = this.inEvent ? this.activeSpan() : 0;
    s.backgroundDbfs = this.backgroundLevel;
  }
}
