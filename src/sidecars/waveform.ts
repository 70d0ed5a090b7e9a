// The waveform sidecar: min/max peaks per pixel in audiowaveform's JSON format
// (version 2, 8-bit), so standard players (peaks.js, wavesurfer) can draw it,
// computed by streaming through the WAV's data chunk, never loading it whole.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { WavInfo } from '../lib/wav.js';

export interface Waveform {
  version: 2;
  channels: 1;
  sample_rate: number;
  samples_per_pixel: number;
  bits: 8;
  /** Number of pixels; `data` holds 2 × length values (min, max, min, max, …). */
  length: number;
  data: number[];
  /** Not in audiowaveform's format: the audio's exact length, for players and listings. */
  durationMs: number;
  /** Not in audiowaveform's format: the event's share of voice frames (0-1), when known. */
  voiceRatio?: number;
}

/** Default resolution: 50 pixels per second (20 ms, one segmenter frame, per pixel). */
export const PIXELS_PER_SECOND = 50;

const to8 = (v: number) => Math.max(-128, Math.min(127, Math.round(v / 256)));

/** Peaks of a 16-bit mono WAV's data, streamed in 64 KiB reads. */
export function waveformOfWav(path: string, wav: WavInfo, pixelsPerSecond = PIXELS_PER_SECOND): Promise<Waveform> {
  const pcm = wav.dataBytes > 0 ? createReadStream(path, { start: wav.dataOffset, end: wav.dataOffset + wav.dataBytes - 1, highWaterMark: 64 * 1024 }) : [];
  return computeWaveform(pcm as AsyncIterable<Buffer>, wav.rate, pixelsPerSecond);
}

/** Peaks of s16le mono PCM from any chunked source (a WAV's data, ffmpeg's stdout). */
export async function computeWaveform(pcm: AsyncIterable<Buffer>, rate: number, pixelsPerSecond = PIXELS_PER_SECOND): Promise<Waveform> {
  const spp = Math.max(1, Math.round(rate / pixelsPerSecond));
  const data: number[] = [];
  let min = 32767;
  let max = -32768;
  let inPixel = 0;
  let samples = 0;
  let carry = -1; // the low byte of a sample split across two reads
  const take = (v: number) => {
    if (v < min) min = v;
    if (v > max) max = v;
    samples++;
    if (++inPixel === spp) {
      data.push(to8(min), to8(max));
      min = 32767;
      max = -32768;
      inPixel = 0;
    }
  };
  for await (const chunk of pcm) {
    let i = 0;
    if (carry >= 0 && chunk.length > 0) {
      take(((chunk[0]! << 24) >> 16) | carry);
      carry = -1;
      i = 1;
    }
    const end = chunk.length - ((chunk.length - i) % 2);
    for (; i < end; i += 2) take(chunk.readInt16LE(i));
    if (end < chunk.length) carry = chunk[end]!;
  }
  if (inPixel > 0) data.push(to8(min), to8(max));
  return {
    version: 2,
    channels: 1,
    sample_rate: rate,
    samples_per_pixel: spp,
    bits: 8,
    length: data.length / 2,
    data,
    durationMs: Math.round((samples / rate) * 1000),
  };
}

/** The waveform sidecar at `path` when it is one (version 2, whole peaks, a duration); null when missing or not. */
export async function readWaveform(path: string): Promise<Waveform | null> {
  try {
    const w = JSON.parse(await readFile(path, 'utf8')) as Partial<Waveform> | null;
    const whole = w?.version === 2 && Array.isArray(w.data) && w.data.length === (w.length ?? -1) * 2 && typeof w.durationMs === 'number';
    return whole ? (w as Waveform) : null;
  } catch {
    return null;
  }
}

/** An existing sidecar that matches the audio (same length) is kept as is. */
export async function waveformMatches(path: string, durationMs: number): Promise<boolean> {
  const w = await readWaveform(path);
  return w !== null && Math.abs(w.durationMs - durationMs) <= 20;
}
