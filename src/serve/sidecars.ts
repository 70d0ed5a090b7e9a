// Reading what the list needs from the sidecars rec-sidecars writes, cheaply:
// the waveform's durationMs without parsing its peaks, and the transcript text.
import { open, readFile } from 'node:fs/promises';

/** Sidecars bigger than this are not parsed whole (a pathological file must not eat the heap). */
const MAX_PARSE_BYTES = 512 * 1024;
const PROBE_BYTES = 2048;
/** Transcript text kept per recording for search and excerpts. */
export const MAX_TEXT_CHARS = 2000;

export interface WaveformMeta {
  durationMs: number | null;
  voiceRatio: number | null;
  /** The file is not a waveform (not JSON, no peaks): better not offered at all. */
  broken: boolean;
}

function numberField(text: string, field: string): number | null {
  const m = new RegExp(`"${field}"\\s*:\\s*(-?[0-9.eE+-]+)`).exec(text);
  const n = m ? Number(m[1]) : NaN;
  return Number.isFinite(n) ? n : null;
}

/**
 * durationMs (and voiceRatio, when present) of `<stem>.waveform.json`. The
 * fields sit before or after the peaks array, so the head and the tail of the
 * file are probed first; the whole file is parsed only when small.
 */
export async function readWaveformMeta(path: string): Promise<WaveformMeta> {
  const none = { durationMs: null, voiceRatio: null, broken: false };
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return none;
  try {
    const st = await fh.stat();
    const head = Buffer.alloc(Math.min(st.size, PROBE_BYTES));
    await fh.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(st.size, PROBE_BYTES));
    await fh.read(tail, 0, tail.length, Math.max(0, st.size - tail.length));
    const probe = head.toString('utf8') + '\n' + tail.toString('utf8');
    const durationMs = numberField(probe, 'durationMs');
    const voiceRatio = numberField(probe, 'voiceRatio');
    // Ours ends with its duration; a big file without one is not parsed (a waveform from elsewhere, or not one).
    if (durationMs !== null || st.size > MAX_PARSE_BYTES) return { durationMs, voiceRatio, broken: false };
    const doc = JSON.parse(await fh.readFile('utf8')) as Record<string, unknown> | null;
    return {
      durationMs: typeof doc?.durationMs === 'number' ? doc.durationMs : null,
      voiceRatio: typeof doc?.voiceRatio === 'number' ? doc.voiceRatio : null,
      broken: !Array.isArray(doc?.data),
    };
  } catch {
    return { ...none, broken: true };
  } finally {
    await fh.close();
  }
}

/** The transcript's text, whitespace collapsed and capped; null when unreadable. */
export async function readTranscriptText(path: string): Promise<string | null> {
  try {
    const raw = await readFile(path, 'utf8');
    if (raw.length > MAX_PARSE_BYTES) return null;
    const doc = JSON.parse(raw) as { text?: unknown; words?: Array<{ word?: unknown }> };
    let text = typeof doc.text === 'string' ? doc.text : Array.isArray(doc.words) ? doc.words.map((w) => String(w.word ?? '')).join(' ') : '';
    text = text.replace(/\s+/g, ' ').trim();
    return text.slice(0, MAX_TEXT_CHARS);
  } catch {
    return null;
  }
}

/**
 * Duration guessed from the size when no waveform says it: Ogg/Opus at the
 * default 32 kb/s plus ~3 % container overhead, minus the ~0.2 KB of headers.
 */
export function durationFromSize(bytes: number, kbps = 32): number | null {
  const payload = bytes - 200;
  if (payload <= 0) return null;
  return Math.round((payload / 1.03 / ((kbps * 1000) / 8)) * 1000);
}
