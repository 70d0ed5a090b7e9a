// Atomic file replacement (temp file + fsync + rename) for status and job files,
// so a reader never sees half a file, even after a power cut.
import writeFileAtomic from 'write-file-atomic';

export async function atomicWrite(path: string, data: string | Buffer, opts: { fsync?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, data, { fsync: opts.fsync ?? true });
}

export async function atomicWriteJson(path: string, value: unknown, opts: { fsync?: boolean } = {}): Promise<void> {
  await atomicWrite(path, JSON.stringify(value) + '\n', opts);
}
