// "Record now / stop / split" from the dashboard: POST /api/control {"command":…},
// passed on as one NDJSON line to rec-segment's control FIFO (src/segment/control.ts
// reads it), the same {"command":…} line a shell would write there.
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { ControlCommand } from '../segment/control.js';
import { HttpError } from './respond.js';

export const COMMANDS: readonly ControlCommand[] = ['start', 'stop', 'split'];

export class ControlError extends Error {
  constructor(
    readonly status: 503,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The command a request body asks for: `{"command":…}`, the FIFO's own field, or
 * `{"action":…}`, the name the API first had (still taken; both, differing: 400).
 */
export function commandOf(body: Record<string, unknown>): ControlCommand {
  const { command, action } = body;
  if (command !== undefined && action !== undefined && command !== action) {
    throw new HttpError(400, 'command and action (its older name) differ: send command only');
  }
  const c = command ?? action;
  if (typeof c !== 'string' || !COMMANDS.includes(c as ControlCommand)) throw new HttpError(400, `command: one of ${COMMANDS.join(', ')}`);
  return c as ControlCommand;
}

/**
 * Write `{"command":command}` to the FIFO without blocking. Never creates a file:
 * a missing FIFO or one nobody reads is a 503 ("segmenter not listening").
 */
export async function sendControl(fifo: string, command: ControlCommand): Promise<void> {
  const st = await stat(fifo).catch(() => null);
  if (!st) throw new ControlError(503, 'control FIFO missing: is rec-segment running with --control?');
  if (!st.isFIFO()) throw new ControlError(503, 'control path is not a FIFO');
  let fh;
  try {
    // O_NONBLOCK: opening a FIFO for writing with no reader fails with ENXIO instead of hanging.
    fh = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ControlError(503, code === 'ENXIO' ? 'segmenter not listening on the control FIFO' : `cannot open the control FIFO (${code})`);
  }
  try {
    await fh.write(JSON.stringify({ command }) + '\n');
  } catch (err) {
    throw new ControlError(503, `cannot write to the control FIFO (${(err as NodeJS.ErrnoException).code})`);
  } finally {
    await fh.close();
  }
}
