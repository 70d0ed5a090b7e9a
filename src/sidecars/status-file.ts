// rec-sidecars' own status file (`<spool>/sidecars_status.json`, schema/
// sidecars_status.schema.json): what rec-status and rec-serve show about the jobs.
import type { Logger } from 'pino';
import { atomicWriteJson } from '../lib/atomic-write.js';
import type { RetentionResult } from './retention.js';

export interface JobCounts {
  done: number;
  failed: number;
  rebuilt: number;
  reencoded: number;
  transcribed: number;
  transcribeFailures: number;
  archived: number;
  archiveFailures: number;
  retries: number;
}

export interface SidecarsStatus {
  schemaVersion: 1;
  updatedAt: string;
  pid: number;
  jobs: { pending: number; waitingRetry: number; finishing: number } & JobCounts;
  lowSpace: boolean;
  freeBytes: number | null;
  lastError: string | null;
  retention: (RetentionResult & { at: string }) | null;
}

/** Writes the status one write at a time (one temp file per target); a failed write is logged, never thrown. */
export class StatusFile {
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  write(snapshot: () => Omit<SidecarsStatus, 'schemaVersion' | 'updatedAt' | 'pid'>): Promise<void> {
    this.last = this.last.then(async () => {
      const status: SidecarsStatus = { schemaVersion: 1, updatedAt: new Date().toISOString(), pid: process.pid, ...snapshot() };
      try {
        await atomicWriteJson(this.path, status, { fsync: false });
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'cannot write the sidecars status file');
      }
    });
    return this.last;
  }
}
