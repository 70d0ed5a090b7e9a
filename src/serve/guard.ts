// The trust boundary every request crosses before it is routed (only /healthz
// is answered before it): DNS rebinding (a page under another name reaching
// 127.0.0.1), cross-site requests that change something (delete, control), the
// token, and the request body. Without a token, a loopback server only answers
// requests addressed to a loopback name; writes must come from the page's own
// origin; a body, on any route, is at most 4 KB of JSON.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { authorize, tokenCookie } from './auth.js';
import { HttpError, json } from './respond.js';

export const MAX_BODY_BYTES = 4096;

/** `127.0.0.1:8080` → `127.0.0.1`, `[::1]:8080` → `::1`. */
export function hostName(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader) ?? /^([^:]+)(?::\d+)?$/.exec(hostHeader);
  return (m?.[1] ?? hostHeader).toLowerCase();
}

/** localhost (and *.localhost), 127.0.0.0/8 and ::1: names that only this machine reaches. */
export function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1';
}

/** The Host header names something other than this machine's loopback (a rebinding page). */
export function foreignHost(req: IncomingMessage): boolean {
  return !isLoopbackName(hostName(req.headers.host));
}

/** A state-changing request sent by a page of another origin. */
export function crossSiteWrite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = req.headers.origin;
  if (!origin) return false; // not from a browser page (curl, scripts)
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/** Whether the request carries a body (of any method): a length above 0, or chunked. */
export function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/**
 * The request body as a JSON object ({} when there is none). 413 past
 * MAX_BODY_BYTES (declared or sent), 415 when it is not application/json (a
 * form or text/plain body is what a cross-site page can send without asking),
 * 400 when it is not a JSON object.
 */
export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!hasBody(req)) return {};
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'Content-Type must be application/json');
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

export interface GuardOptions {
  token?: string;
  /** The server listens on a loopback address only. */
  loopbackOnly: boolean;
}

/**
 * Let a request through to the router, with its body; or answer it here (401,
 * the 303 that drops `?token=` from the page's address) and return null.
 * Refusals are thrown as HttpError.
 */
export async function guardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  query: URLSearchParams,
  opts: GuardOptions,
): Promise<{ body: Record<string, unknown> } | null> {
  const method = req.method ?? 'GET';
  if (!opts.token && opts.loopbackOnly && foreignHost(req)) throw new HttpError(403, 'Host is not a loopback name (DNS rebinding guard); set --token to serve other names');
  if (method !== 'GET' && method !== 'HEAD' && crossSiteWrite(req)) throw new HttpError(403, 'cross-site request refused');

  if (opts.token) {
    const auth = authorize(req, query, opts.token);
    if (auth === 'denied') {
      res.setHeader('WWW-Authenticate', 'Bearer realm="rec-serve"');
      json(res, 401, { error: 'token required (Authorization: Bearer, or ?token= once)' });
      return null;
    }
    if (auth === 'ok-set-cookie') {
      res.setHeader('Set-Cookie', tokenCookie(opts.token, false));
      // The page is reloaded without the token in its address.
      if ((method === 'GET' || method === 'HEAD') && rawPath === '/') {
        query.delete('token');
        const rest = query.toString();
        res.writeHead(303, { Location: rest ? `/?${rest}` : '/' });
        res.end();
        return null;
      }
    }
  }
  // Read (and checked) here for every route, so no route can forget to: only
  // requests that passed the token get their body read at all.
  return { body: await readBody(req) };
}
