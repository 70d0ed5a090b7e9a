// A job file that is not a job any more (truncated, overwritten: a bad card, a
// stray editor) while its event's audio is still there: the job is rebuilt from
// what the spool and the day folder hold, so the recording is finished like any
// other instead of its WAV being stranded beside a job in failed/.
//   identity: the id (file name) holds the UTC second of the first sample and the
//             random part; day and stem follow from them as rec-segment names
//             them (naming.ts), the trigger from the recording's file if any;
//   audio:    <spool>/<id>.wav (header repaired if needed) gives length and
//             levels; without it, a final recording that decodes does.
// Fields nothing records again (voiceRatio, noise floor, offsets) get the
// neutral values crash recovery uses (endReason "recovered").
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventFinished, Trigger } from '../lib/contracts.js';
import { schemaError } from '../lib/contracts.js';
import { dayFolders } from '../lib/recordings.js';
import { WavFormatError, repairWav } from '../lib/wav.js';
import { localDay } from './naming.js';
import { decodedDuration } from '../encode/verify.js';
import { frameBytes } from '../lib/pcm.js';
import { PcmFramer } from '../lib/pcm-framer.js';
import { frameLevels } from './levels.js';

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Peak and mean level of a WAV's data, streamed frame by frame (a trailing partial frame is ignored). */
export async function wavLevels(path: string, dataOffset: number, dataBytes: number, rate: number): Promise<{ peakDbfs: number; meanDbfs: number }> {
  const fb = frameBytes(rate);
  let peak = -120;
  let power = 0;
  let frames = 0;
  if (dataBytes > 0) {
    const framed = createReadStream(path, { start: dataOffset, end: dataOffset + dataBytes - 1 }).pipe(new PcmFramer({ frameBytes: fb, tail: 'drop' }));
    for await (const chunk of framed as AsyncIterable<Buffer>) {
      for (let off = 0; off < chunk.length; off += fb) {
        const l = frameLevels(chunk.subarray(off, off + fb));
        if (l.peakDbfs > peak) peak = l.peakDbfs;
        power += Math.pow(10, l.rmsDbfs / 10);
        frames++;
      }
    }
  }
  return { peakDbfs: round1(peak), meanDbfs: round1(frames ? 10 * Math.log10(power / frames || 1e-12) : -120) };
}

const ID = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-([0-9a-z]+)$/;
const pad = (n: number) => String(n).padStart(2, '0');

/** The recording's file in the day folder (final or partial) for this id's stem, if any. */
async function findRecording(out: string, day: string, hms: string, random: string): Promise<{ day: string; name: string; trigger: Trigger } | null> {
  const re = new RegExp(`^${hms}_(vad|level|manual)_${random}\\.(partial\\.)?(opus|webm)$`);
  // The day folder the naming gives first; any other (a clock or time zone change) after.
  for (const d of [day, ...(await dayFolders(out, { realOnly: true })).filter((x) => x !== day)]) {
    const names = (await readdir(join(out, d)).catch(() => [] as string[])).sort((a, b) => Number(a.includes('.partial.')) - Number(b.includes('.partial.')));
    for (const name of names) {
      const m = re.exec(name);
      if (m) return { day: d, name, trigger: m[1] as Trigger };
    }
  }
  return null;
}

/**
 * The job of `id` rebuilt from its WAV (or, without one, its decodable final
 * recording); null when neither is there: nothing to rebuild from.
 */
export async function rebuildJob(id: string, opts: { out: string; spool: string; ffmpeg: string }): Promise<EventFinished | null> {
  const m = ID.exec(id);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, random] = m;
  const first = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  const hms = `${pad(first.getHours())}-${pad(first.getMinutes())}-${pad(first.getSeconds())}`;
  const found = await findRecording(opts.out, localDay(first), hms, random!);
  const trigger: Trigger = found?.trigger ?? 'level';
  const day = found?.day ?? localDay(first);
  const stem = `${hms}_${trigger}_${random}`;
  const ext = found && /\.webm$/.test(found.name) ? '.webm' : '.opus';
  const opus = join(opts.out, day, `${stem}${ext}`);
  const wav = join(opts.spool, `${id}.wav`);

  let durationMs: number;
  let levels = { peakDbfs: -120, meanDbfs: -120 };
  const hasWav = !!(await stat(wav).catch(() => null));
  if (hasWav) {
    try {
      const info = await repairWav(wav);
      durationMs = Math.round((info.dataBytes / 2 / info.rate) * 1000);
      levels = await wavLevels(wav, info.dataOffset, info.dataBytes, info.rate);
    } catch (err) {
      // Not a WAV either: the job runner sends both to failed/ (kept, not deleted).
      if (err instanceof WavFormatError) return null;
      throw err;
    }
  } else {
    if (!found || found.name.includes('.partial.')) return null;
    const check = await decodedDuration(opts.ffmpeg, opus);
    if (!check.ok) return null;
    durationMs = check.durationMs;
  }
  const job: EventFinished = {
    type: 'event.finished',
    id,
    day,
    stem,
    startedAt: first.toISOString(),
    startOffsetMs: 0,
    trigger,
    wav,
    endedAt: new Date(first.getTime() + durationMs).toISOString(),
    endOffsetMs: durationMs,
    durationMs,
    opus,
    encode: { mode: 'offline-needed', bytes: 0, droppedFrames: 0, error: 'job file was corrupt; rebuilt from the spool' },
    ...levels,
    noiseFloorDbfs: -120,
    voiceRatio: 0,
    split: null,
    endReason: 'recovered',
  };
  return schemaError('event.schema.json', job) ? null : job;
}
