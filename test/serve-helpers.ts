// Helpers for the rec-serve tests: start the real CLI on a free port, write a
// status file that validates against the schema, make fixture recordings.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { bin, statusFixture, synth } from './helpers.js';
import type { SegmenterStatus } from '../src/lib/contracts.js';
import { StreamEncoder, type EncodeResult } from '../src/encode/stream-encoder.js';

export interface Served {
  url: string;
  proc: ResultPromise;
  stderr: () => string;
}

/** Start `rec-serve --port 0 ...args` and wait for the URL line on stdout. */
export async function startServe(t: { teardown: (fn: () => Promise<void> | void) => void }, args: string[], env: Record<string, string> = {}): Promise<Served> {
  const proc = execa('node', [bin('rec-serve'), '--port', '0', ...args], { reject: false, env: { LOG_LEVEL: 'warn', ...env }, buffer: false });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-64_000)));
  t.teardown(async () => {
    proc.kill('SIGTERM');
    await proc;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`rec-serve did not print its URL: ${err}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line.replace(/\/$/, ''));
      }
    });
    void proc.then(() => reject(new Error(`rec-serve exited: ${err}`)));
  });
  return { url, proc, stderr: () => err };
}

/** A status file as rec-segment writes it; `event` points at a partial when given. */
export function statusObject(opts: { updatedAt?: Date; partialPath?: string | null; durationMs?: number; eventSizeBytes?: number; capturing?: boolean } = {}): SegmenterStatus {
  const at = opts.updatedAt ?? new Date();
  const now = at.toISOString();
  return statusFixture(
    {
      startedAt: now,
      capturing: opts.capturing ?? true,
      input: { rate: 48000, framesIn: 1000, lastFrameAt: now, gaps: 0 },
      level: { rmsDbfs: -40, peakDbfs: -20, noiseFloorDbfs: -60, thresholdDbfs: -50, voice: true },
      event:
        opts.partialPath === undefined
          ? null
          : {
              id: '20261126T100000Z-beef',
              startedAt: now,
              durationMs: opts.durationMs ?? 1000,
              trigger: 'vad',
              inProgress: true,
              wav: '/tmp/x.wav',
              partialPath: opts.partialPath,
              eventSizeBytes: opts.eventSizeBytes ?? 0,
              encoder: 'stream',
            },
      streamingEncode: { enabled: true, active: opts.partialPath ? 1 : 0, failures: 0, queueFrames: 0 },
      spool: { pendingJobs: 2, bytes: 0, freeBytes: 1e9 },
      disk: { freeBytes: 5e9 },
    },
    at.getTime(),
  );
}

export async function writeStatus(path: string, status: SegmenterStatus): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path + '.tmp', JSON.stringify(status));
  const { rename } = await import('node:fs/promises');
  await rename(path + '.tmp', path);
}

/** One small real Opus file, copied under many names (the content does not matter to the index). */
export async function makeOpus(dir: string, seconds = 2): Promise<string> {
  return synth(join(dir, `src-${seconds}.opus`), `sine=f=440:d=${seconds}`, ['-c:a', 'libopus', '-b:a', '32k']);
}

export interface FixtureRec {
  day: string;
  stem: string;
  durationMs?: number;
  text?: string;
}

export async function addRecording(root: string, source: string, r: FixtureRec): Promise<void> {
  const dir = join(root, r.day);
  await mkdir(dir, { recursive: true });
  await copyFile(source, join(dir, `${r.stem}.opus`));
  if (r.durationMs !== undefined) {
    const peaks = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : -1) * Math.round(60 * Math.abs(Math.sin(i / 9))));
    await writeFile(
      join(dir, `${r.stem}.waveform.json`),
      JSON.stringify({ version: 2, channels: 1, sample_rate: 48000, samples_per_pixel: 480, bits: 8, length: 100, data: peaks, durationMs: r.durationMs }),
    );
  }
  if (r.text !== undefined) {
    await writeFile(join(dir, `${r.stem}.transcript.json`), JSON.stringify({ text: r.text, words: [], engine: 'pocketsphinx' }));
  }
}

/**
 * An event being recorded: PCM fed at real-time pace into the real streaming
 * encoder, so `<root>/<day>/<stem>.partial.opus` grows as rec-segment's would, and
 * is renamed to `<stem>.opus` by stop().
 */
export class GrowingEvent {
  readonly encoder: StreamEncoder;
  private timer: NodeJS.Timeout | undefined;
  private fedFrames = 0;
  private t0 = 0;
  private readonly frameBytes = 1920;

  constructor(
    readonly root: string,
    readonly day: string,
    readonly stem: string,
    private readonly pcm: Buffer,
  ) {
    this.encoder = new StreamEncoder({ path: join(root, day, `${stem}.opus`), rate: 48000, ffmpeg: 'ffmpeg', maxQueueMs: 5000 });
  }

  get partialPath(): string {
    return this.encoder.partialPath;
  }

  /** Audio handed to the encoder so far (the live edge), in ms. */
  get fedMs(): number {
    return this.fedFrames * 20;
  }

  start(): this {
    this.t0 = performance.now();
    const tick = () => {
      const due = Math.floor((performance.now() - this.t0) / 20) + 1;
      while (this.fedFrames < due) {
        const off = (this.fedFrames * this.frameBytes) % (this.pcm.length - this.frameBytes);
        this.encoder.feed(this.pcm.subarray(off, off + this.frameBytes));
        this.fedFrames++;
      }
    };
    tick();
    this.timer = setInterval(tick, 10);
    return this;
  }

  async stop(): Promise<EncodeResult> {
    clearInterval(this.timer);
    return this.encoder.close();
  }
}
