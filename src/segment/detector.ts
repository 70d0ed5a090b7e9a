// The event detector of rec-segment: a pure state machine fed one 20 ms frame's
// levels and VAD verdict at a time, answering what the recorder does with that frame.
// No timers, files or audio here: time is counted in frames, so tests replay it exactly.
import { NoiseFloor } from './noise-floor.js';
import { Background } from './background.js';
import { VadNoise } from './vad-noise.js';
import { defined } from '../lib/defined.js';
import { DEFAULT_DETECTOR, DEFAULT_FLOOR, type Command, type Decision, type DetectorConfig, type DetectorState, type FrameInput } from './detector-config.js';

export * from './detector-config.js';

/** How long at the stream start the VAD's verdicts are not taken. */
const VAD_SETTLE_MS = 500;

const IDLE: Decision = Object.freeze({ type: 'idle' });
const RECORD: Decision = Object.freeze({ type: 'record' });

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
  private readonly vadNoise = new VadNoise();
  private readonly rawFloor: NoiseFloor;
  private thumpOnly = false;
  private voiceRun = 0;
  private readonly voiceRunFrames: number;
  private loudBits = 0;
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
    this.voiceRunFrames = Math.round(c.voiceRunMs / c.frameMs);
    this.hangFrames = Math.max(1, frames(c.hangMs));
    this.maxFrames = frames(c.maxLengthMs);
    if (this.maxFrames <= this.ringFrames) throw new RangeError('maxLengthMs must be longer than the pre-roll and start window');
    this.windowMask = 2 ** c.startWindowFrames - 1;
    const { eventRiseDbPerSec, ...floorOpts } = c.noiseFloor;
    this.eventRise = eventRiseDbPerSec;
    this.floor = new NoiseFloor({ ...floorOpts, frameMs: c.frameMs });
    if (seeded) this.floor.seed(c.initialFloorDbfs!);
    this.rawFloor = new NoiseFloor({ ...floorOpts, frameMs: c.frameMs });
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
    // A thump (a door slammed, footsteps) has its energy below the high-pass: the
    // unfiltered level counts too, against its own floor and a wider margin, wide
    // enough that an appliance switching on (a 10 dB step of hum) does not reach it.
    // Not over a steady background: that is judged on the filtered level alone.
    const raw = input.rawDbfs;
    const thump =
      raw !== undefined && c.rawMarginDb > 0 && this.backgroundLevel === null && raw >= this.rawFloor.value + c.rawMarginDb && raw >= c.minThresholdDbfs;
    const level = input.rmsDbfs >= threshold;
    // The level needs a floor learned from some of the room first: during the
    // warm-up only the VAD (or a command) can start an event.
    const loud = i >= this.warmupFrames && (level || thump);
    // The VAD adapts to the room over its first frames and calls some of them voice
    // (a false event at every start): its verdicts count from VAD_SETTLE_MS on. A
    // sound already there is not lost: the pre-roll reaches back to the stream start.
    // Over a steady background (a television), voice counts only when it is louder than it.
    const voice =
      input.voice &&
      i >= this.vadSettleFrames &&
      (!this.vadNoise.noisy || input.rmsDbfs >= this.floor.value + c.voiceMarginDb) &&
      (this.backgroundLevel === null || input.rmsDbfs >= this.backgroundLevel + this.backgroundMarginDb);
    const active = c.trigger === 'level' ? loud : c.trigger === 'voice' ? voice : c.trigger === 'any' ? loud || voice : loud && voice;
    // A thump alone counts toward an event's start and its active span (a slam is
    // short), but does not hold an event open: low rumble would, for ever.
    this.thumpOnly = active && thump && !level && !voice;
    this.voiceRun = voice ? this.voiceRun + 1 : 0;
    this.loudBits = ((this.loudBits << 1) | (loud ? 1 : 0)) & this.windowMask;
    this.activeBits = ((this.activeBits << 1) | (active ? 1 : 0)) & this.windowMask;
    this.voiceBits = ((this.voiceBits << 1) | (input.voice ? 1 : 0)) & this.windowMask;
    const cmd = this.pending;
    this.pending = null;

    const decision = this.inEvent ? this.inEventStep(i, active, cmd) : this.idleStep(i, active, cmd);
    // Learn after deciding, so a frame never lowers its own threshold. Frames of an
    // event (its end frame included) are learned at the slow in-event rate.
    const inEventFrame = decision.type !== 'idle';
    this.floor.update(input.rmsDbfs, inEventFrame ? this.eventRise : undefined);
    if (input.rawDbfs !== undefined) this.rawFloor.update(input.rawDbfs, inEventFrame ? this.eventRise : undefined);
    this.vadNoise.update(input.rmsDbfs, input.voice, this.floor.value);
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
    // Heard by the VAD alone (no frame of the window loud): voice must have run for
    // voiceRunMs. Rain and an appliance switching on make the VAD flicker for a frame
    // or three; a spoken word holds it for longer.
    if ((bits & this.loudBits) === 0 && this.voiceRun < this.voiceRunFrames) return IDLE;
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
    if (active && !this.thumpOnly) {
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
