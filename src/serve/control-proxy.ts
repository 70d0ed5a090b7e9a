// "Record now / stop / split" from the dashboard: one NDJSON command line written
// to rec-segment's control FIFO (see src/segment/control.ts for the reader).
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { ControlCommand } from '../segment/control.js';

export const ACTIONS: readonly ControlCommand[] = ['start', 'stop', 'split'];

export class ControlError extends Error {
  constructor(
    readonly status: 503,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Write `{"command":action}` to the FIFO without blocking. Never creates a file:
 * a missing FIFO or one nobody reads is a 503 ("segmenter not listening").
 */
export async function sendControl(fifo: string, action: ControlCommand): Promise<void> {
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
    await fh.write(JSON.stringify({ command: action }) + '\n');
  } catch (err) {
    throw new ControlError(503, `cannot write to the control FIFO (${(err as NodeJS.ErrnoException).code})`);
  } finally {
    await fh.close();
  }
}
