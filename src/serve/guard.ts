// Browser-borne attacks on a dashboard that listens on localhost: DNS rebinding
// (a page under another name reaching 127.0.0.1) and cross-site requests that
// change something (delete, control). Without a token, a loopback server only
// answers requests addressed to a loopback name; writes must come from the
// page's own origin.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** `127.0.0.1:8080` → `127.0.0.1`, `[::1]:8080` → `::1`. */
export function hostName(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader) ?? /^([^:]+)(?::\d+)?$/.exec(hostHeader);
  return (m?.[1] ?? hostHeader).toLowerCase();
}

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
