// rec-opus-stream end to end with real ffmpeg: the bundled demo through the
// pipeline, live growth of the partial, failures and their exit statuses.
import t from 'tap';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { DEMO, DEMO_TRUTH, FIXTURES, bin, decode, synth, tempDir } from './helpers.js';

function opusStream(args: string[], opts: Record<string, unknown> = {}) {
  return execa('node', [bin('rec-opus-stream'), ...args], { reject: false, ...opts });
}

function resultLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected one result line, got: ${stdout}`);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

t.test('the demo recording through rec-capture | rec-opus-stream', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, '2026-11-26', 'demo.opus');
  const truth = JSON.parse(await readFile(DEMO_TRUTH, 'utf8')) as { durationMs: number };
  const r = await execa('sh', ['-c', `node ${bin('rec-capture')} --input ${DEMO} | node ${bin('rec-opus-stream')} ${out}`], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  const line = resultLine(r.stdout);
  t.match(line, { type: 'encode.finished', ok: true, path: out, droppedFrames: 0, durationMs: truth.durationMs });
  t.equal(line.bytes, (await stat(out)).size);
  const d = await decode(out);
  t.ok(Math.abs(d.durationMs - truth.durationMs) <= 20, `decoded ${d.durationMs} ms, input ${truth.durationMs} ms`);
  t.ok(d.peakDbfs > -15, `not silence: peak ${d.peakDbfs.toFixed(1)} dBFS`);
  t.same(await readdir(join(dir, '2026-11-26')), ['demo.opus'], 'no partial left behind');
});

t.test('at real-time pace the partial grows and decodes before the input ends', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'live.opus');
  const partial = join(dir, 'live.partial.opus');
  // The demo's first speech starts at 3 s; 5 s of it in real time.
  const pipeline = execa('sh', ['-c', `node ${bin('rec-capture')} --input ${DEMO} --realtime --duration 5 | node ${bin('rec-opus-stream')} ${out}`], {
    reject: false,
  });
  const seen: Array<{ atMs: number; bytes: number; decodedMs: number }> = [];
  const t0 = performance.now();
  while (pipeline.exitCode === null && performance.now() - t0 < 15_000) {
    await sleep(700);
    const bytes = (await stat(partial).catch(() => undefined))?.size;
    // The partial exists from the start with only its Ogg headers; count it once it holds audio.
    const decodedMs = bytes ? (await decode(partial)).durationMs : 0;
    if (bytes && decodedMs > 0) seen.push({ atMs: Math.round(performance.now() - t0), bytes, decodedMs });
    if (seen.length >= 4) break;
  }
  const r = await pipeline;
  t.equal(r.exitCode, 0, r.stderr);
  t.ok(seen.length >= 3, `partial observed while live: ${JSON.stringify(seen)}`);
  t.ok(seen.at(-1)!.bytes > seen[0]!.bytes, 'it grows');
  t.ok(seen.at(-1)!.decodedMs > seen[0]!.decodedMs, 'and decodes more and more audio');
  t.ok(Math.abs((await decode(out)).durationMs - 5000) <= 20, 'final file is complete');
  t.same(await readdir(dir), ['live.opus']);
});

t.test('--input WAV, --container webm, --bitrate', async (t) => {
  const dir = await tempDir(t);
  const wav = await synth(join(dir, 'ev.wav'), 'sine=f=300:d=2', ['-ar', '16000', '-ac', '1']);
  const r = await opusStream(['--input', wav, '--bitrate', '24', join(dir, 'ev.webm')]);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(resultLine(r.stdout), { ok: true, path: join(dir, 'ev.webm'), durationMs: 2000 });
  t.ok(Math.abs((await decode(join(dir, 'ev.webm'), 16000)).durationMs - 2000) <= 20);
  const noExt = await opusStream(['--input', wav, '--container', 'webm', join(dir, 'plain')]);
  t.match(resultLine(noExt.stdout), { ok: true, path: join(dir, 'plain.webm') });
});

t.test('SIGTERM finishes the file with what has arrived', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'stopped.opus');
  const sh = execa('sh', ['-c', `node ${bin('rec-capture')} --input ${DEMO} --realtime | node ${bin('rec-opus-stream')} ${out}`], { reject: false });
  // Wait until a second of audio is in the partial, then stop only the encoder.
  const partial = join(dir, 'stopped.partial.opus');
  let before = 0;
  for (let i = 0; i < 100 && before < 1000; i++) {
    await sleep(200);
    if (await stat(partial).catch(() => undefined)) before = (await decode(partial)).durationMs;
  }
  await execa('pkill', ['-TERM', '-f', `^node .*rec-opus-stream.js ${out}`]);
  const r = await sh;
  t.equal(r.exitCode, 0, r.stderr);
  const line = resultLine(r.stdout);
  t.match(line, { ok: true, path: out });
  const d = await decode(out);
  t.ok(d.durationMs >= before && d.durationMs < 20_000, `kept ${d.durationMs} ms (partial had ${before} ms)`);
  t.ok(Math.abs(d.durationMs - (line.durationMs as number)) <= 20, 'everything fed is in the file');
});

t.test('Ctrl-C (SIGINT to the whole process group) keeps what was recorded', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'ctrl-c.opus');
  const sh = execa('sh', ['-c', `node ${bin('rec-capture')} --input ${DEMO} --realtime | node ${bin('rec-opus-stream')} ${out}`], {
    reject: false,
    detached: true, // its own process group, as a terminal's foreground job
  });
  const partial = join(dir, 'ctrl-c.partial.opus');
  for (let i = 0; i < 100 && !((await stat(partial).catch(() => undefined))?.size ?? 0); i++) await sleep(100);
  await sleep(1000);
  process.kill(-sh.pid!, 'SIGINT');
  const r = await sh;
  const line = resultLine(r.stdout);
  t.match(line, { ok: true, path: out });
  const d = await decode(out);
  t.ok(d.durationMs > 500, `kept ${d.durationMs} ms`);
  t.ok(Math.abs(d.durationMs - (line.durationMs as number)) <= 20);
  t.same(await readdir(dir), ['ctrl-c.opus']);
});

t.test('encoder failure: exit 1, ok:false line, no stray files', async (t) => {
  const dir = await tempDir(t);
  const wav = await synth(join(dir, 'a.wav'), 'sine=d=2', ['-ac', '1']);
  const r = await opusStream(['--input', wav, '--ffmpeg', join(FIXTURES, 'ffmpeg-exit1'), join(dir, 'a.opus')]);
  t.equal(r.exitCode, 1);
  t.match(resultLine(r.stdout), { type: 'encode.finished', ok: false, exitCode: 1 });
  t.match(r.stderr, /encoding failed/);
  t.same((await readdir(dir)).sort(), ['a.wav']);
});

t.test('exit statuses for bad input and output', async (t) => {
  const dir = await tempDir(t);
  const stereo = await synth(join(dir, 'st.wav'), 'sine=d=0.5', ['-ac', '2']);
  const mono = await synth(join(dir, 'm.wav'), 'sine=d=0.5', ['-ac', '1']);
  await writeFile(join(dir, 'exists.opus'), 'keep me');
  await writeFile(join(dir, 'junk.wav'), 'junk junk junk junk');
  const cases: Array<[string[], number, RegExp]> = [
    [['--input', join(dir, 'none.wav'), join(dir, 'o.opus')], 66, /no such file/],
    [['--input', stereo, join(dir, 'o.opus')], 65, /expected 16-bit PCM mono/],
    [['--input', join(dir, 'junk.wav'), join(dir, 'o.opus')], 65, /not a RIFF/],
    [['--input', mono, join(dir, 'exists.opus')], 73, /already exists; use --force/],
    [['--input', mono, '--ffmpeg', join(dir, 'no-ffmpeg'), join(dir, 'o.opus')], 69, /not found or not executable/],
    [['--input', mono, join(dir, 'exists.opus', 'sub', 'o.opus')], 73, /cannot create directory/],
    [['--input', mono, '--complexity', '11', join(dir, 'o.opus')], 64, /--complexity: must be from 0 to 10, got 11/],
    [['--input', mono], 64, /Not enough non-option arguments/],
  ];
  for (const [args, code, message] of cases) {
    const r = await opusStream(args);
    t.equal(r.exitCode, code, `${args.join(' ')} → ${code}`);
    t.match(r.stderr, message);
    t.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
  }
  const envForce = await opusStream(['--input', mono, join(dir, 'exists.opus')], { env: { REC_FORCE: '1', REC_INPUT: '/dev/null' } });
  t.equal(envForce.exitCode, 73, 'per-invocation flags (--force, --input) are never taken from the environment');
  t.equal(await readFile(join(dir, 'exists.opus'), 'utf8'), 'keep me', 'existing file untouched');
  // A partial may be another encoder's live file: not replaced without --force.
  await writeFile(join(dir, 'live.partial.opus'), 'someone else is writing this');
  const live = await opusStream(['--input', mono, join(dir, 'live.opus')]);
  t.equal(live.exitCode, 73);
  t.match(live.stderr, /live\.partial\.opus: already exists .*--force/);
  t.equal(await readFile(join(dir, 'live.partial.opus'), 'utf8'), 'someone else is writing this');
  const empty = await opusStream([join(dir, 'empty.opus')], { input: '' });
  t.equal(empty.exitCode, 1, 'no audio on stdin is a failed encode');
  t.match(resultLine(empty.stdout), { ok: false, error: 'no audio to encode' });
  const full = await execa('sh', ['-c', `node ${bin('rec-opus-stream')} --input ${mono} ${join(dir, 'full.opus')} > /dev/full`], { reject: false });
  t.equal(full.exitCode, 74, 'result line cannot be written: 74');
  t.notOk((await readdir(dir)).some((f) => f.startsWith('o.')), 'nothing written on error');
  const forced = await opusStream(['--input', mono, '--force', join(dir, 'exists.opus')]);
  t.equal(forced.exitCode, 0);
});
