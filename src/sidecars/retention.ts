// Keeping the card alive: old recordings go to the trash (`--keep-days`), the
// trash is emptied after `--trash-days`, and when the disk is fuller than
// `--max-disk-usage` the oldest recordings are removed for good, trash first.
// Never a partial, never a recording marked `keep`, never one not yet archived
// when archiving is on; only a recording's own files (never a user's file beside
// them), and never through a symbolic link: a linked day folder, trash folder or
// file is left alone and said once (issue #16).
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { audioOf, dayFiles, dayFolders, moveStem, removeStem, type Place } from '../lib/recordings.js';
import { RefusedPath, lstatOrNull, realDirBelow, removeFileNoFollow } from '../lib/safe-fs.js';
import { localDay } from '../segment/naming.js';
import { diskUsagePercent } from '../lib/disk.js';
import { CLOCK_FLOOR_DAY } from '../lib/clock.js';

/** Midnight UTC of CLOCK_FLOOR_DAY: file times before it were stamped by a clock that was not set. */
const CLOCK_FLOOR_MS = Date.parse(`${CLOCK_FLOOR_DAY}T00:00:00Z`);

/**
 * Named by a clock that had not been set (a Pi without a real-time clock records
 * into 1970-01-01 until NTP steps the clock): the folder's age is unknown, and it
 * most likely holds the newest recordings, made since the last boot.
 */
export const unsetClockDay = (day: string): boolean => day < CLOCK_FLOOR_DAY;

export interface RetentionPolicy {
  /** Remove oldest recordings while the disk is fuller than this (percent, like df). */
  maxDiskUsagePercent?: number;
  /** Move recordings from day folders older than this many days into the trash. */
  keepDays?: number;
  /** Empty trashed files after this many days. */
  trashDays: number;
  /** Archiving is on: a recording without its `.archived` marker is never removed. */
  archiving: boolean;
}

export interface RetentionResult {
  trashed: number;
  purged: number;
  usedPercent: number | null;
  /** Still over --max-disk-usage with nothing left that may be removed. */
  stuck: boolean;
}

export class Retention {
  constructor(
    private readonly out: string,
    private readonly policy: RetentionPolicy,
    private readonly log: Logger,
    private readonly usage: (path: string) => Promise<number | null> = diskUsagePercent,
    private readonly now: () => number = Date.now,
  ) {}

  /** Day folders already reported as dated by an unset clock (logged once each). */
  private readonly reported = new Set<string>();
  /** Links (and the like) already refused: said once each, not at every run. */
  private readonly refusedPaths = new Set<string>();

  /**
   * A refused link, or a file where the trash folder should be made: one line,
   * once per path for the life of this Retention (it runs every few minutes).
   */
  private refuse(err: unknown): void {
    const e = err as NodeJS.ErrnoException;
    const refused = err instanceof RefusedPath ? err : e.code === 'ENOTDIR' && e.path ? new RefusedPath(e.path, 'is not a folder') : null;
    if (!refused) throw err;
    if (this.refusedPaths.has(refused.path)) return;
    this.refusedPaths.add(refused.path);
    this.log.warn({ path: refused.path, reason: refused.reason }, `retention: ${refused.path} ${refused.reason}; left alone (never followed, moved or removed)`);
  }

  /** A recording may go: not kept (any `.keep` entry counts), archived when archiving is on. */
  private async removable(dir: string, stem: string, names: string[]): Promise<boolean> {
    if (await lstatOrNull(join(dir, `${stem}.keep`))) return false;
    if (this.policy.archiving && !names.includes(`${stem}.archived`)) return false;
    return true;
  }

  /** The trash folder when it is a real folder (made when `create`); null when missing or refused. */
  private async trash(create: boolean): Promise<string | null> {
    return realDirBelow(this.out, ['.trash'], { create }).catch((err: unknown) => {
      this.refuse(err);
      return null;
    });
  }

  async run(): Promise<RetentionResult> {
    const result: RetentionResult = { trashed: 0, purged: 0, usedPercent: null, stuck: false };
    // 1. The trash keeps deleted recordings for --trash-days (rename sets ctime: time of deletion).
    const trashCutoff = this.now() - this.policy.trashDays * 86_400_000;
    const trash = await this.trash(false);
    for (const day of trash ? await dayFolders(trash) : []) {
      const files = await dayFiles(this.out, 'trash', day).catch((err: unknown) => this.refuse(err));
      if (!files?.dir) continue;
      for (const r of files.refused) this.refuse(r);
      for (const name of [...files.stems.values()].flat()) {
        const path = join(files.dir, name);
        const st = await lstatOrNull(path);
        // A ctime before CLOCK_FLOOR_DAY was stamped before the clock was set: age unknown, kept.
        if (st && st.ctimeMs < trashCutoff && st.ctimeMs >= CLOCK_FLOOR_MS && (await removeFileNoFollow(path).catch((err: unknown) => this.refuse(err)))) result.purged++;
      }
    }
    // 2. --keep-days: whole day folders older than the cut-off go to the trash.
    if (this.policy.keepDays !== undefined) {
      let to = trash;
      const cutoffDay = localDay(new Date(this.now() - this.policy.keepDays * 86_400_000));
      for (const day of await dayFolders(this.out)) {
        if (day >= cutoffDay) break;
        if (unsetClockDay(day)) {
          if (!this.reported.has(day)) {
            this.reported.add(day);
            this.log.warn({ day, floor: CLOCK_FLOOR_DAY }, 'retention: this day folder was named before the clock was set (no RTC, NTP not yet synced): its age is unknown, so --keep-days leaves it');
          }
          continue;
        }
        for (const r of await this.recordings('recordings', day, false)) {
          // The trash is made (or found to be a link) only when something is to go there.
          if (!(to ??= await this.trash(true))) break;
          const moved = await moveStem(this.out, day, r.stem, 'recordings', 'trash').catch((err: unknown) => this.refuse(err));
          if (!moved?.length) continue;
          result.trashed++;
          this.log.info({ day, stem: r.stem, keepDays: this.policy.keepDays }, 'retention: moved an old recording to the trash');
        }
      }
    }
    // 3. --max-disk-usage: the trash goes first, then the oldest recordings, for good.
    const max = this.policy.maxDiskUsagePercent;
    result.usedPercent = await this.usage(this.out);
    if (max !== undefined && result.usedPercent !== null && result.usedPercent > max) {
      const victims = this.oldestFirst('trash')[Symbol.asyncIterator]();
      const recordings = this.oldestFirst('recordings')[Symbol.asyncIterator]();
      while (result.usedPercent !== null && result.usedPercent > max) {
        const next = (await victims.next()).value ?? (await recordings.next()).value;
        if (!next) {
          result.stuck = true;
          this.log.error({ usedPercent: Math.round(result.usedPercent), max }, 'retention: disk still too full and nothing left that may be removed (kept, unarchived, partial, linked or not a recording)');
          break;
        }
        const removed = await removeStem(this.out, next.day, next.stem, next.where).catch((err: unknown) => this.refuse(err));
        if (!removed?.length) continue;
        result.purged += removed.length;
        this.log.warn({ day: next.day, stem: next.stem, from: next.where, usedPercent: Math.round(result.usedPercent) }, 'retention: removed for good to free space');
        result.usedPercent = await this.usage(this.out);
      }
    }
    // Past days' folders left empty go too (rmdir refuses a folder that is not
    // empty, and a link; today's may be about to receive a partial).
    const today = localDay(new Date(this.now()));
    for (const root of [this.out, await this.trash(false)]) {
      for (const day of root ? await dayFolders(root) : []) if (day < today) await rmdir(join(root!, day)).catch(() => undefined);
    }
    return result;
  }

  /** The recordings of a day folder that may go (`any`: kept or not, in the trash), oldest first; a refused folder has none. */
  private async recordings(where: Place, day: string, any: boolean): Promise<Array<{ where: Place; day: string; stem: string }>> {
    const files = await dayFiles(this.out, where, day).catch((err: unknown) => this.refuse(err));
    if (!files?.dir) return [];
    for (const r of files.refused) this.refuse(r);
    const out: Array<{ where: Place; day: string; stem: string }> = [];
    for (const [stem, names] of files.stems) {
      if (audioOf(stem, names) && (any || (await this.removable(files.dir, stem, names)))) out.push({ where, day, stem });
    }
    return out;
  }

  private async *oldestFirst(where: Place): AsyncGenerator<{ where: Place; day: string; stem: string }> {
    const root = where === 'trash' ? await this.trash(false) : this.out;
    if (!root) return;
    // Days named by an unset clock are not the oldest but most likely the newest: last.
    const days = await dayFolders(root);
    for (const day of [...days.filter((d) => !unsetClockDay(d)), ...days.filter(unsetClockDay)]) {
      yield* await this.recordings(where, day, where === 'trash');
    }
  }
}
