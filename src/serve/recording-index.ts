// The in-memory index of finished recordings: built by one scan at start, then
// kept up to date by watching the root and each day folder (a change rescans
// only that day). Requests never scan the card; 10 000 recordings cost a few MB.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DAY_DIR } from '../lib/recordings.js';
import { parseName, triggerOf, type FileKind } from './names.js';
import { durationFromSize, readTranscriptText, readWaveformMeta } from './sidecars.js';
import { isInside } from './paths.js';

export interface Recording {
  day: string;
  stem: string;
  /** The audio file's name in the day folder. */
  file: string;
  size: number;
  mtimeMs: number;
  trigger: string | null;
  durationMs: number | null;
  /** true when durationMs is guessed from the size (no waveform sidecar yet). */
  durationEstimated: boolean;
  voiceRatio: number | null;
  waveform: boolean;
  /** The waveform sidecar's mtime (0 without one): a rewrite is noticed even when the audio is unchanged. */
  waveformMtimeMs: number;
  transcript: boolean;
  keep: boolean;
  /** The first words of the transcript, null without one. */
  excerpt: string | null;
  /** The transcript lower-cased (capped), for search; the only full copy kept. */
  search: string | null;
}

export type IndexChange =
  | { kind: 'added' | 'finalised' | 'updated'; recording: Recording }
  | { kind: 'removed'; day: string; stem: string };

export interface Query {
  cursor?: string;
  limit: number;
  day?: string;
  trigger?: string;
  minDurationMs?: number;
  maxDurationMs?: number;
  q?: string;
}

/** Sort key: newest first is descending order of "<day>/<stem>" (stems start with HH-MM-SS). */
export const keyOf = (r: { day: string; stem: string }) => `${r.day}/${r.stem}`;

interface StemFiles {
  audio?: string;
  partial?: string;
  waveform?: string;
  transcript?: string;
  keep?: string;
}

const RESCAN_DEBOUNCE_MS = 100;
const EXCERPT_CHARS = 140;
const SCAN_PARALLEL = 8;

export class RecordingIndex extends EventEmitter {
  /** Newest first. */
  private list: Recording[] = [];
  private readonly byKey = new Map<string, Recording>();
  /** Stems that had a partial at the last scan, per day: a final appearing for one is "finalised". */
  private readonly partials = new Map<string, Set<string>>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private rootWatcher: FSWatcher | undefined;
  private closed = false;

  constructor(
    /** Already resolved (realpath): what is indexed must resolve to a path below it. */
    private readonly root: string,
    private readonly log: Logger,
  ) {
    super();
  }

  get size(): number {
    return this.list.length;
  }

  async start(): Promise<void> {
    this.rootWatcher = this.watchDir(this.root, (name) => {
      if (name && DAY_DIR.test(name)) this.schedule(name);
      else if (!name) for (const day of this.watchers.keys()) this.schedule(day);
    });
    const days = (await readdir(this.root).catch(() => [] as string[])).filter((d) => DAY_DIR.test(d));
    for (const day of days) await this.rescan(day, false);
  }

  close(): void {
    this.closed = true;
    this.rootWatcher?.close();
    for (const w of this.watchers.values()) w.close();
    for (const t of this.timers.values()) clearTimeout(t);
    this.watchers.clear();
    this.timers.clear();
  }

  get(day: string, stem: string): Recording | undefined {
    return this.byKey.get(`${day}/${stem}`);
  }

  /** Whether a `.partial` file for this stem was seen at the last scan. */
  hasPartial(day: string, stem: string): boolean {
    return this.partials.get(day)?.has(stem) ?? false;
  }

  query(q: Query): { items: Recording[]; nextCursor: string | null } {
    let i = q.cursor ? this.firstBelow(q.cursor) : 0;
    const words = q.q ? q.q.toLowerCase().split(/\s+/).filter(Boolean) : [];
    const items: Recording[] = [];
    for (; i < this.list.length && items.length < q.limit; i++) {
      const r = this.list[i]!;
      if (q.day && r.day !== q.day) {
        // Days are sorted: past the wanted day nothing more can match.
        if (r.day < q.day) break;
        continue;
      }
      if (q.trigger && r.trigger !== q.trigger) continue;
      if (q.minDurationMs !== undefined && (r.durationMs === null || r.durationMs < q.minDurationMs)) continue;
      if (q.maxDurationMs !== undefined && (r.durationMs === null || r.durationMs > q.maxDurationMs)) continue;
      if (words.length && !(r.search && words.every((w) => r.search!.includes(w)))) continue;
      items.push(r);
    }
    // A cursor whenever the page is full and entries remain; the next page may turn out empty.
    const more = items.length === q.limit && i < this.list.length;
    return { items, nextCursor: more ? keyOf(items.at(-1)!) : null };
  }

  /** Re-read one day folder now (after the server itself moved files, say). */
  async refresh(day: string): Promise<void> {
    await this.rescan(day, true);
  }

  /** Index of the first entry whose key sorts below `key` (binary search on the descending list). */
  private firstBelow(key: string): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keyOf(this.list[mid]!) >= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private watchDir(dir: string, onName: (name: string | null) => void): FSWatcher | undefined {
    try {
      const w = watch(dir, { persistent: false }, (_type, name) => onName(name ? String(name) : null));
      w.on('error', (err) => this.log.warn({ dir, err: err.message }, 'stopped watching a directory'));
      return w;
    } catch (err) {
      this.log.warn({ dir, err: (err as Error).message }, 'cannot watch a directory; its changes show up only after a restart');
      return undefined;
    }
  }

  private schedule(day: string): void {
    if (this.closed) return;
    clearTimeout(this.timers.get(day));
    this.timers.set(
      day,
      setTimeout(() => {
        this.timers.delete(day);
        this.rescan(day, true).catch((err: Error) => this.log.warn({ day, err: err.message }, 'rescan failed'));
      }, RESCAN_DEBOUNCE_MS),
    );
  }

  private async rescan(day: string, notify: boolean): Promise<void> {
    const dir = join(this.root, day);
    let names: string[];
    try {
      // Symlinks that lead out of the root (a day folder, an audio file, a transcript) are
      // not indexed, as paths.ts would not serve them: an outside transcript would
      // otherwise show in excerpts and search.
      names = [];
      if (await this.insideRoot(dir)) {
        for (const d of await readdir(dir, { withFileTypes: true })) {
          if (!d.isSymbolicLink() || (await this.insideRoot(join(dir, d.name)))) names.push(d.name);
        }
      }
    } catch {
      names = [];
    }
    if (this.closed) return;
    if (names.length && !this.watchers.has(day)) {
      const w = this.watchDir(dir, () => this.schedule(day));
      if (w) this.watchers.set(day, w);
    } else if (!names.length && this.watchers.has(day)) {
      this.watchers.get(day)!.close();
      this.watchers.delete(day);
    }
    const stems = new Map<string, StemFiles>();
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const { stem, kind } = parseName(name);
      if (kind === 'other') continue;
      const files = stems.get(stem) ?? {};
      files[kind as Exclude<FileKind, 'other'>] = name;
      stems.set(stem, files);
    }
    const hadPartial = this.partials.get(day) ?? new Set<string>();
    const nowPartial = new Set<string>();
    const seen = new Set<string>();
    const work: Array<() => Promise<void>> = [];
    for (const [stem, files] of stems) {
      if (files.partial) nowPartial.add(stem);
      // A partial is never a finished recording, even if a final of that stem exists too.
      if (!files.audio || files.partial) continue;
      seen.add(stem);
      work.push(async () => {
        const fresh = await this.load(day, stem, files);
        if (!fresh || this.closed) return;
        const old = this.byKey.get(keyOf(fresh));
        if (old && sameRecording(old, fresh)) return;
        this.put(fresh);
        if (notify) this.emit('change', { kind: old ? 'updated' : hadPartial.has(stem) ? 'finalised' : 'added', recording: fresh } satisfies IndexChange);
      });
    }
    for (let i = 0; i < work.length; i += SCAN_PARALLEL) await Promise.all(work.slice(i, i + SCAN_PARALLEL).map((f) => f()));
    if (nowPartial.size) this.partials.set(day, nowPartial);
    else this.partials.delete(day);
    for (const r of this.list.filter((r) => r.day === day && !seen.has(r.stem))) {
      this.remove(r);
      if (notify) this.emit('change', { kind: 'removed', day, stem: r.stem } satisfies IndexChange);
    }
  }

  /** Whether `path`, its symlinks resolved, exists inside the root. */
  private async insideRoot(path: string): Promise<boolean> {
    const real = await realpath(path).catch(() => null);
    return real !== null && isInside(this.root, real);
  }

  private async load(day: string, stem: string, files: StemFiles): Promise<Recording | null> {
    const dir = join(this.root, day);
    const st = await stat(join(dir, files.audio!)).catch(() => null);
    if (!st?.isFile()) return null;
    const old = this.byKey.get(`${day}/${stem}`);
    const waveformPath = files.waveform ? join(dir, files.waveform) : null;
    const waveformMtimeMs = waveformPath ? ((await stat(waveformPath).catch(() => null))?.mtimeMs ?? 0) : 0;
    // Sidecars are re-read only when the audio, the waveform or the set of sidecars changed.
    const sameFiles = old && old.size === st.size && old.mtimeMs === st.mtimeMs && old.waveformMtimeMs === waveformMtimeMs && old.transcript === !!files.transcript;
    const wave = sameFiles
      ? { durationMs: old.durationEstimated ? null : old.durationMs, voiceRatio: old.voiceRatio, broken: !old.waveform && waveformMtimeMs > 0 }
      : waveformPath
        ? await readWaveformMeta(waveformPath)
        : { durationMs: null, voiceRatio: null, broken: false };
    // A damaged sidecar (a bad card, a stray write) is not offered to the page; said once per version of the file.
    if (wave.broken && !sameFiles) this.log.warn({ day, stem, waveform: waveformPath }, 'waveform sidecar is unreadable; listed without it (rec-sidecars --repair rebuilds it)');
    const text = sameFiles ? null : files.transcript ? await readTranscriptText(join(dir, files.transcript)) : null;
    const estimated = wave.durationMs === null;
    return {
      day,
      stem,
      file: files.audio!,
      size: st.size,
      mtimeMs: st.mtimeMs,
      trigger: triggerOf(stem),
      durationMs: estimated ? durationFromSize(st.size) : Math.round(wave.durationMs!),
      durationEstimated: estimated,
      voiceRatio: wave.voiceRatio,
      waveform: !!files.waveform && !wave.broken,
      waveformMtimeMs,
      transcript: !!files.transcript,
      keep: !!files.keep,
      excerpt: sameFiles ? old.excerpt : text ? text.slice(0, EXCERPT_CHARS) : null,
      search: sameFiles ? old.search : text ? text.toLowerCase() : null,
    };
  }

  private put(r: Recording): void {
    const key = keyOf(r);
    const old = this.byKey.get(key);
    this.byKey.set(key, r);
    if (old) {
      this.list[this.list.indexOf(old)] = r;
      return;
    }
    this.list.splice(this.firstBelow(key), 0, r);
  }

  private remove(r: Recording): void {
    this.byKey.delete(keyOf(r));
    const i = this.list.indexOf(r);
    if (i >= 0) this.list.splice(i, 1);
  }
}

function sameRecording(a: Recording, b: Recording): boolean {
  return (
    a.file === b.file &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.durationMs === b.durationMs &&
    a.waveform === b.waveform &&
    a.waveformMtimeMs === b.waveformMtimeMs &&
    a.transcript === b.transcript &&
    a.keep === b.keep &&
    a.search === b.search
  );
}
