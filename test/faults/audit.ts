// What a trial left behind, judged against the world: for every burst, how much
// of what the microphone delivered is in a good .opus (audio lost), and which
// files should not be there (leaks).
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { toneRuns, uncovered, type World } from './world.js';

/** Per contiguous piece of a burst: 20 ms frames at each edge may read as quiet. */
const EDGE_TOLERANCE_MS = 40;
/** Audio inside a killed rec-capture and its pipe from arecord (64 KiB = 0.68 s at 48 kHz), world ms. */
export const CAPTURE_INFLIGHT_MS = 1000;

export interface Audit {
  audioLostMs: number;
  /** Audio the microphone never delivered (device overran, stalled or restarted), world ms. */
  notCapturedMs: number;
  duplicatedMs: number;
  leaked: string[];
  recordings: number;
  /** Per burst: expected and found ms. */
  bursts: Array<{ burst: number; expectedMs: number; foundMs: number; pieces: number }>;
}

interface MicEntry {
  type: 'start' | 'drop' | 'stall' | 'exit' | 'end';
  pid: number;
  wall: number;
  at?: number;
  from?: number;
  to?: number;
}

/** World intervals (ms) the microphone did not deliver downstream. */
export function notDelivered(micLog: string, world: World): Array<[number, number]> {
  const ms = (samples: number) => (samples * 1000) / world.rate;
  const entries = micLog
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MicEntry);
  const out: Array<[number, number]> = [];
  // Before the first microphone started, nothing was delivered.
  let last: MicEntry | null = { type: 'exit', pid: 0, wall: 0, at: -Infinity }; // the end of the previous microphone
  for (const e of entries) {
    if (e.type === 'drop' || e.type === 'stall') out.push([ms(e.from!), ms(e.to!)]);
    if (e.type === 'exit') last = e;
    if (e.type === 'end') last = e;
    if (e.type === 'start' && last) {
      const back = last.type === 'end' ? CAPTURE_INFLIGHT_MS : 0;
      out.push([ms(last.at!) - back, ms(e.at!)]);
      last = null;
    }
  }
  // After the last microphone ended (or when none ever started), nothing was delivered either.
  if (last) out.push([ms(last.at!) - (last.type === 'end' ? CAPTURE_INFLIGHT_MS : 0), Infinity]);
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const FINAL = /^\d{4}-\d{2}-\d{2}\/[^/]+\.opus$/;
const SIDECAR = /^\d{4}-\d{2}-\d{2}\/[^/]+\.(waveform\.json|transcript\.json|keep|archived)$/;

export async function audit(opts: { out: string; spool: string; world: World; /** Path of the microphone log. */ micLog: string }): Promise<Audit> {
  const leaked: string[] = [];
  const finals: string[] = [];
  for (const f of await walk(opts.out)) {
    const rel = relative(opts.out, f);
    if (f.startsWith(opts.spool + '/') || rel.startsWith('.trash/')) continue;
    if (FINAL.test(rel)) finals.push(f);
    else if (!SIDECAR.test(rel)) leaked.push(rel);
  }
  for (const f of await walk(opts.spool)) {
    const rel = relative(opts.spool, f);
    if (!/^(segmenter|sidecars)_status\.json$/.test(rel)) leaked.push(`spool/${rel}`);
  }
  const found = new Map<number, { ms: number; pieces: number }>();
  for (const f of finals) {
    const stem = f.slice(0, -'.opus'.length);
    const hasWaveform = (await walk(join(f, '..'))).includes(`${stem}.waveform.json`);
    if (!hasWaveform) leaked.push(`${relative(opts.out, f)} (no waveform: rec-sidecars never finished it)`);
    const runs = await toneRuns(f, opts.world.rate);
    if (!runs) {
      leaked.push(`${relative(opts.out, f)} (does not decode)`);
      continue;
    }
    for (const r of runs) {
      const b = found.get(r.burst) ?? { ms: 0, pieces: 0 };
      b.ms += r.ms;
      b.pieces++;
      found.set(r.burst, b);
    }
  }
  const missing = notDelivered(readText(opts.micLog), opts.world);
  let audioLostMs = 0;
  let notCapturedMs = 0;
  let duplicatedMs = 0;
  const bursts = opts.world.bursts.map((b, i) => {
    const expectedMs = uncovered(b.startMs, b.startMs + b.durMs, missing);
    notCapturedMs += b.durMs - expectedMs;
    const f = found.get(i) ?? { ms: 0, pieces: 0 };
    const tol = EDGE_TOLERANCE_MS * Math.max(1, f.pieces);
    audioLostMs += Math.max(0, expectedMs - f.ms - tol);
    // Against the whole burst: audio near a capture kill may or may not have been delivered.
    duplicatedMs += Math.max(0, f.ms - b.durMs - tol);
    return { burst: i, expectedMs: Math.round(expectedMs), foundMs: f.ms, pieces: f.pieces };
  });
  return { audioLostMs: Math.round(audioLostMs), notCapturedMs: Math.round(notCapturedMs), duplicatedMs: Math.round(duplicatedMs), leaked, recordings: finals.length, bursts };
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
