// rec-serve's HTTP server: node:http and a small router. Reads only files: the
// status file, the recordings root and its sidecars; writes only what a user asks
// for (trash moves, keep markers, control commands).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { open, realpath, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { PathError, isPlainName, pathSegments, resolveInRoot } from './paths.js';
import { DAY_DIR, keepMarker } from '../lib/recordings.js';
import { MIME, parseName } from './names.js';
import { RecordingIndex, keyOf, type IndexChange, type Query } from './recording-index.js';
import { recordingJson, type RecordingJson } from './recording-json.js';
import { StatusReader } from './status.js';
import { EventHub } from './event-hub.js';
import { sendFile } from './send-file.js';
import { LiveLimiter, RemuxPool, streamLiveWebm } from './live.js';
import { tailGrowingFile } from './tail-file.js';
import { authorize, tokenCookie } from './auth.js';
import { crossSiteWrite, foreignHost, isLoopbackName } from './guard.js';
import { ConflictError, emptyTrash, listTrash, restoreRecording, trashRecording } from './trash.js';
import { ACTIONS, ControlError, sendControl } from './control-proxy.js';
import type { ControlCommand } from '../segment/control.js';

/** The repository (or installed package) root: web/ and dist/web/ live there. */
const PACKAGE_ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const WEB_DIR = join(PACKAGE_ROOT, 'web');
const WEB_JS_DIR = join(PACKAGE_ROOT, 'dist/web');

const MAX_BODY_BYTES = 4096;
const MAX_LIMIT = 200;

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

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': MIME['.json']!, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Read a small JSON body; 413 past the limit, 400 when it is not JSON. */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
  // JSON only: a form or text/plain body is what a cross-site page can send without asking.
  const type = req.headers['content-type'] ?? '';
  if ((declared > 0 || req.headers['transfer-encoding']) && !/^application\/json\b/i.test(type)) throw new HttpError(415, 'Content-Type must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(c);
  }
  if (!size) return {};
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'body must be a JSON object');
}

function numberParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new HttpError(400, `${name}: not a non-negative number`);
  return n;
}

function listQuery(q: URLSearchParams): Query {
  const limit = numberParam(q, 'limit') ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new HttpError(400, `limit: an integer from 1 to ${MAX_LIMIT}`);
  const day = q.get('day') || undefined;
  if (day && !DAY_DIR.test(day)) throw new HttpError(400, 'day: YYYY-MM-DD');
  const trigger = q.get('trigger') || undefined;
  if (trigger && !/^[a-z]{1,16}$/.test(trigger)) throw new HttpError(400, 'trigger: a word like vad, level, manual');
  const cursor = q.get('cursor') || undefined;
  if (cursor && cursor.length > 300) throw new HttpError(400, 'cursor: too long');
  const text = q.get('q')?.trim() || undefined;
  if (text && text.length > 200) throw new HttpError(400, 'q: at most 200 characters');
  const min = numberParam(q, 'minDuration');
  const max = numberParam(q, 'maxDuration');
  return {
    limit,
    ...(cursor ? { cursor } : {}),
    ...(day ? { day } : {}),
    ...(trigger ? { trigger } : {}),
    ...(text ? { q: text } : {}),
    ...(min !== undefined ? { minDurationMs: min * 1000 } : {}),
    ...(max !== undefined ? { maxDurationMs: max * 1000 } : {}),
  };
}

function inProgressMatches(entry: RecordingJson, q: Query): boolean {
  if (q.cursor || q.q || q.minDurationMs !== undefined || q.maxDurationMs !== undefined) return false;
  return (!q.day || entry.day === q.day) && (!q.trigger || entry.trigger === q.trigger);
}

export async function startServer(opts: ServeOptions, listen: { host: string; port: number }): Promise<RecServer> {
  const log = opts.log;
  const root = await realpath(opts.out);
  const live = new LiveLimiter(opts.maxLive ?? 4);
  const remux = new RemuxPool(opts.ffmpeg);
  const status = new StatusReader(resolve(opts.statusFile), (view) => remux.setWarm(view.live !== null && live.active < live.max));
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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const qi = rawUrl.indexOf('?');
    const rawPath = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const query = new URLSearchParams(qi < 0 ? '' : rawUrl.slice(qi + 1));
    const seg = pathSegments(rawPath);
    const method = req.method ?? 'GET';
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');

    if (rawPath === '/healthz') return json(res, 200, { ok: true, indexing, recordings: index.size, eventClients: hub.size, liveStreams: live.active, spareRemux: remux.hasSpare });
    if (!opts.token && loopbackOnly && foreignHost(req)) throw new HttpError(403, 'Host is not a loopback name (DNS rebinding guard); set --token to serve other names');
    if (method !== 'GET' && method !== 'HEAD' && crossSiteWrite(req)) throw new HttpError(403, 'cross-site request refused');

    if (opts.token) {
      const auth = authorize(req, query, opts.token);
      if (auth === 'denied') {
        res.setHeader('WWW-Authenticate', 'Bearer realm="rec-serve"');
        return json(res, 401, { error: 'token required (Authorization: Bearer, or ?token= once)' });
      }
      if (auth === 'ok-set-cookie') {
        res.setHeader('Set-Cookie', tokenCookie(opts.token, false));
        // The page is reloaded without the token in its address.
        if ((method === 'GET' || method === 'HEAD') && rawPath === '/') {
          query.delete('token');
          const rest = query.toString();
          res.writeHead(303, { Location: rest ? `/?${rest}` : '/' });
          res.end();
          return;
        }
      }
    }

    const [top, a, b, c] = seg;
    const readOnly = method === 'GET' || method === 'HEAD';

    // The dashboard.
    if (rawPath === '/' && readOnly) return serveStatic(req, res, WEB_DIR, 'index.html', true);
    if (top === 'app' && seg.length === 2 && readOnly) return serveStatic(req, res, WEB_JS_DIR, a!, false);
    if (top === 'static' && seg.length === 2 && readOnly) return serveStatic(req, res, WEB_DIR, a!, false);

    if (top === 'api') {
      if (a === 'status' && seg.length === 2 && readOnly) return json(res, 200, await status.read());
      if (a === 'config' && seg.length === 2 && readOnly) return json(res, 200, { control: !!opts.control, maxLive: live.max });
      if (a === 'events' && seg.length === 2 && method === 'GET') {
        if (!hub.add(res)) json(res, 503, { error: 'too many event listeners' });
        return;
      }
      if (a === 'recordings' && seg.length === 2 && readOnly) return listRecordings(res, query);
      if (a === 'recordings' && b && c && (seg.length === 4 || seg.length === 5)) return recordingAction(req, res, method, b, c, seg[4]);
      if (a === 'trash') return trashAction(req, res, method, seg.slice(2));
      if (a === 'control' && seg.length === 2) {
        if (method !== 'POST') throw new HttpError(405, 'POST only');
        return control(req, res);
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

  async function listRecordings(res: ServerResponse, q: URLSearchParams): Promise<void> {
    const query = listQuery(q);
    await indexReady;
    const page = index.query(query);
    const items = page.items.map(recordingJson);
    const current = (await status.read()).recording;
    if (current && inProgressMatches(current, query)) items.unshift(current);
    json(res, 200, { items, nextCursor: page.nextCursor, total: index.size });
  }

  async function recordingAction(req: IncomingMessage, res: ServerResponse, method: string, day: string, name: string, sub: string | undefined): Promise<void> {
    if (!DAY_DIR.test(day) || !isPlainName(name)) throw new HttpError(404, 'not found');
    await indexReady;
    const { stem, kind } = parseName(name);
    if (kind === 'partial' || (!index.get(day, stem) && index.hasPartial(day, stem))) {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(409, 'recording in progress: read-only until it is final');
    }
    if (sub === undefined) {
      if (method === 'GET' || method === 'HEAD') {
        const r = index.get(day, stem);
        if (!r) throw new HttpError(404, 'no such recording');
        return json(res, 200, recordingJson(r));
      }
      if (method !== 'DELETE') throw new HttpError(405, 'GET or DELETE');
      if (!index.get(day, stem)) {
        await index.refresh(day);
        if (!index.get(day, stem)) throw new HttpError(index.hasPartial(day, stem) ? 409 : 404, index.hasPartial(day, stem) ? 'recording in progress' : 'no such recording');
      }
      const moved = await trashRecording(root, day, stem).catch((err: Error) => {
        if (err instanceof ConflictError) throw new HttpError(409, err.message);
        throw err;
      });
      await index.refresh(day);
      log.info({ day, stem, files: moved }, 'moved to the trash');
      return json(res, 200, { trashed: moved });
    }
    if (sub === 'keep') {
      if (!index.get(day, stem)) throw new HttpError(404, 'no such recording');
      const marker = keepMarker(root, { day, stem });
      if (method === 'PUT' || method === 'POST') {
        await (await open(marker, 'a')).close();
      } else if (method === 'DELETE') {
        await unlink(marker).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      } else {
        throw new HttpError(405, 'PUT or DELETE');
      }
      await index.refresh(day);
      return json(res, 200, { keep: method !== 'DELETE' });
    }
    throw new HttpError(404, 'no such endpoint');
  }

  async function trashAction(req: IncomingMessage, res: ServerResponse, method: string, rest: string[]): Promise<void> {
    await indexReady;
    if (rest.length === 0) {
      if (method === 'GET' || method === 'HEAD') return json(res, 200, { items: await listTrash(root) });
      if (method === 'DELETE') {
        const removed = await emptyTrash(root);
        log.info({ files: removed }, 'emptied the trash');
        return json(res, 200, { removed });
      }
      throw new HttpError(405, 'GET or DELETE');
    }
    const [day, stem, verb] = rest;
    if (rest.length === 3 && verb === 'restore' && day && stem && DAY_DIR.test(day) && isPlainName(stem)) {
      if (method !== 'POST') throw new HttpError(405, 'POST only');
      const names = await restoreRecording(root, day, parseName(stem).stem).catch((err: Error) => {
        if (err instanceof ConflictError) throw new HttpError(409, err.message);
        throw err;
      });
      if (!names.length) throw new HttpError(404, 'not in the trash');
      await index.refresh(day);
      return json(res, 200, { restored: names });
    }
    throw new HttpError(404, 'no such endpoint');
  }

  async function control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const action = body.action;
    if (typeof action !== 'string' || !ACTIONS.includes(action as ControlCommand)) throw new HttpError(400, `action: one of ${ACTIONS.join(', ')}`);
    if (!opts.control) throw new HttpError(503, 'no control FIFO configured (--control)');
    try {
      await sendControl(opts.control, action as ControlCommand);
    } catch (err) {
      if (err instanceof ControlError) throw new HttpError(err.status, err.message);
      throw err;
    }
    log.info({ action }, 'control command sent');
    json(res, 202, { sent: action });
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
