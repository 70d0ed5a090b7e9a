// rec-capture end to end: decoding real files, real-time pacing, filters, a
// dying fake arecord that must be restarted, and the error paths.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { FIXTURES, bin, measurePcm, synth, tempDir } from './helpers.js';
import { supervise } from '../src/capture/supervisor.js';

function capture(args: string[], opts: { env?: Record<string, string> } = {}) {
  return execa('node', [bin('rec-capture'), ...args], { encoding: 'buffer', reject: false, ...opts });
}

t.test('--input mp3/wav/opus gives exactly the right number of PCM bytes', async (t) => {
  const dir = await tempDir(t);
  // 1.5 s, stereo, at a rate that needs resampling for mp3 and wav.
  const files = {
    mp3: await synth(join(dir, 't.mp3'), 'sine=f=440:d=1.5', ['-ar', '44100', '-ac', '2']),
    wav: await synth(join(dir, 't.wav'), 'sine=f=440:d=1.5', ['-ar', '22050', '-ac', '2']),
    opus: await synth(join(dir, 't.opus'), 'sine=f=440:d=1.5', ['-ar', '48000', '-ac', '2']),
  };
  for (const [kind, file] of Object.entries(files)) {
    const r = await capture(['--input', file]);
    t.equal(r.exitCode, 0, `${kind}: exit 0`);
    t.equal(r.stdout.length, 1.5 * 48000 * 2, `${kind}: 1.5 s of 48 kHz mono s16le`);
    t.ok(measurePcm(Buffer.from(r.stdout)).rmsDbfs > -30, `${kind}: not silence`);
  }
  const r16 = await capture(['--input', files.wav, '--rate', '16000']);
  t.equal(r16.stdout.length, 1.5 * 16000 * 2, '--rate 16000');
});

t.test('--input - decodes stdin; --duration cuts exactly', async (t) => {
  const dir = await tempDir(t);
  const file = await synth(join(dir, 'in.wav'), 'sine=d=2');
  const r = await execa('node', [bin('rec-capture'), '--input', '-', '--duration', '0.73'], { inputFile: file, encoding: 'buffer', reject: false });
  t.equal(r.exitCode, 0);
  t.equal(r.stdout.length, Math.round(0.73 * 48000) * 2);
});

t.test('--gain and --highpass are applied', async (t) => {
  const dir = await tempDir(t);
  const file = await synth(join(dir, 'low.wav'), 'sine=f=100:d=1');
  const plain = measurePcm(Buffer.from((await capture(['--input', file])).stdout));
  const quieter = measurePcm(Buffer.from((await capture(['--input', file, '--gain', '-20'])).stdout));
  t.ok(Math.abs(plain.rmsDbfs - quieter.rmsDbfs - 20) < 0.5, `gain -20 dB: ${plain.rmsDbfs.toFixed(1)} → ${quieter.rmsDbfs.toFixed(1)}`);
  const filtered = measurePcm(Buffer.from((await capture(['--input', file, '--highpass', '1000'])).stdout));
  t.ok(plain.rmsDbfs - filtered.rmsDbfs > 15, `100 Hz tone through a 1 kHz high-pass: ${filtered.rmsDbfs.toFixed(1)} dBFS`);
});

t.test('--realtime paces the output at real time', async (t) => {
  const dir = await tempDir(t);
  const file = await synth(join(dir, 'rt.wav'), 'sine=d=1.5');
  const child = execa('node', [bin('rec-capture'), '--input', file, '--realtime'], { encoding: 'buffer', buffer: false, reject: false });
  let first = 0;
  let bytes = 0;
  for await (const chunk of child.stdout) {
    first ||= performance.now();
    bytes += chunk.length;
  }
  const elapsed = performance.now() - first;
  t.equal(bytes, 144000);
  // 1.48 s from the first frame to the last; a margin for a loaded machine.
  t.ok(elapsed > 1350 && elapsed < 2500, `1.5 s of audio took ${elapsed.toFixed(0)} ms`);
  t.equal((await child).exitCode, 0);
});

t.test('a source that keeps dying is restarted and the stream stays frame-aligned', async (t) => {
  const dir = await tempDir(t);
  const counter = join(dir, 'starts');
  const r = await capture(['--device', 'fake', '--arecord', join(FIXTURES, 'arecord-dies.mjs'), '--retry-delay', '0.05', '--duration', '1'], {
    env: { FAKE_ARECORD_COUNTER: counter },
  });
  t.equal(r.exitCode, 0);
  const pcm = Buffer.from(r.stdout);
  t.equal(pcm.length, 96000, 'exactly 1 s of audio');
  const starts = (await readFile(counter, 'utf8')).length;
  t.ok(starts >= 4, `arecord started ${starts} times`);
  // Every frame carries one value; a misaligned frame would mix two, or the 0x7f7f tail.
  let mixed = 0;
  const values = new Set<number>();
  for (let off = 0; off < pcm.length; off += 1920) {
    const v = pcm.readInt16LE(off);
    values.add(v);
    for (let s = off; s < off + 1920; s += 2) if (pcm.readInt16LE(s) !== v) mixed++;
  }
  t.equal(mixed, 0, 'no half frames or garbage downstream');
  t.equal(values.size, 50, 'every frame is a distinct real frame');
  const stderr = Buffer.from(r.stderr).toString();
  t.match(stderr, /capture source lost \(arecord exited with status 1: arecord: main:831: audio open error/);
  t.match(stderr, /partial frame dropped/);
});

t.test('a source that stalls without exiting is killed after --stall-timeout and started again', async (t) => {
  const dir = await tempDir(t);
  const counter = join(dir, 'starts');
  const hangs = ['--device', 'fake', '--arecord', join(FIXTURES, 'arecord-dies.mjs'), '--retry-delay', '0.05', '--duration', '0.6'];
  const t0 = performance.now();
  const r = await capture([...hangs, '--stall-timeout', '1'], { env: { FAKE_ARECORD_COUNTER: counter, FAKE_ARECORD_HANG: '1' } });
  const elapsed = performance.now() - t0;
  t.equal(r.exitCode, 0);
  const pcm = Buffer.from(r.stdout);
  t.equal(pcm.length, 57600, '0.6 s of audio: 0.3 s from each run');
  t.equal((await readFile(counter, 'utf8')).length, 2, 'the hung source was started again once');
  t.equal(pcm.readInt16LE(pcm.length - 2), 2014, 'the last frame is the second run\'s');
  t.ok(elapsed >= 1000, `the restart waited for the stall timeout (${elapsed.toFixed(0)} ms)`);
  t.match(Buffer.from(r.stderr).toString(), /capture source stalled: no audio for 1\.0 s; restarting it/);
  // Without the watchdog the same source hangs for good.
  const startsOff = join(dir, 'starts-off');
  const off = execa('node', [bin('rec-capture'), ...hangs, '--stall-timeout', '0'], { env: { FAKE_ARECORD_COUNTER: startsOff, FAKE_ARECORD_HANG: '1' }, reject: false, encoding: 'buffer' });
  t.teardown(() => void off.kill('SIGKILL'));
  // From the moment the source has started (Node's start-up is slow on a loaded machine).
  for (let i = 0; i < 200 && !(await readFile(startsOff, 'utf8').catch(() => '')); i++) await sleep(50);
  await sleep(2500);
  t.equal(off.exitCode, null, 'with --stall-timeout 0 it is still waiting 2.5 s after its source started');
  t.equal(await readFile(startsOff, 'utf8').catch(() => ''), 'x', 'on its first run');
  off.kill('SIGTERM');
  await off;
});

t.test('a source restarted many times leaves nothing behind on the output per run', async (t) => {
  // In-process, with a shell for arecord (it starts in milliseconds): 0.3 s of
  // frames, then alive and silent; the watchdog at 0.2 s restarts it each time.
  const out = new PassThrough();
  const before = Object.fromEntries(out.eventNames().map((e) => [String(e), out.listenerCount(e)]));
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const stop = new AbortController();
  let bytes = 0;
  out.on('data', (c: Buffer) => {
    bytes += c.length;
    if (bytes >= 12 * 28800) stop.abort();
  });
  const r = await supervise({
    stages: [{ program: 'arecord', args: ['-c', 'head -c 28800 /dev/zero; exec sleep 30'] }],
    programs: { arecord: '/bin/sh', ffmpeg: '' },
    policy: 'always',
    frameBytes: 1920,
    out,
    log: pino({ level: 'silent' }),
    retryDelayMs: 10,
    stallTimeoutMs: 200,
    signal: stop.signal,
  });
  t.ok(r.runs >= 12, `${r.runs} runs`);
  const after = Object.fromEntries(out.eventNames().map((e) => [String(e), out.listenerCount(e)]));
  t.same(after, { ...before, data: 1 }, 'the output has the listeners it had before (plus the test\'s reader)');
  t.same(warnings, [], 'no MaxListenersExceededWarning');
});

t.test('a reader downstream that stops taking audio for a while is not a stalled source', async (t) => {
  const dir = await tempDir(t);
  const counter = join(dir, 'starts');
  // The reader takes nothing for 4 s: the pipe fills and rec-capture waits on it.
  const cmd = `node ${bin('rec-capture')} --device fake --arecord ${join(FIXTURES, 'arecord-steady.mjs')} --stall-timeout 1 --duration 6 | (sleep 4; cat > ${join(dir, 'out.pcm')})`;
  const r = await execa('sh', ['-c', cmd], { env: { FAKE_ARECORD_COUNTER: counter }, reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.notMatch(r.stderr, /stalled/, 'no stall reported');
  t.equal(await readFile(counter, 'utf8'), 'x', 'the source ran once, never restarted');
  t.equal((await readFile(join(dir, 'out.pcm'))).length, 6 * 96000, 'all 6 s arrived');
});

t.test('--channels 2 opens the device in stereo and downmixes to mono', async (t) => {
  const tone = join(FIXTURES, 'arecord-tone.mjs');
  const mono = await capture(['--device', 'fake', '--arecord', tone, '--duration', '0.5']);
  const stereo = await capture(['--device', 'fake', '--arecord', tone, '--channels', '2', '--duration', '0.5']);
  t.equal(mono.exitCode, 0);
  t.equal(stereo.exitCode, 0, Buffer.from(stereo.stderr).toString());
  t.equal(stereo.stdout.length, 48000, '0.5 s of mono');
  const m = measurePcm(Buffer.from(mono.stdout));
  const s = measurePcm(Buffer.from(stereo.stdout));
  // Tone on the left channel only: the mono mix is the average, 6 dB lower.
  t.ok(Math.abs(m.rmsDbfs - s.rmsDbfs - 6.02) < 0.5, `mono ${m.rmsDbfs.toFixed(1)} dBFS, stereo downmix ${s.rmsDbfs.toFixed(1)} dBFS`);
});

t.test('usage errors: exit 64 with one line on stderr', async (t) => {
  const cases = [
    ['--input', 'x.wav', '--rate', '44100'],
    ['--device', 'hw:1', '--input', 'x.wav'],
    [],
    ['--input', 'x.wav', '--bogus'],
    ['--device', 'hw:1', '--realtime'],
    ['--input', 'x.wav', '--gain', 'loud'],
  ];
  for (const args of cases) {
    const r = await capture(args);
    const stderr = Buffer.from(r.stderr).toString();
    t.equal(r.exitCode, 64, `${args.join(' ')} → 64`);
    t.equal(stderr.trimEnd().split('\n').length, 1, `one line: ${stderr.trim()}`);
    t.match(stderr, /^rec-capture: /);
  }
  const help = await capture(['--help']);
  t.equal(help.exitCode, 0, '--help exits 0');
  t.match(Buffer.from(help.stdout).toString(), /--realtime/);
  const env = await capture(['--input', 'x.wav'], { env: { REC_RATE: 'fast', REC_OUT: '/elsewhere' } });
  t.equal(env.exitCode, 64, 'bad REC_RATE is a usage error; REC_OUT (another tool\'s) is ignored');
  t.match(Buffer.from(env.stderr).toString(), /--rate: not a number/);
});

t.test('REC_* variables: a typed --input wins over REC_DEVICE', async (t) => {
  const dir = await tempDir(t);
  const file = await synth(join(dir, 'a.wav'), 'sine=d=0.5');
  const r = await capture(['--input', file], { env: { REC_DEVICE: 'hw:7', REC_RATE: '16000' } });
  t.equal(r.exitCode, 0, Buffer.from(r.stderr).toString());
  t.equal(r.stdout.length, 16000, 'REC_RATE applied: 0.5 s at 16 kHz');
});

t.test('a full disk behind stdout is an I/O error (74), not a crash', async (t) => {
  const dir = await tempDir(t);
  const file = await synth(join(dir, 'a.wav'), 'sine=d=2');
  const r = await execa('sh', ['-c', `node ${bin('rec-capture')} --input ${file} > /dev/full`], { reject: false });
  t.equal(r.exitCode, 74);
  t.match(r.stderr, /^rec-capture: cannot write PCM to stdout: .*no space left/);
  t.equal(r.stderr.trimEnd().split('\n').length, 1);
});

t.test('missing program 69, missing input 66, undecodable input 65', async (t) => {
  const dir = await tempDir(t);
  const file = await synth(join(dir, 'ok.wav'), 'sine=d=0.2');
  const noFfmpeg = await capture(['--input', file], { env: { REC_FFMPEG: join(dir, 'nope') } });
  t.equal(noFfmpeg.exitCode, 69);
  t.match(Buffer.from(noFfmpeg.stderr).toString(), /^rec-capture: .*nope: not found/);
  const noArecord = await capture(['--device', 'hw:9', '--arecord', 'no-such-arecord-here']);
  t.equal(noArecord.exitCode, 69);
  t.match(Buffer.from(noArecord.stderr).toString(), /not found on PATH/);
  const missing = await capture(['--input', join(dir, 'missing.mp3')]);
  t.equal(missing.exitCode, 66);
  const junk = join(dir, 'junk.mp3');
  await execa('sh', ['-c', `head -c 5000 /dev/urandom > ${junk}`]);
  const bad = await capture(['--input', junk]);
  t.equal(bad.exitCode, 65);
  t.match(Buffer.from(bad.stderr).toString(), /^rec-capture: cannot decode/);
});

t.test('a closed downstream pipe ends it quietly with 0', async (t) => {
  const dir = await tempDir(t);
  const file = await synth(join(dir, 'long.wav'), 'sine=d=30');
  const r = await execa('sh', ['-c', `node ${bin('rec-capture')} --input ${file} | head -c 1000 > /dev/null; echo "status=\${PIPESTATUS:-$?}"`], {
    shell: false,
    reject: false,
  });
  t.equal(r.exitCode, 0);
  const child = execa('node', [bin('rec-capture'), '--input', file], { buffer: false, reject: false });
  for await (const _chunk of child.stdout) break;
  child.stdout.destroy();
  const res = await child;
  t.equal(res.exitCode, 0, 'EPIPE → exit 0');
  t.equal(String(res.stderr ?? ''), '', 'no error message');
});

t.test('refuses to write PCM to a terminal', async (t) => {
  const dir = await tempDir(t);
  const file = await synth(join(dir, 'a.wav'), 'sine=d=0.2');
  // script(1) gives the tool a pseudo-terminal as stdout.
  const r = await execa('script', ['-qec', `node ${bin('rec-capture')} --input ${file}`, '/dev/null'], { reject: false });
  t.equal(r.exitCode, 64);
  t.match(r.stdout, /refusing to write raw PCM to a terminal/);
});
