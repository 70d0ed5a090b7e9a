// Readiness and watchdog pings for systemd (Type=notify, WatchdogSec=) through the
// systemd-notify program: Node cannot write to the AF_UNIX datagram socket in
// $NOTIFY_SOCKET, and the npm binding (sd-notify) compiles against libsystemd at
// install time. systemd-notify (systemd ≥ 246) waits until the manager has taken
// the message (sd_notify_barrier), so with NotifyAccess=all it is attributed to
// the unit although it comes from a short-lived child. ~12 ms of CPU per call on
// a desktop, so the watchdog is pinged at most every WATCHDOG_USEC/2.
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import { monotonicMs } from './clock.js';

export interface Notifier {
  /** READY=1: start-up is done. */
  ready(): void;
  /** WATCHDOG=1, unless the last ping is younger than half the watchdog period. */
  watchdog(now?: number): void;
  /** Whether a service manager is listening at all. */
  readonly active: boolean;
  /** Whether the unit has a watchdog (WatchdogSec=) for this process. */
  readonly watchdogActive: boolean;
}

export interface NotifierOptions {
  env?: NodeJS.ProcessEnv;
  /** The program that sends the message (default systemd-notify on PATH). */
  program?: string;
  log?: Pick<Logger, 'warn'>;
}

/** Half the watchdog period in ms, or null when this process has no watchdog. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.NOTIFY_SOCKET || !Number.isFinite(usec) || usec <= 0) return null;
  // systemd names the process the watchdog is meant for; a child must not ping for it.
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return usec / 1000 / 2;
}

export function createNotifier(opts: NotifierOptions = {}): Notifier {
  const env = opts.env ?? process.env;
  const program = opts.program ?? 'systemd-notify';
  const active = Boolean(env.NOTIFY_SOCKET);
  const interval = watchdogIntervalMs(env);
  let lastPing = -Infinity;
  let inFlight = false;
  let warned = false;
  const send = (message: string, done?: () => void) => {
    execFile(program, [message], { env, timeout: 10_000 }, (err) => {
      done?.();
      if (err && !warned) {
        warned = true;
        opts.log?.warn({ err: err.message.split('\n')[0], program }, 'cannot notify systemd (further failures are not logged)');
      }
    });
  };
  return {
    active,
    watchdogActive: interval !== null,
    ready() {
      if (active) send('READY=1');
    },
    watchdog(now = monotonicMs()) {
      if (interval === null || inFlight || now - lastPing < interval) return;
      lastPing = now;
      inFlight = true;
      send('WATCHDOG=1', () => (inFlight = false));
    },
  };
}
