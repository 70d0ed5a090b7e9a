// File operations that never follow a symbolic link, for everything that deletes,
// moves or creates in the recordings folder (issue #16): a day folder, a trash
// folder or a file that is a link would make the operation land outside it.
// Each step is checked with lstat; a link is refused with a RefusedPath, which
// the caller logs in one line and answers (rec-serve: 409).
// The checks and the operation are separate calls (Node has no openat), so they
// guard against a misplaced or planted link, not against one swapped in between.
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';

/** An operation refused because of what is at `path` (a link, not a folder, already there). */
export class RefusedPath extends Error {
  override name = 'RefusedPath';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path} ${reason}; left alone`);
  }
}

/** lstat, or null when nothing is there. */
export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}

/** What a non-regular entry is, for a refusal's message. */
export function notRegular(st: Stats): string {
  return st.isSymbolicLink() ? 'is a symbolic link' : st.isDirectory() ? 'is a folder' : 'is not a regular file';
}

/**
 * `root/parts…` when every step below `root` is a real folder (`root` itself is
 * trusted: `--out` may well be a link). A missing step is made when `create` is
 * set, else the answer is null (also when a step is a file). Throws RefusedPath
 * at the first step that is a link; ENOTDIR when `create` meets a file.
 */
export async function realDirBelow(root: string, parts: string[], opts: { create?: boolean } = {}): Promise<string | null> {
  let path = root;
  for (const part of parts) {
    path = join(path, part);
    let st = await lstatOrNull(path);
    if (!st && opts.create) {
      await mkdir(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      st = await lstatOrNull(path);
    }
    if (!st) return null;
    if (st.isSymbolicLink()) throw new RefusedPath(path, 'is a symbolic link');
    if (st.isDirectory()) continue;
    // A file where a folder belongs: no folder to read; one to write in fails as fs itself would.
    if (!opts.create) return null;
    throw Object.assign(new Error(`ENOTDIR: not a directory, ${path}`), { code: 'ENOTDIR', path });
  }
  return path;
}

/** Remove a regular file (never what a link points to, never a link); false when it was not there. */
export async function removeFileNoFollow(path: string): Promise<boolean> {
  const st = await lstatOrNull(path);
  if (!st) return false;
  if (!st.isFile()) throw new RefusedPath(path, notRegular(st));
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Create an empty file (a marker) unless one is there: O_CREAT|O_EXCL|O_NOFOLLOW,
 * so a link at `path` (even a dangling one) never creates or touches its target.
 * 'exists' when a regular file is already there; RefusedPath for anything else.
 */
export async function createExclusiveNoFollow(path: string, mode = 0o644): Promise<'created' | 'exists'> {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
  try {
    await (await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode)).close();
    return 'created';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ELOOP') throw err;
    const st = await lstatOrNull(path);
    if (st?.isFile()) return 'exists';
    throw new RefusedPath(path, st ? notRegular(st) : 'changed while being created');
  }
}

/** Nothing is at `to`, or `from` itself is (a move cut off between its link and its unlink). */
export async function freeToMove(from: string, to: string): Promise<boolean> {
  const dst = await lstatOrNull(to);
  if (!dst) return true;
  const src = await lstatOrNull(from);
  return !!src && dst.ino === src.ino && dst.dev === src.dev;
}

/**
 * Move a regular file to `to`, never replacing anything there: a hard link then
 * the unlink of `from` (a move cut off between the two leaves both names on the
 * same file, which the next move finishes). On a filesystem without hard links,
 * a rename after checking that `to` is free.
 */
export async function moveFileNoReplace(from: string, to: string): Promise<void> {
  const src = await lstatOrNull(from);
  if (!src) throw Object.assign(new Error(`${from}: gone`), { code: 'ENOENT' });
  if (!src.isFile()) throw new RefusedPath(from, notRegular(src));
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!(await freeToMove(from, to))) throw new RefusedPath(to, 'already exists');
    } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      if (await lstatOrNull(to)) throw new RefusedPath(to, 'already exists');
      await rename(from, to);
      return;
    } else throw err;
  }
  await unlink(from);
}
