// Names the server hands out: the trigger in a stem, and content types. What a
// file in a day folder is comes from lib/recordings.ts (parseName).
export { parseName, type FileKind, type ParsedName } from '../lib/recordings.js';

/** `10-15-02_vad_7f3a` → `vad`; null when the stem does not follow the naming scheme. */
export function triggerOf(stem: string): string | null {
  const m = /^\d{2}-\d{2}-\d{2}_([a-z]+)_/.exec(stem);
  return m ? m[1]! : null;
}

/** Content types of everything the server hands out (a fixed map: no lookup library needed). */
export const MIME: Record<string, string> = {
  '.opus': 'audio/ogg',
  '.ogg': 'audio/ogg',
  '.webm': 'audio/webm',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};
