// How a handler answers: a JSON body, or an HttpError thrown for the server to
// turn into one (its message is the client's `error`; a 500 says less).
import type { ServerResponse } from 'node:http';
import { MIME } from './names.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': MIME['.json']!, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
