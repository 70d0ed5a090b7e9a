// rec-serve's HTTP server: node:http and a small router. Reads only files: the
// status file, the recordings root and its sidecars; writes only what a user asks
// for (trash moves, keep markers, control commands). Every request but /healthz
// passes guard.ts first; the recordings and trash API is recordings-api.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { PathError, isPlainName, pathSegments, resolveInRoot } from './paths.js';
import { DAY_DIR } from '../lib/recordings.js';
import { MIME, parseName } from './names.js';
import { RecordingIndex, keyOf, type IndexChange } from './recording-index.js';
import { recordingJson } from './recording-json.js';
import { StatusReader } from './status.js';
import { EventHub } from './event-hub.js';
import { sendFile } from './send-file.js';
import { LiveLimiter, RemuxPool, streamLiveWebm } from './live.js';
import { tailGrowingFile } from './tail-file.js';
import { redactingLogger } from './auth.js';
import { guardRequest, isLoopbackName } from './guard.js';
import { recordingsApi } from './recordings-api.js';
import { HttpError, json } from './respond.js';
import { ControlError, commandOf, sendControl } from './control-proxy.js';

/** The repository (or installed package) root: web/ and dist/web/ live there. */
const PACKAGE_ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const WEB_DIR = join(PACKAGE_ROOT, 'web');
const WEB_JS_DIR = join(PACKAGE_ROOT, 'dist/web');

export interface ServeOptions {
  /** Recordings root (must exist). */
  out: string;
  statusFile: string;
  ffmpeg: string;
  log: Logger;
  token?: string;
  control?: string;
  /** Concurrent live streams (each is one ffmpeg). */
  maxLive?: number;
  /** A live partial that does not grow for this long ends its stream. */
  liveIdleMs?: number;
}

export interface RecServer {
  server: Server;
  index: RecordingIndex;
  hub: EventHub;
  close(): Promise<void>;
}

export async function startServer(opts: ServeOptions, listen: { host: string; port: number }): Promise<RecServer> {
  // Every line it logs has its URL's token redacted (auth.ts).
  const log = redactingLogger(opts.log);
  const root = await realpath(opts.out);
  const live = new LiveLimiter(opts.maxLive ?? 4);
  const remux = new RemuxPool(opts.ffmpeg);
  const status = new StatusReader(resolve(opts.statusFile), { onRead: (view) => remux.setWarm(view.live !== null && live.active < live.max), log });
  const index = new RecordingIndex(root, log);
  const t0 = performance.now();
  // The first scan (seconds for 10 000 recordings on an SD card) runs while the
  // server already listens; requests that need the index wait for it.
  let indexing = true;
  const indexReady = index.start().then(
    () => {
      indexing = false;
      log.info({ recordings: index.size, ms: Math.round(performance.now() - t0) }, 'indexed recordings');
    },
    (err: Error) => {
      indexing = false;
      log.error({ err: err.message }, 'indexing the recordings failed; the list shows what was found');
    },
  );
  const notice = (c: IndexChange) =>
    c.kind === 'removed' ? { kind: c.kind, id: `${c.day}/${c.stem}`, day: c.day, stem: c.stem } : { kind: c.kind, id: keyOf(c.recording), recording: recordingJson(c.recording) };
  const hub = new EventHub(status, index, notice, log);
  const loopbackOnly = isLoopbackName(listen.host);
  const recordings = recordingsApi({ root, index, indexReady, status, log });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const qi = rawUrl.indexOf('?');
    const rawPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const query = new URLSearchParams(qi < 0 ? '' : rawUrl.slice(qi + 1));
    const seg = pathSegments(rawPath);
    const method = req.method ?? 'GET';
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');

    // Liveness only, without the token: the rest (is someone listening live, is an
    // event being recorded) is /api/health's, behind it.
    if (rawPath === '/healthz') return json(res, 200, { ok: true });
    const passed = await guardRequest(req, res, rawPath, query, { ...(opts.token ? { token: opts.token } : {}), loopbackOnly });
    if (!passed) return;

    const [top, a, b, c] = seg;
    const readOnly = method === 'GET' || method === 'HEAD';

    // The dashboard.
    if (rawPath === '/' && readOnly) return serveStatic(req, res, WEB_DIR, 'index.html', true);
    if (top === 'app' && seg.length === 2 && readOnly) return serveStatic(req, res, WEB_JS_DIR, a!, false);
    if (top === 'static' && seg.length === 2 && readOnly) return serveStatic(req, res, WEB_DIR, a!, false);

    if (top === 'api') {
      if (a === 'status' && seg.length === 2 && readOnly) return json(res, 200, await status.read());
      if (a === 'health' && seg.length === 2 && readOnly) {
        return json(res, 200, { ok: true, indexing, recordings: index.size, eventClients: hub.size, liveStreams: live.active, spareRemux: remux.hasSpare });
      }
      if (a === 'config' && seg.length === 2 && readOnly) return json(res, 200, { control: !!opts.control, maxLive: live.max });
      if (a === 'events' && seg.length === 2 && method === 'GET') {
        if (!hub.add(res)) json(res, 503, { error: 'too many event listeners' });
        return;
      }
      if (a === 'recordings' && seg.length === 2 && readOnly) return recordings.list(res, query);
      if (a === 'recordings' && b && c && (seg.length === 4 || seg.length === 5)) return recordings.recording(res, method, b, c, seg[4]);
      if (a === 'trash') return recordings.trash(res, method, seg.slice(2));
      if (a === 'control' && seg.length === 2) {
        if (method !== 'POST') throw new HttpError(405, 'POST only');
        return control(res, passed.body);
      }
      throw new HttpError(404, 'no such endpoint');
    }
    if (top === 'recordings' && a && b && seg.length === 3) {
      if (!readOnly) throw new HttpError(405, 'GET only (DELETE is /api/recordings/…)');
      return serveRecordingFile(req, res, a, b, query);
    }
    if (top === 'live' && a && b && seg.length === 3) {
      if (!readOnly) throw new HttpError(405, 'GET only');
      return serveLive(req, res, a, b);
    }
    throw new HttpError(404, 'not found');
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, dir: string, name: string, page: boolean): Promise<void> {
    if (!isPlainName(name) || !(name.endsWith('.js') || name.endsWith('.css') || name.endsWith('.html') || name.endsWith('.svg') || name.endsWith('.map'))) throw new HttpError(404, 'not found');
    const path = join(dir, name);
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) throw new HttpError(404, 'not found');
    if (page) {
      // blob: for Media Source Extensions; everything else from this origin only.
      res.setHeader('Content-Security-Policy', "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; style-src 'self'; base-uri 'none'; frame-ancestors 'none'");
    }
    await sendFile(req, res, path, st);
  }

  async function control(res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    const command = commandOf(body);
    if (!opts.control) throw new HttpError(503, 'no control FIFO configured (--control)');
    try {
      await sendControl(opts.control, command);
    } catch (err) {
      if (err instanceof ControlError) throw new HttpError(err.status, err.message);
      throw err;
    }
    log.info({ command }, 'control command sent');
    json(res, 202, { sent: command });
  }

  async function serveRecordingFile(req: IncomingMessage, res: ServerResponse, day: string, name: string, q: URLSearchParams): Promise<void> {
    const { kind } = parseName(name);
    if (kind === 'keep' || kind === 'other') throw new HttpError(404, 'not found');
    const path = await resolveInRoot(root, day, name);
    const st = await stat(path);
    if (!st.isFile()) throw new HttpError(404, 'not found');
    const range = req.headers.range;
    if (kind === 'partial' && (!range || /^bytes=0-\s*$/.test(range))) {
      // A growing file: held open and fed as it grows, ended when it is renamed.
      const release = live.tryAcquire();
      if (!release) throw new HttpError(503, 'too many live streams');
      try {
        res.writeHead(200, { 'Content-Type': MIME[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
        if (req.method === 'HEAD') return void res.end();
        const abort = new AbortController();
        res.on('close', () => abort.abort());
        await pipeline(Readable.from(tailGrowingFile(path, { signal: abort.signal, idleTimeoutMs: opts.liveIdleMs })), res).catch(() => undefined);
      } finally {
        release();
      }
      return;
    }
    const download = q.get('download') !== null ? name : undefined;
    await sendFile(req, res, path, st, { cacheControl: kind === 'partial' ? 'no-store' : 'no-cache', ...(download ? { download } : {}) });
  }

  async function serveLive(req: IncomingMessage, res: ServerResponse, day: string, name: string): Promise<void> {
    if (!name.endsWith('.webm')) throw new HttpError(404, 'not found');
    const stem = name.slice(0, -'.webm'.length);
    if (!DAY_DIR.test(day) || !isPlainName(stem) || stem.includes('.')) throw new HttpError(404, 'not found');
    const ogg = await resolveInRoot(root, day, `${stem}.partial.opus`).catch(() => null);
    const webm = ogg ? null : await resolveInRoot(root, day, `${stem}.partial.webm`).catch(() => null);
    if (!ogg && !webm) throw new HttpError(404, 'not live (the event has ended or never was)');
    const release = live.tryAcquire();
    if (!release) throw new HttpError(503, 'too many live streams');
    try {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'Content-Type': 'audio/webm', 'Cache-Control': 'no-store' });
        return void res.end();
      }
      if (ogg) {
        await streamLiveWebm(res, ogg, { remux, log, ...(opts.liveIdleMs ? { idleTimeoutMs: opts.liveIdleMs } : {}) });
      } else {
        res.writeHead(200, { 'Content-Type': 'audio/webm', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
        const abort = new AbortController();
        res.on('close', () => abort.abort());
        await pipeline(Readable.from(tailGrowingFile(webm!, { signal: abort.signal, idleTimeoutMs: opts.liveIdleMs })), res).catch(() => undefined);
      }
    } finally {
      release();
    }
  }

  // Timeouts are enforced every 2 s, not Node's default 30 s: a slowloris client
  // sending headers a byte at a time is cut at headersTimeout, not 26 s later.
  const server = createServer({ connectionsCheckingInterval: 2000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError || err instanceof PathError ? err.status : 500;
      // `url` is logged with its token redacted (redactingLogger); headers are never logged.
      if (status === 500) log.error({ err: (err as Error).message, url: req.url }, 'request failed');
      else log.debug({ status, url: req.url, err: (err as Error).message }, 'request refused');
      if (res.headersSent) return void res.destroy();
      json(res, status, { error: status === 500 ? 'internal error' : (err as Error).message });
    });
  });
  // Request limits: small headers, no slow-loris bodies.
  server.maxHeadersCount = 50;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  return {
    server,
    index,
    hub,
    async close() {
      hub.close();
      index.close();
      remux.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
