// Deleting is moving: a recording and its sidecars go to <out>/.trash/<day>/ and
// can be restored; only "empty the trash" removes files for good. Partials are
// never moved (they are read-only until renamed), nor a user's own files, and
// nothing goes through a symbolic link: a linked day folder, trash folder or
// file is refused (409), never followed (issue #16).
import { rmdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { STEM, dayFiles, dayFolders, moveStem, removeStem } from '../lib/recordings.js';
import { RefusedPath, lstatOrNull, realDirBelow } from '../lib/safe-fs.js';

export class ConflictError extends Error {}

/**
 * A refusal becomes a ConflictError (409) naming the path inside the root, and
 * one line in the log when there is a log; anything else is passed on.
 */
export function refusal(root: string, err: unknown, log?: Logger): unknown {
  if (!(err instanceof RefusedPath)) return err;
  const where = relative(root, err.path) || '.';
  log?.warn({ path: err.path, reason: err.reason }, `refused: ${err.path} ${err.reason}`);
  return new ConflictError(`${where} ${err.reason}; left alone`);
}

/** Move a finished recording and its sidecars (never a partial) to the trash; returns the names moved. */
export async function trashRecording(root: string, day: string, stem: string, log?: Logger): Promise<string[]> {
  // A file the dashboard lists under another name (one copied in by hand) is not the tools' to move.
  if (!STEM.test(stem)) throw new ConflictError(`${stem} is not a recording's name (HH-MM-SS_trigger_id); left alone`);
  try {
    return await moveStem(root, day, stem, 'recordings', 'trash');
  } catch (err) {
    throw refusal(root, err, log);
  }
}

/** Move a recording back from the trash; [] when it is not there. Never into a linked day folder. */
export async function restoreRecording(root: string, day: string, stem: string, log?: Logger): Promise<string[]> {
  try {
    return await moveStem(root, day, stem, 'trash', 'recordings');
  } catch (err) {
    throw refusal(root, err, log);
  }
}

export interface TrashEntry {
  day: string;
  stem: string;
  files: string[];
  bytes: number;
  /** When it was moved there (the rename changes ctime). */
  deletedAt: string;
}

/** The real trash day folders, newest first (a linked .trash or day folder is skipped, and logged). */
async function trashDays(root: string, log?: Logger): Promise<string[]> {
  const trash = await realDirBelow(root, ['.trash']).catch((err: unknown) => {
    throw refusal(root, err, log);
  });
  return trash ? (await dayFolders(trash)).reverse() : [];
}

/** Newest first; bounded by `limit`. Only recordings' own regular files in real folders. */
export async function listTrash(root: string, limit = 500, log?: Logger): Promise<TrashEntry[]> {
  const days = await trashDays(root, log).catch((err: unknown) => {
    if (err instanceof ConflictError) return [];
    throw err;
  });
  const out: TrashEntry[] = [];
  for (const day of days) {
    const files = await dayFiles(root, 'trash', day).catch((err: unknown) => {
      if (refusal(root, err, log) instanceof ConflictError) return null;
      throw err;
    });
    if (!files?.dir) continue;
    const entries: TrashEntry[] = [];
    for (const [stem, names] of files.stems) {
      const e: TrashEntry = { day, stem, files: [], bytes: 0, deletedAt: '' };
      for (const name of names) {
        const st = await lstatOrNull(join(files.dir, name));
        if (!st?.isFile()) continue;
        e.files.push(name);
        e.bytes += st.size;
        if (st.ctime.toISOString() > e.deletedAt) e.deletedAt = st.ctime.toISOString();
      }
      if (e.files.length) entries.push(e);
    }
    out.push(...entries.reverse());
    if (out.length >= limit) return out.slice(0, limit);
  }
  return out;
}

/** Remove every recording in the trash for good; returns how many files went. Links and other files stay. */
export async function emptyTrash(root: string, log?: Logger): Promise<number> {
  let removed = 0;
  for (const e of await listTrash(root, Number.MAX_SAFE_INTEGER, log)) {
    // A recording one of whose names is a link stays whole (and is logged); the rest go.
    const gone = await removeStem(root, e.day, e.stem, 'trash').catch((err: unknown) => {
      if (refusal(root, err, log) instanceof ConflictError) return [];
      throw err;
    });
    removed += gone.length;
  }
  // Day folders left empty go (rmdir refuses one that is not empty, and a link).
  for (const day of await trashDays(root, log).catch(() => [])) await rmdir(join(root, '.trash', day)).catch(() => undefined);
  return removed;
}
