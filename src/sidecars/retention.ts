// Keeping the card alive: old recordings go to the trash (`--keep-days`), the
// trash is emptied after `--trash-days`, and when the disk is fuller than
// `--max-disk-usage` the oldest recordings are removed for good, trash first.
// Never a partial, never a recording marked `keep`, never one not yet archived
// when archiving is on.
import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { archivedMarker, dayFolders, exists, filesOfStem, keepMarker, moveStem, recordingsOfDay, trashDir, type RecordingRef } from '../lib/recordings.js';
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

  private async removable(r: RecordingRef): Promise<boolean> {
    if (await exists(keepMarker(this.out, r))) return false;
    if (this.policy.archiving && !(await exists(archivedMarker(this.out, r)))) return false;
    return true;
  }

  async run(): Promise<RetentionResult> {
    const result: RetentionResult = { trashed: 0, purged: 0, usedPercent: null, stuck: false };
    const trash = trashDir(this.out);
    // 1. The trash keeps deleted recordings for --trash-days (rename sets ctime: time of deletion).
    const trashCutoff = this.now() - this.policy.trashDays * 86_400_000;
    for (const day of await dayFolders(trash)) {
      for (const name of await readdir(join(trash, day)).catch(() => [] as string[])) {
        const st = await stat(join(trash, day, name)).catch(() => null);
        // A ctime before CLOCK_FLOOR_DAY was stamped before the clock was set: age unknown, kept.
        if (st && st.ctimeMs < trashCutoff && st.ctimeMs >= CLOCK_FLOOR_MS) {
          await rm(join(trash, day, name), { force: true });
          result.purged++;
        }
      }
    }
    // 2. --keep-days: whole day folders older than the cut-off go to the trash.
    if (this.policy.keepDays !== undefined) {
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
        for (const r of await recordingsOfDay(this.out, day)) {
          if (!(await this.removable(r))) continue;
          await moveStem(this.out, trash, day, r.stem);
          result.trashed++;
          this.log.info({ day, stem: r.stem, keepDays: this.policy.keepDays }, 'retention: moved an old recording to the trash');
        }
      }
    }
    // 3. --max-disk-usage: the trash goes first, then the oldest recordings, for good.
    const max = this.policy.maxDiskUsagePercent;
    result.usedPercent = await this.usage(this.out);
    if (max !== undefined && result.usedPercent !== null && result.usedPercent > max) {
      const victims = this.oldestFirst(trash, true)[Symbol.asyncIterator]();
      const recordings = this.oldestFirst(this.out, false)[Symbol.asyncIterator]();
      while (result.usedPercent !== null && result.usedPercent > max) {
        const next = (await victims.next()).value ?? (await recordings.next()).value;
        if (!next) {
          result.stuck = true;
          this.log.error({ usedPercent: Math.round(result.usedPercent), max }, 'retention: disk still too full and nothing left that may be removed (kept, unarchived or partial)');
          break;
        }
        const files = await filesOfStem(next.root, next.day, next.stem);
        for (const f of files) await rm(join(next.root, next.day, f), { force: true });
        result.purged += files.length;
        this.log.warn({ day: next.day, stem: next.stem, from: next.root === trash ? 'trash' : 'recordings', usedPercent: Math.round(result.usedPercent) }, 'retention: removed for good to free space');
        result.usedPercent = await this.usage(this.out);
      }
    }
    // Past days' folders left empty go too (rmdir refuses a folder that is not
    // empty; today's may be about to receive a partial).
    const today = localDay(new Date(this.now()));
    for (const root of [this.out, trash]) {
      for (const day of await dayFolders(root)) if (day < today) await rmdir(join(root, day)).catch(() => undefined);
    }
    return result;
  }

  private async *oldestFirst(root: string, inTrash: boolean): AsyncGenerator<RecordingRef & { root: string }> {
    // Days named by an unset clock are not the oldest but most likely the newest: last.
    const days = await dayFolders(root);
    for (const day of [...days.filter((d) => !unsetClockDay(d)), ...days.filter(unsetClockDay)]) {
      for (const r of await recordingsOfDay(root, day)) {
        if (inTrash || (await this.removable(r))) yield { ...r, root };
      }
    }
  }
}
