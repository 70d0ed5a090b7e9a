// Room on the recordings disk before each job: retention runs first when the disk
// is too full, and jobs wait (loudly, once) until there is room again.
import type { Logger } from 'pino';
import { freeBytes } from '../lib/disk.js';
import type { Retention, RetentionResult } from './retention.js';

export class DiskRoom {
  freeBytes: number | null = null;
  lowSpace = false;
  lastRetention: (RetentionResult & { at: string }) | null = null;

  constructor(
    private readonly out: string,
    private readonly minFreeBytes: number,
    private readonly retention: Retention | null,
    private readonly log: Logger,
  ) {}

  /** True when a job may write: enough free bytes, after retention if it took that. */
  async check(): Promise<boolean> {
    this.freeBytes = await freeBytes(this.out);
    if (this.freeBytes === null || this.freeBytes >= this.minFreeBytes) {
      if (this.lowSpace) this.log.info({ freeBytes: this.freeBytes }, 'recordings disk has room again');
      this.lowSpace = false;
      return true;
    }
    if (this.retention) {
      await this.runRetention();
      this.freeBytes = await freeBytes(this.out);
      if (this.freeBytes !== null && this.freeBytes >= this.minFreeBytes) return true;
    }
    if (!this.lowSpace) this.log.error({ freeBytes: this.freeBytes, minFreeBytes: this.minFreeBytes }, 'recordings disk is full: jobs wait in the spool until there is room');
    this.lowSpace = true;
    return false;
  }

  async runRetention(): Promise<void> {
    if (!this.retention) return;
    try {
      this.lastRetention = { ...(await this.retention.run()), at: new Date().toISOString() };
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'retention failed');
    }
  }
}
