// Atomic file replacement (temp file + fsync + rename) for status and job files,
// so a reader never sees half a file, even after a power cut.
import { rename, writeFile } from 'node:fs/promises';
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
