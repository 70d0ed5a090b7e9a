// The plain fixed-threshold gate a user would script with sox, as a reference for rec-segment:
//   sox in.wav part.wav silence 1 0.1 2% 1 3.0 2% : newfile : restart
// cuts the input into one file per sound but reports no times. The parts are copies of the
// input, sample for sample (-D: no dither), so each is found in the input by its first samples
// (the first match after the previous part) and confirmed by its last: exact times, no guessing.
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { readWavInfo } from '../src/lib/wav.js';
import type { DetectedEvent } from '../src/segment/score.js';

/** Samples matched at the start and the end of a part: 2^-16·64 odds that noise matches by chance. */
const PROBE = 64;
/** Input read per step when searching (samples). */
const STEP = 1 << 20;

export interface SoxSilenceOptions {
  /** Threshold, as sox takes it (default '2%': RMS over 20 ms windows, about -34 dBFS). */
  threshold?: string;
  /** Sound this long (s) starts a part (default 0.1). */
  startS?: number;
  /** Quiet this long (s) ends one (default 3). */
  stopS?: number;
}

/** The sox command line for `opts`, for the tables. */
export function soxSilenceArgs(opts: SoxSilenceOptions = {}): string[] {
  const thr = opts.threshold ?? '2%';
  return ['silence', '1', String(opts.startS ?? 0.1), thr, '1', String(opts.stopS ?? 3), thr, ':', 'newfile', ':', 'restart'];
}

/** Run sox's silence effect on a 16-bit mono WAV and return each part's span in the input. */
export async function soxSilence(wav: string, workDir: string, opts: SoxSilenceOptions = {}): Promise<DetectedEvent[]> {
  const dir = await mkdtemp(join(workDir, 'sox-'));
  try {
    await execa('sox', ['-D', wav, join(dir, 'part.wav'), ...soxSilenceArgs(opts)]);
    const parts = (await readdir(dir)).filter((f) => /^part\d+\.wav$/.test(f)).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
    return await locateParts(wav, parts.map((p) => join(dir, p)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Pcm16 {
  dataOffset: number;
  samples: number;
  rate: number;
}

async function pcm16(path: string): Promise<Pcm16> {
  const info = await readWavInfo(path);
  if (info.format !== 1 || info.channels !== 1 || info.bitsPerSample !== 16) throw new Error(`${path}: want 16-bit mono PCM`);
  return { dataOffset: info.dataOffset, samples: info.dataBytes / 2, rate: info.rate };
}

async function readSamples(fh: Awaited<ReturnType<typeof open>>, f: Pcm16, from: number, count: number): Promise<Int16Array> {
  const n = Math.max(0, Math.min(count, f.samples - from));
  const buf = Buffer.alloc(n * 2);
  await fh.read(buf, 0, buf.length, f.dataOffset + from * 2);
  return new Int16Array(buf.buffer, buf.byteOffset, n);
}

const same = (a: Int16Array, b: Int16Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Where each part (in order, none overlapping) lies in `input`, in ms. Streams the input a
 * STEP at a time; a part that cannot be found is an error (sox changed the samples).
 */
export async function locateParts(input: string, parts: string[]): Promise<DetectedEvent[]> {
  const src = await pcm16(input);
  const rate = src.rate;
  const fh = await open(input, 'r');
  const events: DetectedEvent[] = [];
  try {
    let pos = 0; // search from here: the end of the previous part
    for (const path of parts) {
      const part = await pcm16(path);
      if (part.samples === 0) continue; // sox may leave an empty last part
      const pf = await open(path, 'r');
      let head: Int16Array;
      let tail: Int16Array;
      try {
        head = await readSamples(pf, part, 0, PROBE);
        tail = await readSamples(pf, part, Math.max(0, part.samples - PROBE), PROBE);
      } finally {
        await pf.close();
      }
      let found = -1;
      for (let at = pos; found < 0 && at + part.samples <= src.samples; at += STEP) {
        const window = await readSamples(fh, src, at, STEP + head.length - 1);
        const h0 = head[0]!;
        for (let i = 0; i + head.length <= window.length && i < STEP; i++) {
          if (window[i] !== h0) continue;
          let k = 1;
          while (k < head.length && window[i + k] === head[k]) k++;
          if (k < head.length) continue;
          const start = at + i;
          if (start + part.samples > src.samples) break;
          if (same(await readSamples(fh, src, start + part.samples - tail.length, tail.length), tail)) {
            found = start;
            break;
          }
        }
      }
      if (found < 0) throw new Error(`sox part ${path} (${part.samples} samples) not found in ${input} after sample ${pos}`);
      events.push({ startOffsetMs: (found / rate) * 1000, endOffsetMs: ((found + part.samples) / rate) * 1000 });
      pos = found + part.samples;
    }
  } finally {
    await fh.close();
  }
  return events;
}
