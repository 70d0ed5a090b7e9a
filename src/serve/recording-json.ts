// The JSON shape of one recording in the API (list entries, notices, the event
// in progress); the dashboard imports this type too.
import { keyOf, type Recording } from './recording-index.js';

export interface RecordingJson {
  /** `<day>/<stem>` */
  id: string;
  day: string;
  stem: string;
  /** The audio file's name (`.partial.opus` while in progress). */
  file: string;
  inProgress: boolean;
  url: string;
  /** In progress only: the WebM live stream. */
  liveUrl?: string;
  size: number;
  mtime?: string;
  startedAt?: string;
  updatedAt?: string;
  trigger: string | null;
  durationMs: number | null;
  /** true when durationMs is guessed from the size (no waveform sidecar yet). */
  durationEstimated: boolean;
  voiceRatio: number | null;
  waveformUrl: string | null;
  transcriptUrl: string | null;
  /** The first words of the transcript. */
  excerpt: string | null;
  keep: boolean;
}

export function recordingJson(r: Recording): RecordingJson {
  const base = `/recordings/${r.day}/`;
  return {
    id: keyOf(r),
    day: r.day,
    stem: r.stem,
    file: r.file,
    inProgress: false,
    url: base + encodeURIComponent(r.file),
    size: r.size,
    mtime: new Date(r.mtimeMs).toISOString(),
    trigger: r.trigger,
    durationMs: r.durationMs,
    durationEstimated: r.durationEstimated,
    voiceRatio: r.voiceRatio,
    waveformUrl: r.waveform ? base + encodeURIComponent(`${r.stem}.waveform.json`) : null,
    transcriptUrl: r.transcript ? base + encodeURIComponent(`${r.stem}.transcript.json`) : null,
    excerpt: r.excerpt,
    keep: r.keep,
  };
}
