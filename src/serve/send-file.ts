// Serving a finished file (or what a growing one holds now): streamed (never read
// whole), with HTTP Range (206, 416), ETag / Last-Modified and conditional requests (304).
import { createReadStream, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import parseRange from 'range-parser';
import { MIME } from './names.js';

export function etagOf(st: Stats): string {
  return `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
}

/** RFC 9110 §13.1: If-None-Match wins over If-Modified-Since. */
function notModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return inm === '*' || inm.split(/\s*,\s*/).some((t) => t.replace(/^W\//, '') === etag.replace(/^W\//, ''));
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** If-Range: the Range applies only while the validator still matches. */
function rangeStillValid(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const ifRange = req.headers['if-range'] as string | undefined;
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag;
  const date = Date.parse(ifRange);
  return Number.isFinite(date) && Math.floor(mtimeMs / 1000) * 1000 <= date;
}

/**
 * RFC 9110 §14.1.2: a suffix range longer than the file means the whole file
 * (range-parser calls `bytes=-N` with N past the size unsatisfiable).
 */
export function clampSuffixes(header: string, size: number): string {
  const eq = header.indexOf('=');
  if (eq < 0) return header;
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((spec) => {
      const m = /^\s*-\s*(\d+)\s*$/.exec(spec);
      return m && Number(m[1]) > size ? `-${size}` : spec;
    });
  return `${header.slice(0, eq + 1)}${specs.join(',')}`;
}

export interface SendOptions {
  contentType?: string;
  /** Cache-Control value (recordings never change once final, but may be deleted). */
  cacheControl?: string;
  /** Content-Disposition: attachment with this file name. */
  download?: string;
}

/** Stream `path` (already validated, `st` its stat) as the answer to a GET or HEAD. */
export async function sendFile(req: IncomingMessage, res: ServerResponse, path: string, st: Stats, opts: SendOptions = {}): Promise<void> {
  const etag = etagOf(st);
  res.setHeader('Content-Type', opts.contentType ?? MIME[extname(path)] ?? 'application/octet-stream');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', new Date(st.mtimeMs).toUTCString());
  res.setHeader('Cache-Control', opts.cacheControl ?? 'no-cache');
  if (opts.download) res.setHeader('Content-Disposition', `attachment; filename="${opts.download.replace(/["\\\r\n]/g, '_')}"`);
  if (notModified(req, etag, st.mtimeMs)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  let start = 0;
  let end = st.size - 1;
  const rangeHeader = req.headers.range;
  // An empty file has no byte to point at: any range gets the whole (empty) file.
  if (rangeHeader && st.size > 0 && rangeStillValid(req, etag, st.mtimeMs)) {
    const ranges = parseRange(st.size, clampSuffixes(rangeHeader, st.size), { combine: true });
    if (ranges === -1) {
      res.statusCode = 416;
      res.setHeader('Content-Range', `bytes */${st.size}`);
      res.end();
      return;
    }
    // -2 (malformed) is ignored as RFC 9110 allows; several ranges get the whole file.
    if (Array.isArray(ranges) && ranges.type === 'bytes' && ranges.length === 1) {
      start = ranges[0]!.start;
      end = ranges[0]!.end;
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${st.size}`);
    }
  }
  res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
  if (req.method === 'HEAD' || st.size === 0) {
    res.end();
    return;
  }
  await pipeline(createReadStream(path, { start, end, highWaterMark: 64 * 1024 }), res).catch(() => undefined);
}
