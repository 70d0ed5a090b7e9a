// The dashboard: header from the status (pushed by SSE), the recordings list
// grouped by day with the event in progress as a red row on top, and the player.
// Nothing runs while the tab is hidden: the event stream is closed and timers stop.
import { api, ApiError, recPath, type Notice, type Page, type Rec, type StatusView } from './api.js';
import { bytes, db, dayLabel, duration, timeOfStem } from './format.js';
import { drawWaveform, loadWaveform } from './waveform.js';
import { LIVE_OFFSET_S, Player } from './player.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const PAGE = 50;

interface Row {
  rec: Rec;
  li: HTMLLIElement;
  deleted?: boolean;
}

const rows = new Map<string, Row>();
const listEl = $('list');
let nextCursor: string | null = null;
let query = '';
let loading = false;
let events: EventSource | undefined;
let ticker: number | undefined;
let toastTimer: number | undefined;

/** The event in progress as the status last described it, and when (local clock). */
let live: { rec: Rec; baseMs: number; at: number } | null = null;
let lastStatus: { view: StatusView; at: number } | null = null;

const player = new Player($<HTMLAudioElement>('audio'));
let playing: Rec | null = null;

function toast(msg: string): void {
  const el = $('toast');
  el.textContent = msg;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (el.hidden = true), 4000);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---------------------------------------------------------------- header

const LEVEL_MIN = -90;
const pct = (dbfs: number) => `${Math.min(100, Math.max(0, ((dbfs - LEVEL_MIN) / -LEVEL_MIN) * 100))}%`;

function renderHeader(): void {
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
    $('disk').textContent = `free disk ${bytes(s.disk.freeBytes)}`;
    $('jobs').textContent = `pending jobs ${s.spool.pendingJobs}`;
  } else {
    $('meter-bar').style.width = '0%';
    $('level').textContent = v.reason ?? '';
    $('disk').textContent = '';
    $('jobs').textContent = '';
  }
}

// ---------------------------------------------------------------- rows

function dayList(day: string): HTMLUListElement {
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

function place(row: Row): void {
  const ul = dayList(row.rec.day);
  if (row.li.parentElement === ul) return;
  const after = [...ul.children].find((li) => ((li as HTMLElement).dataset.stem ?? '') < row.rec.stem);
  ul.insertBefore(row.li, after ?? null);
}

function liveDurationMs(): number | null {
  return live ? live.baseMs + (Date.now() - live.at) : null;
}

/** Fill `row.li` from `row.rec` (in place: a red row turns into a final row without moving). */
function render(row: Row): void {
  const { rec, li } = row;
  li.className = 'rec' + (rec.inProgress ? ' live' : '') + (row.deleted ? ' deleted' : '') + (playing?.id === rec.id ? ' playing' : '');
  li.dataset.id = rec.id;
  li.dataset.stem = rec.stem;
  li.replaceChildren();
  const play = el('button', 'r-play', '▶');
  play.type = 'button';
  play.setAttribute('aria-label', `${rec.inProgress ? 'Play live' : 'Play'} ${timeOfStem(rec.stem)}`);
  play.addEventListener('click', () => void open(row.rec));
  play.disabled = !!row.deleted || (rec.inProgress && !rec.liveUrl);
  const main = el('div', 'r-main');
  const line = el('div', 'r-line');
  line.append(el('span', 'r-time', timeOfStem(rec.stem)));
  const dur = el('span', 'r-meta r-dur', duration(rec.inProgress ? liveDurationMs() ?? rec.durationMs : rec.durationMs));
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
    undo.addEventListener('click', () => void restore(row));
    actions.append(undo);
  } else if (!rec.inProgress) {
    // Actions that need the final file are only offered once it exists.
    if (rec.waveformUrl) {
      const c = el('canvas', 'r-wave');
      c.setAttribute('aria-hidden', 'true');
      actions.append(c);
      waveObserver.observe(c);
    }
    const dl = el('a', undefined, 'Download');
    dl.href = `${rec.url}?download`;
    dl.setAttribute('download', rec.file);
    const keep = el('button', undefined, 'Keep');
    keep.type = 'button';
    keep.setAttribute('aria-pressed', String(rec.keep));
    keep.title = 'Protect from automatic clean-up';
    keep.addEventListener('click', () => void toggleKeep(row));
    const del = el('button', undefined, 'Delete');
    del.type = 'button';
    del.addEventListener('click', () => void remove(row));
    actions.append(dl, keep, del);
  }
  li.append(actions);
}

const waveObserver = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (!e.isIntersecting) continue;
    waveObserver.unobserve(e.target);
    const canvas = e.target as HTMLCanvasElement;
    const row = rows.get((canvas.closest('li') as HTMLElement | null)?.dataset.id ?? '');
    if (!row?.rec.waveformUrl) continue;
    void loadWaveform(row.rec.waveformUrl).then((w) => {
      if (w && canvas.isConnected) {
        drawWaveform(canvas, w);
        canvas.dataset.drawn = '1';
      }
    });
  }
});

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
  place(row);
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
  renderHeader();
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
      if (playing?.id === id) playing = rows.get(id)!.rec;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && attempt >= 5) drop(id);
      else if (attempt < 5) settle(id, attempt + 1);
    }
  }, 1000 * (attempt + 1));
}

function onNotice(n: Notice): void {
  if (n.kind === 'removed') {
    if (!rows.get(n.id)?.deleted) drop(n.id);
    return;
  }
  const row = rows.get(n.id);
  if (query && !row) return; // a search shows matches only
  if (row?.deleted) return;
  upsert(n.recording);
  if (playing?.id === n.id) {
    playing = n.recording;
    renderPlayerMeta();
  }
}

function tick(): void {
  renderHeader();
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
  try {
    await api(recPath(row.rec), { method: 'DELETE' });
    if (playing?.id === row.rec.id) closePlayer();
    row.deleted = true;
    render(row);
    row.li.querySelector('button')?.focus();
    toast('Moved to the trash');
  } catch (err) {
    toast(`Delete: ${(err as Error).message}`);
  }
}

async function restore(row: Row): Promise<void> {
  try {
    await api(`/api/trash/${row.rec.day}/${encodeURIComponent(row.rec.stem)}/restore`, { method: 'POST' });
    row.deleted = false;
    render(row);
  } catch (err) {
    toast(`Restore: ${(err as Error).message}`);
  }
}

async function showTrash(): Promise<void> {
  const btn = $('show-trash');
  const panel = $('trash');
  const show = panel.hidden;
  panel.hidden = !show;
  btn.setAttribute('aria-pressed', String(show));
  if (!show) return;
  const ul = $('trash-list');
  ul.replaceChildren(el('li', 'muted', 'loading…'));
  try {
    const { items } = await api<{ items: Array<{ day: string; stem: string; files: string[]; bytes: number }> }>('/api/trash');
    ul.replaceChildren();
    if (!items.length) ul.append(el('li', 'muted', 'The trash is empty.'));
    for (const it of items) {
      const li = el('li');
      const b = el('button', undefined, 'Restore');
      b.type = 'button';
      b.addEventListener('click', async () => {
        try {
          await api(`/api/trash/${it.day}/${encodeURIComponent(it.stem)}/restore`, { method: 'POST' });
          li.remove();
        } catch (err) {
          toast(`Restore: ${(err as Error).message}`);
        }
      });
      li.append(el('span', undefined, `${it.day} ${timeOfStem(it.stem)}`), el('span', 'muted', bytes(it.bytes)), b);
      ul.append(li);
    }
  } catch (err) {
    ul.replaceChildren(el('li', 'muted', `Cannot list the trash: ${(err as Error).message}`));
  }
}

async function emptyTrash(): Promise<void> {
  if (!window.confirm('Delete everything in the trash for good?')) return;
  try {
    const { removed } = await api<{ removed: number }>('/api/trash', { method: 'DELETE' });
    toast(`Removed ${removed} files`);
    $('trash-list').replaceChildren(el('li', 'muted', 'The trash is empty.'));
  } catch (err) {
    toast(`Empty trash: ${(err as Error).message}`);
  }
}

async function control(action: string): Promise<void> {
  try {
    await api('/api/control', { method: 'POST', body: JSON.stringify({ action }) });
    toast(`Sent: ${action}`);
  } catch (err) {
    toast(`${action}: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------- player

const audio = player.audio;
const wave = $<HTMLCanvasElement>('p-wave');
let playerWave: Awaited<ReturnType<typeof loadWaveform>> = null;

async function open(rec: Rec, fromStart = false): Promise<void> {
  const prev = playing && rows.get(playing.id);
  playing = rec;
  if (prev) render(prev);
  const row = rows.get(rec.id);
  if (row) render(row);
  $('player').hidden = false;
  renderPlayerMeta();
  if (rec.inProgress && rec.liveUrl) await player.playLive(rec.liveUrl, fromStart);
  else await player.playFile(rec.url);
}

function renderPlayerMeta(): void {
  const rec = playing;
  if (!rec) return;
  $('p-title').textContent = `${rec.day} ${timeOfStem(rec.stem)}${rec.inProgress ? ' · recording' : ''}`;
  $('p-live-controls').hidden = !(player.mode === 'live' || rec.inProgress) || player.liveEnded;
  const dl = $<HTMLAnchorElement>('p-download');
  dl.hidden = rec.inProgress;
  dl.href = `${rec.url}?download`;
  dl.setAttribute('download', rec.file);
  playerWave = null;
  drawPlayerWave();
  if (rec.waveformUrl) {
    void loadWaveform(rec.waveformUrl).then((w) => {
      if (playing?.id === rec.id) {
        playerWave = w;
        drawPlayerWave();
      }
    });
  }
}

function playerDurationS(): number {
  if (player.mode === 'live') return player.bufferedEnd;
  if (Number.isFinite(audio.duration) && audio.duration > 0) return audio.duration;
  return (playing?.durationMs ?? 0) / 1000;
}

function drawPlayerWave(): void {
  const d = playerDurationS();
  const progress = d > 0 ? audio.currentTime / d : 0;
  if (playerWave) {
    drawWaveform(wave, playerWave, progress);
    wave.dataset.drawn = '1';
    return;
  }
  // No peaks (yet): a plain progress bar.
  const ctx = wave.getContext('2d');
  if (!ctx) return;
  wave.width = wave.clientWidth;
  wave.height = wave.clientHeight;
  ctx.fillStyle = '#cfd8dc';
  ctx.fillRect(0, wave.height / 2 - 2, wave.width, 4);
  ctx.fillStyle = player.mode === 'live' ? '#c62828' : '#1565c0';
  ctx.fillRect(0, wave.height / 2 - 2, wave.width * Math.min(1, progress), 4);
}

function updateTime(): void {
  const pos = duration(audio.currentTime * 1000);
  if (player.mode === 'live' && !player.liveEnded) {
    $('p-time').textContent = `${pos} / ${duration(player.bufferedEnd * 1000)}`;
    $('p-lag').textContent = `${player.lag.toFixed(1)} s behind`;
    $('p-live').setAttribute('aria-pressed', String(player.followLive));
  } else {
    $('p-time').textContent = `${pos} / ${duration(playerDurationS() * 1000)}`;
  }
  $('p-play').textContent = audio.paused ? '▶' : '❚❚';
  $('p-play').setAttribute('aria-label', audio.paused ? 'Play' : 'Pause');
  drawPlayerWave();
}

function closePlayer(): void {
  player.stop();
  const prev = playing && rows.get(playing.id);
  playing = null;
  if (prev) render(prev);
  $('player').hidden = true;
}

function seekBy(seconds: number): void {
  const d = playerDurationS();
  if (d > 0) player.seekFraction((audio.currentTime + seconds) / d, d);
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
$('show-trash').addEventListener('click', () => void showTrash());
$('empty-trash').addEventListener('click', () => void emptyTrash());
for (const b of $('controls').querySelectorAll<HTMLButtonElement>('button[data-action]')) b.addEventListener('click', () => void control(b.dataset.action!));

$('p-play').addEventListener('click', () => {
  if (audio.paused) {
    if (player.mode === 'idle' && playing) void open(playing);
    else void audio.play().catch(() => undefined);
  } else audio.pause();
});
$('p-close').addEventListener('click', closePlayer);
$('p-live').addEventListener('click', () => player.seekLive(false));
$('p-start').addEventListener('click', () => player.seekLive(true));
wave.addEventListener('click', (e) => {
  const r = wave.getBoundingClientRect();
  player.seekFraction((e.clientX - r.left) / r.width, playerDurationS());
});
wave.addEventListener('keydown', (e) => {
  const keys: Record<string, () => void> = {
    ArrowLeft: () => seekBy(-5),
    ArrowRight: () => seekBy(5),
    Home: () => player.seekFraction(0, playerDurationS()),
    End: () => (player.mode === 'live' ? player.seekLive(false) : player.seekFraction(0.999, playerDurationS())),
  };
  const f = keys[e.key];
  if (f) {
    e.preventDefault();
    f();
  }
});
for (const ev of ['timeupdate', 'play', 'pause', 'durationchange', 'ended']) audio.addEventListener(ev, updateTime);
player.addEventListener('liveended', () => renderPlayerMeta());
player.addEventListener('gone', () => {
  const rec = playing;
  if (!rec) return;
  void api<Rec>(recPath(rec)).then(
    (final) => {
      upsert(final);
      void open(final);
    },
    () => toast('The event has ended and its recording is not there (discarded?)'),
  );
});
player.addEventListener('error', (e) => toast(`Player: ${(e as CustomEvent<string>).detail}`));

void api<{ control: boolean }>('/api/config').then(
  (c) => ($('controls').hidden = !c.control),
  () => undefined,
);
void loadPage(true);
if (!document.hidden) connect();

// For the end-to-end test and curious users: the live offset the page aims for.
document.documentElement.dataset.liveOffset = String(LIVE_OFFSET_S);
