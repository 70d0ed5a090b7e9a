// One recording's row in the list: time, duration, size, trigger, voice share,
// transcript excerpt, its waveform (drawn once scrolled into view) and its actions;
// and where the row goes (its day's section, newest first).
import type { Rec } from './api.js';
import { bytes, dayLabel, duration, timeOfStem } from './format.js';
import { drawWaveform, loadWaveform } from './waveform.js';
import { el } from './dom.js';

export interface Row {
  rec: Rec;
  li: HTMLLIElement;
  deleted?: boolean;
  /** A DELETE from this page is on its way: the server's "removed" notice may come first. */
  deleting?: boolean;
}

/** What a row needs from the page: what is playing, the live duration, and its buttons' actions. */
export interface RowContext {
  playingId(): string | null;
  /** The event in progress's duration now (ms), or null when none is known. */
  liveDurationMs(): number | null;
  play(row: Row): void;
  keep(row: Row): void;
  remove(row: Row): void;
  restore(row: Row): void;
}

/** Fill `row.li` from `row.rec` (in place: a red row turns into a final row without moving). */
export function renderRow(row: Row, ctx: RowContext): void {
  const { rec, li } = row;
  li.className = 'rec' + (rec.inProgress ? ' live' : '') + (row.deleted ? ' deleted' : '') + (ctx.playingId() === rec.id ? ' playing' : '');
  li.dataset.id = rec.id;
  li.dataset.stem = rec.stem;
  li.replaceChildren();
  const play = el('button', 'r-play', '▶');
  play.type = 'button';
  play.setAttribute('aria-label', `${rec.inProgress ? 'Play live' : 'Play'} ${timeOfStem(rec.stem)}`);
  play.addEventListener('click', () => ctx.play(row));
  play.disabled = !!row.deleted || (rec.inProgress && !rec.liveUrl);
  const main = el('div', 'r-main');
  const line = el('div', 'r-line');
  line.append(el('span', 'r-time', timeOfStem(rec.stem)));
  const dur = el('span', 'r-meta r-dur', duration(rec.inProgress ? ctx.liveDurationMs() ?? rec.durationMs : rec.durationMs));
  if (rec.durationEstimated) dur.title = 'estimated from the size';
  line.append(dur, el('span', 'r-meta r-size', bytes(rec.size)));
  if (rec.trigger) line.append(el('span', 'r-meta', rec.trigger));
  if (rec.voiceRatio !== null) line.append(el('span', 'r-meta', `voice ${Math.round(rec.voiceRatio * 100)}%`));
  if (rec.inProgress) line.append(el('span', 'r-meta r-state', 'recording'));
  if (rec.keep) line.append(el('span', 'r-meta', 'kept'));
  main.append(line);
  if (rec.excerpt) main.append(el('div', 'r-text', rec.excerpt));
  li.append(play, main);
  const actions = el('div', 'r-actions');
  if (row.deleted) {
    const undo = el('button', undefined, 'Undo delete');
    undo.type = 'button';
    undo.addEventListener('click', () => ctx.restore(row));
    actions.append(undo);
  } else if (!rec.inProgress) {
    // Actions that need the final file are only offered once it exists.
    if (rec.waveformUrl) {
      const c = el('canvas', 'r-wave');
      c.setAttribute('aria-hidden', 'true');
      actions.append(c);
      waveUrls.set(c, rec.waveformUrl);
      waveObserver.observe(c);
    }
    const dl = el('a', undefined, 'Download');
    dl.href = `${rec.url}?download`;
    dl.setAttribute('download', rec.file);
    const keep = el('button', undefined, 'Keep');
    keep.type = 'button';
    keep.setAttribute('aria-pressed', String(rec.keep));
    keep.title = 'Protect from automatic clean-up';
    keep.addEventListener('click', () => ctx.keep(row));
    const del = el('button', undefined, 'Delete');
    del.type = 'button';
    del.addEventListener('click', () => ctx.remove(row));
    actions.append(dl, keep, del);
  }
  li.append(actions);
}

/** A row's waveform is fetched and drawn only when it scrolls into view. */
const waveUrls = new WeakMap<Element, string>();
const waveObserver = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (!e.isIntersecting) continue;
    waveObserver.unobserve(e.target);
    const canvas = e.target as HTMLCanvasElement;
    const url = waveUrls.get(canvas);
    if (!url || !canvas.isConnected) continue;
    void loadWaveform(url).then((w) => {
      if (w && canvas.isConnected) {
        drawWaveform(canvas, w);
        canvas.dataset.drawn = '1';
      }
    });
  }
});

function dayList(listEl: HTMLElement, day: string): HTMLUListElement {
  let section = listEl.querySelector<HTMLElement>(`section[data-day="${day}"]`);
  if (!section) {
    section = el('section');
    section.dataset.day = day;
    section.append(el('h2', undefined, dayLabel(day)), el('ul', 'day'));
    const after = [...listEl.querySelectorAll<HTMLElement>('section[data-day]')].find((s) => (s.dataset.day ?? '') < day);
    listEl.insertBefore(section, after ?? null);
  }
  return section.querySelector('ul')!;
}

/** Put the row in its day's section of `listEl` (created when needed), newest first. */
export function placeRow(listEl: HTMLElement, row: Row): void {
  const ul = dayList(listEl, row.rec.day);
  if (row.li.parentElement === ul) return;
  const after = [...ul.children].find((li) => ((li as HTMLElement).dataset.stem ?? '') < row.rec.stem);
  ul.insertBefore(row.li, after ?? null);
}
