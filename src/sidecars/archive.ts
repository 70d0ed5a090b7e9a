// Archiving a finished recording with the user's command (rsync, rclone, scp…):
// `sh -c "<cmd>" sh FILES…`, so "$@" is the recording and its sidecars, with
// REC_DAY, REC_STEM, REC_OPUS and REC_DIR in the environment. Retried with
// doubling back-off; success leaves a `<stem>.archived` marker so it is never repeated.
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { atomicWriteJson } from '../lib/atomic-write.js';
import { timerMs } from '../lib/timers.js';

export interface ArchiveOptions {
  command: string;
  /** Attempts in all (1 = no retry). */
  attempts: number;
  /** Wait before the first retry, doubled for each next one. */
  backoffMs: number;
  timeoutMs: number;
  log: Logger;
  /** Stops a running command (shutdown). */
  signal?: AbortSignal;
}

export interface ArchiveTarget {
  day: string;
  stem: string;
  dir: string;
  opus: string;
  files: string[];
  marker: string;
}

export interface ArchiveResult {
  ok: boolean;
  attempts: number;
  error: string | null;
}

export async function archive(target: ArchiveTarget, opts: ArchiveOptions): Promise<ArchiveResult> {
  let error: string | null = null;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    const r = await execa('sh', ['-c', opts.command, 'sh', ...target.files], {
      reject: false,
      timeout: opts.timeoutMs,
      stdin: 'ignore',
      cwd: target.dir,
      env: { REC_DAY: target.day, REC_STEM: target.stem, REC_OPUS: target.opus, REC_DIR: target.dir },
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    });
    if (opts.signal?.aborted) return { ok: false, attempts: attempt, error: 'stopped' };
    if (r.exitCode === 0) {
      await atomicWriteJson(target.marker, { archivedAt: new Date().toISOString(), command: opts.command, attempts: attempt });
      return { ok: true, attempts: attempt, error: null };
    }
    const why = r.timedOut ? `timed out after ${opts.timeoutMs} ms` : `exit ${r.exitCode ?? r.signal}`;
    error = `--archive-cmd ${why}: ${String(r.stderr).trim().split('\n').pop() ?? ''}`.trim();
    opts.log.warn({ stem: target.stem, attempt, of: opts.attempts, error }, 'archiving failed');
    if (attempt < opts.attempts) await sleep(timerMs(opts.backoffMs * 2 ** (attempt - 1)));
  }
  return { ok: false, attempts: opts.attempts, error };
}
