// Live playback endpoints against a partial that really grows (the streaming
// encoder fed at real-time pace): the held-open responses deliver bytes beyond
// the size the file had when asked, and end when the partial is renamed.
import t from 'tap';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { decode, synthPcm, tempDir } from './helpers.js';
import { GrowingEvent, startServe, statusObject, writeStatus } from './serve-helpers.js';

const DAY = '2026-11-26';

/** Read a response body to its end, noting how much had arrived at each chunk. */
async function collect(res: Response, onChunk?: (total: number) => void): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    parts.push(Buffer.from(c));
    total += c.length;
    onChunk?.(total);
  }
  return Buffer.concat(parts);
}

async function waitForAudio(path: string, minBytes: number): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const size = (await stat(path).catch(() => ({ size: 0 }))).size;
    if (size >= minBytes) return size;
    await sleep(50);
  }
  throw new Error(`${path} did not grow to ${minBytes} bytes`);
}

t.test('held-open partial and live WebM follow the growing file and end at the rename', async (t) => {
  const root = await tempDir(t, 'rec-live-');
  await mkdir(join(root, DAY));
  const pcm = await synthPcm('sine=f=330:d=10');
  const ev = new GrowingEvent(root, DAY, '10-00-00_vad_1ive', pcm).start();
  t.teardown(() => void ev.stop());
  const s = await startServe(t, ['--out', root]);
  const sizeAtRequest = await waitForAudio(ev.partialPath, 2000);

  const raw = fetch(`${s.url}/recordings/${DAY}/10-00-00_vad_1ive.partial.opus`, { headers: { Range: 'bytes=0-' } });
  const live = fetch(`${s.url}/live/${DAY}/10-00-00_vad_1ive.webm`);
  const rawRes = await raw;
  const liveRes = await live;
  t.equal(rawRes.status, 200, 'a growing file answers 200 even to bytes=0-');
  t.equal(rawRes.headers.get('content-length'), null, 'no length: held open');
  t.equal(liveRes.headers.get('content-type'), 'audio/webm');
  const rawGrowth: Array<[number, number]> = [];
  const t0 = Date.now();
  const rawBody = collect(rawRes, (n) => rawGrowth.push([Date.now() - t0, n]));
  let liveFirstByteMs = -1;
  const liveBody = collect(liveRes, () => liveFirstByteMs < 0 && (liveFirstByteMs = Date.now() - t0));
  await sleep(3000);
  const result = await ev.stop();
  t.ok(result.ok, 'encoder finished and renamed the partial');
  const [rawBytes, liveBytes] = await Promise.all([rawBody, liveBody]);
  const final = await readFile(join(root, DAY, '10-00-00_vad_1ive.opus'));
  t.ok(rawBytes.length > sizeAtRequest + 4000, `raw stream went on past the size at request time (${sizeAtRequest} → ${rawBytes.length})`);
  t.ok(rawBytes.equals(final), 'raw stream is exactly the final file');
  t.ok(rawGrowth.length >= 5, `arrived in many pieces as it grew (${rawGrowth.length})`);
  t.ok(liveFirstByteMs >= 0 && liveFirstByteMs < 1000, `live WebM started after ${liveFirstByteMs} ms`);
  t.equal(liveBytes.subarray(0, 4).toString('hex'), '1a45dfa3', 'WebM (EBML) stream');
  const webm = join(root, 'got.webm');
  await writeFile(webm, liveBytes);
  const [dWebm, dFinal] = await Promise.all([decode(webm), decode(join(root, DAY, '10-00-00_vad_1ive.opus'))]);
  t.ok(dFinal.durationMs > 3000, `final holds ${dFinal.durationMs} ms`);
  t.ok(Math.abs(dWebm.durationMs - dFinal.durationMs) <= 60, `remux has all the audio: ${dWebm.durationMs} vs ${dFinal.durationMs} ms`);
});

t.test('a client leaving stops its ffmpeg; the number of live streams is bounded', async (t) => {
  const root = await tempDir(t, 'rec-live-');
  await mkdir(join(root, DAY));
  const pcm = await synthPcm('sine=f=330:d=10');
  const ev = new GrowingEvent(root, DAY, '10-00-00_vad_b0nd', pcm).start();
  t.teardown(() => void ev.stop());
  const s = await startServe(t, ['--out', root, '--max-live', '1']);
  await waitForAudio(ev.partialPath, 1000);
  const ac = new AbortController();
  const first = await fetch(`${s.url}/live/${DAY}/10-00-00_vad_b0nd.webm`, { signal: ac.signal });
  const reader = first.body!.getReader();
  t.ok((await reader.read()).value, 'first listener gets data');
  const pid = String(s.proc.pid);
  const children = async () => (await execa('pgrep', ['-P', pid, 'ffmpeg'], { reject: false })).stdout.trim();
  t.not(await children(), '', 'one ffmpeg remuxing');
  const second = await fetch(`${s.url}/live/${DAY}/10-00-00_vad_b0nd.webm`);
  t.equal(second.status, 503, 'over --max-live: 503');
  await second.arrayBuffer();
  ac.abort();
  await reader.cancel().catch(() => undefined);
  let left = 'x';
  let active = 1;
  for (let i = 0; i < 40 && (left || active); i++) {
    await sleep(50);
    left = await children();
    active = ((await (await fetch(`${s.url}/api/health`)).json()) as { liveStreams: number }).liveStreams;
  }
  t.equal(left, '', 'ffmpeg is gone');
  t.equal(active, 0, 'the slot is free again');
  const again = await fetch(`${s.url}/live/${DAY}/10-00-00_vad_b0nd.webm`);
  t.equal(again.status, 200, 'a new listener is accepted');
  await again.body?.cancel();
  t.equal((await fetch(`${s.url}/live/${DAY}/10-00-00_vad_none.webm`)).status, 404, 'no such event: 404');
  await ev.stop(); // its ffmpeg must be done writing before the folder is removed
});

t.test('a spare remux waits while an event is in progress, and goes when it ends', async (t) => {
  const root = await tempDir(t, 'rec-live-');
  await mkdir(join(root, DAY));
  const statusFile = join(root, '.spool', 'segmenter_status.json');
  const pcm = await synthPcm('sine=f=330:d=10');
  const ev = new GrowingEvent(root, DAY, '10-00-00_vad_5pa4', pcm).start();
  t.teardown(() => void ev.stop());
  await writeStatus(statusFile, statusObject());
  const s = await startServe(t, ['--out', root]);
  const ffmpegs = async () => (await execa('pgrep', ['-P', String(s.proc.pid), 'ffmpeg'], { reject: false })).stdout.trim().split('\n').filter(Boolean).length;
  const health = async () => (await (await fetch(`${s.url}/api/health`)).json()) as { spareRemux: boolean; liveStreams: number };
  await fetch(`${s.url}/api/status`).then((r) => r.json());
  t.equal((await health()).spareRemux, false, 'no event: no spare');
  t.equal(await ffmpegs(), 0);
  await writeStatus(statusFile, statusObject({ partialPath: `${DAY}/10-00-00_vad_5pa4.partial.opus` }));
  await fetch(`${s.url}/api/status`).then((r) => r.json());
  t.equal((await health()).spareRemux, true, 'event in progress: a spare');
  t.equal(await ffmpegs(), 1, 'one ffmpeg waiting');
  await waitForAudio(ev.partialPath, 1000);
  const ac = new AbortController();
  const res = await fetch(`${s.url}/live/${DAY}/10-00-00_vad_5pa4.webm`, { signal: ac.signal });
  const reader = res.body!.getReader();
  t.equal(Buffer.from((await reader.read()).value!).subarray(0, 4).toString('hex'), '1a45dfa3', 'the spare serves WebM');
  await sleep(100);
  t.equal(await ffmpegs(), 2, 'the listener has it, a new spare waits');
  await writeStatus(statusFile, statusObject());
  await fetch(`${s.url}/api/status`).then((r) => r.json());
  ac.abort();
  await reader.cancel().catch(() => undefined);
  let n = -1;
  for (let i = 0; i < 40 && n !== 0; i++) {
    await sleep(50);
    n = await ffmpegs();
  }
  t.equal(n, 0, 'event over and listener gone: no ffmpeg left');
  await ev.stop(); // its ffmpeg must be done writing before the folder is removed
});
