// The recorder around the detector (the imperative shell): keeps the pre-roll,
// writes one WAV per event into the spool through a bounded queue, optionally
// streams the same frames into the Opus encoder, writes the job file and emits
// the NDJSON lines. pushFrame() is synchronous and never waits on a disk or a
// process; finishing an event runs in the background.
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Detector, type Decision, type DetectorConfig, type FrameInput } from './detector.js';
import { LevelMeter, frameLevels } from './levels.js';
import type { Vad } from './vad.js';
import { FrameRing } from './frame-ring.js';
import { eventName, type EventName } from './naming.js';
import { WavWriter } from '../lib/wav.js';
import { atomicWriteJson } from '../lib/atomic-write.js';
import { FRAME_MS, frameBytes } from '../lib/pcm.js';
import { ClockStepDetector, monotonicMs } from '../lib/clock.js';
import type { EventDiscarded, EventFinished, EventLine, EventStarted, SegmenterStatus, Trigger } from '../lib/contracts.js';
import { StreamEncoder, type EncodeResult, type StreamEncoderOptions } from '../encode/stream-encoder.js';
import { containerExtension, partialPathFor, type EncoderSettings } from '../encode/settings.js';
import { StreamHealth, type StreamHealthConfig, type StreamOutcome } from './stream-health.js';

export interface StreamEncodeOptions {
  ffmpeg: string;
  settings?: Partial<EncoderSettings>;
  maxQueueMs?: number;
  /** Audio (ms) waiting for ffmpeg, once it has caught up with the pre-roll, that counts as a missed deadline. */
  lateQueueMs?: number;
  /** When to suspend streaming after missed deadlines. */
  health?: Partial<StreamHealthConfig>;
}

export interface RecorderOptions {
  /** Recordings root: <out>/<day>/<stem>.opus */
  out: string;
  spool: string;
  rate: number;
  detector?: Partial<DetectorConfig>;
  vad: Vad | null;
  emit: (line: EventLine) => void;
  log: Logger;
  /** Streaming encode while recording (null: encode after the event, by rec-sidecars). */
  stream: StreamEncodeOptions | null;
  /** Audio the WAV queue may hold before frames are dropped (a stalled disk). */
  wavQueueMs?: number;
  /** Cut-off of the high-pass applied to the level the detector sees (Hz). */
  highpassHz?: number;
  /** Wall clock in ms (tests may pin it). */
  now?: () => number;
  /** Monotonic clock in ms, for durations and for noticing steps of the wall clock (tests may pin it). */
  mono?: () => number;
}

interface OpenEvent {
  name: EventName;
  trigger: Trigger;
  startFrame: number;
  firstSampleAt: number;
  frames: number;
  voiceFrames: number;
  peakDbfs: number;
  powerSum: number;
  noiseFloorDbfs: number;
  wav: WavWriter;
  wavPath: string;
  wavDropped: number;
  encoder: StreamEncoder | null;
  /** The encoder has taken the pre-roll burst (its queue ran nearly empty once). */
  encoderCaughtUp: boolean;
  /** The encoder fell behind real time during this event (a missed deadline). */
  encoderLate: boolean;
  opusPath: string;
  split: 'max-length' | 'manual' | null;
}

/** How often a partial that could not be removed is tried again. */
const PARTIAL_RETRY_MS = 5_000;

const dbToPower = (db: number) => Math.pow(10, db / 10);
const powerToDb = (p: number) => (p > 0 ? 10 * Math.log10(p) : -120);
const round1 = (x: number) => Math.round(x * 10) / 10;

export class Recorder {
  private readonly detector: Detector;
  private readonly ring: FrameRing;
  private readonly frameBytes: number;
  private readonly wavQueueBytes: number;
  private readonly now: () => number;
  private readonly mono: () => number;
  private readonly clockSteps: ClockStepDetector;
  /** Steps of the wall clock seen (NTP after boot, a bad time source). */
  clockStepCount = 0;
  private event: OpenEvent | null = null;
  private readonly finishing = new Set<Promise<void>>();
  /** The previous event's finish: lines are printed in event order even if finishes overlap. */
  private previousFinish: Promise<void> = Promise.resolve();
  /** Frames seen since the start of the stream: positions for startOffsetMs. */
  private framesIn = 0;
  private anchorMs = -1;
  private last = { rmsDbfs: -120, peakDbfs: -120, voice: false };
  /** Reused for every frame: the hot path allocates nothing it does not keep. */
  private readonly levels = { rmsDbfs: 0, peakDbfs: 0, detectDbfs: 0 };
  private readonly input: FrameInput = { rmsDbfs: 0, peakDbfs: 0, voice: false, rawDbfs: 0 };
  private readonly frameInfo = { rmsDbfs: 0, peakDbfs: 0, voice: false };
  private readonly meter: LevelMeter;
  gaps = 0;
  lastFrameAt: number | null = null;
  /** The same moment on the monotonic clock (is the input flowing: a clock step must not say no). */
  lastFrameMono: number | null = null;
  lastEvent: EventFinished | null = null;
  streamFailures = 0;
  streamLate = 0;
  readonly streamHealth: StreamHealth;
  private readonly lateQueueBytes: number;
  spoolError: string | null = null;
  /** Aborted when input ends: pending retries give up and leave their start records. */
  private readonly draining = new AbortController();
  wavDroppedTotal = 0;
  /** Bumped on every change worth a status write. */
  version = 0;

  constructor(private readonly opts: RecorderOptions) {
    this.detector = new Detector(opts.detector);
    this.frameBytes = frameBytes(opts.rate);
    // The detector counts the pre-roll back from the first active frame of its start window.
    this.ring = new FrameRing(this.detector.ringFrames, this.frameBytes);
    this.wavQueueBytes = Math.round(((opts.wavQueueMs ?? 30_000) / 1000) * opts.rate) * 2;
    this.now = opts.now ?? Date.now;
    this.mono = opts.mono ?? monotonicMs;
    this.clockSteps = new ClockStepDetector(this.now, this.mono);
    this.meter = new LevelMeter(opts.rate, opts.highpassHz ?? 150);
    this.streamHealth = new StreamHealth(opts.stream?.health);
    this.lateQueueBytes = Math.round(((opts.stream?.lateQueueMs ?? 1000) / 1000) * opts.rate) * 2;
    mkdirSync(opts.spool, { recursive: true });
  }

  get config(): DetectorConfig {
    return this.detector.config;
  }

  /** One 20 ms frame of s16le mono. */
  pushFrame(frame: Buffer): void {
    const now = this.now();
    const offsetMs = this.framesIn * FRAME_MS;
    // A step of the wall clock (NTP setting a Pi's clock after boot) moves the
    // anchor with it: events from now on are named by the new time, an open
    // event keeps the name it has, and the step is not an input gap.
    const step = this.clockSteps.check();
    if (step !== 0 && this.anchorMs >= 0) {
      this.anchorMs += step;
      this.clockStepCount++;
      this.version++;
      this.opts.log.warn(
        { stepMs: Math.round(step), from: new Date(now - step).toISOString(), to: new Date(now).toISOString(), eventOpen: this.event !== null },
        `wall clock stepped ${step > 0 ? 'forward' : 'back'} by ${Math.abs(Math.round(step / 1000))} s; new events are named by the new time`,
      );
    }
    // Wall time follows the stream; input that falls behind real time by over a
    // second (a stall, a restarted capture) re-anchors it.
    if (this.anchorMs < 0) this.anchorMs = now - offsetMs;
    else if (now - (this.anchorMs + offsetMs) > 1000) {
      this.anchorMs = now - offsetMs;
      this.gaps++;
    }
    this.lastFrameAt = now;
    this.lastFrameMono = this.mono();
    const { rmsDbfs, peakDbfs, detectDbfs } = this.meter.measure(frame, this.levels);
    const voice = this.opts.vad ? this.opts.vad.isVoice(frame) : false;
    if (voice !== this.last.voice) this.version++;
    // The status shows the level the detector compares with its floor and threshold.
    const last = this.last;
    last.rmsDbfs = detectDbfs;
    last.peakDbfs = peakDbfs;
    last.voice = voice;
    // Reused objects: nothing is allocated per frame on this path.
    const input = this.input;
    input.rmsDbfs = detectDbfs;
    input.rawDbfs = rmsDbfs;
    input.peakDbfs = peakDbfs;
    input.voice = voice;
    const decision = this.detector.push(input);
    const info = this.frameInfo;
    info.rmsDbfs = rmsDbfs;
    info.peakDbfs = peakDbfs;
    info.voice = voice;
    this.apply(decision, frame, info);
    this.ring.push(frame);
    this.framesIn++;
  }

  /**
   * Input that runs ahead of real time (a file, not a microphone) may wait for the
   * streaming encoder instead of overflowing its queue: nobody is waiting on it.
   * Live input never waits. Returns null when there is nothing to wait for.
   */
  backpressure(maxWaitMs = 5000): Promise<void> | null {
    const enc = this.event?.encoder;
    if (!enc || enc.hasExited) return null;
    const aheadMs = this.inputAheadMs();
    const want = this.frameBytes * 50; // room for a second of audio
    if (aheadMs < 1000 || enc.hasRoom(want)) return null;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([enc.waitForRoom(want), new Promise<void>((r) => (timer = setTimeout(r, maxWaitMs)))]).finally(() => clearTimeout(timer));
  }

  /** How far the input runs ahead of the wall clock (a file read at full speed). */
  private inputAheadMs(): number {
    return this.anchorMs + this.framesIn * FRAME_MS - this.now();
  }

  command(cmd: 'start' | 'stop' | 'split'): void {
    this.detector.command(cmd);
  }

  private apply(d: Decision, frame: Buffer, f: { rmsDbfs: number; peakDbfs: number; voice: boolean }): void {
    switch (d.type) {
      case 'idle':
        return;
      case 'start':
        this.open(d.trigger, this.ring.last(d.preRollFrames), frame, f);
        return;
      case 'record':
        this.append(frame, f);
        return;
      case 'end':
        this.append(frame, f);
        this.close(d.reason, d.discard);
        return;
      case 'split': {
        const trigger = this.event?.trigger ?? 'manual';
        if (this.event) this.event.split = d.reason;
        this.close(d.reason, false);
        this.open(trigger, [], frame, f);
        return;
      }
    }
  }

  private open(trigger: Trigger, preRoll: Buffer[], frame: Buffer, f: { rmsDbfs: number; peakDbfs: number; voice: boolean }): void {
    const startFrame = this.framesIn - preRoll.length;
    const firstSampleAt = this.anchorMs + startFrame * FRAME_MS;
    const name = eventName(new Date(firstSampleAt), trigger);
    const wavPath = join(this.opts.spool, `${name.id}.wav`);
    const opusPath = join(this.opts.out, name.day, name.stem + containerExtension(this.opts.stream?.settings?.container ?? 'ogg'));
    const streaming = this.opts.stream !== null && this.streamHealth.allowed(this.mono());
    const started: EventStarted = {
      type: 'event.started',
      ...name,
      startedAt: new Date(firstSampleAt).toISOString(),
      startOffsetMs: startFrame * FRAME_MS,
      trigger,
      wav: wavPath,
      partial: streaming ? partialPathFor(opusPath) : null,
    };
    // The started line doubles as the crash-recovery record for this WAV. It is on
    // disk before the WAV and the partial exist, written at once like each WAV
    // frame (one write(2) to the spool), so a kill at any moment leaves either
    // nothing of this event or a record to recover it from.
    try {
      writeFileSync(join(this.opts.spool, `${name.id}.started.json`), JSON.stringify(started) + '\n');
    } catch (err) {
      this.noteSpoolError(err as Error);
    }
    const wav = WavWriter.open(wavPath, { rate: this.opts.rate });
    let encoder: StreamEncoder | null = null;
    if (this.opts.stream && !streaming) {
      this.opts.log.info({ id: name.id, until: this.suspendedUntilIso() }, 'streaming encode suspended; this event is encoded afterwards');
    } else if (this.opts.stream) {
      try {
        const encOpts: StreamEncoderOptions = { path: opusPath, rate: this.opts.rate, ffmpeg: this.opts.stream.ffmpeg, log: this.opts.log, ...this.opts.stream.settings };
        if (this.opts.stream.maxQueueMs !== undefined) encOpts.maxQueueMs = this.opts.stream.maxQueueMs;
        encoder = new StreamEncoder(encOpts);
      } catch (err) {
        this.streamFailures++;
        this.opts.log.warn({ err: (err as Error).message, id: name.id }, 'streaming encoder did not start; the WAV will be encoded afterwards');
      }
    }
    this.event = {
      name,
      trigger,
      startFrame,
      firstSampleAt,
      frames: 0,
      voiceFrames: 0,
      peakDbfs: -120,
      powerSum: 0,
      noiseFloorDbfs: round1(this.detector.state.noiseFloorDbfs),
      wav,
      wavPath,
      wavDropped: 0,
      encoder,
      encoderCaughtUp: false,
      encoderLate: false,
      opusPath,
      split: null,
    };
    for (const pre of preRoll) this.append(pre, null);
    this.append(frame, f);
    // The line says what is true now: no partial when the encoder did not start.
    this.opts.emit(encoder ? started : { ...started, partial: null });
    this.version++;
  }

  private append(frame: Buffer, f: { rmsDbfs: number; peakDbfs: number; voice: boolean } | null): void {
    const ev = this.event;
    if (!ev) return;
    ev.frames++;
    const lv = f ?? { ...frameLevels(frame), voice: false };
    if (lv.voice) ev.voiceFrames++;
    if (lv.peakDbfs > ev.peakDbfs) ev.peakDbfs = lv.peakDbfs;
    ev.powerSum += dbToPower(lv.rmsDbfs);
    if (ev.wav.error) this.noteSpoolError(ev.wav.error);
    if (ev.wav.pendingBytes + frame.length > this.wavQueueBytes || ev.wav.error) {
      ev.wavDropped++;
      this.wavDroppedTotal++;
    } else ev.wav.write(frame);
    if (ev.encoder) this.feedEncoder(ev, ev.encoder, frame, f !== null);
  }

  /** `live`: a frame as it arrives (not the pre-roll burst handed over at the start). */
  private feedEncoder(ev: OpenEvent, enc: StreamEncoder, frame: Buffer, live: boolean): void {
    if (!enc.feed(frame)) {
      // The queue is full: the file will miss frames and the WAV gets encoded
      // afterwards, so stop spending CPU on this one now. (A dead ffmpeg's own
      // exit status tells its story.)
      if (enc.droppedFrames === 1 && enc.acceptsInput) void enc.abort('encoder queue overflowed (too slow)');
      return;
    }
    // The pre-roll arrives in one burst, and input ahead of real time (a file)
    // fills the queue by design: no deadline to miss in either.
    if (!live || this.inputAheadMs() >= 1000) return;
    const queued = enc.queuedBytes;
    if (!ev.encoderCaughtUp) {
      if (queued <= this.frameBytes * 5) ev.encoderCaughtUp = true;
      // Still busy with the pre-roll five seconds into the event: too slow to start.
      else if (ev.frames * FRAME_MS > this.detector.config.preRollMs + 5000) ev.encoderLate = true;
    } else if (queued > this.lateQueueBytes && !ev.encoderLate) {
      ev.encoderLate = true;
      this.opts.log.warn({ id: ev.name.id, queuedMs: Math.round((queued / 2 / this.opts.rate) * 1000) }, 'streaming encoder is behind real time');
    }
  }

  /** Feed the streaming health policy with how this event's encode went. */
  private judgeStream(ev: OpenEvent, outcome: StreamOutcome, detail: string): void {
    if (outcome === 'late') this.streamLate++;
    if (this.streamHealth.record(outcome, detail, this.mono())) {
      const until = this.suspendedUntilIso() ?? new Date(this.now()).toISOString();
      this.opts.log.warn({ id: ev.name.id, reason: detail, until }, 'streaming encode suspended: the encoder keeps missing its deadline; events are encoded afterwards until then');
    }
    this.version++;
  }

  private clearSpoolError(): void {
    if (this.spoolError === null) return;
    this.opts.log.info({ was: this.spoolError }, 'the spool is writable again');
    this.spoolError = null;
    this.version++;
  }

  private noteSpoolError(err: Error): void {
    const msg = err.message;
    if (this.spoolError !== msg) {
      this.spoolError = msg;
      this.version++;
      this.opts.log.error({ err: msg }, 'cannot write to the spool; detection goes on');
    }
  }

  private close(reason: 'hang' | 'manual' | 'eof' | 'max-length' | 'shutdown', discard: boolean): void {
    const ev = this.event;
    if (!ev) return;
    this.event = null;
    this.version++;
    const before = this.previousFinish;
    const p = this.finish(ev, reason, discard, before).catch((err: Error) => this.opts.log.error({ err: err.message, id: ev.name.id }, 'finishing an event failed'));
    this.previousFinish = p;
    this.finishing.add(p);
    void p.finally(() => this.finishing.delete(p));
  }

  private async finish(ev: OpenEvent, reason: 'hang' | 'manual' | 'eof' | 'max-length' | 'shutdown', discard: boolean, before: Promise<void>): Promise<void> {
    const startedFile = join(this.opts.spool, `${ev.name.id}.started.json`);
    const endFrame = ev.startFrame + ev.frames;
    const common = {
      ...ev.name,
      startedAt: new Date(ev.firstSampleAt).toISOString(),
      startOffsetMs: ev.startFrame * FRAME_MS,
      trigger: ev.trigger,
      wav: ev.wavPath,
    };
    if (discard) {
      await ev.wav.close().catch(() => undefined);
      const aborted = await ev.encoder?.abort('event discarded').catch(() => null);
      if (aborted?.partialLeft) this.removeLater(aborted.partialLeft);
      await rm(ev.wavPath, { force: true });
      await rm(startedFile, { force: true });
      const line: EventDiscarded = {
        type: 'event.discarded',
        ...common,
        endOffsetMs: endFrame * FRAME_MS,
        durationMs: ev.frames * FRAME_MS,
        reason: 'shorter than --min-length',
      };
      await before;
      this.opts.emit(line);
      return;
    }
    const [wavResult, enc] = await Promise.all([
      ev.wav.close().then(
        () => null,
        (err: Error) => err,
      ),
      // Whatever goes wrong with the streamed file, the event still gets its job.
      ev.encoder
        ?.close()
        .catch((err: Error): EncodeResult => ({ ok: false, path: ev.opusPath, bytes: 0, durationMs: 0, droppedFrames: 0, exitCode: null, signal: null, stderrTail: '', error: err.message })) ??
        Promise.resolve(null),
    ]);
    if (wavResult) this.noteSpoolError(wavResult);
    if (enc?.partialLeft) this.removeLater(enc.partialLeft);
    if (enc && !enc.ok) {
      this.streamFailures++;
      this.opts.log.warn({ id: ev.name.id, error: enc.error }, 'streaming encode failed; the WAV will be encoded afterwards');
      this.judgeStream(ev, 'failed', enc.error ?? 'failed');
    } else if (enc) this.judgeStream(ev, ev.encoderLate ? 'late' : 'ok', 'encoder fell behind real time');
    const line: EventFinished = {
      type: 'event.finished',
      ...common,
      endedAt: new Date(ev.firstSampleAt + ev.frames * FRAME_MS).toISOString(),
      endOffsetMs: endFrame * FRAME_MS,
      durationMs: ev.frames * FRAME_MS,
      opus: ev.opusPath,
      encode: enc?.ok
        ? { mode: 'stream', bytes: enc.bytes, droppedFrames: 0, error: null }
        : { mode: 'offline-needed', bytes: 0, droppedFrames: enc?.droppedFrames ?? 0, error: enc?.error ?? null },
      peakDbfs: round1(ev.peakDbfs),
      meanDbfs: round1(powerToDb(ev.powerSum / Math.max(1, ev.frames))),
      noiseFloorDbfs: ev.noiseFloorDbfs,
      voiceRatio: Math.round((ev.voiceFrames / Math.max(1, ev.frames)) * 1000) / 1000,
      split: ev.split,
      endReason: reason,
      ...(ev.wavDropped ? { wavDroppedFrames: ev.wavDropped } : {}),
    };
    // Job before the line: the spool is the durable queue, the line the fast path.
    // A full spool is retried until it has room (the start record stays meanwhile,
    // so a crash still recovers the event); at shutdown the start record is left
    // for the next start's recovery.
    for (let delayMs = 1000; ; delayMs = Math.min(delayMs * 2, 30_000)) {
      try {
        await atomicWriteJson(join(this.opts.spool, `${ev.name.id}.job.json`), line);
        await rm(startedFile, { force: true });
        this.clearSpoolError();
        break;
      } catch (err) {
        this.noteSpoolError(err as Error);
        if (this.draining.signal.aborted) break;
        await sleep(delayMs, undefined, { signal: this.draining.signal }).catch(() => undefined);
      }
    }
    await before;
    this.lastEvent = line;
    this.version++;
    this.opts.emit(line);
  }

  /**
   * A failed encode's partial that its directory would not let go (read-only):
   * removed as soon as it can be, so no dead "recording" row stays on the
   * dashboard. At shutdown it is tried once more, then left to the next start's
   * recovery.
   */
  private removeLater(path: string): void {
    const p = (async () => {
      while (!this.draining.signal.aborted) {
        await sleep(PARTIAL_RETRY_MS, undefined, { signal: this.draining.signal }).catch(() => undefined);
        try {
          await rm(path, { force: true });
          this.opts.log.info({ path }, 'removed the partial of a failed encode');
          return;
        } catch {
          // still refused; try again
        }
      }
    })();
    this.finishing.add(p);
    void p.finally(() => this.finishing.delete(p));
  }

  /** End of input or shutdown: finish the open event and wait for every pending finish. */
  async drain(reason: 'eof' | 'shutdown'): Promise<void> {
    this.draining.abort();
    const d = this.detector.flush();
    if (d && this.event) this.close(reason, d.discard);
    else if (this.event) this.close(reason, false);
    while (this.finishing.size) await Promise.all([...this.finishing]);
  }

  /** The suspension is kept on the monotonic clock (a clock step neither stretches nor ends it); shown in wall time. */
  private suspendedUntilIso(): string | null {
    const mono = this.mono();
    const until = this.streamHealth.suspendedUntil(mono);
    return until === null ? null : new Date(this.now() + (until - mono)).toISOString();
  }

  /** The parts of segmenter_status.json that the recorder knows. */
  snapshot(): Pick<SegmenterStatus, 'input' | 'level' | 'event' | 'lastEvent' | 'streamingEncode'> & { spoolError: string | null } {
    const s = this.detector.state;
    const ev = this.event;
    return {
      input: {
        rate: this.opts.rate,
        framesIn: this.framesIn,
        lastFrameAt: this.lastFrameAt === null ? null : new Date(this.lastFrameAt).toISOString(),
        gaps: this.gaps,
      },
      level: {
        rmsDbfs: round1(this.last.rmsDbfs),
        peakDbfs: round1(this.last.peakDbfs),
        noiseFloorDbfs: round1(s.noiseFloorDbfs),
        thresholdDbfs: round1(s.thresholdDbfs),
        voice: this.last.voice,
        backgroundDbfs: s.backgroundDbfs === null ? null : round1(s.backgroundDbfs),
      },
      event: ev
        ? {
            id: ev.name.id,
            startedAt: new Date(ev.firstSampleAt).toISOString(),
            durationMs: ev.frames * FRAME_MS,
            trigger: ev.trigger,
            inProgress: true,
            wav: ev.wavPath,
            partialPath: ev.encoder ? `${ev.name.day}/${ev.name.stem}.partial${containerExtension(this.opts.stream?.settings?.container ?? 'ogg')}` : null,
            // With streaming, the status writer reads the partial's size from disk.
            eventSizeBytes: ev.wav.dataBytes,
            encoder: ev.encoder ? 'stream' : 'offline',
          }
        : null,
      lastEvent: this.lastEvent,
      streamingEncode: {
        enabled: this.opts.stream !== null,
        active: ev?.encoder && !ev.encoder.hasExited ? 1 : 0,
        failures: this.streamFailures,
        late: this.streamLate,
        queueFrames: ev?.encoder ? Math.ceil(ev.encoder.queuedBytes / this.frameBytes) : 0,
        suspended: this.opts.stream !== null && !this.streamHealth.allowed(this.mono()),
        suspendedUntil: this.suspendedUntilIso(),
        suspendReason: this.streamHealth.reason,
      },
      spoolError: this.spoolError,
    };
  }
}
