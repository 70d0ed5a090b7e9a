// Atomic file replacement (temp file + rename) for status, job and sidecar files,
// so a reader never sees half a file. With fsync (the default) the new content is
// on the disk before the rename, so a power cut leaves the old file or the new one.
//
// The temp file has one fixed name per target, `<path>.tmp`: a writer killed
// mid-write leaves at most that one file, and the next write of the same path
// takes it over. (write-file-atomic, used before, names its temp files
// `<path>.<random>`: every kill -9 mid-write left one more for good, and it
// cost ~1 ms of CPU per call, a quarter of rec-segment's CPU at 4 status writes/s.)
// Writes of one path within a process are queued; two processes must not write
// the same path (none do: each file has one owner, DESIGN.md).
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

const queues = new Map<string, Promise<void>>();

/** The temp file a write of `path` goes through. */
export function tempPathFor(path: string): string {
  return `${path}.tmp`;
}

export function atomicWrite(path: string, data: string | Buffer, opts: { fsync?: boolean } = {}): Promise<void> {
  const before = queues.get(path) ?? Promise.resolve();
  const done = before.then(() => writeThenRename(path, data, opts.fsync ?? true));
  const settled = done.catch(() => undefined);
  queues.set(path, settled);
  // The queue entry goes once nothing else waits behind it: the map stays as small as the writes in flight.
  void settled.then(() => {
    if (queues.get(path) === settled) queues.delete(path);
  });
  return done;
}

export async function atomicWriteJson(path: string, value: unknown, opts: { fsync?: boolean } = {}): Promise<void> {
  await atomicWrite(path, JSON.stringify(value) + '\n', opts);
}

/** Remove a file written with atomicWrite, and the temp file a killed write of it may have left. */
export async function removeWritten(path: string): Promise<void> {
  await rm(tempPathFor(path), { force: true });
  await rm(path, { force: true });
}

/** The temp file, opened without following a link: one planted at `<path>.tmp` is removed, never written through. */
async function openTemp(tmp: string) {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
  try {
    return await open(tmp, flags, 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
    await rm(tmp, { force: true }); // the link itself, not what it points to
    return await open(tmp, flags | constants.O_EXCL, 0o666);
  }
}

async function writeThenRename(path: string, data: string | Buffer, fsync: boolean): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await openTemp(tmp);
    try {
      await fh.writeFile(data);
      if (fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    // A full or read-only disk: the half-written temp goes (where it can), the error is the caller's.
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
