// rec-serve at its trust boundaries (issue 16): listening beyond loopback
// without a token, a status file that is a FIFO, a device, a symlink or huge,
// tokens in logged URLs, what /healthz tells a stranger, suffix ranges longer
// than the file, and request bodies on every route that takes one.
import t from 'tap';
import { mkdir, open, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:http';
import { execa } from 'execa';
import { bin, tempDir } from './helpers.js';
import { addRecording, makeOpus, startServe, statusObject, writeStatus } from './serve-helpers.js';

const DAY = '2026-11-26';
const STEM = '09-00-00_vad_0001';
const PARTIAL_STEM = '11-11-11_vad_beef';
const TOKEN = 'sesame-0123456789';
/** A deadline for an answer that must come at once; reaching it means the server hangs. */
const DEADLINE_MS = 15_000;

async function fixture(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t, 'rec-hostile-');
  const src = await makeOpus(root, 2);
  await addRecording(root, src, { day: DAY, stem: STEM, durationMs: 2000 });
  await writeFile(join(root, DAY, `${PARTIAL_STEM}.partial.opus`), await readFile(src));
  return { root, src };
}

/** GET within the deadline; a hang fails the test instead of stalling it. */
async function getJson<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T; ms: number }> {
  const t0 = performance.now();
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(DEADLINE_MS) });
  return { status: r.status, body: (await r.json()) as T, ms: Math.round(performance.now() - t0) };
}

/** Peak resident memory of a process (Linux), in MB; null elsewhere. */
async function peakRssMb(pid: number): Promise<number | null> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const m = text && /^VmHWM:\s+(\d+) kB/m.exec(text);
  return m ? Number(m[1]) / 1024 : null;
}

interface RawAnswer {
  status: number;
  body: string;
}

/** A request sent exactly as asked: `chunked` sends the body without a Content-Length. */
function send(base: string, method: string, path: string, body: string, headers: Record<string, string>, chunked = false): Promise<RawAnswer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const h: Record<string, string> = { ...headers };
    if (chunked) h['Transfer-Encoding'] = 'chunked';
    else h['Content-Length'] = String(Buffer.byteLength(body));
    const req = request({ host: u.hostname, port: u.port, path, method, headers: h, timeout: DEADLINE_MS }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server may answer and close before the client has sent everything.
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    if (chunked) {
      // Two chunks, so the size is not known from the first.
      const half = Math.floor(body.length / 2);
      req.write(body.slice(0, half));
      req.end(body.slice(half));
    } else req.end(body);
  });
}

t.test('--host beyond loopback needs --token or --insecure-no-token', async (t) => {
  const dir = await tempDir(t);
  const run = (args: string[], env: Record<string, string> = {}) =>
    // A server that starts never exits by itself: the timeout turns that into a failure.
    execa('node', [bin('rec-serve'), '--out', dir, '--port', '0', ...args], { reject: false, timeout: 20_000, env: { LOG_LEVEL: 'warn', ...env } });
  for (const host of ['0.0.0.0', '::', '192.0.2.10', 'pi.lan']) {
    const r = await run(['--host', host]);
    t.equal(r.exitCode, 64, `--host ${host} without a token: exit 64`);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.match(r.stderr, new RegExp(`^rec-serve: --host ${host.replace(/\./g, '\\.')} .*not a loopback address.*--token.*--insecure-no-token`), 'says why and what to do');
    t.equal(r.stdout, '', 'never listened');
  }
  const envHost = await run([], { REC_HOST: '0.0.0.0' });
  t.equal(envHost.exitCode, 64, 'REC_HOST=0.0.0.0 without a token: exit 64 too');

  const allowed: Array<[string[], Record<string, string>, string, boolean]> = [
    [['--host', '0.0.0.0', '--insecure-no-token'], {}, '--insecure-no-token', true],
    [['--host', '0.0.0.0'], { REC_INSECURE_NO_TOKEN: '1' }, 'REC_INSECURE_NO_TOKEN=1', true],
    [['--host', '0.0.0.0'], { REC_TOKEN: TOKEN }, 'a token', false],
    [['--host', 'localhost'], {}, 'localhost', false],
    [['--host', '127.0.0.2'], {}, 'another 127/8 address', false],
  ];
  for (const [args, env, why, warns] of allowed) {
    const s = await startServe(t, ['--out', dir, ...args], env);
    t.match(s.url, /^http:\/\/[^/]+:\d+$/, `starts with ${why}`);
    if (warns) t.match(s.stderr(), /beyond loopback without a token/, 'and warns that anyone on the network may use it');
    else t.notMatch(s.stderr(), /without a token/, 'no warning');
    s.proc.kill('SIGTERM');
    t.equal((await s.proc).exitCode, 0);
  }
  const bad = await run(['--host', '0.0.0.0'], { REC_INSECURE_NO_TOKEN: 'maybe' });
  t.equal(bad.exitCode, 64, 'REC_INSECURE_NO_TOKEN takes the boolean words only');
});

t.test('a hostile status file: FIFO, /dev/zero, symlink, 300 MB; answers at once, one log line each', async (t) => {
  const { root } = await fixture(t);
  const spool = join(root, 'spool');
  await mkdir(spool);
  const statusFile = join(spool, 'segmenter_status.json');
  const real = join(root, 'real-status.json');
  await writeStatus(real, statusObject());
  const s = await startServe(t, ['--out', root, '--status-file', statusFile]);

  const cases: Array<[string, () => Promise<void>, RegExp]> = [
    ['a FIFO', () => execa('mkfifo', [statusFile]).then(() => undefined), /not a regular file \(a FIFO\)/],
    ['a symlink to /dev/zero', () => symlink('/dev/zero', statusFile), /symbolic link/],
    ['a symlink to a real status file', () => symlink(real, statusFile), /symbolic link/],
    [
      'a 300 MB sparse file',
      async () => {
        const fh = await open(statusFile, 'w');
        await fh.truncate(300 * 1024 * 1024);
        await fh.close();
      },
      /too big/,
    ],
  ];
  for (const [what, make, reason] of cases) {
    await rm(statusFile, { force: true });
    await make();
    for (let i = 0; i < 2; i++) {
      const st = await getJson<{ running: boolean; reason: string }>(`${s.url}/api/status`);
      t.match(st, { status: 200, body: { running: false, reason } }, `${what}: /api/status says why (${st.ms} ms)`);
      const list = await getJson<{ items: Array<{ id: string }> }>(`${s.url}/api/recordings`);
      t.equal(list.status, 200, `${what}: /api/recordings answers (${list.ms} ms)`);
      t.same(
        list.body.items.map((x) => x.id),
        [`${DAY}/${STEM}`],
        'with the recordings',
      );
    }
  }
  const lines = s
    .stderr()
    .split('\n')
    .filter((l) => l.includes('segmenter status'));
  t.equal(lines.length, cases.length, 'one warning per bad file, not one per read', { lines });
  const peak = await peakRssMb(s.proc.pid!);
  if (peak !== null) t.ok(peak < 200, `peak RSS ${peak.toFixed(0)} MB: nothing big was read`);

  // And a real status file is read again as soon as it is back.
  await rm(statusFile, { force: true });
  await writeStatus(statusFile, statusObject());
  t.match(await getJson(`${s.url}/api/status`), { status: 200, body: { running: true } }, 'a real status file again: running');

  // A device named directly is not even opened (opening some devices does something).
  const dev = await startServe(t, ['--out', root, '--status-file', '/dev/zero']);
  t.match(await getJson(`${dev.url}/api/status`), { status: 200, body: { running: false, reason: /not a regular file \(a character device\)/ } }, '/dev/zero by its own name');
  t.equal((await getJson(`${dev.url}/api/recordings`)).status, 200);
});

t.test('a token is never logged: query, header, cookie; on a 404 and on a 500', async (t) => {
  const { root } = await fixture(t);
  // .trash as a plain file: moving a recording there fails, a 500 that logs its URL.
  await writeFile(join(root, '.trash'), 'not a folder');
  const s = await startServe(t, ['--out', root, '--token', TOKEN], { LOG_LEVEL: 'debug' });
  const notFound = await fetch(`${s.url}/nope?token=${TOKEN}`);
  t.equal(notFound.status, 404);
  await notFound.arrayBuffer();
  const encodedName = await fetch(`${s.url}/api/nope?a=1&%74oken=${TOKEN}&b=2`);
  t.equal(encodedName.status, 404, 'an encoded parameter name is still the token');
  await encodedName.arrayBuffer();
  const header = await fetch(`${s.url}/api/nope`, { headers: { Authorization: `Bearer ${TOKEN}`, Cookie: `rec_token=${TOKEN}` } });
  t.equal(header.status, 404);
  await header.arrayBuffer();
  const failed = await fetch(`${s.url}/api/recordings/${DAY}/${STEM}.opus?token=${TOKEN}`, { method: 'DELETE' });
  t.equal(failed.status, 500, 'the trash cannot be written: 500');
  t.same(await failed.json(), { error: 'internal error' });
  const log = s.stderr();
  t.match(log, /"msg":"request failed"/, 'the 500 was logged');
  t.match(log, /"url":"\/api\/recordings\/[^"]+\?token=\[redacted\]"/, 'with its URL, the token redacted');
  t.match(log, /"url":"\/nope\?token=\[redacted\]"/, 'the 404 too');
  t.match(log, /"url":"\/api\/nope\?a=1&%74oken=\[redacted\]&b=2"/, 'other parameters kept');
  t.notOk(log.includes(TOKEN), 'the token appears nowhere in the log');
  t.notOk(log.includes(encodeURIComponent(TOKEN)), 'not even encoded');
});

t.test('/healthz tells a stranger only that it is alive; the detail needs the token', async (t) => {
  const { root } = await fixture(t);
  const statusFile = join(root, '.spool', 'segmenter_status.json');
  await writeStatus(statusFile, statusObject({ partialPath: `${DAY}/${PARTIAL_STEM}.partial.opus` }));
  const s = await startServe(t, ['--out', root, '--token', TOKEN]);
  const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
  t.equal((await getJson(`${s.url}/api/recordings`, auth)).status, 200, 'indexed');
  // The status read warms a spare remux for the event in progress.
  t.match(await getJson(`${s.url}/api/status`, auth), { status: 200, body: { running: true, live: { stem: PARTIAL_STEM } } });
  const open = await getJson<Record<string, unknown>>(`${s.url}/healthz`);
  t.equal(open.status, 200);
  t.same(open.body, { ok: true }, 'liveness only: nothing about who is being recorded');
  t.equal((await fetch(`${s.url}/api/health`)).status, 401, 'the detail needs the token');
  const detail = await getJson<Record<string, unknown>>(`${s.url}/api/health`, auth);
  t.match(detail, { status: 200, body: { ok: true, indexing: false, recordings: 1, eventClients: 0, liveStreams: 0, spareRemux: true } }, 'with the token: the detail');

  const plain = await startServe(t, ['--out', root]);
  t.same((await getJson(`${plain.url}/healthz`)).body, { ok: true }, 'without --token too');
});

t.test('Range: bytes=-N longer than the file is the whole file (RFC 9110 suffix range)', async (t) => {
  const { root, src } = await fixture(t);
  const whole = await readFile(src);
  const size = whole.length;
  const s = await startServe(t, ['--out', root]);
  for (const name of [`${STEM}.opus`, `${PARTIAL_STEM}.partial.opus`]) {
    const url = `${s.url}/recordings/${DAY}/${name}`;
    for (const n of [size + 1, size * 10, size]) {
      const r = await fetch(url, { headers: { Range: `bytes=-${n}` } });
      t.equal(r.status, 206, `${name}: bytes=-${n} of ${size}: 206`);
      t.equal(r.headers.get('content-range'), `bytes 0-${size - 1}/${size}`);
      t.ok(Buffer.from(await r.arrayBuffer()).equals(whole), 'the whole file');
    }
    const tail = await fetch(url, { headers: { Range: 'bytes=-10' } });
    t.equal(tail.status, 206);
    t.ok(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(size - 10)), 'a shorter suffix is still the last bytes');
    const zero = await fetch(url, { headers: { Range: 'bytes=-0' } });
    t.equal(zero.status, 416, 'bytes=-0 asks for nothing: 416');
    await zero.arrayBuffer();
  }
  await writeFile(join(root, DAY, `${STEM}.transcript.json`), '');
  const empty = await fetch(`${s.url}/recordings/${DAY}/${STEM}.transcript.json`, { headers: { Range: 'bytes=-5' } });
  t.equal(empty.status, 200, 'an empty file: the whole (empty) file, not 416');
  t.equal((await empty.arrayBuffer()).byteLength, 0);
});

t.test('every request body: at most 4 KB and JSON, on every route that takes one', async (t) => {
  const { root, src } = await fixture(t);
  // One recording already in the trash, to restore.
  await addRecording(root, src, { day: DAY, stem: '08-00-00_vad_0002', durationMs: 1000 });
  await mkdir(join(root, '.trash', DAY), { recursive: true });
  for (const f of await readdir(join(root, DAY))) if (f.startsWith('08-00-00_vad_0002.')) await rename(join(root, DAY, f), join(root, '.trash', DAY, f));
  const s = await startServe(t, ['--out', root, '--control', join(root, 'no-such-fifo')]);
  const routes: Array<[string, string]> = [
    ['DELETE', `/api/recordings/${DAY}/${STEM}.opus`],
    ['PUT', `/api/recordings/${DAY}/${STEM}.opus/keep`],
    ['POST', `/api/recordings/${DAY}/${STEM}.opus/keep`],
    ['DELETE', `/api/recordings/${DAY}/${STEM}.opus/keep`],
    ['DELETE', '/api/trash'],
    ['POST', `/api/trash/${DAY}/08-00-00_vad_0002/restore`],
    ['POST', '/api/control'],
  ];
  const big = 'x'.repeat(5 * 1024);
  const bigJson = JSON.stringify({ action: 'split', pad: big });
  const bodies: Array<[string, string, string, boolean, number]> = [
    ['5 KB text/plain', big, 'text/plain', false, 413],
    ['100 B text/plain', '{"action":"split"}'.padEnd(100), 'text/plain;charset=UTF-8', false, 415],
    ['a form', 'action=split', 'application/x-www-form-urlencoded', false, 415],
    ['no Content-Type', '{"action":"split"}', '', false, 415],
    ['5 KB JSON', bigJson, 'application/json', false, 413],
    ['5 KB JSON, chunked', bigJson, 'application/json', true, 413],
    ['small text/plain, chunked', '{}', 'text/plain', true, 415],
    ['JSON that is not an object', '[1,2]', 'application/json', false, 400],
    ['not JSON', 'hello', 'application/json', false, 400],
  ];
  for (const [method, path] of routes) {
    for (const [what, body, type, chunked, want] of bodies) {
      const r = await send(s.url, method, path, body, type ? { 'Content-Type': type } : {}, chunked);
      t.equal(r.status, want, `${method} ${path} with ${what}: ${want}`);
    }
  }
  // Nothing of it was done.
  t.ok(await stat(join(root, DAY, `${STEM}.opus`)), 'the recording was not deleted');
  await t.rejects(stat(join(root, DAY, `${STEM}.keep`)), 'no keep marker');
  t.same((await readdir(join(root, '.trash', DAY))).sort(), ['08-00-00_vad_0002.opus', '08-00-00_vad_0002.waveform.json'], 'the trash neither emptied nor restored');

  // A small JSON body (or none) is still fine.
  const ok = await send(s.url, 'DELETE', '/api/trash', '{}', { 'Content-Type': 'application/json' });
  t.equal(ok.status, 200, 'DELETE /api/trash with {}');
  t.same(JSON.parse(ok.body), { removed: 2 });
  const keep = await send(s.url, 'PUT', `/api/recordings/${DAY}/${STEM}.opus/keep`, '', {});
  t.equal(keep.status, 200, 'PUT keep without a body');
  const control = await send(s.url, 'POST', '/api/control', '{"action":"split"}', { 'Content-Type': 'application/json; charset=utf-8' });
  t.equal(control.status, 503, 'a JSON body reaches the route (no FIFO: 503)');
});
