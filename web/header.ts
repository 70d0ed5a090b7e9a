// The dashboard's header, from the last status: the segmenter's state and how old
// the news is, the level meter with floor and threshold, a steady background being
// ignored, free disk and pending jobs.
import type { StatusView } from './api.js';
import { bytes, db } from './format.js';
import { $ } from './dom.js';

const LEVEL_MIN = -90;
const pct = (dbfs: number) => `${Math.min(100, Math.max(0, ((dbfs - LEVEL_MIN) / -LEVEL_MIN) * 100))}%`;

export function renderHeader(lastStatus: { view: StatusView; at: number } | null): void {
  const state = $('state');
  const age = $('age');
  if (!lastStatus) return;
  const v = lastStatus.view;
  const ageMs = v.ageMs === null ? null : v.ageMs + (Date.now() - lastStatus.at);
  const stale = v.stale || (ageMs !== null && ageMs > 15_000);
  const s = v.status;
  state.className = 'state';
  if (!s || stale) {
    state.classList.add('down');
    state.textContent = s ? 'STALE — segmenter not running' : 'DOWN — segmenter not running';
    state.title = v.reason ?? '';
  } else if (s.event) {
    state.classList.add('capturing');
    state.textContent = '● recording';
    state.title = '';
  } else {
    state.classList.add(s.capturing ? 'idle' : 'down');
    state.textContent = s.capturing ? 'listening' : 'no input';
    state.title = s.capturing ? '' : 'no audio frames are arriving';
  }
  age.textContent = ageMs === null ? '' : `updated ${Math.round(ageMs / 1000)} s ago`;
  if (s) {
    const lvl = s.level;
    $('meter-bar').style.width = stale ? '0%' : pct(lvl.rmsDbfs);
    $('meter-bar').classList.toggle('hot', lvl.rmsDbfs >= lvl.thresholdDbfs);
    $('meter-floor').style.left = pct(lvl.noiseFloorDbfs);
    $('meter-thr').style.left = pct(lvl.thresholdDbfs);
    $('meter').setAttribute('aria-valuenow', String(Math.round(lvl.rmsDbfs)));
    $('level').textContent = `level ${db(lvl.rmsDbfs)} · floor ${db(lvl.noiseFloorDbfs)} · threshold ${db(lvl.thresholdDbfs)}${lvl.voice ? ' · voice' : ''}`;
    // A steady background being ignored (a TV next door): why a quiet sound was not recorded.
    const bg = typeof lvl.backgroundDbfs === 'number' && !stale ? lvl.backgroundDbfs : null;
    const note = $('background');
    note.hidden = bg === null;
    note.textContent = bg === null ? '' : `ignoring a steady background (TV or radio?) at ${db(bg)}: quieter sounds are not recorded`;
    $('disk').textContent = `free disk ${bytes(s.disk.freeBytes)}`;
    $('jobs').textContent = `pending jobs ${s.spool.pendingJobs}`;
  } else {
    $('meter-bar').style.width = '0%';
    $('level').textContent = v.reason ?? '';
    $('background').hidden = true;
    $('disk').textContent = '';
    $('jobs').textContent = '';
  }
}
