// Manual control of the segmenter: NDJSON commands ({"command":"start"|"stop"|"split"})
// read from a FIFO, so the dashboard or a shell can force recording on and off:
//   echo '{"command":"start"}' > /run/rec/control
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { stat } from 'node:fs/promises';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { readNdjson } from '../lib/ndjson.js';
import { CliError, EX } from '../lib/exit-codes.js';

export type ControlCommand = 'start' | 'stop' | 'split';
const COMMANDS = new Set<string>(['start', 'stop', 'split']);

/** Create the FIFO if needed and deliver its commands until the returned function is called. */
export async function listenForControl(path: string, onCommand: (cmd: ControlCommand) => void, log: Logger): Promise<() => void> {
  const st = await stat(path).catch(() => null);
  if (!st) {
    const r = await execa('mkfifo', ['-m', '0660', path], { reject: false });
    if (r.exitCode !== 0) throw new CliError(EX.CANTCREAT, `${path}: cannot create the control FIFO: ${r.stderr.trim()}`);
  } else if (!st.isFIFO()) {
    throw new CliError(EX.USAGE, `${path}: exists and is not a FIFO (--control wants a named pipe; it is created when missing)`);
  }
  // Read-write: we are always a writer ourselves, so the reader never sees EOF when
  // a shell's `echo` closes its end, and opening never blocks. Read through a
  // non-blocking socket, not fs streams: a blocked fs read of a FIFO holds a libuv
  // thread that keeps the process from exiting.
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  const stream = new Socket({ fd, readable: true, writable: false });
  void (async () => {
    try {
      for await (const item of readNdjson(stream, { maxLineBytes: 4096 })) {
        const cmd = item.value?.command ?? item.value?.cmd;
        if (typeof cmd === 'string' && COMMANDS.has(cmd)) {
          log.info({ command: cmd }, 'control command');
          onCommand(cmd as ControlCommand);
        } else {
          log.warn({ line: item.line, error: item.error ?? `unknown command ${JSON.stringify(cmd)}` }, 'ignored a control line');
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') log.warn({ err: (err as Error).message }, 'control FIFO closed');
    }
  })();
  return () => stream.destroy();
}
