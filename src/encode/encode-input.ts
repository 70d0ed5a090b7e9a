// Feeding a whole input (a pipe or a WAV file) to the streaming encoder, waiting
// for room instead of dropping: a file can always wait, a microphone cannot.
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { StreamEncoder, type EncodeResult, type StreamEncoderOptions } from './stream-encoder.js';
import { PcmFramer } from '../lib/pcm-framer.js';
import { frameBytes } from '../lib/pcm.js';
import { readWavInfo, WavFormatError, type WavInfo } from '../lib/wav.js';

/** A Writable that hands each chunk to the encoder, with backpressure. */
export function encoderSink(enc: StreamEncoder): Writable {
  return new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      enc.waitForRoom(chunk.length).then(() => {
        enc.feed(chunk);
        cb();
      }, cb);
    },
  });
}

export interface FeedStats {
  /** Bytes of a trailing partial frame/sample at end of input. */
  tailBytes: number;
}

/** Feed raw s16le PCM from `input` until it ends (or `signal` aborts), then return. */
export async function feedPcm(enc: StreamEncoder, input: NodeJS.ReadableStream, signal?: AbortSignal): Promise<FeedStats> {
  const stats: FeedStats = { tailBytes: 0 };
  const framer = new PcmFramer({
    frameBytes: frameBytes(enc.rate),
    tail: 'keep',
    onTail: ({ partialBytes }) => {
      stats.tailBytes = partialBytes;
    },
  });
  try {
    await pipeline(input, framer, encoderSink(enc), signal ? { signal } : {});
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
  return stats;
}

export class UnsupportedWavError extends WavFormatError {}

/** Check that a WAV is something the encoder takes as is: 16-bit PCM, mono. */
export async function readEncodableWav(path: string): Promise<WavInfo> {
  const info = await readWavInfo(path);
  if (info.format !== 1 || info.bitsPerSample !== 16 || info.channels !== 1) {
    throw new UnsupportedWavError(
      `${path}: ${info.channels} channel(s), ${info.bitsPerSample}-bit, format ${info.format}; expected 16-bit PCM mono ` +
        `(convert it with: rec-capture --input ${path} | rec-opus-stream OUT.opus)`,
    );
  }
  if (info.rate < 8000 || info.rate > 192000) throw new UnsupportedWavError(`${path}: unsupported sample rate ${info.rate}`);
  return info;
}

/**
 * Encode a WAV file (e.g. an event from the spool) into `opts.path`. Streams the
 * data chunk; a header cut off by a crash is fine (its size comes from the file).
 */
export async function encodeWav(
  wavPath: string,
  opts: Omit<StreamEncoderOptions, 'rate'>,
  signal?: AbortSignal,
): Promise<EncodeResult & { wav: WavInfo }> {
  const wav = await readEncodableWav(wavPath);
  const enc = new StreamEncoder({ ...opts, rate: wav.rate });
  if (wav.dataBytes > 0) {
    const input = createReadStream(wavPath, { start: wav.dataOffset, end: wav.dataOffset + wav.dataBytes - 1 });
    try {
      await feedPcm(enc, input, signal);
    } catch (err) {
      await enc.abort(`reading ${wavPath}: ${(err as Error).message}`);
      throw err;
    }
  }
  return { ...(await enc.close()), wav };
}
