// rec-serve under load (BENCH_ONLY=serve npm run bench): ~2000 generated
// recordings, autocannon on loopback against /api/status and /api/recordings,
// then one live listener on an event growing at real time. Prints requests/s,
// p99 latency, rec-serve's RSS and the CPU the live remux costs.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { execa } from 'execa';
import { StreamEncoder } from '../src/encode/stream-encoder.js';
import { table } from './measure.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const RECORDINGS = Number(process.env.BENCH_SERVE_RECORDINGS ?? 2000);
const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_SERVE_CONNECTIONS ?? 10);
const LIVE_SECONDS = Number(process.env.BENCH_SERVE_LIVE_S ?? 20);
const WORDS = ['kettle', 'door', 'radio', 'dog', 'phone', 'window', 'music', 'voice', 'rain', 'car'];

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; USER_HZ is 100 on Linux
}

async function makeFixtures(root: string, n: number): Promise<void> {
  const src = join(root, 'src.opus');
  await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=f=440:d=3', '-c:a', 'libopus', '-b:a', '32k', src]);
  const peaks = JSON.stringify(Array.from({ length: 600 }, (_, i) => (i % 2 ? 1 : -1) * (i % 100)));
  // 20 recordings a day, over n / 20 days.
  for (let i = 0; i < n; i++) {
    const day = new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 20) * 86_400_000).toISOString().slice(0, 10);
    const stem = `${String(Math.floor((i % 20) * 1.2)).padStart(2, '0')}-${String(i % 60).padStart(2, '0')}-00_vad_${i.toString(16).padStart(4, '0')}`;
    const dir = join(root, day);
    if (i % 20 === 0) await mkdir(dir, { recursive: true });
    await copyFile(src, join(dir, `${stem}.opus`));
    await writeFile(join(dir, `${stem}.waveform.json`), `{"version":2,"channels":1,"sample_rate":48000,"samples_per_pixel":480,"bits":8,"length":300,"data":${peaks},"durationMs":${1000 + (i % 50) * 700}}`);
    const text = Array.from({ length: 30 }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');
    await writeFile(join(dir, `${stem}.transcript.json`), JSON.stringify({ text, words: [], engine: 'pocketsphinx' }));
  }
  await rm(src);
}

function statusJson(partialPath: string | null): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    schemaVersion: 1,
    updatedAt: now,
    pid: 1,
    startedAt: now,
    capturing: true,
    input: { rate: 48000, framesIn: 1, lastFrameAt: now, gaps: 0 },
    level: { rmsDbfs: -40, peakDbfs: -20, noiseFloorDbfs: -60, thresholdDbfs: -50, voice: false },
    event: partialPath
      ? { id: 'bench', startedAt: now, durationMs: 0, trigger: 'vad', inProgress: true, wav: '/tmp/x.wav', partialPath, eventSizeBytes: 0, encoder: 'stream' }
      : null,
    lastEvent: null,
    streamingEncode: { enabled: true, active: 0, failures: 0, queueFrames: 0 },
    spool: { pendingJobs: 0, bytes: 0, freeBytes: 1 },
    disk: { freeBytes: 1 },
  });
}

async function load(url: string): Promise<{ rps: number; p99: number; errors: number }> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS });
  return { rps: Math.round(r.requests.average), p99: r.latency.p99, errors: r.errors + r.non2xx };
}

export async function runServeBench(): Promise<void> {
  console.log(`\n## rec-serve: ${RECORDINGS} recordings, autocannon ${CONNECTIONS} connections × ${SECONDS} s per endpoint, loopback`);
  const root = await mkdtemp(join(tmpdir(), 'rec-bench-serve-'));
  try {
    await makeFixtures(root, RECORDINGS);
    const statusFile = join(root, '.spool', 'segmenter_status.json');
    await mkdir(join(root, '.spool'));
    await writeFile(statusFile, statusJson(null));
    const proc = execa('node', [join(ROOT, 'bin/rec-serve.js'), '--out', root, '--port', '0', '--log-level', 'info'], { reject: false, buffer: false });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const base = await new Promise<string>((res, rej) => {
      proc.stdout!.once('data', (d: Buffer) => res(d.toString().trim().replace(/\/$/, '')));
      void proc.then(() => rej(new Error(`rec-serve exited: ${stderr}`)));
    });
    const pid = proc.pid!;
    // The server listens at once and indexes in the background.
    while (((await (await fetch(`${base}/api/health`)).json()) as { indexing: boolean }).indexing) await sleep(50);
    const indexMs = Number(/"ms":(\d+),"msg":"indexed recordings"/.exec(stderr)?.[1]);
    await sleep(500);
    const idleRss = await rssMb(pid);
    const rows: Array<Record<string, string | number>> = [];
    for (const [name, path] of [
      ['/api/status', '/api/status'],
      ['/api/recordings (first page of 50)', '/api/recordings?limit=50'],
      ['/api/recordings (cursor, day 50)', `/api/recordings?limit=50&cursor=${encodeURIComponent('2026-02-20/99')}`],
      ['/api/recordings?q=kettle radio', '/api/recordings?limit=50&q=kettle%20radio'],
      ['/api/recordings?minDuration=20', '/api/recordings?limit=50&minDuration=20'],
      ['/healthz', '/healthz'],
    ] as const) {
      const r = await load(base + path);
      rows.push({ endpoint: name, 'req/s': r.rps, 'p99 ms': r.p99, errors: r.errors, 'RSS MB after': (await rssMb(pid)).toFixed(1) });
    }
    console.log(`index of ${RECORDINGS} recordings built in ${indexMs} ms; RSS idle ${idleRss.toFixed(1)} MB`);
    console.log(table(rows));

    // One live listener on an event encoded at real time.
    const day = '2026-11-26';
    const pcm = (await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=f=330:d=${LIVE_SECONDS + 5}`, '-ac', '1', '-ar', '48000', '-f', 's16le', 'pipe:1'], { encoding: 'buffer' })).stdout;
    const enc = new StreamEncoder({ path: join(root, day, '12-00-00_vad_beef.opus'), rate: 48000, ffmpeg: 'ffmpeg', maxQueueMs: 5000 });
    await writeFile(statusFile, statusJson(`${day}/12-00-00_vad_beef.partial.opus`));
    const t0 = performance.now();
    let fed = 0;
    const feeder = setInterval(() => {
      const due = Math.floor((performance.now() - t0) / 20);
      for (; fed < due && (fed + 1) * 1920 <= pcm.length; fed++) enc.feed(Buffer.from(pcm.subarray(fed * 1920, (fed + 1) * 1920)));
    }, 10);
    await sleep(1000);
    const ac = new AbortController();
    const res = await fetch(`${base}/live/${day}/12-00-00_vad_beef.webm`, { signal: ac.signal });
    const reader = res.body!.getReader();
    let bytes = 0;
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) break;
        bytes += value!.length;
      }
    })();
    await sleep(500);
    const ffmpegPid = Number((await execa('pgrep', ['-P', String(pid), 'ffmpeg'], { reject: false })).stdout.trim().split('\n')[0]);
    const cpu0 = await cpuSeconds(ffmpegPid);
    const srv0 = await cpuSeconds(pid);
    const w0 = performance.now();
    await sleep(LIVE_SECONDS * 1000);
    const wallS = (performance.now() - w0) / 1000;
    const remuxCpu = ((await cpuSeconds(ffmpegPid)) - cpu0) / wallS;
    const serveCpu = ((await cpuSeconds(pid)) - srv0) / wallS;
    const liveRss = await rssMb(pid);
    const ffmpegRss = await rssMb(ffmpegPid);
    ac.abort();
    await reading;
    clearInterval(feeder);
    await enc.close();
    proc.kill('SIGTERM');
    await proc;
    console.log(
      table([
        {
          'live listener over': `${wallS.toFixed(0)} s`,
          'remux ffmpeg CPU': `${(remuxCpu * 100).toFixed(2)} %`,
          'rec-serve CPU': `${(serveCpu * 100).toFixed(2)} %`,
          'remux ffmpeg RSS MB': ffmpegRss.toFixed(1),
          'rec-serve RSS MB': liveRss.toFixed(1),
          'WebM bytes sent': bytes,
        },
      ]),
    );
    console.log('CPU is a share of one core of this machine; a Pi Zero 2 W core is several times slower.');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
