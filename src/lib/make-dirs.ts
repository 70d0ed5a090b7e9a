// Creating a folder and its parents, with the true reason when it cannot be done.
// Node's recursive mkdir answers ENOENT for a read-only file system or a missing
// permission below an existing folder (issue #16: `--out` on a read-only card said
// "ENOENT"); creating the missing levels one by one surfaces EROFS or EACCES.
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  ENOSPC: 'no space left',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a file is in the way',
  EEXIST: 'a file is in the way',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
};

/** "read-only file system (EROFS)": what a failed create means, for a one-line error. */
export function createErrorText(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  return REASONS[code] ? `${REASONS[code]} (${code})` : code || err.message;
}

/** `dir` and its parents, deepest last. */
function levels(dir: string): string[] {
  const out: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    out.unshift(d);
    if (dirname(d) === d) return out;
  }
}

const existed = (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EEXIST') throw err;
};

/** mkdir -p that throws the real error (EROFS, EACCES, ENOTDIR, …) instead of ENOENT. */
export async function makeDirs(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    for (const level of levels(dir)) await mkdir(level).catch(existed);
  }
}

/** makeDirs for code that must stay synchronous. */
export function makeDirsSync(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    for (const level of levels(dir)) {
      try {
        mkdirSync(level);
      } catch (e) {
        existed(e as NodeJS.ErrnoException);
      }
    }
  }
}
