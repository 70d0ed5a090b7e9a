// The dashboard: header from the status (pushed by SSE), the recordings list
// grouped by day with the event in progress as a red row on top, and the player.
// Nothing runs while the tab is hidden: the event stream is closed and timers stop.
// One row's DOM is rec-row.ts; the player panel player-view.ts; the header
// header.ts; the trash panel trash-panel.ts; record/stop/split controls.ts.
import { api, ApiError, recPath, type Notice, type Page, type Rec, type StatusView } from './api.js';
import { bytes, duration } from './format.js';
import { renderHeader } from './header.js';
import { $, el, toast } from './dom.js';
import { placeRow, renderRow, type Row, type RowContext } from './rec-row.js';
import { PlayerView } from './player-view.js';
import { restoreFromTrash, wireTrashPanel } from './trash-panel.js';
import { wireControls } from './controls.js';

const PAGE = 50;

const rows = new Map<string, Row>();
const listEl = $('list');
let nextCursor: string | null = null;
let query = '';
let loading = false;
let events: EventSource | undefined;
let ticker: number | undefined;

/** The event in progress as the status last described it, and when (local clock). */
let live: { rec: Rec; baseMs: number; at: number } | null = null;
let lastStatus: { view: StatusView; at: number } | null = null;

const playerView = new PlayerView({
  onPlayingChanged(prev, next) {
    for (const rec of [prev, next]) {
      const row = rec && rows.get(rec.id);
      if (row) render(row);
    }
  },
  onFinal: (rec) => {
    upsert(rec);
  },
});

// ---------------------------------------------------------------- rows

function liveDurationMs(): number | null {
  return live ? live.baseMs + (Date.now() - live.at) : null;
}

const rowContext: RowContext = {
  playingId: () => playerView.playingId,
  liveDurationMs,
  play: (row) => void playerView.open(row.rec),
  keep: (row) => void toggleKeep(row),
  remove: (row) => void remove(row),
  restore: (row) => void restore(row),
};

function render(row: Row): void {
  renderRow(row, rowContext);
}

function upsert(rec: Rec): Row {
  let row = rows.get(rec.id);
  if (row) {
    row.rec = rec;
    row.deleted = false;
  } else {
    row = { rec, li: el('li') };
    rows.set(rec.id, row);
  }
  render(row);
  placeRow(listEl, row);
  $('empty').hidden = true;
  return row;
}

function drop(id: string): void {
  const row = rows.get(id);
  if (!row) return;
  rows.delete(id);
  const ul = row.li.parentElement;
  row.li.remove();
  if (ul && !ul.children.length) ul.parentElement?.remove();
}

async function loadPage(reset: boolean): Promise<void> {
  if (loading) return;
  loading = true;
  let loaded = false;
  try {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (query) params.set('q', query);
    if (!reset && nextCursor) params.set('cursor', nextCursor);
    const page = await api<Page>(`/api/recordings?${params}`);
    if (reset) {
      rows.clear();
      listEl.replaceChildren();
    }
    for (const rec of page.items) {
      if (rec.inProgress) setLive(rec, rec.durationMs ?? 0, Date.now());
      upsert(rec);
    }
    nextCursor = page.nextCursor;
    $('more').hidden = !nextCursor;
    $('empty').hidden = rows.size > 0;
    loaded = true;
  } catch (err) {
    toast(`Cannot load recordings: ${(err as Error).message}`);
  } finally {
    loading = false;
  }
  // A tall window may still show the end of the list: the observer fires only on changes.
  if (loaded && nextCursor && $('more').getBoundingClientRect().top < window.innerHeight) void loadPage(false);
}

// ---------------------------------------------------------------- live event

function setLive(rec: Rec, baseMs: number, at: number): void {
  live = { rec, baseMs, at };
}

function onStatus(view: StatusView): void {
  lastStatus = { view, at: Date.now() };
  renderHeader(lastStatus);
  const rec = view.recording;
  const prev = live?.rec.id;
  if (rec && !query) {
    setLive(rec, rec.durationMs ?? 0, Date.now() - (view.ageMs ?? 0));
    const row = rows.get(rec.id);
    if (!row) upsert(rec);
    else if (row.rec.inProgress) {
      // Only the figures change: the row is not rebuilt (that would steal keyboard focus).
      row.rec = rec;
      row.li.querySelector('.r-size')!.textContent = bytes(rec.size);
    }
    // A row that is already final stays final (the status can trail the rename).
  } else {
    live = null;
  }
  if (prev && prev !== live?.rec.id) settle(prev);
}

/** The event `id` is over: its row becomes final when the file is there, or goes if it was discarded. */
function settle(id: string, attempt = 0): void {
  const row = rows.get(id);
  if (!row?.rec.inProgress) return;
  const [day, stem] = id.split('/');
  window.setTimeout(async () => {
    const r = rows.get(id);
    if (!r?.rec.inProgress) return;
    try {
      upsert(await api<Rec>(recPath({ day: day!, stem: stem! })));
      playerView.update(rows.get(id)!.rec, false);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && attempt >= 5) drop(id);
      else if (attempt < 5) settle(id, attempt + 1);
    }
  }, 1000 * (attempt + 1));
}

function onNotice(n: Notice): void {
  if (n.kind === 'removed') {
    // A row this page is deleting stays, to offer Undo: the notice often beats the DELETE's answer.
    const row = rows.get(n.id);
    if (!row?.deleted && !row?.deleting) drop(n.id);
    return;
  }
  const row = rows.get(n.id);
  if (query && !row) return; // a search shows matches only
  if (row?.deleted) return;
  upsert(n.recording);
  playerView.update(n.recording, true);
}

function tick(): void {
  renderHeader(lastStatus);
  if (live) {
    const row = rows.get(live.rec.id);
    const dur = row?.rec.inProgress ? row.li.querySelector('.r-dur') : null;
    if (dur) dur.textContent = duration(liveDurationMs());
  }
}

// ---------------------------------------------------------------- actions

async function toggleKeep(row: Row): Promise<void> {
  const keep = !row.rec.keep;
  try {
    await api(`${recPath(row.rec)}/keep`, { method: keep ? 'PUT' : 'DELETE' });
    row.rec = { ...row.rec, keep };
    render(row);
    row.li.querySelector<HTMLButtonElement>('button[aria-pressed]')?.focus();
  } catch (err) {
    toast(`Keep: ${(err as Error).message}`);
  }
}

async function remove(row: Row): Promise<void> {
  row.deleting = true;
  try {
    await api(recPath(row.rec), { method: 'DELETE' });
    if (playerView.playingId === row.rec.id) playerView.close();
    row.deleted = true;
    render(row);
    row.li.querySelector('button')?.focus();
    toast('Moved to the trash');
  } catch (err) {
    toast(`Delete: ${(err as Error).message}`);
  } finally {
    row.deleting = false;
  }
}

async function restore(row: Row): Promise<void> {
  try {
    await restoreFromTrash(row.rec);
    row.deleted = false;
    render(row);
  } catch (err) {
    toast(`Restore: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------- events and visibility

function connect(): void {
  if (events) return;
  events = new EventSource('/api/events');
  events.addEventListener('status', (e) => onStatus(JSON.parse((e as MessageEvent<string>).data) as StatusView));
  events.addEventListener('recording', (e) => onNotice(JSON.parse((e as MessageEvent<string>).data) as Notice));
  ticker = window.setInterval(tick, 250);
}

function disconnect(): void {
  events?.close();
  events = undefined;
  clearInterval(ticker);
  ticker = undefined;
}

document.addEventListener('visibilitychange', () => {
  if (document.hidden) {
    disconnect();
  } else {
    connect();
    // Notices may have been missed while hidden: reload the first page.
    void loadPage(true);
  }
});

// ---------------------------------------------------------------- wiring

$('search').addEventListener('submit', (e) => {
  e.preventDefault();
  query = $<HTMLInputElement>('q').value.trim();
  nextCursor = null;
  void loadPage(true);
});
$('more').addEventListener('click', () => void loadPage(false));
new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting) && nextCursor) void loadPage(false);
}).observe($('more'));
wireTrashPanel();
wireControls();

void loadPage(true);
if (!document.hidden) connect();
