// The data contracts between the tools (DESIGN.md "Contracts"): the NDJSON event
// lines and segmenter_status.json, one TypeScript type each, checked against the
// JSON schemas in schema/ by every reader.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';

export type Trigger = 'vad' | 'level' | 'manual';

interface EventCommon {
  id: string;
  day: string;
  stem: string;
  startedAt: string;
  startOffsetMs: number;
  trigger: Trigger;
  wav: string;
}

export interface EventStarted extends EventCommon {
  type: 'event.started';
  partial: string | null;
}

export interface EncodeOutcome {
  /** stream: encoded while recording; offline: encoded from the WAV afterwards; offline-needed: still to do. */
  mode: 'stream' | 'offline' | 'offline-needed';
  bytes: number;
  droppedFrames: number;
  error: string | null;
}

export interface EventFinished extends EventCommon {
  type: 'event.finished';
  endedAt: string;
  endOffsetMs: number;
  durationMs: number;
  opus: string | null;
  encode: EncodeOutcome;
  peakDbfs: number;
  meanDbfs: number;
  noiseFloorDbfs: number;
  voiceRatio: number;
  /** Why the event was cut rather than ended by quiet. */
  split: 'max-length' | 'manual' | null;
  endReason: 'hang' | 'manual' | 'eof' | 'max-length' | 'recovered' | 'shutdown';
  /** Frames the WAV writer could not take (spool too slow or full); 0 normally. */
  wavDroppedFrames?: number;
}

export interface EventDiscarded extends EventCommon {
  type: 'event.discarded';
  endOffsetMs: number;
  durationMs: number;
  reason: string;
}

export type EventLine = EventStarted | EventFinished | EventDiscarded;

export interface SegmenterStatus {
  schemaVersion: 1;
  updatedAt: string;
  pid: number;
  startedAt: string;
  capturing: boolean;
  input: { rate: number; framesIn: number; lastFrameAt: string | null; gaps: number; oddBytes?: number };
  level: {
    rmsDbfs: number;
    peakDbfs: number;
    noiseFloorDbfs: number;
    thresholdDbfs: number;
    voice: boolean;
    /** A steady voice-like background (a television next door) being ignored, and how loud; null or absent when none. */
    backgroundDbfs?: number | null;
  };
  event: null | {
    id: string;
    startedAt: string;
    durationMs: number;
    trigger: Trigger;
    inProgress: true;
    wav: string;
    partialPath: string | null;
    eventSizeBytes: number;
    encoder: 'stream' | 'offline';
  };
  lastEvent: EventFinished | null;
  streamingEncode: {
    enabled: boolean;
    active: number;
    failures: number;
    /** Events whose encoder fell behind real time (finished, but a missed deadline). */
    late?: number;
    queueFrames: number;
    /** New events are not stream-encoded until suspendedUntil (the encoder kept missing its deadline). */
    suspended?: boolean;
    suspendedUntil?: string | null;
    suspendReason?: string | null;
  };
  spool: { pendingJobs: number; bytes: number; freeBytes: number | null; error?: string | null; droppedFrames?: number };
  disk: { freeBytes: number | null };
}

export const SCHEMA_DIR = resolve(fileURLToPath(import.meta.url), '../../../../schema');

let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function validator(file: string): ValidateFunction {
  let v = validators.get(file);
  if (!v) {
    // Formats (date-time) are documentation here: validating them would need ajv-formats for little gain.
    ajv ??= new Ajv({ allErrors: false, strict: false, validateFormats: false });
    v = ajv.compile(JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as object);
    validators.set(file, v);
  }
  return v;
}

/** Check a value against a schema; returns a one-line reason or null when valid. */
export function schemaError(file: 'event.schema.json' | 'segmenter_status.schema.json' | 'sidecars_status.schema.json', value: unknown): string | null {
  const v = validator(file);
  if (v(value)) return null;
  const e = v.errors?.[0];
  return e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'invalid';
}
