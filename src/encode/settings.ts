// Opus encoder settings and the ffmpeg command line that streams PCM into a
// growing Ogg/WebM file. Defaults are justified by bench/encode-settings.ts.
import { extname } from 'node:path';

export type Container = 'ogg' | 'webm';
export const CONTAINERS: readonly Container[] = ['ogg', 'webm'];

export interface EncoderSettings {
  /** Target bitrate in kb/s. */
  bitrate: number;
  /** libopus complexity 0–10: 5 costs about a third of the CPU of 10 for slightly bigger files. */
  complexity: number;
  container: Container;
  /**
   * How much audio goes into one Ogg page / WebM cluster, in ms. The partial file
   * trails live audio by about this much; smaller costs a little size.
   */
  pageMs: number;
}

export const DEFAULT_SETTINGS: EncoderSettings = {
  bitrate: 32,
  complexity: 5,
  container: 'ogg',
  pageMs: 200,
};

export function containerExtension(container: Container): string {
  return container === 'webm' ? '.webm' : '.opus';
}

/** `dir/name.opus` → `dir/name.partial.opus`. */
export function partialPathFor(finalPath: string): string {
  const ext = extname(finalPath);
  return finalPath.slice(0, finalPath.length - ext.length) + '.partial' + ext;
}

/** `dir/name.partial.opus` → `dir/name.opus` (the inverse of partialPathFor). */
export function finalPathFor(partialPath: string): string {
  return partialPath.replace(/\.partial(\.[^./]+)$/, '$1');
}

export function isPartialPath(path: string): boolean {
  return /\.partial\.[^./]+$/.test(path);
}

/**
 * ffmpeg input options for a live pipe: no probing. Without them ffmpeg reads
 * (and waits for) up to ~1 s of input before it writes anything.
 */
export const NO_PROBE_ARGS: readonly string[] = ['-probesize', '32', '-analyzeduration', '0'];

/** ffmpeg arguments: s16le mono PCM on stdin → `output`, flushed page by page. */
export function ffmpegEncodeArgs(rate: number, s: EncoderSettings, output: string): string[] {
  const muxer =
    s.container === 'webm'
      ? ['-f', 'webm', '-live', '1', '-cluster_time_limit', String(s.pageMs)]
      : ['-f', 'ogg', '-page_duration', String(s.pageMs * 1000)];
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...NO_PROBE_ARGS,
    '-f',
    's16le',
    '-ar',
    String(rate),
    '-ac',
    '1',
    '-i',
    'pipe:0',
    '-c:a',
    'libopus',
    '-b:a',
    `${s.bitrate}k`,
    '-compression_level',
    String(s.complexity),
    '-frame_duration',
    '20',
    '-application',
    'audio',
    '-threads',
    '1',
    // Without it ffmpeg holds 256 KiB (a minute of audio) before the first write.
    '-flush_packets',
    '1',
    ...muxer,
    '-y',
    output,
  ];
}
