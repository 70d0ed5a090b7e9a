// A closed downstream pipe (`rec-capture | head -c 1000`) is a normal way for a
// Unix tool to end: EPIPE on stdout calls `onClosed` instead of crashing.
import type { Writable } from 'node:stream';

export function onEpipe(stream: Writable, onClosed: () => void): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') onClosed();
    else throw err;
  });
}
