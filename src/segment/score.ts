// Scores detected events (rec-segment's startOffsetMs/endOffsetMs) against ground truth:
// what was caught, missed, falsely triggered, and whether onsets or ends were cut off.
// Pure: no I/O, so benchmarks and tests share it.

export interface TruthEvent {
  startMs: number;
  endMs: number;
  kind: string;
  snrDb?: number;
}

export interface DetectedEvent {
  startOffsetMs: number;
  endOffsetMs: number;
}

export interface ScoreOptions {
  /**
   * Slack in ms (default 0). An onset counts as clipped only when the covering event starts
   * more than this after the true onset (an end likewise); detected parts separated by at most
   * this are one covering event; a detection within this of a truth event is not false.
   */
  toleranceMs?: number;
  /**
   * The detector's pre-roll in ms (default 0). A detection that lies only in the pre-roll
   * window before a true onset (a split-off lead-in) is not counted as false.
   */
  preRollMs?: number;
}

export interface ErrorStats {
  /** NaN when nothing was caught. */
  mean: number;
  /** The largest signed error (the latest start, the latest end); NaN when nothing was caught. */
  max: number;
}

export interface Score {
  truth: number;
  detected: number;
  caught: number;
  /** caught / truth; 1 when there is no truth event. */
  recall: number;
  missed: TruthEvent[];
  /** Detected events that overlap no truth event. */
  falseEvents: number;
  falsePerHour: number;
  /** Caught events whose covering event starts after the true onset: audio lost. */
  clippedOnsets: number;
  /** Caught events whose covering event ends before the true end. */
  clippedOffsets: number;
  /** Covering start minus true start (negative = earlier, as pre-roll makes it). */
  onsetErrorMs: ErrorStats;
  /** Covering end minus true end (positive = later, as hang time makes it). */
  offsetErrorMs: ErrorStats;
  audioMs: number;
}

interface Span {
  start: number;
  end: number;
}

const overlaps = (a: Span, b: Span): boolean => a.start < b.end && a.end > b.start;

/** Detected events sorted and joined where contiguous (gap ≤ toleranceMs): one span per run of parts. */
function chains(detected: DetectedEvent[], toleranceMs: number): Span[] {
  const sorted = detected.map((d) => ({ start: d.startOffsetMs, end: d.endOffsetMs })).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.start <= last.end + toleranceMs) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

function stats(xs: number[]): ErrorStats {
  if (xs.length === 0) return { mean: NaN, max: NaN };
  return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, max: Math.max(...xs) };
}

export function scoreEvents(truth: TruthEvent[], detected: DetectedEvent[], audioMs: number, opts: ScoreOptions = {}): Score {
  const tol = opts.toleranceMs ?? 0;
  const preRoll = opts.preRollMs ?? 0;
  const joined = chains(detected, tol);
  const missed: TruthEvent[] = [];
  const onsetErrors: number[] = [];
  const offsetErrors: number[] = [];
  let clippedOnsets = 0;
  let clippedOffsets = 0;
  for (const t of truth) {
    const span = { start: t.startMs, end: t.endMs };
    // The covering event is the earliest run of parts that overlaps the truth event. A second,
    // separate run later in the same event means a gap in the middle: it shows as a clipped end.
    const cover = joined.find((c) => overlaps(c, span));
    if (!cover) {
      missed.push(t);
      continue;
    }
    onsetErrors.push(cover.start - t.startMs);
    offsetErrors.push(cover.end - t.endMs);
    if (cover.start > t.startMs + tol) clippedOnsets++;
    if (cover.end < t.endMs - tol) clippedOffsets++;
  }
  // False: a detected event touching no truth event, each widened by the pre-roll before it and
  // the tolerance on both sides.
  const widened = truth.map((t) => ({ start: t.startMs - preRoll - tol, end: t.endMs + tol }));
  let falseEvents = 0;
  for (const d of detected) {
    const span = { start: d.startOffsetMs, end: d.endOffsetMs };
    if (!widened.some((w) => overlaps(w, span))) falseEvents++;
  }
  const caught = truth.length - missed.length;
  return {
    truth: truth.length,
    detected: detected.length,
    caught,
    recall: truth.length === 0 ? 1 : caught / truth.length,
    missed,
    falseEvents,
    falsePerHour: audioMs > 0 ? (falseEvents * 3_600_000) / audioMs : 0,
    clippedOnsets,
    clippedOffsets,
    onsetErrorMs: stats(onsetErrors),
    offsetErrorMs: stats(offsetErrors),
    audioMs,
  };
}

/**
 * How long the detected events cover within [fromMs, toMs) (default: all of them), each
 * moment counted once however many events cover it.
 */
export function recordedMs(detected: DetectedEvent[], fromMs = 0, toMs = Infinity): number {
  let total = 0;
  for (const c of chains(detected, 0)) {
    const a = Math.max(c.start, fromMs);
    const b = Math.min(c.end, toMs);
    if (b > a) total += b - a;
  }
  return total;
}

/**
 * The share (0-1) of [fromMs, toMs) that was recorded: what a day of a TV next door costs in
 * storage and listening. Default span: the whole file, [0, audioMs).
 */
export function shareRecorded(detected: DetectedEvent[], audioMs: number, span: { fromMs?: number; toMs?: number } = {}): number {
  const from = span.fromMs ?? 0;
  const to = span.toMs ?? audioMs;
  return to > from ? recordedMs(detected, from, to) / (to - from) : 0;
}

export interface GroupScore {
  /** What the group's truth events have in common, e.g. 'bark@12' (kind and SNR). */
  key: string;
  truth: number;
  caught: number;
  /** caught / truth. */
  recall: number;
  /** Caught with the onset intact: the covering event starts at or before the true onset. */
  onsetIntact: number;
  onsetErrorMs: ErrorStats;
  missed: TruthEvent[];
}

/**
 * Truth events grouped by `key` (in order of first appearance), each group scored for what was
 * caught against all the detected events. False events belong to no group: see scoreEvents.
 */
export function scoreGroups(truth: TruthEvent[], detected: DetectedEvent[], key: (t: TruthEvent) => string, opts: ScoreOptions = {}): GroupScore[] {
  const groups = new Map<string, TruthEvent[]>();
  for (const t of truth) {
    const k = key(t);
    groups.set(k, [...(groups.get(k) ?? []), t]);
  }
  return [...groups].map(([k, events]) => {
    const s = scoreEvents(events, detected, 0, opts);
    return { key: k, truth: s.truth, caught: s.caught, recall: s.recall, onsetIntact: s.caught - s.clippedOnsets, onsetErrorMs: s.onsetErrorMs, missed: s.missed };
  });
}

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '-');

/** An aligned plain-text table, one row per scored run (name left, figures right-aligned). */
export function formatScoreTable(rows: Array<{ name: string; score: Score }>): string {
  const header = ['name', 'truth', 'caught', 'recall', 'missed', 'detected', 'false', 'false/h', 'clip-on', 'clip-off', 'onset ms mean/max', 'offset ms mean/max', 'audio min'];
  const body = rows.map(({ name, score: s }) => [
    name,
    String(s.truth),
    String(s.caught),
    s.recall.toFixed(3),
    String(s.missed.length),
    String(s.detected),
    String(s.falseEvents),
    s.falsePerHour.toFixed(1),
    String(s.clippedOnsets),
    String(s.clippedOffsets),
    `${ms(s.onsetErrorMs.mean)}/${ms(s.onsetErrorMs.max)}`,
    `${ms(s.offsetErrorMs.mean)}/${ms(s.offsetErrorMs.max)}`,
    (s.audioMs / 60_000).toFixed(1),
  ]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
