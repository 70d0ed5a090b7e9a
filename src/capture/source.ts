// Where rec-capture's audio comes from, as the command lines that produce
// s16le mono PCM at the wanted rate on stdout: arecord (optionally followed by an
// ffmpeg filter stage), ffmpeg's ALSA input, or ffmpeg decoding a file/URL/stdin.

export interface CaptureSettings {
  rate: number;
  /** Channels to open the device with; downmixed to mono. */
  channels: number;
  gainDb?: number;
  highpassHz?: number;
  /** Extra ffmpeg audio filter chain, applied last. */
  filter?: string;
}

export type SourceSpec =
  | { kind: 'device'; device: string; backend: 'arecord' | 'ffmpeg' }
  | { kind: 'input'; input: string };

export interface Stage {
  program: 'arecord' | 'ffmpeg';
  args: string[];
  /** The stage reads our own stdin (`--input -`). */
  stdinInherit?: boolean;
}

/** The ffmpeg -af chain for the processing flags, or undefined when there is none. */
export function filterChain(s: CaptureSettings): string | undefined {
  const parts: string[] = [];
  if (s.highpassHz) parts.push(`highpass=f=${s.highpassHz}`);
  if (s.gainDb) parts.push(`volume=${s.gainDb}dB`);
  if (s.filter && s.filter.trim() !== '') parts.push(s.filter.trim());
  return parts.length ? parts.join(',') : undefined;
}

const FFMPEG_QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'error'];

function ffmpegOutput(s: CaptureSettings): string[] {
  const chain = filterChain(s);
  return [...(chain ? ['-af', chain] : []), '-ac', '1', '-ar', String(s.rate), '-c:a', 'pcm_s16le', '-f', 's16le', 'pipe:1'];
}

export function isUrl(input: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(input);
}

/** The processes to run, in pipe order (the last one's stdout is the PCM). */
export function sourceStages(src: SourceSpec, s: CaptureSettings): Stage[] {
  if (src.kind === 'input') {
    const stdin = src.input === '-';
    return [
      {
        program: 'ffmpeg',
        args: [...FFMPEG_QUIET, '-i', stdin ? 'pipe:0' : src.input, '-vn', '-sn', '-dn', ...ffmpegOutput(s)],
        stdinInherit: stdin,
      },
    ];
  }
  if (src.backend === 'ffmpeg') {
    return [
      {
        program: 'ffmpeg',
        args: [...FFMPEG_QUIET, '-f', 'alsa', '-channels', String(s.channels), '-sample_rate', String(s.rate), '-i', src.device, ...ffmpegOutput(s)],
      },
    ];
  }
  const arecord: Stage = {
    program: 'arecord',
    args: ['-q', '-D', src.device, '-t', 'raw', '-f', 'S16_LE', '-r', String(s.rate), '-c', String(s.channels)],
  };
  // arecord alone when no processing is asked for: one process less on the Pi.
  if (s.channels === 1 && !filterChain(s)) return [arecord];
  return [
    arecord,
    {
      program: 'ffmpeg',
      args: [...FFMPEG_QUIET, '-probesize', '32', '-analyzeduration', '0', '-f', 's16le', '-ar', String(s.rate), '-ac', String(s.channels), '-i', 'pipe:0', ...ffmpegOutput(s)],
    },
  ];
}

/** When a source that ended should be started again. */
export type RestartPolicy = 'always' | 'on-failure' | 'never';

export function restartPolicy(src: SourceSpec): RestartPolicy {
  if (src.kind === 'device') return 'always';
  return isUrl(src.input) ? 'on-failure' : 'never';
}
