// Checking an encoded file: does it decode, and how much audio does it hold?
// ffmpeg decodes it to PCM on a pipe and only the bytes are counted, so a
// recording of any length costs a few KB of memory.
import { link, rm, stat } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { extname } from 'node:path';
import { execa } from 'execa';

export interface Decodability {
  ok: boolean;
  /** Audio that decoded, in ms (at the decode rate, whatever the file's own). */
  durationMs: number;
  error: string | null;
}

export const DECODE_RATE = 48000;

/** ffmpeg decoding `path` to s16le mono 48 kHz on its stdout (`-threads 1`, at `nice`). */
export function decodeToPcm(ffmpeg: string, path: string, nice = 0) {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-threads', '1', '-i', path, '-ac', '1', '-ar', String(DECODE_RATE), '-f', 's16le', 'pipe:1'];
  const child = execa(ffmpeg, args, { buffer: { stdout: false }, reject: false });
  if (nice > 0 && child.pid) {
    try {
      setPriority(child.pid, nice);
    } catch {
      // Not fatal: it still runs at normal priority.
    }
  }
  return child;
}

/** Why a finished decode failed, in one line, or null. */
export function decodeError(r: { exitCode?: number; stderr?: unknown; shortMessage?: string }): string | null {
  if (r.exitCode === 0) return null;
  return String(r.stderr ?? '').trim().split('\n').pop() || r.shortMessage || `ffmpeg exited with status ${r.exitCode}`;
}

/** Decode `path` completely and measure it; only the byte count is kept. */
export async function decodedDuration(ffmpeg: string, path: string, nice = 0): Promise<Decodability> {
  const child = decodeToPcm(ffmpeg, path, nice);
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
  const r = await child;
  const durationMs = Math.round((bytes / 2 / DECODE_RATE) * 1000);
  const error = decodeError(r);
  if (error) return { ok: false, durationMs, error };
  if (bytes === 0) return { ok: false, durationMs: 0, error: 'no audio decoded' };
  return { ok: true, durationMs, error: null };
}

/**
 * Rewrite a file's packets into a clean container (`-c copy`: no re-encode), so a
 * partial cut off by a crash gets a proper end. Writes `<out>.tmp` then renames:
 * `out` is either absent or complete. Never replaces an existing `out` (link, not rename).
 */
export async function remuxInto(ffmpeg: string, input: string, out: string): Promise<void> {
  if (await stat(out).catch(() => null)) throw new Error(`${out}: already exists`);
  const tmp = `${out}.tmp`;
  const format = extname(out) === '.webm' ? 'webm' : 'ogg';
  const r = await execa(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', input, '-map', '0:a:0', '-c', 'copy', '-f', format, '-y', tmp], { reject: false });
  if (r.exitCode !== 0) {
    await rm(tmp, { force: true });
    throw new Error(String(r.stderr).trim().split('\n').pop() || `ffmpeg exited with status ${r.exitCode}`);
  }
  try {
    await link(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
}
