// A closed downstream pipe (`rec-capture | head -c 1000`) is a normal way for a
// Unix tool to end: EPIPE on stdout calls `onClosed`; any other write error
// (a full disk behind a redirect) calls `onError` instead of crashing.
import type { Writable } from 'node:stream';
import { CliError, EX } from './exit-codes.js';

export function isClosedPipe(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED' || err.code === 'ERR_STREAM_PREMATURE_CLOSE';
}

export function onEpipe(stream: Writable, onClosed: () => void, onError: (err: NodeJS.ErrnoException) => void): void {
  stream.on('error', (err: NodeJS.ErrnoException) => (isClosedPipe(err) ? onClosed() : onError(err)));
}

/** The error a tool ends with when it cannot write its output stream. */
export function outputWriteError(what: string, err: NodeJS.ErrnoException): CliError {
  return new CliError(EX.IOERR, `cannot write ${what}: ${err.message}`.replace(/\s+/g, ' ').trim());
}

/** Write and wait until the data is handed to the OS; rejects on a write error. */
export function writeAndFlush(stream: Writable, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (err) => (err ? reject(err) : resolve()));
  });
}
