// pino logger for every tool: NDJSON on stderr (stdout is for data), pretty on a TTY.
import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';

export type { Logger };

export interface LogOptions {
  level?: string;
  pretty?: boolean;
}

export function createLogger(name: string, opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const usePretty = opts.pretty ?? process.stderr.isTTY === true;
  // Synchronous writes: a tool that exits right after logging an error must not lose the line.
  const dest = usePretty
    ? loadPretty()({ destination: 2, sync: true, colorize: process.stderr.isTTY === true })
    : pino.destination({ dest: 2, sync: true });
  return pino({ name, level, base: { pid: process.pid } }, dest);
}

// pino-pretty is loaded only when asked for: a service on the Pi never pays for it.
function loadPretty(): typeof import('pino-pretty') {
  return createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
}
