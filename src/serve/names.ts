// What a file in a day folder is, from its name (DESIGN.md "Recordings directory"):
// <stem>.opus|.webm (final), <stem>.partial.opus|.webm (growing, read-only),
// <stem>.waveform.json, <stem>.transcript.json, <stem>.keep (protected from retention).
export type FileKind = 'audio' | 'partial' | 'waveform' | 'transcript' | 'keep' | 'other';

export interface ParsedName {
  stem: string;
  kind: FileKind;
}

const SUFFIXES: Array<[string, FileKind]> = [
  ['.partial.opus', 'partial'],
  ['.partial.webm', 'partial'],
  ['.opus', 'audio'],
  ['.webm', 'audio'],
  ['.waveform.json', 'waveform'],
  ['.transcript.json', 'transcript'],
  ['.keep', 'keep'],
];

export function parseName(name: string): ParsedName {
  for (const [suffix, kind] of SUFFIXES) {
    if (name.endsWith(suffix) && name.length > suffix.length) return { stem: name.slice(0, -suffix.length), kind };
  }
  const dot = name.indexOf('.');
  return { stem: dot > 0 ? name.slice(0, dot) : name, kind: 'other' };
}

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
