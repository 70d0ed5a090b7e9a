// segmenter_status.json as the dashboard sees it: validated against its schema,
// with derived fields (stale? how old? where to play the event in progress). A
// missing, corrupt or invalid file is an answer ("not running"), never an error;
// so is one that is not a status file at all (a FIFO, a device, a symlink, huge),
// which is never waited on or read whole.
import { lstat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { SegmenterStatus } from '../lib/contracts.js';
import { NotSmallFileError, readSmallFile } from '../lib/read-small-file.js';
import { STALE_AFTER_MS, statusAgeMs, statusProblem } from '../status/read-status.js';
import { DAY_DIR } from '../lib/recordings.js';
import { parseName } from './names.js';
import type { RecordingJson } from './recording-json.js';

export interface LiveEvent {
  id: string;
  day: string;
  stem: string;
  /** `<stem>.partial.opus` */
  file: string;
  /** The growing file itself (held open while it grows). */
  url: string;
  /** WebM remux of it for Media Source Extensions (starts at once, follows the live edge). */
  liveUrl: string;
}

export interface StatusView {
  running: boolean;
  stale: boolean;
  reason: string | null;
  statusFile: string;
  ageMs: number | null;
  live: LiveEvent | null;
  /** The event in progress as a list entry (what /api/recordings puts first). */
  recording: RecordingJson | null;
  status: SegmenterStatus | null;
}

interface Cached {
  /** The file's identity as lstat sees it: a rename, a rewrite or a new kind of file changes it. */
  key: string;
  /** Shared by reads that arrive while it loads: one load (and one warning) per version. */
  loaded: Promise<{ status: SegmenterStatus | null; reason: string | null }>;
}

export interface StatusReaderOptions {
  /** Called with every view read (the server keeps a remux warm while an event is live). */
  onRead?: (view: StatusView) => void;
  /** Told once per file that is not a status file (not once per read). */
  log?: Logger;
}

/** `2026-11-26/10-15-02_vad_7f3a.partial.opus` → its day and stem, if it is one. */
export function partialLocation(partialPath: string | null | undefined): { day: string; stem: string; file: string } | null {
  if (!partialPath) return null;
  const file = basename(partialPath);
  const day = basename(dirname(partialPath));
  const { stem, kind } = parseName(file);
  return DAY_DIR.test(day) && kind === 'partial' ? { day, stem, file } : null;
}

export class StatusReader {
  private cached: Cached | undefined;

  constructor(
    readonly path: string,
    private readonly opts: StatusReaderOptions = {},
  ) {}

  /** Re-reads the file only when it changed (lstat: mtime, size, inode, type) since the last call. */
  async read(now = Date.now()): Promise<StatusView> {
    const view = await this.readView(now);
    this.opts.onRead?.(view);
    return view;
  }

  private async readView(now: number): Promise<StatusView> {
    // lstat, not stat: a symlink is seen (and refused), a FIFO or a device is never opened.
    const st = await lstat(this.path).catch((err: NodeJS.ErrnoException) => err);
    if (st instanceof Error) {
      this.cached = undefined;
      const reason = st.code === 'ENOENT' ? 'segmenter not running: no status file' : `segmenter status unreadable (${st.code})`;
      return this.view(null, reason, now);
    }
    const key = `${st.mode}:${st.ino}:${st.size}:${st.mtimeMs}`;
    if (this.cached?.key !== key) this.cached = { key, loaded: this.load() };
    const { status, reason } = await this.cached.loaded;
    return this.view(status, reason, now);
  }

  private async load(): Promise<{ status: SegmenterStatus | null; reason: string | null }> {
    let value: unknown;
    try {
      value = JSON.parse((await readSmallFile(this.path)).toString('utf8'));
    } catch (err) {
      if (err instanceof NotSmallFileError) {
        this.opts.log?.warn({ path: this.path, problem: err.what }, 'segmenter status is not a status file; not read (the dashboard shows the segmenter as not running)');
        return { status: null, reason: `segmenter status is not a status file: ${err.what}` };
      }
      const e = err as NodeJS.ErrnoException;
      return { status: null, reason: e.code ? `segmenter status unreadable (${e.code})` : 'segmenter status is not valid JSON' };
    }
    const problem = statusProblem(value);
    if (problem) return { status: null, reason: `segmenter status ${problem}` };
    return { status: value as SegmenterStatus, reason: null };
  }

  private view(status: SegmenterStatus | null, reason: string | null, now: number): StatusView {
    if (!status) return { running: false, stale: false, reason, statusFile: this.path, ageMs: null, live: null, recording: null, status: null };
    const updated = Date.parse(status.updatedAt);
    const ageMs = Number.isFinite(updated) ? statusAgeMs(updated, now) : null;
    const stale = ageMs === null || ageMs > STALE_AFTER_MS;
    const loc = stale ? null : partialLocation(status.event?.partialPath);
    const live: LiveEvent | null =
      loc && status.event
        ? {
            id: status.event.id,
            ...loc,
            url: `/recordings/${loc.day}/${encodeURIComponent(loc.file)}`,
            liveUrl: `/live/${loc.day}/${encodeURIComponent(loc.stem)}.webm`,
          }
        : null;
    return {
      running: !stale,
      stale,
      reason: stale ? `segmenter not running: status last updated ${ageMs === null ? 'at an unknown time' : `${Math.round(ageMs / 1000)} s ${updated > now ? 'in the future (the clock stepped back)' : 'ago'}`}` : null,
      statusFile: this.path,
      ageMs,
      live,
      recording: live && status.event ? inProgressEntry(live, status) : null,
      status,
    };
  }
}

function inProgressEntry(live: LiveEvent, status: SegmenterStatus): RecordingJson {
  const ev = status.event!;
  return {
    id: `${live.day}/${live.stem}`,
    day: live.day,
    stem: live.stem,
    file: live.file,
    inProgress: true,
    url: live.url,
    liveUrl: live.liveUrl,
    size: ev.eventSizeBytes,
    startedAt: ev.startedAt,
    updatedAt: status.updatedAt,
    trigger: ev.trigger,
    durationMs: ev.durationMs,
    durationEstimated: false,
    voiceRatio: null,
    waveformUrl: null,
    transcriptUrl: null,
    excerpt: null,
    keep: false,
  };
}
