// Event identity and file names (DESIGN.md "Recordings directory"): an id from
// the UTC time of the event's first sample, and a day folder and stem in local
// time, so that day folders and names sort by time.
import { randomBytes } from 'node:crypto';
import type { Trigger } from '../lib/contracts.js';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export interface EventName {
  id: string;
  day: string;
  stem: string;
}

export function eventName(firstSampleAt: Date, trigger: Trigger, random: string = randomBytes(2).toString('hex')): EventName {
  const d = firstSampleAt;
  const id =
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z-${random}`;
  const day = localDay(d);
  const stem = `${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}_${trigger}_${random}`;
  return { id, day, stem };
}

/** The day folder (`YYYY-MM-DD`, local time) a moment belongs to. */
export function localDay(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
