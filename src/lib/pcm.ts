// PCM stream format (DESIGN.md "PCM"): s16le mono, 20 ms frames, accepted rates.
export const RATES = [48000, 32000, 16000] as const;
export type Rate = (typeof RATES)[number];
export const BYTES_PER_SAMPLE = 2;
export const FRAME_MS = 20;

export function frameSamples(rate: number): number {
  return (rate * FRAME_MS) / 1000;
}

export function frameBytes(rate: number): number {
  return frameSamples(rate) * BYTES_PER_SAMPLE;
}

export function bytesToMs(bytes: number, rate: number): number {
  return (bytes / BYTES_PER_SAMPLE / rate) * 1000;
}

export function msToBytes(ms: number, rate: number): number {
  return Math.round((ms / 1000) * rate) * BYTES_PER_SAMPLE;
}
