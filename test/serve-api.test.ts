// rec-serve's HTTP API against real files: listing, pagination, filters and
// search, the in-progress entry, Range and conditional requests, trash, keep,
// control, path traversal attempts, the token, and the CLI's exit statuses.
import t from 'tap';
import { createServer } from 'node:net';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { execa } from 'execa';
import { bin, tempDir } from './helpers.js';
import { addRecording, makeOpus, startServe, statusObject, writeStatus } from './serve-helpers.js';

const DAY1 = '2026-11-25';
const DAY2 = '2026-11-26';

interface Item {
  id: string;
  day: string;
  stem: string;
  inProgress: boolean;
  durationMs: number | null;
  durationEstimated: boolean;
  excerpt: string | null;
  keep: boolean;
  url: string;
  liveUrl?: string;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
  total: number;
}

async function getJson<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> {
  const r = await fetch(url, init);
  return { status: r.status, body: (await r.json()) as T, headers: r.headers };
}

/** A request with the path sent exactly as written (fetch would normalise `..` and `%2e%2e`, and keeps its own Host). */
function rawGet(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<number> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function fixture(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t, 'rec-serve-');
  const src = await makeOpus(root, 2);
  // 12 on DAY1 (level and vad alternating), 3 on DAY2; durations 1..15 s.
  const recs: Array<{ day: string; stem: string }> = [];
  for (let i = 0; i < 15; i++) {
    const day = i < 12 ? DAY1 : DAY2;
    const trig = i % 2 ? 'vad' : 'level';
    const stem = `${String(8 + i).padStart(2, '0')}-00-00_${trig}_${(0xa000 + i).toString(16)}`;
    const text = i === 4 ? 'The quick brown fox jumps over the lazy dog' : i === 13 ? 'a fox in the garden' : `recording number ${i}`;
    await addRecording(root, src, { day, stem, durationMs: (i + 1) * 1000, text });
    recs.push({ day, stem });
  }
  // Without sidecars: duration from the size.
  await addRecording(root, src, { day: DAY2, stem: '23-59-59_manual_ffff' });
  await rmSrc(src);
  return { root, src, recs };
}

async function rmSrc(path: string) {
  const { rm } = await import('node:fs/promises');
  await rm(path);
}

t.test('listing, pagination, filters and search', async (t) => {
  const { root } = await fixture(t);
  const s = await startServe(t, ['--out', root]);
  const all = await getJson<Page>(`${s.url}/api/recordings?limit=200`);
  t.equal(all.status, 200);
  t.equal(all.body.total, 16);
  t.equal(all.body.items.length, 16);
  const ids = all.body.items.map((i) => i.id);
  t.same(ids, [...ids].sort().reverse(), 'newest first');
  t.equal(ids[0], `${DAY2}/23-59-59_manual_ffff`);
  t.equal(all.body.nextCursor, null);
  const noSidecar = all.body.items[0]!;
  t.equal(noSidecar.durationEstimated, true, 'no waveform: duration estimated from the size');
  t.ok(noSidecar.durationMs! > 1000 && noSidecar.durationMs! < 4000, `2 s at 32 kb/s estimated as ${noSidecar.durationMs} ms`);
  t.match(all.body.items.find((i) => i.stem.startsWith('12-'))!, { durationMs: 5000, durationEstimated: false, excerpt: /quick brown fox/ });

  // Cursor pages of 4 cover everything exactly once, in order.
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r: { body: Page } = await getJson<Page>(`${s.url}/api/recordings?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    t.ok(r.body.items.length <= 4);
    seen.push(...r.body.items.map((i) => i.id));
    cursor = r.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  t.same(seen, ids, 'pages join up to the full list');
  t.equal(pages, 4);

  const day = await getJson<Page>(`${s.url}/api/recordings?day=${DAY2}`);
  t.same(
    day.body.items.map((i) => i.day),
    [DAY2, DAY2, DAY2, DAY2],
  );
  const vad = await getJson<Page>(`${s.url}/api/recordings?trigger=vad&limit=200`);
  t.equal(vad.body.items.length, 7);
  t.ok(vad.body.items.every((i) => i.stem.includes('_vad_')));
  const dur = await getJson<Page>(`${s.url}/api/recordings?minDuration=3&maxDuration=5.5&limit=200`);
  t.same(dur.body.items.map((i) => i.durationMs).sort(), [3000, 4000, 5000]);
  const fox = await getJson<Page>(`${s.url}/api/recordings?q=FOX`);
  t.same(
    fox.body.items.map((i) => i.stem.slice(0, 2)),
    ['21', '12'],
    'full-text search, case-insensitive',
  );
  const two = await getJson<Page>(`${s.url}/api/recordings?q=${encodeURIComponent('fox lazy')}`);
  t.equal(two.body.items.length, 1, 'all words must match');
  for (const bad of ['limit=0', 'limit=500', 'day=yesterday', 'minDuration=-1', 'trigger=../x']) {
    t.equal((await fetch(`${s.url}/api/recordings?${bad}`)).status, 400, `400 for ${bad}`);
  }
  const one = await getJson<Item>(`${s.url}/api/recordings/${DAY1}/${ids[5]!.split('/')[1]}.opus`);
  t.equal(one.body.id, ids[5]);
});

t.test('a damaged waveform is not offered, and said once; a rewritten one is picked up', async (t) => {
  const { root, recs } = await fixture(t);
  const [a, b] = recs as [{ day: string; stem: string }, { day: string; stem: string }];
  const wave = (r: { day: string; stem: string }) => join(root, r.day, `${r.stem}.waveform.json`);
  await writeFile(wave(a), Buffer.from('\x8f\x00garbage\xff'.repeat(300), 'latin1'));
  const whole = await readFile(wave(b));
  await writeFile(wave(b), whole.subarray(0, Math.floor(whole.length / 2)));
  const s = await startServe(t, ['--out', root]);
  const item = async (r: { day: string; stem: string }) => (await getJson<Item & { waveformUrl: string | null }>(`${s.url}/api/recordings/${r.day}/${r.stem}.opus`)).body;
  for (const r of [a, b]) t.match(await item(r), { waveformUrl: null, durationEstimated: true }, `${r.stem}: listed without its damaged waveform, duration estimated`);
  t.match(await item(recs[2]!), { waveformUrl: /waveform\.json$/, durationMs: 3000 }, 'a good one is offered');
  // Written again in place (temp file + rename, as rec-sidecars does): noticed although the audio is the same.
  await writeFile(`${wave(a)}.tmp`, JSON.stringify({ version: 2, channels: 1, sample_rate: 48000, samples_per_pixel: 960, bits: 8, length: 1, data: [-3, 3], durationMs: 1000 }));
  const { rename } = await import('node:fs/promises');
  await rename(`${wave(a)}.tmp`, wave(a));
  let back: (Item & { waveformUrl: string | null }) | undefined;
  for (let i = 0; i < 60 && !back?.waveformUrl; i++) {
    await new Promise((r) => setTimeout(r, 50));
    back = await item(a);
  }
  t.match(back, { waveformUrl: /waveform\.json$/, durationMs: 1000, durationEstimated: false }, 'the rebuilt waveform is offered again');
  const warnings = s.stderr().split('\n').filter((l) => l.includes('waveform sidecar is unreadable'));
  t.equal(warnings.length, 2, 'one warning per damaged file, not one per rescan');
  t.match(warnings[0], /rec-sidecars --repair/);
});

t.test('status: missing, corrupt, invalid, fresh with an event in progress, stale', async (t) => {
  const { root, src } = await fixtureWithPartial(t);
  const statusFile = join(root, '.spool', 'segmenter_status.json');
  const s = await startServe(t, ['--out', root]);
  let st = await getJson<{ running: boolean; reason: string }>(`${s.url}/api/status`);
  t.match(st, { status: 200, body: { running: false, reason: /no status file/ } });
  await mkdir(join(root, '.spool'));
  await writeFile(statusFile, '{"schemaVersion":1,');
  st = await getJson(`${s.url}/api/status`);
  t.match(st, { status: 200, body: { running: false, reason: /not valid JSON/ } });
  await writeFile(statusFile, JSON.stringify({ ...statusObject(), pid: 'x' }));
  st = await getJson(`${s.url}/api/status`);
  t.match(st, { status: 200, body: { running: false, reason: /schema/ } });

  await writeStatus(statusFile, statusObject({ partialPath: `${DAY2}/${PARTIAL_STEM}.partial.opus`, durationMs: 3200, eventSizeBytes: 999 }));
  const fresh = await getJson<{ running: boolean; stale: boolean; ageMs: number; live: { url: string; liveUrl: string } }>(`${s.url}/api/status`);
  t.match(fresh.body, { running: true, stale: false, live: { url: `/recordings/${DAY2}/${PARTIAL_STEM}.partial.opus`, liveUrl: `/live/${DAY2}/${PARTIAL_STEM}.webm` } });
  t.ok(fresh.body.ageMs >= 0 && fresh.body.ageMs < 5000);
  const list = await getJson<Page>(`${s.url}/api/recordings`);
  t.match(list.body.items[0], { inProgress: true, stem: PARTIAL_STEM, durationMs: 3200, liveUrl: `/live/${DAY2}/${PARTIAL_STEM}.webm` }, 'in-progress event first');
  t.equal(list.body.items.filter((i) => i.stem === PARTIAL_STEM).length, 1, 'the partial is not also listed as finished');
  t.equal(list.body.total, 1, 'only the finished one is indexed');
  t.notOk((await getJson<Page>(`${s.url}/api/recordings?q=anything`)).body.items.some((i) => i.inProgress), 'not in search results');

  await writeStatus(statusFile, statusObject({ updatedAt: new Date(Date.now() - 20_000), partialPath: `${DAY2}/${PARTIAL_STEM}.partial.opus` }));
  const stale = await getJson<{ running: boolean; stale: boolean; reason: string; live: unknown }>(`${s.url}/api/status`);
  t.match(stale.body, { running: false, stale: true, live: null, reason: /not running: status last updated 2\d s ago/ });
  t.notOk((await getJson<Page>(`${s.url}/api/recordings`)).body.items.some((i) => i.inProgress), 'no in-progress row from a stale status');
  void src;
});

const PARTIAL_STEM = '11-11-11_vad_beef';

async function fixtureWithPartial(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t, 'rec-serve-');
  const src = await makeOpus(root, 2);
  await addRecording(root, src, { day: DAY2, stem: '09-00-00_vad_0001', durationMs: 2000 });
  await writeFile(join(root, DAY2, `${PARTIAL_STEM}.partial.opus`), await readFile(src));
  return { root, src };
}

t.test('files: MIME, Range, 416, conditional requests, no listing', async (t) => {
  const { root, src } = await fixtureWithPartial(t);
  const size = (await stat(src)).size;
  const whole = await readFile(src);
  const s = await startServe(t, ['--out', root]);
  const url = `${s.url}/recordings/${DAY2}/09-00-00_vad_0001.opus`;
  const full = await fetch(url);
  t.equal(full.status, 200);
  t.equal(full.headers.get('content-type'), 'audio/ogg');
  t.equal(full.headers.get('accept-ranges'), 'bytes');
  t.equal(Number(full.headers.get('content-length')), size);
  t.ok(Buffer.from(await full.arrayBuffer()).equals(whole), 'whole file');
  const etag = full.headers.get('etag')!;
  const lastModified = full.headers.get('last-modified')!;

  const part = await fetch(url, { headers: { Range: 'bytes=100-199' } });
  t.equal(part.status, 206);
  t.equal(part.headers.get('content-range'), `bytes 100-199/${size}`);
  t.ok(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(100, 200)), 'the asked bytes');
  const suffix = await fetch(url, { headers: { Range: 'bytes=-10' } });
  t.equal(suffix.status, 206);
  t.ok(Buffer.from(await suffix.arrayBuffer()).equals(whole.subarray(size - 10)), 'suffix range');
  const open = await fetch(url, { headers: { Range: `bytes=${size - 5}-` } });
  t.equal(open.headers.get('content-range'), `bytes ${size - 5}-${size - 1}/${size}`);
  await open.arrayBuffer();
  const past = await fetch(url, { headers: { Range: `bytes=${size}-` } });
  t.equal(past.status, 416, 'start at the size: 416');
  t.equal(past.headers.get('content-range'), `bytes */${size}`);
  const clamp = await fetch(url, { headers: { Range: `bytes=0-${size * 10}` } });
  t.equal(clamp.status, 206, 'an end past the size is clamped');
  t.equal(Number(clamp.headers.get('content-length')), size);
  await clamp.arrayBuffer();
  const junk = await fetch(url, { headers: { Range: 'pages=1-2' } });
  t.equal(junk.status, 200, 'an unknown unit is ignored');
  await junk.arrayBuffer();
  const stale = await fetch(url, { headers: { Range: 'bytes=0-9', 'If-Range': 'W/"other"' } });
  t.equal(stale.status, 200, 'If-Range mismatch gives the whole file');
  await stale.arrayBuffer();

  t.equal((await fetch(url, { headers: { 'If-None-Match': etag } })).status, 304);
  t.equal((await fetch(url, { headers: { 'If-Modified-Since': lastModified } })).status, 304);
  t.equal((await fetch(url, { headers: { 'If-None-Match': 'W/"nope"' } })).status, 200);
  const head = await fetch(url, { method: 'HEAD' });
  t.equal(Number(head.headers.get('content-length')), size);

  t.equal((await fetch(`${s.url}/recordings/${DAY2}/09-00-00_vad_0001.waveform.json`)).headers.get('content-type'), 'application/json; charset=utf-8');
  const dl = await fetch(`${url}?download`);
  t.match(dl.headers.get('content-disposition'), /attachment; filename="09-00-00_vad_0001.opus"/);
  await dl.arrayBuffer();
  for (const p of [`/recordings/${DAY2}/`, `/recordings/${DAY2}`, '/recordings/', `/recordings/${DAY2}/nothing.opus`, '/nope', '/api/nope']) {
    t.equal((await fetch(s.url + p)).status, 404, `404 for ${p}`);
  }
  t.equal((await fetch(url, { method: 'POST' })).status, 405);
  // A Range on the partial answers from what is there now (the held-open form is tested in serve-live).
  const pr = await fetch(`${s.url}/recordings/${DAY2}/${PARTIAL_STEM}.partial.opus`, { headers: { Range: 'bytes=10-19' } });
  t.equal(pr.status, 206);
  t.equal(pr.headers.get('cache-control'), 'no-store');
  await pr.arrayBuffer();
});

t.test('path traversal and odd paths are refused', async (t) => {
  const { root } = await fixtureWithPartial(t);
  const outside = await tempDir(t, 'rec-outside-');
  await writeFile(join(outside, 'secret.opus'), 'secret');
  await symlink(join(outside, 'secret.opus'), join(root, DAY2, '10-00-00_vad_link.opus'));
  await symlink(outside, join(root, '2026-01-01'));
  await writeFile(join(outside, 'secret.transcript.json'), JSON.stringify({ text: 'the outside words' }));
  await symlink(join(outside, 'secret.transcript.json'), join(root, DAY2, '09-00-00_vad_0001.transcript.json'));
  const s = await startServe(t, ['--out', root]);
  const cases: Array<[string, number]> = [
    [`/recordings/${DAY2}/../../etc/passwd`, 400],
    ['/recordings/%2e%2e/%2e%2e/etc/passwd', 400],
    [`/recordings/${DAY2}/%2E%2E`, 400],
    [`/recordings/${DAY2}/..%2f..%2fetc%2fpasswd`, 400],
    [`/recordings/${DAY2}/..%5c..%5cwin.ini`, 400],
    [`/recordings/${DAY2}/09-00-00_vad_0001.opus%00.txt`, 400],
    [`/recordings/${DAY2}/%ZZ`, 400],
    [`/recordings/${DAY2}/10-00-00_vad_link.opus`, 404],
    ['/recordings/2026-01-01/secret.opus', 404],
    ['/recordings/.spool/segmenter_status.json', 404],
    ['/recordings/.trash/x.opus', 404],
    [`/recordings/${DAY2}/.hidden.opus`, 404],
    ['/static/..%2fpackage.json', 400],
    ['/app/../../package.json', 400],
    [`/live/${DAY2}/..%2f${PARTIAL_STEM}.webm`, 400],
    [`/api/recordings/${DAY2}/%2e%2e`, 400],
  ];
  for (const [path, want] of cases) t.equal(await rawGet(s.url, path), want, `${want} for ${path}`);
  t.equal(await rawGet(s.url, `/recordings/${DAY2}/09-00-00_vad_0001.opus`), 200, 'a normal file still works');
  // Links out of the root are not indexed either: neither listed nor read for excerpts and search.
  const list = await getJson<Page>(`${s.url}/api/recordings?limit=200`);
  t.same(
    list.body.items.map((i) => i.id),
    [`${DAY2}/09-00-00_vad_0001`],
    'the linked recording and the linked day folder are not listed',
  );
  t.equal(list.body.items[0]!.excerpt, null, 'a transcript linked from outside is not read');
  t.notMatch(JSON.stringify(list.body), /outside words/);
  t.equal((await getJson<Page>(`${s.url}/api/recordings?q=outside`)).body.items.length, 0, 'nor searched');
  t.equal(await rawGet(s.url, '/api/recordings/2026-01-01/secret.opus'), 404, 'nor described');
});

t.test('delete to trash, 409 for a partial, restore, empty; keep marker', async (t) => {
  const { root } = await fixtureWithPartial(t);
  const s = await startServe(t, ['--out', root]);
  const api = `${s.url}/api/recordings/${DAY2}`;
  t.equal((await fetch(`${api}/${PARTIAL_STEM}.partial.opus`, { method: 'DELETE' })).status, 409, 'partial: 409');
  t.equal((await fetch(`${api}/${PARTIAL_STEM}`, { method: 'DELETE' })).status, 409, 'stem of a partial: 409');
  t.ok(await stat(join(root, DAY2, `${PARTIAL_STEM}.partial.opus`)), 'partial untouched');
  t.equal((await fetch(`${api}/08-00-00_vad_none.opus`, { method: 'DELETE' })).status, 404);

  const keep = await fetch(`${api}/09-00-00_vad_0001.opus/keep`, { method: 'PUT' });
  t.equal(keep.status, 200);
  t.ok(await stat(join(root, DAY2, '09-00-00_vad_0001.keep')), 'marker file written');
  t.equal((await getJson<Item>(`${api}/09-00-00_vad_0001.opus`)).body.keep, true);
  t.equal((await fetch(`${api}/09-00-00_vad_0001.opus/keep`, { method: 'DELETE' })).status, 200);
  await t.rejects(stat(join(root, DAY2, '09-00-00_vad_0001.keep')), 'marker removed');

  const del = await getJson<{ trashed: string[] }>(`${api}/09-00-00_vad_0001.opus`, { method: 'DELETE' });
  t.equal(del.status, 200);
  t.same(del.body.trashed.sort(), ['09-00-00_vad_0001.opus', '09-00-00_vad_0001.waveform.json']);
  t.same((await readdir(join(root, DAY2))).sort(), [`${PARTIAL_STEM}.partial.opus`], 'only the partial is left');
  t.same((await readdir(join(root, '.trash', DAY2))).sort(), ['09-00-00_vad_0001.opus', '09-00-00_vad_0001.waveform.json']);
  t.equal((await getJson<Page>(`${s.url}/api/recordings`)).body.total, 0, 'gone from the list');
  const trash = await getJson<{ items: Array<{ day: string; stem: string; files: string[] }> }>(`${s.url}/api/trash`);
  t.match(trash.body.items, [{ day: DAY2, stem: '09-00-00_vad_0001' }]);

  const restored = await fetch(`${s.url}/api/trash/${DAY2}/09-00-00_vad_0001/restore`, { method: 'POST' });
  t.equal(restored.status, 200);
  t.equal((await getJson<Page>(`${s.url}/api/recordings`)).body.total, 1, 'back in the list');
  t.equal((await fetch(`${s.url}/api/trash/${DAY2}/09-00-00_vad_0001/restore`, { method: 'POST' })).status, 404, 'nothing left to restore');

  await fetch(`${api}/09-00-00_vad_0001.opus`, { method: 'DELETE' });
  const emptied = await getJson<{ removed: number }>(`${s.url}/api/trash`, { method: 'DELETE' });
  t.equal(emptied.body.removed, 2);
  t.same((await getJson<{ items: unknown[] }>(`${s.url}/api/trash`)).body.items, []);
  t.ok(await stat(join(root, DAY2, `${PARTIAL_STEM}.partial.opus`)), 'the partial survived all of it');
});

t.test('token: header, ?token= once sets a cookie, /healthz open', async (t) => {
  const { root } = await fixtureWithPartial(t);
  const token = 'sesame-0123456789';
  const s = await startServe(t, ['--out', root], { REC_TOKEN: token });
  t.equal((await fetch(`${s.url}/api/status`)).status, 401);
  t.equal((await fetch(`${s.url}/api/status`, { headers: { Authorization: 'Bearer wrong-token' } })).status, 401);
  t.equal((await fetch(`${s.url}/recordings/${DAY2}/09-00-00_vad_0001.opus`)).status, 401, 'files too');
  t.equal((await fetch(`${s.url}/`)).status, 401, 'the page too');
  t.equal((await fetch(`${s.url}/healthz`)).status, 200);
  t.equal((await fetch(`${s.url}/api/status`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
  const first = await fetch(`${s.url}/?token=${token}`, { redirect: 'manual' });
  t.equal(first.status, 303, 'the page is reloaded without the token in its address');
  t.equal(first.headers.get('location'), '/');
  const cookie = first.headers.get('set-cookie')!;
  t.match(cookie, /^rec_token=.+; Path=\/; HttpOnly; SameSite=Strict/);
  const jar = cookie.split(';')[0]!;
  t.equal((await fetch(`${s.url}/api/recordings`, { headers: { Cookie: jar } })).status, 200, 'the cookie works');
  t.equal((await fetch(`${s.url}/api/recordings`, { headers: { Cookie: 'rec_token=nope' } })).status, 401);
  t.equal((await fetch(`${s.url}/api/recordings?token=wrong`)).status, 401);
});

t.test('control proxy: FIFO line, no FIFO, body limits', async (t) => {
  const { root } = await fixtureWithPartial(t);
  const fifo = join(root, 'control');
  await execa('mkfifo', [fifo]);
  const s = await startServe(t, ['--out', root, '--control', fifo]);
  const reader = createReadStream(fifo);
  t.teardown(() => reader.destroy());
  const got = new Promise<string>((resolve) => reader.once('data', (d) => resolve(d.toString())));
  const r = await fetch(`${s.url}/api/control`, { method: 'POST', body: JSON.stringify({ action: 'split' }), headers: { 'Content-Type': 'application/json' } });
  t.equal(r.status, 202);
  t.equal(await got, '{"command":"split"}\n', 'rec-segment control protocol line');
  const post = (body: string, type = 'application/json') => fetch(`${s.url}/api/control`, { method: 'POST', body, headers: { 'Content-Type': type } });
  t.equal((await post(JSON.stringify({ action: 'explode' }))).status, 400);
  t.equal((await post('not json')).status, 400);
  t.equal((await post(JSON.stringify({ action: 'start', pad: 'x'.repeat(10_000) }))).status, 413);
  t.equal((await post('{"action":"stop"}', 'text/plain')).status, 415, 'a body a cross-site form could send: 415');
  t.equal((await fetch(`${s.url}/api/control`)).status, 405);

  const plain = await startServe(t, ['--out', root]);
  t.equal((await fetch(`${plain.url}/api/control`, { method: 'POST', body: '{"action":"start"}', headers: { 'Content-Type': 'application/json' } })).status, 503, 'no --control: 503');
});

t.test('events: status on connect, recording added and removed', async (t) => {
  const { root, src } = await fixtureWithPartial(t);
  const statusFile = join(root, '.spool', 'segmenter_status.json');
  await writeStatus(statusFile, statusObject());
  const s = await startServe(t, ['--out', root]);
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const res = await fetch(`${s.url}/api/events`, { signal: ac.signal });
  t.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  let text = '';
  const waitFor = async (re: RegExp) => {
    const until = Date.now() + 5000;
    while (!re.test(text) && Date.now() < until) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    return re.test(text);
  };
  t.ok(await waitFor(/event: status\ndata: \{"running":true/), 'status first');
  await writeStatus(statusFile, statusObject({ partialPath: `${DAY2}/${PARTIAL_STEM}.partial.opus` }));
  t.ok(await waitFor(/"live":\{"id"/), 'a status change is pushed');
  await addRecording(root, src, { day: '2026-11-27', stem: '07-00-00_level_0abc', durationMs: 1500 });
  t.ok(await waitFor(/event: recording\ndata: \{"kind":"added","id":"2026-11-27\/07-00-00_level_0abc"/), 'new day folder and recording noticed');
  await fetch(`${s.url}/api/recordings/2026-11-27/07-00-00_level_0abc`, { method: 'DELETE' });
  t.ok(await waitFor(/"kind":"removed","id":"2026-11-27\/07-00-00_level_0abc"/), 'removal noticed');
  ac.abort();
  await reader.cancel().catch(() => undefined);
  let health = { eventClients: 1 };
  for (let i = 0; i < 20 && health.eventClients > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    health = (await getJson<{ eventClients: number }>(`${s.url}/api/health`)).body;
  }
  t.equal(health.eventClients, 0, 'the client is forgotten when it leaves');
});

t.test('browser-borne attacks: DNS rebinding and cross-site writes', async (t) => {
  const { root } = await fixtureWithPartial(t);
  const s = await startServe(t, ['--out', root]);
  const port = new URL(s.url).port;
  t.equal(await rawGet(s.url, '/api/status', { Host: `evil.example:${port}` }), 403, 'a rebinding page (foreign Host) is refused');
  t.equal(await rawGet(s.url, '/api/status', { Host: `localhost:${port}` }), 200, 'localhost is fine');
  t.equal(await rawGet(s.url, '/api/status', { Host: `[::1]:${port}` }), 200, '[::1] is fine');
  const rec = `/api/recordings/${DAY2}/09-00-00_vad_0001.opus`;
  t.equal(await rawGet(s.url, rec, { Origin: 'http://evil.example' }, 'DELETE'), 403, 'DELETE from another origin');
  t.equal(await rawGet(s.url, rec, { 'Sec-Fetch-Site': 'cross-site' }, 'DELETE'), 403, 'DELETE marked cross-site');
  t.ok(await stat(join(root, DAY2, '09-00-00_vad_0001.opus')), 'still there');
  t.equal(await rawGet(s.url, `${rec}/keep`, { Origin: s.url }, 'PUT'), 200, 'the page itself may');
  const tokened = await startServe(t, ['--out', root, '--token', 'sesame-0123456789']);
  const tport = new URL(tokened.url).port;
  t.equal(await rawGet(tokened.url, '/api/status', { Host: `pi.lan:${tport}`, Authorization: 'Bearer sesame-0123456789' }), 200, 'with a token any name may be used');
});

t.test('CLI: exit statuses and the URL line', async (t) => {
  const dir = await tempDir(t);
  const missing = await execa('node', [bin('rec-serve'), '--out', join(dir, 'nope')], { reject: false });
  t.equal(missing.exitCode, 66);
  t.match(missing.stderr, /^rec-serve: .*nope: no such directory \(--out\)$/);
  const badPort = await execa('node', [bin('rec-serve'), '--out', dir, '--port', '70000'], { reject: false });
  t.equal(badPort.exitCode, 64);
  t.equal(badPort.stderr.trim().split('\n').length, 1, 'one line');
  const noFfmpeg = await execa('node', [bin('rec-serve'), '--out', dir, '--ffmpeg', '/nonexistent/ffmpeg'], { reject: false });
  t.equal(noFfmpeg.exitCode, 69);
  const shortToken = await execa('node', [bin('rec-serve'), '--out', dir, '--token', 'abc'], { reject: false });
  t.equal(shortToken.exitCode, 64);
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as { port: number }).port;
  const busy = await execa('node', [bin('rec-serve'), '--out', dir, '--port', String(port)], { reject: false });
  t.equal(busy.exitCode, 73);
  t.match(busy.stderr, /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
  const s = await startServe(t, ['--out', dir], { REC_HOST: '127.0.0.1' });
  t.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.match(await (await fetch(`${s.url}/healthz`)).json(), { ok: true });
  s.proc.kill('SIGTERM');
  const r = await s.proc;
  t.equal(r.exitCode, 0, 'SIGTERM: exit 0');
});
