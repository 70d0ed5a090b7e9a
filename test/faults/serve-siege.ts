// Fault matrix (issue #9): the dashboard under many concurrent clients and
// hostile requests while the pipeline records ('serve-siege'), and rec-serve
// killed with -9 while clients are connected, then restarted as systemd would
// ('kill-serve'). Both check that the recording is untouched, that rec-serve
// comes back, and that no process or file is left behind.
import { copyFile, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { ROOT, bin, decode, synth } from '../helpers.js';
import { MAX_CLIENTS } from '../../src/serve/event-hub.js';
import type { EventFinished, SegmenterStatus } from '../../src/lib/contracts.js';
import type { Scenario, TrialContext, TrialResult } from './types.js';
import { rawRequest, slowloris, StalledClient, type RawAnswer } from './raw-http.js';
import type { LoadOptions, LoadSummary } from './siege-load.js';
import { LivePipeline, ServeProc, alive, anonMb, childrenOf, debug, groupMembers, killPid, privateMb, prng, rssMb, toneBursts, unitSetting, type ProcInfo } from './serve-rig.js';

const MAX_LIVE = 4;
const LIVE_LISTENERS = 10;
const SSE_CLIENTS = 50;
const CONNECTIONS = 200;
const SLOWLORIS = 3;
/** A finished recording that exists before the pipeline starts (Range target). */
const FIX_DAY = '2020-01-01';
const FIX = '12-00-00_level_f1x0';
/** A symlinked recording and a symlinked day folder, both pointing out of the root. */
const LINK_FILE = `${FIX_DAY}/12-00-01_level_1ink.opus`;
const LINK_DAY = '2020-01-02';
const UNIT = join(ROOT, 'systemd/rec-serve.service');
const SEGMENT_ARGS = ['--trigger', 'level', '--hang', '0.6', '--pre-roll', '0.5'];

/** Figures beyond the trial result, for the test and the table's note. */
export interface SiegeFigures {
  load: LoadSummary | null;
  peakRssMb: number;
  peakAnonMb: number;
  /** rec-serve's anonymous memory plus the private memory of its ffmpeg children: about what its cgroup is charged. */
  peakRssWithChildrenMb: number;
  peakFfmpeg: number;
  ffmpegSpawned: number;
  sse: { accepted: number; refused: number };
  live: { waves: number; accepted: number; refused: number; other: number; maxAcceptedInWave: number; bytes: number };
  hostile: { sent: number; byStatus: Record<string, number> };
  slowlorisCutMs: Array<number | null>;
  healthzMs: number | null;
  gaps: number | null;
  events: number;
  offlineFallbacks: number;
  /** What went wrong that is not lost audio or a leak: traversal, 500s, bounds exceeded. */
  violations: string[];
}

export interface KillFigures {
  killedMidStream: boolean;
  /** ffmpeg children of rec-serve at the moment of the kill. */
  remuxAtKill: number;
  /** How long each outlived rec-serve (ms), null when it was still running when checked last. */
  orphanLifetimesMs: Array<number | null>;
  restartDelayMs: number;
  gaps: number | null;
  events: number;
  violations: string[];
}

export type SiegeResult = TrialResult & { figures: SiegeFigures };
export type KillResult = TrialResult & { figures: KillFigures };

// ---------------------------------------------------------------- shared parts

interface Rig {
  root: string;
  secret: string;
  fixture: Buffer;
  nodeOptions: string;
}

/** The recordings root with one finished recording, and a secret outside it that symlinks point at. */
async function prepareRoot(ctx: TrialContext, rnd: () => number): Promise<Rig> {
  const root = join(ctx.dir, 'rec');
  const outside = join(ctx.dir, 'outside');
  await mkdir(join(root, FIX_DAY), { recursive: true });
  await mkdir(outside);
  const secret = `SECRET-${ctx.seed}-${Math.floor(rnd() * 2 ** 32).toString(16)}`;
  for (const name of ['secret.opus', 'secret.partial.opus', 'secret.txt']) await writeFile(join(outside, name), `${secret}\n`);
  // Reached through the symlinked day folder, a transcript would show in excerpts and search.
  await writeFile(join(outside, 'secret.transcript.json'), JSON.stringify({ text: `${secret} words` }));
  const src = await synth(join(ctx.dir, 'fixture.opus'), 'sine=f=440:d=3', ['-c:a', 'libopus', '-b:a', '32k']);
  await copyFile(src, join(root, FIX_DAY, `${FIX}.opus`));
  await symlink(join(outside, 'secret.opus'), join(root, LINK_FILE));
  await symlink(outside, join(root, LINK_DAY));
  const nodeOptions = (await unitSetting(UNIT, /^Environment="NODE_OPTIONS=([^"]*)"/m)) ?? '';
  return { root, secret, fixture: await readFile(src), nodeOptions };
}

async function getJson<T>(url: string, headers: Record<string, string>, timeoutMs = 2000): Promise<{ status: number; body: T } | null> {
  try {
    const r = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    return { status: r.status, body: (await r.json()) as T };
  } catch {
    return null;
  }
}

interface StatusAnswer {
  running: boolean;
  live: { liveUrl: string; url: string } | null;
  status: SegmenterStatus | null;
}

async function waitForLive(base: string, headers: Record<string, string>, timeoutMs: number): Promise<StatusAnswer | null> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await getJson<StatusAnswer>(`${base}/api/status`, headers);
    if (r?.status === 200 && r.body.live) return r.body;
    await sleep(100);
  }
  return null;
}

/** First good /api/status (200, segmenter running) from `since`; null if none within `timeoutMs`. */
async function recoveredAfter(base: string, headers: Record<string, string>, since: number, timeoutMs: number): Promise<number | null> {
  while (performance.now() - since < timeoutMs) {
    const r = await getJson<StatusAnswer>(`${base}/api/status`, headers, 1000);
    if (r?.status === 200 && r.body.running && r.body.status) return Math.round(performance.now() - since);
    await sleep(50);
  }
  return null;
}

interface Audit {
  audioLostMs: number;
  leaked: string[];
  gaps: number | null;
  events: number;
  offlineFallbacks: number;
  problems: string[];
}

/**
 * After the pipeline ended: rec-sidecars drains the spool (offline encodes,
 * waveforms), then every finished event must have a .opus that decodes to its
 * duration, and nothing may be left: partials, temp files, spool jobs, processes.
 */
async function auditRecording(pipe: LivePipeline, root: string): Promise<Audit> {
  const problems: string[] = [];
  const leaked: string[] = [];
  const events = pipe.events;
  const finished = events.filter((e): e is EventFinished => e.type === 'event.finished');
  const started = events.filter((e) => e.type === 'event.started').map((e) => e.id);
  for (const id of started) if (!events.some((e) => e.id === id && e.type !== 'event.started')) leaked.push(`event ${id} never finished`);
  const side = await execa('node', [bin('rec-sidecars'), '--out', root], { reject: false, stdin: 'ignore', env: { LOG_LEVEL: 'warn' }, timeout: 60_000 });
  if (side.exitCode !== 0) problems.push(`rec-sidecars exited ${side.exitCode}: ${side.stderr.slice(-300)}`);
  let audioLostMs = 0;
  for (const e of finished) {
    const opus = join(root, e.day, `${e.stem}.opus`);
    const d = await decode(opus).catch(() => ({ durationMs: 0 }));
    const lost = Math.max(0, e.durationMs - d.durationMs - 20);
    if (lost > 0) problems.push(`${e.stem}: ${e.durationMs} ms announced, ${Math.round(d.durationMs)} ms in the .opus`);
    audioLostMs += lost;
  }
  const status = JSON.parse(await readFile(join(root, '.spool', 'segmenter_status.json'), 'utf8').catch(() => 'null')) as SegmenterStatus | null;
  for (const f of await filesBelow(root)) {
    if (/\.partial\.|\.tmp\b|~$/.test(f)) leaked.push(f);
    else if (f.startsWith('.spool/') && !f.endsWith('_status.json')) leaked.push(f);
  }
  if (pipe.pgid) for (const p of await groupMembers(pipe.pgid)) leaked.push(`process ${p.pid} (${p.comm}) of the pipeline`);
  return {
    audioLostMs: Math.round(audioLostMs),
    leaked,
    gaps: status?.input.gaps ?? null,
    events: finished.length,
    offlineFallbacks: finished.filter((e) => e.encode.mode !== 'stream').length,
    problems,
  };
}

/** A live listener: GET the WebM stream and read it to its end (or until `until`). */
function listen(port: number, path: string, headers: Record<string, string>, until: number, onBytes?: (n: number) => void): Promise<{ status: number | null; bytes: number }> {
  return new Promise((resolve) => {
    let bytes = 0;
    let status: number | null = null;
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      status = res.statusCode ?? null;
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        onBytes?.(bytes);
      });
      res.on('close', () => resolve({ status, bytes }));
    });
    const timer = setTimeout(() => req.destroy(), Math.max(0, until - performance.now()));
    req.on('error', () => resolve({ status, bytes }));
    req.on('close', () => {
      clearTimeout(timer);
      resolve({ status, bytes });
    });
    req.end();
  });
}

/** Samples rec-serve's RSS and ffmpeg children until stopped. */
class ServeSampler {
  peakRss = 0;
  peakAnon = 0;
  peakRssWithChildren = 0;
  peakFfmpeg = 0;
  readonly seen = new Set<number>();
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly pid: number) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const kids = (await childrenOf(this.pid)).filter((k) => k.comm === 'ffmpeg');
      const rss = await rssMb(this.pid);
      const anon = await anonMb(this.pid);
      let total = anon;
      for (const k of kids) {
        this.seen.add(k.pid);
        total += await privateMb(k.pid);
      }
      this.peakFfmpeg = Math.max(this.peakFfmpeg, kids.length);
      this.peakRss = Math.max(this.peakRss, rss);
      this.peakAnon = Math.max(this.peakAnon, anon);
      this.peakRssWithChildren = Math.max(this.peakRssWithChildren, total);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

// ---------------------------------------------------------------- serve-siege

interface Hostile {
  name: string;
  send: () => Promise<RawAnswer>;
  /** Acceptable statuses; null: the server may also just close the connection. */
  want: Array<number | null>;
}

function hostileRequests(port: number, token: string, rnd: () => number): Hostile[] {
  const host = `Host: 127.0.0.1:${port}`;
  const auth = `Authorization: Bearer ${token}`;
  const get = (path: string, extra: string[] = [], withAuth = true) => () => rawRequest(port, [`GET ${path} HTTP/1.1`, host, ...(withAuth ? [auth] : []), ...extra].join('\r\n'));
  const post = (body: Buffer | string, extra: string[] = ['Content-Type: application/json'], withAuth = true) => () =>
    rawRequest(port, ['POST /api/control HTTP/1.1', host, ...(withAuth ? [auth] : []), `Content-Length: ${Buffer.byteLength(body)}`, ...extra].join('\r\n'), body);
  const fix = `/recordings/${FIX_DAY}/${FIX}.opus`;
  const list: Hostile[] = [];
  const traversal = [
    `/recordings/${FIX_DAY}/../../outside/secret.opus`,
    '/recordings/../outside/secret.opus',
    '/recordings/%2e%2e/outside/secret.opus',
    `/recordings/${FIX_DAY}/%2e%2e%2f%2e%2e%2foutside%2fsecret.opus`,
    `/recordings/${FIX_DAY}/..%2f..%2foutside%2fsecret.opus`,
    `/recordings/${FIX_DAY}/..%5c..%5coutside%5csecret.opus`,
    `/recordings/${FIX_DAY}/..%252f..%252foutside%252fsecret.opus`,
    `/recordings/${FIX_DAY}/%c0%ae%c0%ae%c0%afoutside%c0%afsecret.opus`,
    `${fix}%00.txt`,
    `/recordings/${FIX_DAY}/%2E%2E`,
    `/recordings/${LINK_FILE}`,
    `/recordings/${LINK_FILE}?download`,
    `/recordings/${LINK_DAY}/secret.opus`,
    `/recordings/${LINK_DAY}/secret.partial.opus`,
    `/api/recordings/${LINK_DAY}/secret.opus`,
    `/live/${LINK_DAY}/secret.webm`,
    `/live/${FIX_DAY}/..%2f..%2foutside%2fsecret.webm`,
    '/static/..%2f..%2f..%2foutside%2fsecret.txt',
    '/app/../../outside/secret.txt',
    '/static/../../../../../../etc/passwd',
    '//etc/passwd',
    '/recordings//etc/passwd',
    `http://127.0.0.1:${port}/recordings/../../etc/passwd`,
    '/recordings/.spool/segmenter_status.json',
  ];
  // Lists and searches must not carry what a symlink out of the root points at.
  for (const p of ['/api/recordings?limit=200', `/api/recordings?day=${LINK_DAY}`, '/api/recordings?q=secret', '/api/recordings?q=words']) list.push({ name: `listing ${p}`, send: get(p), want: [200] });
  for (const p of traversal) list.push({ name: `traversal ${p}`, send: get(p), want: [400, 404] });
  for (const p of ['/api/status', '/api/recordings', fix, '/api/events', `/live/${FIX_DAY}/${FIX}.webm`, '/']) {
    list.push({ name: `no token ${p}`, send: get(p, [], false), want: [401] });
  }
  list.push({ name: 'wrong bearer', send: get('/api/status', ['Authorization: Bearer not-the-token-at-all'], false), want: [401] });
  list.push({ name: 'wrong ?token=', send: get('/api/recordings?token=wrong-token-123', [], false), want: [401] });
  list.push({ name: 'wrong cookie', send: get(fix, ['Cookie: rec_token=wrong-token-123'], false), want: [401] });
  list.push({ name: 'POST /api/control without token', send: post('{"action":"split"}', ['Content-Type: application/json'], false), want: [401] });
  list.push({ name: 'a 64 KB header', send: get('/api/status', [`X-Big: ${'a'.repeat(64 * 1024)}`]), want: [431, null] });
  list.push({ name: 'a 20 KB URL', send: get(`/api/recordings?q=${'b'.repeat(20 * 1024)}`), want: [431, 414, null] });
  list.push({ name: '300 headers', send: get('/api/status', Array.from({ length: 300 }, (_, i) => `X-H${i}: ${i}`)), want: [200] });
  list.push({ name: 'unknown method', send: () => rawRequest(port, ['BREW /api/status HTTP/1.1', host, auth].join('\r\n')), want: [400, null] });
  const mb = Buffer.alloc(1 << 20, 0x7b);
  list.push({ name: 'POST /api/control 1 MB (Content-Length)', send: post(mb), want: [413, null] });
  list.push({
    name: 'POST /api/control 1 MB (chunked)',
    send: () => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const chunks = Array.from({ length: 16 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
      return rawRequest(port, ['POST /api/control HTTP/1.1', host, auth, 'Content-Type: application/json', 'Transfer-Encoding: chunked'].join('\r\n'), Buffer.concat([...chunks, Buffer.from('0\r\n\r\n')]));
    },
    want: [413, null],
  });
  for (const body of ['not json', '{"action":', '[1,2,3]', 'null', '"split"', '{"action":"explode"}', `${'['.repeat(2000)}${']'.repeat(2000)}`]) {
    list.push({ name: `bad JSON ${body.slice(0, 12)}`, send: post(body), want: [400] });
  }
  list.push({ name: 'text/plain body', send: post('{"action":"split"}', ['Content-Type: text/plain']), want: [415] });
  list.push({ name: 'no --control', send: post('{"action":"split"}'), want: [503] });
  const start = Math.floor(rnd() * 1000);
  for (const range of [
    'bytes=abc',
    'bytes=5-1',
    'bytes=99999999999999-',
    'bytes=-0',
    'bytes=--1',
    'bytes=1-2-3',
    'bytes=-99999999999999999999999',
    `bytes=${start}-${start + 99}`,
    'bytes=0-1, 3-4',
    `bytes=${Array.from({ length: 1500 }, (_, i) => `${i}-${i}`).join(',')}`,
    'pages=1-2',
  ]) {
    list.push({ name: `Range ${range.slice(0, 24)}`, send: get(fix, [`Range: ${range}`]), want: [200, 206, 416] });
  }
  return list;
}

async function siegeTrial(ctx: TrialContext): Promise<SiegeResult> {
  const rnd = prng(ctx.seed);
  const siegeMs = (ctx.form === 'short' ? 8 : 45) * 1000;
  const rig = await prepareRoot(ctx, rnd);
  const token = `siege-${ctx.seed.toString(16)}-${Math.floor(rnd() * 1e9).toString(36)}`;
  const headers = { Authorization: `Bearer ${token}` };
  // Lead-in, the siege, and a tail after it so that the pipeline is still recording during recovery.
  const input = await toneBursts(join(ctx.dir, 'bursts.wav'), 1.5 + 2 + siegeMs / 1000 + 4, rnd);
  const violations: string[] = [];
  const visible: string[] = [];
  const sse: StalledClient[] = [];
  const stops: Array<() => void> = [];
  let pipe: LivePipeline | undefined;
  let serve: ServeProc | undefined;
  let load: ReturnType<typeof spawn> | undefined;
  let sampler: ServeSampler | undefined;
  try {
    pipe = new LivePipeline(input, rig.root, SEGMENT_ARGS);
    serve = new ServeProc(['--out', rig.root, '--port', '0', '--token', token, '--max-live', String(MAX_LIVE)], { NODE_OPTIONS: rig.nodeOptions });
    const base = await serve.url;
    const port = Number(new URL(base).port);
    if (!(await waitForLive(base, headers, 15_000))) throw new Error(`no event went live: ${pipe.stderr}`);
    sampler = new ServeSampler(serve.pid);
    debug('siege starts');
    const t0 = performance.now();
    const siegeEnd = t0 + siegeMs;

    // 1. Keep-alive load on the API and on file ranges, from another process.
    const a = Math.floor(rnd() * 2000);
    const loadOpts: LoadOptions = {
      url: base,
      connections: CONNECTIONS,
      seconds: siegeMs / 1000,
      headers,
      requests: [{ path: '/api/status' }, { path: '/api/recordings?limit=50' }, { path: `/recordings/${FIX_DAY}/${FIX}.opus`, headers: { Range: `bytes=${a}-${a + 4095}` } }],
    };
    load = spawn('node', [fileURLToPath(new URL('./siege-load.js', import.meta.url)), JSON.stringify(loadOpts)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let loadOut = '';
    let loadErr = '';
    load.stdout!.on('data', (d: Buffer) => (loadOut += d.toString()));
    load.stderr!.on('data', (d: Buffer) => (loadErr = (loadErr + d.toString()).slice(-2000)));
    const loadDone = new Promise<LoadSummary | null>((resolve) =>
      load!.once('close', () => {
        try {
          resolve(JSON.parse(loadOut) as LoadSummary);
        } catch {
          violations.push(`autocannon gave no summary: ${loadErr.slice(-200)}`);
          resolve(null);
        }
      }),
    );

    // 2. Event-stream clients that never read.
    for (let i = 0; i < SSE_CLIENTS; i++) sse.push(new StalledClient(port, `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${token}`));
    // 3. Slowloris.
    const lorises = Array.from({ length: SLOWLORIS }, () => slowloris(port, 200, siegeEnd));
    for (const l of lorises) stops.push(l.stop);

    // 4. Waves of live listeners on the event in progress.
    const live = { waves: 0, accepted: 0, refused: 0, other: 0, maxAcceptedInWave: 0, bytes: 0 };
    const liveLoop = (async () => {
      // A wave reads until its event ends (a few seconds): none starts too close to the end.
      while (performance.now() < siegeEnd - 3000) {
        const st = await getJson<StatusAnswer>(`${base}/api/status`, headers, 3000);
        if (!st?.body.live) {
          await sleep(150);
          continue;
        }
        const wave = await Promise.all(Array.from({ length: LIVE_LISTENERS }, () => listen(port, st.body.live!.liveUrl, headers, siegeEnd)));
        const ok = wave.filter((w) => w.status === 200).length;
        const refused = wave.filter((w) => w.status === 503).length;
        live.waves++;
        live.accepted += ok;
        live.refused += refused;
        live.other += LIVE_LISTENERS - ok - refused;
        live.maxAcceptedInWave = Math.max(live.maxAcceptedInWave, ok);
        live.bytes += wave.reduce((n, w) => n + (w.status === 200 ? w.bytes : 0), 0);
        debug(`live wave ${live.waves}: ${wave.map((w) => `${w.status}:${w.bytes}`).join(' ')}`);
        if (ok > MAX_LIVE) violations.push(`${ok} live listeners accepted at once (--max-live ${MAX_LIVE})`);
      }
    })();

    // 5. Hostile requests, over and over until the siege ends.
    const hostile = { sent: 0, byStatus: {} as Record<string, number> };
    const hostileLoop = (async () => {
      const list = hostileRequests(port, token, rnd);
      let round = 0;
      do {
        for (const h of list) {
          if (round > 0 && performance.now() >= siegeEnd) break;
          const r = await h.send();
          hostile.sent++;
          const key = String(r.status ?? r.end);
          hostile.byStatus[key] = (hostile.byStatus[key] ?? 0) + 1;
          const text = r.body.toString('latin1');
          if (text.toLowerCase().includes(rig.secret.toLowerCase()) || /root:.*:0:0:/.test(text)) violations.push(`TRAVERSAL: ${h.name} returned the secret`);
          // No answer within 5 s under the load is slowness, not a wrong answer (it is counted).
          if (r.end !== 'timeout' && !h.want.includes(r.status)) violations.push(`${h.name}: ${r.status ?? r.end} (wanted ${h.want.join(' or ')})`);
        }
        round++;
      } while (performance.now() < siegeEnd);
    })();

    const sseStatuses = await Promise.all(sse.map((c) => c.status));
    const health = await getJson<{ eventClients: number }>(`${base}/api/health`, headers, 5000);
    const [loadSummary] = await Promise.all([loadDone, liveLoop, hostileLoop]);
    const slowCut = await Promise.all(lorises.map((l) => l.result));
    // The siege is over: every client leaves.
    for (const c of sse) c.close();
    for (const s of stops) s();
    const ended = performance.now();
    debug('siege over');

    let healthzMs: number | null = null;
    {
      const h0 = performance.now();
      const h = await getJson<{ ok: boolean }>(`${base}/healthz`, {}, 1000);
      if (h?.status === 200 && h.body.ok) healthzMs = Math.round(performance.now() - h0);
      else violations.push('/healthz did not answer within 1 s after the siege');
    }
    const recoveryMs = await recoveredAfter(base, headers, ended, 10_000);
    // A normal client then gets correct answers.
    const listOk = await getJson<{ items: Array<{ id: string }> }>(`${base}/api/recordings?limit=200`, headers);
    if (!listOk?.body.items.some((i) => i.id === `${FIX_DAY}/${FIX}`)) violations.push('after the siege /api/recordings lacks the fixture');
    const part = await fetch(`${base}/recordings/${FIX_DAY}/${FIX}.opus`, { headers: { ...headers, Range: 'bytes=100-199' } });
    if (part.status !== 206 || !Buffer.from(await part.arrayBuffer()).equals(rig.fixture.subarray(100, 200))) violations.push('after the siege a Range read is wrong');

    // The pipeline records on to the end of its input.
    debug(`recovered in ${recoveryMs} ms; waiting for the pipeline`);
    const code = await pipe.finish(30_000);
    debug('pipeline done');
    if (code !== 0) violations.push(`the pipeline ended with ${code}: ${pipe.stderr.slice(-300)}`);
    // The next status read tells rec-serve the event is over (its spare ffmpeg goes).
    await getJson(`${base}/api/status`, headers);
    await sleep(500);
    await sampler.stop();
    const leftover = await childrenOf(serve.pid);
    const after = await getJson<{ eventClients: number; liveStreams: number }>(`${base}/api/health`, headers);
    const audit = await auditRecording(pipe, rig.root);
    debug('audited');
    violations.push(...audit.problems);
    if (sampler.peakFfmpeg > MAX_LIVE + 1) violations.push(`${sampler.peakFfmpeg} ffmpeg children at once (max-live ${MAX_LIVE} + 1 spare)`);
    if (audit.gaps !== 0) violations.push(`segmenter input gaps: ${audit.gaps}`);
    const sseAccepted = sseStatuses.filter((s) => s === 200).length;
    const sseRefused = sseStatuses.filter((s) => s === 503).length;
    if (sseAccepted > MAX_CLIENTS) violations.push(`${sseAccepted} event clients accepted (limit ${MAX_CLIENTS})`);
    if (live.refused === 0) violations.push('no live listener was refused');
    if (live.accepted > 0 && live.bytes === 0) violations.push('live listeners were accepted but got no audio');
    if (!loadSummary || loadSummary.requests === 0) violations.push('the load reached nothing');
    // Timeouts (10 s) are overload, and counted; a wrong answer is not.
    else if (loadSummary.errors > loadSummary.timeouts || loadSummary.non2xx > 0) violations.push(`load: ${loadSummary.errors} errors, ${loadSummary.non2xx} non-2xx answers`);

    if (live.refused) visible.push(`503 to live listeners ${MAX_LIVE + 1}..${LIVE_LISTENERS} (${live.refused} refused in ${live.waves} waves)`);
    if (sseRefused) visible.push(`503 to event clients past ${MAX_CLIENTS} (${sseRefused} of ${SSE_CLIENTS})`);
    if (hostile.byStatus['401']) visible.push('401 without the token');
    if (hostile.byStatus['413']) visible.push('413 to 1 MB bodies');
    if (health) visible.push(`/api/health eventClients ${health.body.eventClients} during the siege`);

    const figures: SiegeFigures = {
      load: loadSummary,
      peakRssMb: round1(sampler.peakRss),
      peakAnonMb: round1(sampler.peakAnon),
      peakRssWithChildrenMb: round1(sampler.peakRssWithChildren),
      peakFfmpeg: sampler.peakFfmpeg,
      ffmpegSpawned: sampler.seen.size,
      sse: { accepted: sseAccepted, refused: sseRefused },
      live,
      hostile,
      slowlorisCutMs: slowCut.map((m) => (m === null ? null : Math.round(m))),
      healthzMs,
      gaps: audit.gaps,
      events: audit.events,
      offlineFallbacks: audit.offlineFallbacks,
      violations: [...new Set(violations)],
    };
    const leaked = [...audit.leaked, ...leftover.map((p) => `process ${p.pid} (${p.comm}), a child of rec-serve after every client left`)];
    if (after && (after.body.eventClients || after.body.liveStreams)) leaked.push(`rec-serve still counts ${after.body.eventClients} event clients and ${after.body.liveStreams} live streams after they left`);
    const l = loadSummary;
    return {
      audioLostMs: audit.audioLostMs,
      leaked,
      recoveryMs: healthzMs === null ? null : recoveryMs,
      visible: visible.length ? visible.join('; ') : null,
      note:
        `${CONNECTIONS} conns × ${siegeMs / 1000} s: ${l ? `${l.rps} req/s, p99 ${l.p99} ms, max ${l.max} ms, ${l.timeouts} timeouts` : 'no load figures'}; ` +
        `RSS peak ${figures.peakRssMb} MB (anon ${figures.peakAnonMb}, ${figures.peakRssWithChildrenMb} MB with ffmpeg's private); ffmpeg peak ${figures.peakFfmpeg} (${figures.ffmpegSpawned} spawned); ` +
        `slowloris ${figures.slowlorisCutMs.map((m) => (m === null ? 'held to the end' : `cut after ${(m / 1000).toFixed(1)} s`)).join(', ')}; ` +
        `${hostile.sent} hostile requests (${hostile.byStatus.timeout ?? 0} unanswered in 5 s), no traversal${figures.violations.length ? `; VIOLATIONS: ${figures.violations.join(' | ')}` : ''}`,
      figures,
    };
  } finally {
    for (const c of sse) c.close();
    for (const s of stops) s();
    killPid(load?.pid);
    await sampler?.stop();
    serve?.kill();
    pipe?.kill();
  }
}

// ---------------------------------------------------------------- kill-serve

/** Reads an event stream until `re` matches what arrived, or it ends. */
async function readEvents(url: string, re: RegExp, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    let text = '';
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += Buffer.from(c).toString();
      if (re.test(text)) return true;
    }
  } catch {
    // timed out or cut
  }
  return false;
}

async function killServeTrial(ctx: TrialContext): Promise<KillResult> {
  const rnd = prng(ctx.seed);
  const rig = await prepareRoot(ctx, rnd);
  // systemd waits RestartSec= before it starts the service again.
  const restartDelayMs = Number((await unitSetting(UNIT, /^RestartSec=(\d+(?:\.\d+)?)$/m)) ?? 0.1) * 1000;
  const input = await toneBursts(join(ctx.dir, 'bursts.wav'), 1.5 + 3 + restartDelayMs / 1000 + 4, rnd);
  const violations: string[] = [];
  const visible: string[] = [];
  const clients: Array<{ close: () => void }> = [];
  const serves: ServeProc[] = [];
  const orphans: ProcInfo[] = [];
  let pipe: LivePipeline | undefined;
  try {
    pipe = new LivePipeline(input, rig.root, SEGMENT_ARGS);
    const env = { NODE_OPTIONS: rig.nodeOptions };
    const first = new ServeProc(['--out', rig.root, '--port', '0', '--max-live', String(MAX_LIVE)], env);
    serves.push(first);
    const base = await first.url;
    const port = Number(new URL(base).port);
    const st = await waitForLive(base, {}, 15_000);
    if (!st?.live) throw new Error(`no event went live: ${pipe.stderr}`);

    // Connected clients: three event streams and one live listener, all reading.
    const cut: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ac = new AbortController();
      clients.push({ close: () => ac.abort() });
      void fetch(`${base}/api/events`, { signal: ac.signal })
        .then(async (res) => {
          for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>);
          cut.push('end');
        })
        .catch((err: Error) => cut.push((err.cause as NodeJS.ErrnoException | undefined)?.code ?? err.name));
    }
    let streaming = true;
    let heard = 0;
    const listener = listen(port, st.live.liveUrl, {}, performance.now() + 30_000, (n) => (heard = n)).then((r) => {
      streaming = false;
      return r;
    });
    // Wait until the listener hears audio (its remux runs), then kill at a seeded moment.
    for (let i = 0; i < 60 && streaming && heard === 0; i++) await sleep(50);
    await sleep(Math.round(rnd() * 500));
    const remux = (await childrenOf(first.pid)).filter((k) => k.comm === 'ffmpeg');
    const killedMidStream = streaming;
    killPid(first.pid, 'SIGKILL');
    const tKill = performance.now();
    debug(`killed rec-serve with ${remux.length} ffmpeg children`);

    // How long do its ffmpeg children outlive it?
    const lifetimes = new Map<number, number | null>(remux.map((k) => [k.pid, null]));
    while (performance.now() - tKill < restartDelayMs) {
      for (const k of remux) {
        if (lifetimes.get(k.pid) === null && !(await alive(k.pid, 'ffmpeg'))) lifetimes.set(k.pid, Math.round(performance.now() - tKill));
      }
      if ([...lifetimes.values()].every((v) => v !== null)) break;
      await sleep(20);
    }
    const elapsed = performance.now() - tKill;
    if (elapsed < restartDelayMs) await sleep(restartDelayMs - elapsed);
    const second = new ServeProc(['--out', rig.root, '--port', String(port), '--max-live', String(MAX_LIVE)], env);
    serves.push(second);
    debug('restarting');
    await second.url.catch((err: Error) => violations.push(`restart failed: ${err.message}`));
    debug('restarted');
    const recoveryMs = await recoveredAfter(base, {}, tKill, restartDelayMs + 15_000);
    debug(`recovered ${recoveryMs} ms after the kill`);
    const listened = await listener;
    if (cut.length) visible.push(`event streams cut (${[...new Set(cut)].join(', ')})`);
    if (await readEvents(`${base}/api/events`, /event: status\ndata: \{"running":true/, 5000)) visible.push('status: running after restart, on a new event stream');
    else violations.push('no running status on the event stream after the restart');
    const again = await getJson<StatusAnswer>(`${base}/api/status`, {});
    if (again?.body.live) {
      const r = await listen(port, again.body.live.liveUrl, {}, performance.now() + 1500);
      // A 404 ("not live") is right when the event ended between the status read
      // and the request: its final file is then there.
      const m = /\/live\/([^/]+)\/([^/]+)\.webm$/.exec(again.body.live.liveUrl);
      const ended = r.status === 404 && m !== null && existsSync(join(rig.root, m[1]!, `${m[2]}.opus`));
      if (!ended && (r.status !== 200 || r.bytes === 0)) violations.push(`a live listener after the restart got ${r.status} with ${r.bytes} bytes`);
    }

    const code = await pipe.finish(30_000);
    if (code !== 0) violations.push(`the pipeline ended with ${code}: ${pipe.stderr.slice(-300)}`);
    await getJson(`${base}/api/status`, {});
    await sleep(500);
    for (const k of remux) if (await alive(k.pid, 'ffmpeg')) orphans.push(k);
    const leftover = await childrenOf(second.pid);
    const audit = await auditRecording(pipe, rig.root);
    violations.push(...audit.problems);
    if (audit.gaps !== 0) violations.push(`segmenter input gaps: ${audit.gaps}`);
    const lives = [...lifetimes.values()];
    const figures: KillFigures = {
      killedMidStream,
      remuxAtKill: remux.length,
      orphanLifetimesMs: lives,
      restartDelayMs,
      gaps: audit.gaps,
      events: audit.events,
      violations: [...new Set(violations)],
    };
    return {
      audioLostMs: audit.audioLostMs,
      leaked: [
        ...audit.leaked,
        ...orphans.map((p) => `process ${p.pid} (ffmpeg), a remux of the killed rec-serve`),
        ...leftover.map((p) => `process ${p.pid} (${p.comm}), a child of the restarted rec-serve after every client left`),
      ],
      recoveryMs,
      visible: visible.length ? visible.join('; ') : null,
      note:
        `killed ${killedMidStream ? 'mid-stream' : 'after the stream ended'} with ${remux.length} remux ffmpeg; they outlived it by ${lives.map((v) => (v === null ? `>${restartDelayMs}` : v)).join(', ')} ms; ` +
        `restart after RestartSec=${restartDelayMs / 1000} s; the live listener (${listened.status}) got ${listened.bytes} bytes before the kill` +
        (figures.violations.length ? `; VIOLATIONS: ${figures.violations.join(' | ')}` : ''),
      figures,
    };
  } finally {
    for (const c of clients) c.close();
    for (const s of serves) s.kill();
    // The killed server's group is gone with it only if nothing of it is left.
    for (const o of orphans) killPid(o.pid);
    pipe?.kill();
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export const siegeScenario: Omit<Scenario, 'run'> & { run(ctx: TrialContext): Promise<SiegeResult> } = {
  id: 'serve-siege',
  fault: `rec-serve under ${CONNECTIONS} keep-alive clients, ${SSE_CLIENTS} stalled event streams, ${LIVE_LISTENERS} live listeners, slowloris and hostile requests while recording`,
  trials: { short: 1, long: 3 },
  run: siegeTrial,
};

export const killServeScenario: Omit<Scenario, 'run'> & { run(ctx: TrialContext): Promise<KillResult> } = {
  id: 'kill-serve',
  fault: 'kill -9 rec-serve with event streams and a live listener connected; restarted after RestartSec',
  trials: { short: 1, long: 3 },
  run: killServeTrial,
};

export const scenarios: Scenario[] = [siegeScenario, killServeScenario];

/** Every file below `root` (relative paths), not following symbolic links (readdir's `recursive` does). */
async function filesBelow(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true }).catch(() => [])) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesBelow(root, path)));
    else out.push(path);
  }
  return out;
}
