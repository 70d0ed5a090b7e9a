// Request paths → files inside the recordings root. Everything a client names is
// checked here: no "..", no encoded slashes or NUL bytes, plain day and file
// names only, and the real path (symlinks resolved) must stay inside the root.
import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { DAY_DIR } from '../lib/recordings.js';


/** A client error: 400 for a malformed path, 404 for one that names nothing servable. */
export class PathError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Split the raw (still encoded) path of a request into decoded segments. Refuses
 * what a URL parser would quietly normalise away: dot segments (also as %2e),
 * encoded slashes and backslashes, NUL, and undecodable escapes.
 */
export function pathSegments(rawPath: string): string[] {
  if (/%(2f|5c|00)/i.test(rawPath) || rawPath.includes('\0') || rawPath.includes('\\')) {
    throw new PathError(400, 'encoded slash, backslash or NUL in path');
  }
  const segments = rawPath.split('/').slice(1);
  return segments.map((s) => {
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      throw new PathError(400, 'bad percent-encoding in path');
    }
    if (d === '.' || d === '..') throw new PathError(400, 'dot segment in path');
    if (d.includes('\0')) throw new PathError(400, 'NUL in path');
    return d;
  });
}

/** A file name the server may touch: no separators, not hidden, not empty, bounded. */
export function isPlainName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !name.startsWith('.') && !/[/\\\0]/.test(name);
}

/** Whether `path` is `root` itself or lies below it (both already resolved). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * `<root>/<day>/<name>` after checking both names and that the file, with its
 * symlinks resolved, is inside the (resolved) root. Throws PathError(404) when it
 * does not exist or points outside.
 */
export async function resolveInRoot(realRoot: string, day: string, name: string): Promise<string> {
  if (!DAY_DIR.test(day) || !isPlainName(name)) throw new PathError(404, 'not found');
  const path = join(realRoot, day, name);
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new PathError(404, 'not found');
  }
  if (!isInside(realRoot, real)) throw new PathError(404, 'not found');
  return real;
}
