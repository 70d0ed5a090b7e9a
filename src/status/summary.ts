// What rec-status prints and checks: a short human summary of a status object,
// and the health verdict (stale, not capturing, spool backing up, encoder trouble).
import type { SegmenterStatus } from '../lib/contracts.js';

export interface HealthThresholds {
  /** Oldest acceptable status (ms). */
  maxAgeMs: number;
  /** Most job files waiting in the spool. */
  maxPendingJobs: number;
  /** Least free bytes on the recordings disk and on the spool. */
  minFreeBytes: number;
}

export function checkHealth(s: SegmenterStatus, ageMs: number, th: HealthThresholds, now = Date.now()): string[] {
  const problems: string[] = [];
  if (ageMs > th.maxAgeMs && Date.parse(s.updatedAt) > now) problems.push(`stale: updated ${seconds(ageMs)} in the future (the clock stepped back since; rec-segment not running?)`);
  else if (ageMs > th.maxAgeMs) problems.push(`stale: updated ${seconds(ageMs)} ago (rec-segment not running?)`);
  else if (!s.capturing) problems.push('not capturing: no audio arriving');
  if (s.spool.pendingJobs > th.maxPendingJobs) problems.push(`spool backing up: ${s.spool.pendingJobs} jobs waiting (rec-sidecars not running?)`);
  if (s.spool.error) problems.push(`spool error: ${s.spool.error}`);
  if (s.spool.freeBytes !== null && s.spool.freeBytes < th.minFreeBytes) problems.push(`spool almost full: ${bytes(s.spool.freeBytes)} free`);
  if (s.disk.freeBytes !== null && s.disk.freeBytes < th.minFreeBytes) problems.push(`recordings disk almost full: ${bytes(s.disk.freeBytes)} free`);
  if (s.streamingEncode.suspended) problems.push(`streaming encode suspended: ${s.streamingEncode.suspendReason ?? 'encoder too slow'}`);
  return problems;
}

export function seconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const db = (x: number) => `${x.toFixed(1)} dBFS`;

/** The summary, one line per topic, labels aligned. */
export function formatSummary(s: SegmenterStatus, ageMs: number, stale: boolean, now = Date.now()): string {
  const state = stale ? 'STALE (rec-segment not running?)' : s.capturing ? (s.event ? 'recording' : 'capturing') : 'idle (no audio arriving)';
  const rows: Array<[string, string]> = [
    ['rec-segment', `${state}; updated ${seconds(ageMs)} ago, pid ${s.pid}, ${stale ? 'ran for' : 'up'} ${seconds(Date.parse(s.updatedAt) - Date.parse(s.startedAt))}`],
    ['level', `${db(s.level.rmsDbfs)}, noise floor ${db(s.level.noiseFloorDbfs)}, threshold ${db(s.level.thresholdDbfs)}${s.level.voice ? ', voice' : ''}`],
  ];
  const bg = s.level.backgroundDbfs;
  if (typeof bg === 'number') rows.push(['background', `steady voice-like sound (a TV or radio?) at ${db(bg)} ignored: quieter sounds are not recorded`]);
  const e = s.event;
  if (e) {
    const where = e.partialPath ? `streaming to ${e.partialPath}` : 'encoded after the event';
    rows.push(['event', `${e.trigger}, ${seconds(e.durationMs)}, ${bytes(e.eventSizeBytes)}, ${where}`]);
  } else rows.push(['event', 'none']);
  const l = s.lastEvent;
  if (l) rows.push(['last event', `${l.day}/${l.stem}, ${seconds(l.durationMs)}, ended ${seconds(Math.max(0, now - Date.parse(l.endedAt)))} ago (${l.endReason}), encode ${l.encode.mode}`]);
  const se = s.streamingEncode;
  const enc = !se.enabled
    ? 'streaming off (encoded after each event)'
    : se.suspended
      ? `streaming SUSPENDED until ${se.suspendedUntil ?? '?'}: ${se.suspendReason ?? ''}`
      : `streaming on, ${se.failures} failed, ${se.late ?? 0} late, ${se.queueFrames} frames queued`;
  rows.push(['encoder', enc]);
  rows.push([
    'spool',
    `${s.spool.pendingJobs} jobs, ${bytes(s.spool.bytes)}${s.spool.freeBytes !== null ? `, ${bytes(s.spool.freeBytes)} free` : ''}${s.spool.error ? `, ERROR ${s.spool.error}` : ''}`,
  ]);
  rows.push(['disk', s.disk.freeBytes !== null ? `${bytes(s.disk.freeBytes)} free` : 'unknown']);
  rows.push(['input', `${s.input.rate} Hz, ${s.input.framesIn} frames, ${s.input.gaps} gaps${s.input.lastFrameAt ? `, last frame ${seconds(Math.max(0, now - Date.parse(s.input.lastFrameAt)))} ago` : ''}`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}
