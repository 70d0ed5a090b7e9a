// The streaming encoder library with real ffmpeg, and with fixture programs in
// place of ffmpeg for fault injection.
import t from 'tap';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { StreamEncoder } from '../src/encode/stream-encoder.js';
import { encodeWav } from '../src/encode/encode-input.js';
import { WavWriter } from '../src/lib/wav.js';
import { FIXTURES, decode, synthPcm, tempDir } from './helpers.js';

const FRAME = 1920;

function frames(pcm: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off + FRAME <= pcm.length; off += FRAME) out.push(pcm.subarray(off, off + FRAME));
  return out;
}

t.test('real ffmpeg: pre-roll + live frames become a complete .opus', async (t) => {
  const dir = await tempDir(t);
  const pcm = await synthPcm('sine=f=330:d=3');
  const all = frames(pcm);
  const path = join(dir, 'day', 'ev.opus');
  // Faster than real time here, so the queue must hold the whole input.
  const enc = new StreamEncoder({ path, rate: 48000, ffmpeg: 'ffmpeg', maxQueueMs: 5000 }, all.slice(0, 100));
  const refused = all.slice(100).filter((f) => !enc.feed(f)).length;
  t.equal(refused, 0, 'every frame accepted');
  const r = await enc.close();
  t.match(r, { ok: true, path, droppedFrames: 0, exitCode: 0, error: null, durationMs: 3000 });
  t.ok(r.bytes > 1000);
  const d = await decode(path);
  t.ok(Math.abs(d.durationMs - 3000) <= 20, `decoded ${d.durationMs} ms`);
  t.ok(d.rmsDbfs > -30, `not silence (${d.rmsDbfs.toFixed(1)} dBFS rms)`);
  t.same(await readdir(join(dir, 'day')), ['ev.opus'], 'no partial left');
});

t.test('the partial grows and decodes while frames are still arriving', async (t) => {
  const dir = await tempDir(t);
  const all = frames(await synthPcm('sine=f=500:d=3'));
  const path = join(dir, 'live.opus');
  const enc = new StreamEncoder({ path, rate: 48000, ffmpeg: 'ffmpeg' });
  const sizes: number[] = [];
  let decodedWhileLive = 0;
  for (let i = 0; i < all.length; i++) {
    enc.feed(all[i]!);
    await sleep(20); // real time
    if (i % 25 === 24) sizes.push((await stat(enc.partialPath).catch(() => ({ size: 0 }))).size);
    if (i === 100) decodedWhileLive = (await decode(enc.partialPath)).durationMs;
  }
  const r = await enc.close();
  t.equal(r.ok, true);
  t.ok(sizes.filter((s) => s > 0).length >= 4, `partial on disk early: ${sizes.join(',')}`);
  t.ok(sizes.every((s, i) => i === 0 || s >= sizes[i - 1]!), 'partial only grows');
  t.ok(sizes.at(-1)! > sizes[1]!, 'partial grows');
  t.ok(decodedWhileLive >= 1000, `partial decodes while live: ${decodedWhileLive} ms of 2020 ms fed`);
});

t.test('WebM container streams too', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'w.webm');
  const enc = new StreamEncoder({ path, rate: 48000, ffmpeg: 'ffmpeg', container: 'webm' }, frames(await synthPcm('sine=d=1')));
  const r = await enc.close();
  t.equal(r.ok, true);
  t.ok(Math.abs((await decode(path)).durationMs - 1000) <= 20);
});

t.test('encodeWav streams a spooled WAV, also one cut off by a crash', async (t) => {
  const dir = await tempDir(t);
  const wav = join(dir, 'ev.wav');
  const w = await WavWriter.create(wav, { rate: 16000 });
  w.write(await synthPcm('sine=f=200:d=2.5', 16000));
  // Not closed: the header still says "unknown size", as after kill -9.
  await new Promise((r) => setTimeout(r, 50));
  const r = await encodeWav(wav, { path: join(dir, 'ev.opus'), ffmpeg: 'ffmpeg' });
  t.match(r, { ok: true, durationMs: 2500 });
  t.ok(Math.abs((await decode(r.path, 16000)).durationMs - 2500) <= 20);
  await w.close();
});

t.test('refuses to replace an existing final file unless asked', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'keep.opus');
  await writeFile(path, 'precious');
  t.throws(() => new StreamEncoder({ path, rate: 48000, ffmpeg: 'ffmpeg' }), { code: 'EEXIST' });
  const enc = new StreamEncoder({ path, rate: 48000, ffmpeg: 'ffmpeg', overwrite: true }, frames(await synthPcm('sine=d=0.5')));
  t.equal((await enc.close()).ok, true);
});

t.test('a stale partial at the same path is replaced', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 's.opus');
  await writeFile(join(dir, 's.partial.opus'), 'stale garbage from a crash');
  const enc = new StreamEncoder({ path, rate: 48000, ffmpeg: 'ffmpeg' }, frames(await synthPcm('sine=d=0.5')));
  const r = await enc.close();
  t.equal(r.ok, true);
  t.ok(Math.abs((await decode(path)).durationMs - 500) <= 20);
});

t.test('fault injection', async (t) => {
  const pcm = await synthPcm('sine=d=2');
  const all = frames(pcm);

  t.test('cat: the lifecycle works and the bytes arrive', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'c.opus');
    const enc = new StreamEncoder({ path, rate: 48000, ffmpeg: join(FIXTURES, 'ffmpeg-cat') }, all.slice(0, 10));
    for (const f of all.slice(10)) enc.feed(f);
    const r = await enc.close();
    t.match(r, { ok: true, bytes: pcm.length, droppedFrames: 0, exitCode: 0 });
    t.same(await readdir(dir), ['c.opus']);
  });

  t.test('exit 1 mid-stream: not ok, stderr kept, no stray files', async (t) => {
    const dir = await tempDir(t);
    const enc = new StreamEncoder({ path: join(dir, 'e.opus'), rate: 48000, ffmpeg: join(FIXTURES, 'ffmpeg-exit1') });
    for (const f of all) {
      enc.feed(f);
      await sleep(1);
    }
    const r = await enc.close();
    t.match(r, { ok: false, exitCode: 1, bytes: 0 });
    t.match(r.error, /status 1/);
    t.match(r.stderrTail, /fake encoder failure/);
    t.ok(r.droppedFrames > 0, `frames after the crash are counted as dropped (${r.droppedFrames})`);
    t.same(await readdir(dir), []);
  });

  t.test('exit 1 with keepPartialOnFailure keeps the partial for inspection', async (t) => {
    const dir = await tempDir(t);
    const enc = new StreamEncoder({ path: join(dir, 'k.opus'), rate: 48000, ffmpeg: join(FIXTURES, 'ffmpeg-exit1'), keepPartialOnFailure: true }, all);
    const r = await enc.close();
    t.equal(r.ok, false);
    t.equal(r.path, join(dir, 'k.partial.opus'));
    t.same(await readdir(dir), ['k.partial.opus']);
  });

  t.test('hang: close() times out, kills it, cleans up', async (t) => {
    const dir = await tempDir(t);
    const enc = new StreamEncoder({ path: join(dir, 'h.opus'), rate: 48000, ffmpeg: join(FIXTURES, 'ffmpeg-hang'), closeTimeoutMs: 500 }, all);
    const started = Date.now();
    const r = await enc.close();
    t.ok(Date.now() - started < 5000, 'close() returned');
    t.match(r, { ok: false, signal: 'SIGKILL' });
    t.match(r.error, /did not exit within 500 ms/);
    t.same(await readdir(dir), []);
  });

  t.test('slow reader: feed never blocks, overflow is counted as dropped frames', async (t) => {
    const dir = await tempDir(t);
    const enc = new StreamEncoder({ path: join(dir, 's.opus'), rate: 48000, ffmpeg: join(FIXTURES, 'ffmpeg-slow'), maxQueueMs: 300, closeTimeoutMs: 20_000 });
    let accepted = 0;
    const t0 = performance.now();
    for (const f of all) if (enc.feed(f)) accepted++;
    const feedMs = performance.now() - t0;
    t.ok(feedMs < 1000, `feeding 2 s of audio returned at once (${feedMs.toFixed(1)} ms)`);
    t.ok(enc.queuedBytes <= 300 * 96, 'queue stays bounded');
    const r = await enc.close();
    t.equal(r.droppedFrames, all.length - accepted);
    t.ok(r.droppedFrames > 0, `${r.droppedFrames} frames dropped`);
    t.match(r, { ok: false, exitCode: 0 });
    t.match(r.error, /frames dropped/);
    t.same(await readdir(dir), []);
  });

  t.test('ffmpeg missing: a failed result, not an exception', async (t) => {
    const dir = await tempDir(t);
    const enc = new StreamEncoder({ path: join(dir, 'm.opus'), rate: 48000, ffmpeg: join(dir, 'no-such-ffmpeg') }, all.slice(0, 5));
    const r = await enc.close();
    t.equal(r.ok, false);
    t.ok(r.error);
    t.same(await readdir(dir), []);
  });
});

t.test('kill -9 of ffmpeg: the partial still decodes up to its last page', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'k9.opus');
  const all = frames(await synthPcm('sine=d=3'));
  const enc = new StreamEncoder({ path, rate: 48000, ffmpeg: 'ffmpeg', keepPartialOnFailure: true });
  for (const f of all.slice(0, 100)) {
    enc.feed(f);
    await sleep(20);
  }
  await sleep(400);
  await execa('pkill', ['-9', '-f', enc.partialPath], { reject: false });
  const r = await enc.close();
  t.equal(r.ok, false);
  const d = await decode(r.path);
  t.ok(d.durationMs >= 1200, `killed partial decodes: ${d.durationMs} ms of 2000 fed`);
});
