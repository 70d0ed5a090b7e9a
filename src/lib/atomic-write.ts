// Atomic file replacement (temp file + fsync + rename) for status and job files,
// so a reader never sees half a file, even after a power cut.
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

export async function atomicWrite(path: string, data: string | Buffer, opts: { fsync?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, data, { fsync: opts.fsync ?? true });
}

export async function atomicWriteJson(path: string, value: unknown, opts: { fsync?: boolean } = {}): Promise<void> {
  await atomicWrite(path, JSON.stringify(value) + '\n', opts);
}

/**
 * For a file rewritten several times a second (segmenter_status.json): temp file
 * + rename, no fsync, one fixed temp name per target. write-file-atomic costs
 * ~1 ms of CPU per call here (it registers exit handlers and looks up owners on
 * every write): at 4 writes/s that was a quarter of rec-segment's CPU at real time.
 * Only one writer may use a given path (the status writer serialises its writes).
 */
export async function replaceFileQuickly(path: string, data: string): Promise<void> {
  // Fixed, not per process: a temp file left by a killed writer is taken over by the next one.
  const tmp = `${path}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * Remove the temp files a killed atomicWrite of `path` left (write-file-atomic
 * names them `<name>.<number>`). Only for a path with one writer at a time,
 * called before that writer writes it again.
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length))) await rm(join(dir, name), { force: true }).catch(() => undefined);
  }
}
