// The optional access token: `Authorization: Bearer <token>`, or `?token=` once,
// which sets an HttpOnly cookie so the page and its <audio> requests carry it.
// It never reaches a log: URLs are logged with `token=[redacted]`.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';

export const COOKIE = 'rec_token';

function sameSecret(a: string, b: string): boolean {
  // Hash first: timingSafeEqual needs equal lengths, and the length must not leak either.
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export type AuthResult = 'ok' | 'ok-set-cookie' | 'denied';

/** Whether the request carries the token (header, cookie, or `token` query parameter). */
export function authorize(req: IncomingMessage, query: URLSearchParams, token: string): AuthResult {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ') && sameSecret(header.slice(7).trim(), token)) return 'ok';
  const c = cookie(req, COOKIE);
  if (c !== undefined && sameSecret(c, token)) return 'ok';
  const q = query.get('token');
  if (q !== null && sameSecret(q, token)) return 'ok-set-cookie';
  return 'denied';
}

export function tokenCookie(token: string, secure: boolean): string {
  return `${COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export const REDACTED = '[redacted]';

/**
 * A request URL fit for a log: the value of every `token` parameter replaced,
 * however its name is spelled (`%74oken` is `token` to URLSearchParams, and so
 * to authorize()).
 */
export function redactUrl(url: string): string {
  const qi = url.indexOf('?');
  if (qi < 0) return url;
  const params = url
    .slice(qi + 1)
    .split('&')
    .map((p) => {
      const name = p.split('=', 1)[0]!;
      return new URLSearchParams(name).keys().next().value === 'token' ? `${name}=${REDACTED}` : p;
    });
  return `${url.slice(0, qi)}?${params.join('&')}`;
}

/**
 * The server's logger: any `url` it is given is redacted, and request headers
 * that carry the token (Authorization, Cookie) are censored if ever logged.
 */
export function redactingLogger(log: Logger): Logger {
  return log.child(
    {},
    {
      serializers: { url: (u: unknown) => (typeof u === 'string' ? redactUrl(u) : u) },
      redact: {
        paths: ['headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie', 'authorization', 'cookie'],
        censor: REDACTED,
      },
    },
  );
}
