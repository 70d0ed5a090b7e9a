// Reading a small file whose path someone else controls (a status file): never
// blocks (a FIFO), never follows a symlink, never opens a device, never reads
// more than a cap (/dev/zero, a 300 MB file). What is refused says why.
import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';

/** Status and config files are a few kB; past this a file is not one. */
export const SMALL_FILE_MAX_BYTES = 1024 * 1024;

/** A path that exists but names something that is not a small regular file. */
export class NotSmallFileError extends Error {
  constructor(
    readonly path: string,
    readonly why: 'symlink' | 'not-regular' | 'too-big',
    /** What it is, for a message: "a FIFO", "a symbolic link", "too big (300 MB)". */
    readonly what: string,
  ) {
    super(`${path}: ${what}`);
    this.name = 'NotSmallFileError';
  }
}

/** "a FIFO", "a directory", … for a file that is not a regular one. */
export function fileKind(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return st.isFile() ? 'a regular file' : 'an unknown kind of file';
}

function megabytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MB` : `${Math.ceil(n / 1024)} kB`;
}

/** Refuses what is not a regular file of at most `maxBytes` (`st` from lstat or fstat). */
export function checkSmallFile(path: string, st: Stats, maxBytes = SMALL_FILE_MAX_BYTES): void {
  if (st.isSymbolicLink()) throw new NotSmallFileError(path, 'symlink', 'a symbolic link (give the path of the file itself)');
  if (!st.isFile()) throw new NotSmallFileError(path, 'not-regular', `not a regular file (${fileKind(st)})`);
  if (st.size > maxBytes) throw new NotSmallFileError(path, 'too-big', `too big (${megabytes(st.size)})`);
}

/**
 * The whole content of `path` when it is a regular file of at most `maxBytes`.
 * Throws NotSmallFileError for anything else, and the system's error (ENOENT,
 * EACCES, …) when it cannot be opened.
 */
export async function readSmallFile(path: string, maxBytes = SMALL_FILE_MAX_BYTES): Promise<Buffer> {
  // lstat first: a device is never opened (opening some, like a watchdog, does something).
  checkSmallFile(path, await lstat(path), maxBytes);
  let fh;
  try {
    // Replaced between the two calls? O_NOFOLLOW refuses a symlink, O_NONBLOCK a FIFO
    // without a writer, and fstat below whatever else it has become.
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new NotSmallFileError(path, 'symlink', 'a symbolic link (give the path of the file itself)');
    throw err;
  }
  try {
    const st = await fh.stat();
    checkSmallFile(path, st, maxBytes);
    // Read to the end but never past the cap: a file that grows meanwhile is caught too.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(Math.max(st.size + 1 - total, 4096), maxBytes + 1 - total);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, total);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw new NotSmallFileError(path, 'too-big', `too big (over ${megabytes(maxBytes)})`);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await fh.close();
  }
}
