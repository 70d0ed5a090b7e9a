// rec-sidecars --repair: finished recordings whose waveform sidecar is missing or
// not a waveform (a damaged card, a stray write) get it rebuilt from their audio.
// Recordings still in the making (a job in the spool) are rec-sidecars' own work
// and left alone; the audio itself is never written.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { atomicWriteJson } from '../lib/atomic-write.js';
import { dayFolders, recordingsOfDay } from '../lib/recordings.js';
import { readJob, waveformOfOpus } from './job.js';
import { readWaveform } from './waveform.js';

export interface RepairOptions {
  out: string;
  spool: string;
  ffmpeg: string;
  log: Logger;
  /** Day folders to look at (YYYY-MM-DD); all of them when empty. */
  days: string[];
}

export interface RepairResult {
  checked: number;
  /** Waveform sidecars written anew. */
  repaired: string[];
  /** Recordings whose waveform could not be rebuilt (their audio does not decode). */
  failed: Array<{ opus: string; error: string }>;
}

/** `<day>/<stem>` of every job waiting in the spool. */
async function pendingStems(spool: string): Promise<Set<string>> {
  const stems = new Set<string>();
  for (const f of (await readdir(spool).catch(() => [] as string[])).filter((n) => n.endsWith('.job.json'))) {
    const job = await readJob(join(spool, f)).catch(() => null);
    if (job) stems.add(`${job.day}/${job.stem}`);
  }
  return stems;
}

export async function repairWaveforms(opts: RepairOptions): Promise<RepairResult> {
  const result: RepairResult = { checked: 0, repaired: [], failed: [] };
  const pending = await pendingStems(opts.spool);
  // Real day folders only: a waveform is never written through a link.
  const real = await dayFolders(opts.out, { realOnly: true });
  const days = opts.days.length ? opts.days.filter((d) => real.includes(d)) : real;
  for (const day of opts.days.filter((d) => !real.includes(d))) opts.log.warn({ day }, 'not a day folder (missing or a symbolic link); not repaired');
  for (const day of days) {
    for (const r of await recordingsOfDay(opts.out, day)) {
      if (pending.has(`${day}/${r.stem}`)) continue;
      result.checked++;
      const path = join(opts.out, day, `${r.stem}.waveform.json`);
      if (await readWaveform(path)) continue;
      const opus = join(opts.out, day, r.file);
      try {
        await atomicWriteJson(path, await waveformOfOpus(opts.ffmpeg, opus));
        result.repaired.push(path);
        opts.log.info({ day, stem: r.stem, waveform: path }, 'waveform was missing or unreadable; rebuilt from the recording');
      } catch (err) {
        result.failed.push({ opus, error: (err as Error).message });
        opts.log.error({ day, stem: r.stem, err: (err as Error).message }, 'waveform is missing or unreadable and cannot be rebuilt');
      }
    }
  }
  return result;
}
