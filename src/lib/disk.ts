// Free space, as the tools report and act on it (statfs: what an unprivileged
// writer may still use, and the used share the way df counts it).
import { statfs } from 'node:fs/promises';

/** Bytes an unprivileged writer may still use on the filesystem of `path`, or null. */
export async function freeBytes(path: string): Promise<number | null> {
  try {
    const s = await statfs(path);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/** Used share of the filesystem of `path` in percent, as df prints it, or null. */
export async function diskUsagePercent(path: string): Promise<number | null> {
  try {
    const s = await statfs(path);
    const used = s.blocks - s.bfree;
    return (used / (used + s.bavail)) * 100;
  } catch {
    return null;
  }
}
