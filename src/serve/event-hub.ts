// Server-Sent Events for the dashboard: status changes (the status file's folder
// is watched only while someone listens, and changes are coalesced), recording
// added/removed/finalised/updated notices from the index, and a comment every
// 15 s so proxies and the browser keep the connection.
import { watch, type FSWatcher } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { IndexChange, RecordingIndex } from './recording-index.js';
import type { StatusReader, StatusView } from './status.js';

export const HEARTBEAT_MS = 15_000;
/** Status changes closer together than this are sent as one (rec-segment writes up to 4/s). */
const STATUS_DEBOUNCE_MS = 150;
/** Staleness is re-checked this often while clients listen (a dead segmenter writes nothing). */
const STALE_CHECK_MS = 5_000;
/** A client this far behind (bytes queued in its socket) is dropped rather than buffered for. */
const MAX_CLIENT_BACKLOG = 256 * 1024;
export const MAX_CLIENTS = 32;

export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private staleCheck: NodeJS.Timeout | undefined;
  private lastStale: boolean | undefined;
  private readonly onIndexChange = (c: IndexChange) => this.broadcast('recording', this.toJson(c));

  constructor(
    private readonly status: StatusReader,
    private readonly index: RecordingIndex,
    /** The notice sent for an index change. */
    private readonly toJson: (c: IndexChange) => unknown,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Take over `res` as an event stream; false when too many clients are connected. */
  add(res: ServerResponse): boolean {
    if (this.clients.size >= MAX_CLIENTS) return false;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stop();
    });
    if (this.clients.size === 1) this.start();
    void this.sendStatus(res);
    return true;
  }

  close(): void {
    for (const c of this.clients) c.end();
    this.clients.clear();
    this.stop();
  }

  private start(): void {
    const file = basename(this.status.path);
    try {
      // The writer replaces the file by rename: watch the folder, not the file.
      this.watcher = watch(dirname(this.status.path), { persistent: false }, (_t, name) => {
        if (!name || String(name) === file) this.statusChanged();
      });
      this.watcher.on('error', (err) => this.log.warn({ err: err.message }, 'stopped watching the status file'));
    } catch (err) {
      this.log.warn({ err: (err as Error).message, path: this.status.path }, 'cannot watch the status folder; status updates every 5 s');
    }
    this.index.on('change', this.onIndexChange);
    this.heartbeat = setInterval(() => this.comment('ping'), HEARTBEAT_MS);
    this.staleCheck = setInterval(() => void this.checkStale(), STALE_CHECK_MS);
  }

  private stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.index.off('change', this.onIndexChange);
    clearInterval(this.heartbeat);
    clearInterval(this.staleCheck);
    clearTimeout(this.debounce);
    this.debounce = undefined;
  }

  private statusChanged(): void {
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.sendStatus();
    }, STATUS_DEBOUNCE_MS);
  }

  private async checkStale(): Promise<void> {
    const view = await this.status.read();
    if (view.stale !== this.lastStale) await this.sendStatus(undefined, view);
  }

  private async sendStatus(to?: ServerResponse, view?: StatusView): Promise<void> {
    const v = view ?? (await this.status.read());
    this.lastStale = v.stale;
    const frame = `event: status\ndata: ${JSON.stringify(v)}\n\n`;
    if (to) this.write(to, frame);
    else for (const c of this.clients) this.write(c, frame);
  }

  private broadcast(event: string, data: unknown): void {
    if (!this.clients.size) return;
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) this.write(c, frame);
  }

  private comment(text: string): void {
    for (const c of this.clients) this.write(c, `: ${text}\n\n`);
  }

  private write(res: ServerResponse, frame: string): void {
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > MAX_CLIENT_BACKLOG) {
      this.log.warn('dropping an event client that does not read');
      res.destroy();
      return;
    }
    res.write(frame);
  }
}
