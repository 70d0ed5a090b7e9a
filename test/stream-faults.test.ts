// Streaming encode under fault injection, in a live (real-time) pipeline: an
// encoder that cannot start, hangs, is killed mid-event or is too slow. Every
// time the event's WAV is intact and its job says `offline-needed`, no partial
// leaks, and rec-segment keeps real time; a slow encoder suspends streaming.
import t, { type Test } from 'tap';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { FIXTURES, bin, decode, lines, livePipeline, synth, tempDir } from './helpers.js';
import { StreamHealth } from '../src/segment/stream-health.js';
import { cannotMount, mount, umount } from './faults/disk.js';
import type { EventFinished, EventStarted, SegmenterStatus } from '../src/lib/contracts.js';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map(String);
}

/** The checks every fault shares: WAV whole, job written, no partial, no gap. */
async function assertFellBackToWav(t: Test, out: string, finished: EventFinished[], streamed = finished.length) {
  t.ok(finished.length >= 1, 'the event finished');
  for (const e of finished) {
    t.equal(e.encode.mode, 'offline-needed', `event ${e.id}: the WAV is to be encoded afterwards`);
    const wav = await decode(e.wav);
    t.ok(Math.abs(wav.durationMs - e.durationMs) <= 20, `WAV holds the whole event (${wav.durationMs} vs ${e.durationMs} ms)`);
    const job = JSON.parse(await readFile(join(out, '.spool', `${e.id}.job.json`), 'utf8')) as EventFinished;
    t.equal(job.encode.mode, 'offline-needed', 'the job says so too');
  }
  const files = await filesUnder(out);
  t.same(files.filter((f) => f.includes('.partial.')), [], 'no partial left behind');
  t.same(files.filter((f) => /\d\.opus$|_[0-9a-f]+\.opus$/.test(f)), [], 'no final file from a failed encode');
  const status = JSON.parse(await readFile(join(out, '.spool', 'segmenter_status.json'), 'utf8')) as SegmenterStatus;
  t.equal(status.input.gaps, 0, 'rec-segment kept real time (the input never fell behind)');
  t.equal(status.streamingEncode.failures, streamed, 'each failed stream counted in the status');
  // rec-sidecars then makes every event whole from its WAV.
  const side = await execa('node', [bin('rec-sidecars'), '--out', out], { reject: false, stdin: 'ignore' });
  t.equal(side.exitCode, 0, side.stderr);
  for (const e of finished) {
    const opus = await decode(e.opus!);
    t.ok(Math.abs(opus.durationMs - e.durationMs) <= 20, `after rec-sidecars, ${e.stem}.opus holds the whole event (${opus.durationMs} ms)`);
  }
  const spool = (await readdir(join(out, '.spool'))).filter((f) => !f.endsWith('_status.json'));
  t.same(spool, [], 'and the spool is empty');
  return status;
}

const finishedOf = (stdout: string) => lines(stdout).filter((e): e is EventFinished => e.type === 'event.finished');

t.test('encoder that exits 1 at start', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const tone = await synth(join(dir, 'tone.wav'), 'sine=f=300:d=3,adelay=1000,apad=pad_dur=2', ['-ac', '1']);
  const r = await livePipeline(t, tone, out, ['--hang', '1', '--ffmpeg', join(FIXTURES, 'ffmpeg-fail-start')]).run();
  t.equal(r.exitCode, 0, r.stderr);
  const finished = finishedOf(r.stdout);
  await assertFellBackToWav(t, out, finished);
  t.match(finished[0]!.encode.error, /status 1/);
});

t.test('encoder that hangs: killed after the close timeout', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const tone = await synth(join(dir, 'tone.wav'), 'sine=f=300:d=2,adelay=1000,apad=pad_dur=2', ['-ac', '1']);
  const r = await livePipeline(t, tone, out, ['--hang', '1', '--ffmpeg', join(FIXTURES, 'ffmpeg-hang')]).run();
  t.equal(r.exitCode, 0, r.stderr);
  const finished = finishedOf(r.stdout);
  await assertFellBackToWav(t, out, finished);
  t.match(finished[0]!.encode.error, /did not exit/);
});

t.test('real ffmpeg killed mid-event', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const tone = await synth(join(dir, 'tone.wav'), 'sine=f=300:d=4,adelay=1000,apad=pad_dur=2', ['-ac', '1']);
  const live = livePipeline(t, tone, out, ['--hang', '1']);
  const run = live.run();
  await live.eventStarted();
  await sleep(1000);
  const killed = await execa('pkill', ['-KILL', '-f', `${out}/.*partial`], { reject: false });
  t.equal(killed.exitCode, 0, 'an ffmpeg was writing the partial and got killed');
  const r = await run;
  t.equal(r.exitCode, 0, r.stderr);
  const finished = finishedOf(r.stdout);
  await assertFellBackToWav(t, out, finished);
  t.match(finished[0]!.encode.error, /SIGKILL/);
});

t.test('an encoder too slow for real time: events fall back, then streaming is suspended', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  // Three 6 s bursts, 4 s apart; the fake encoder takes audio at half real time.
  const src = "aevalsrc='0.4*sin(2*PI*300*t)*gt(t,1)*lt(mod(t,10),7)':d=28:s=48000";
  const tone = await synth(join(dir, 'bursts.wav'), src, ['-ac', '1']);
  const r = await livePipeline(t, tone, out, ['--hang', '1', '--ffmpeg', join(FIXTURES, 'ffmpeg-slow')]).run();
  t.equal(r.exitCode, 0, r.stderr);
  const events = lines(r.stdout);
  const started = events.filter((e): e is EventStarted => e.type === 'event.started');
  const finished = finishedOf(r.stdout);
  t.equal(finished.length, 3, 'three events');
  const status = await assertFellBackToWav(t, out, finished, 2);
  t.match(finished[0]!.encode.error, /overflow|dropped/, 'the queue overflowed');
  t.ok(started[0]!.partial && started[1]!.partial, 'the first two events were streamed');
  t.equal(started[2]!.partial, null, 'the third was not: streaming was suspended');
  t.match(status.streamingEncode, { suspended: true, failures: 2 });
  t.ok(Date.parse(status.streamingEncode.suspendedUntil!) > Date.now(), 'suspended until a time to come');
  t.match(r.stderr, /streaming encode suspended/);
});

t.test('stale partials without a WAV: finalised when they decode, kept aside when not, left alone when a job claims them', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const day = join(out, '2026-11-26');
  await mkdir(day, { recursive: true });
  await mkdir(join(out, '.spool'), { recursive: true });
  // A partial cut off by kill -9: a real Ogg Opus file truncated mid-page.
  const whole = await synth(join(dir, 'whole.opus'), 'sine=f=440:d=5', ['-ac', '1', '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg']);
  const bytes = await readFile(whole);
  await writeFile(join(day, '10-00-00_vad_aaaa.partial.opus'), bytes.subarray(0, 12000));
  await writeFile(join(day, '10-01-00_vad_bbbb.partial.opus'), Buffer.from('not audio at all'));
  await writeFile(join(day, '10-02-00_vad_cccc.partial.opus'), bytes);
  const claimedFinal = join(day, '10-02-00_vad_cccc.opus');
  // The claim is the job's names (its "opus" path is only a hint of the container: paths are never taken from a job).
  const id = '20261126T100200Z-cccc';
  await writeFile(join(out, '.spool', `${id}.job.json`), JSON.stringify({ type: 'event.finished', id, day: '2026-11-26', stem: '10-02-00_vad_cccc', opus: claimedFinal }));
  const r = await execa('node', [bin('rec-segment'), '--out', out], { input: '', reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  const files = (await readdir(day)).sort();
  t.same(files, ['10-00-00_vad_aaaa.opus', '10-01-00_vad_bbbb.opus.broken', '10-02-00_vad_cccc.partial.opus']);
  const fixed = await decode(join(day, '10-00-00_vad_aaaa.opus'));
  t.ok(fixed.durationMs > 1000 && fixed.durationMs < 5000, `the cut-off file keeps what it held (${fixed.durationMs} ms)`);
  t.equal(await readFile(join(day, '10-01-00_vad_bbbb.opus.broken'), 'utf8'), 'not audio at all', 'the broken one is kept byte for byte');
  t.match(r.stderr, /finalised a partial/);
  t.match(r.stderr, /does not decode; moved aside/);
});

t.test(
  'the recordings directory turns read-only as the encoder starts: the event still gets its job, and its partial goes once it can',
  { skip: (await cannotMount()) ?? false },
  async (t) => {
    const dir = await tempDir(t);
    // The recordings on their own tmpfs (the spool stays writable), made read-only by
    // the "ffmpeg" itself: after the partial was created, before ffmpeg could open it.
    const out = await mkdtemp(join(tmpdir(), 'rec-ro-'));
    await mount(out, 4);
    t.teardown(async () => {
      await umount(out);
      await rm(out, { recursive: true, force: true });
    });
    const spool = join(dir, 'spool');
    const ffmpeg = join(dir, 'ffmpeg-ro');
    await writeFile(ffmpeg, `#!/bin/sh\nmount -o remount,ro ${out}\necho "fake encoder: Read-only file system" >&2\nexit 1\n`, { mode: 0o755 });
    const tone = await synth(join(dir, 'tone.wav'), 'sine=f=300:d=3,adelay=1000,apad=pad_dur=9', ['-ac', '1']);
    const run = livePipeline(t, tone, out, ['--hang', '1', '--spool', spool, '--ffmpeg', ffmpeg]).run();
    const listPartials = async () => (await readdir(out, { recursive: true })).map(String).filter((f) => f.includes('.partial.'));
    let job: string | undefined;
    for (let i = 0; i < 100 && !job; i++) {
      await sleep(100);
      job = (await readdir(spool).catch(() => [] as string[])).find((f) => f.endsWith('.job.json'));
    }
    t.ok(job, 'the event got its job while the directory was read-only');
    t.equal((await listPartials()).length, 1, 'its partial could not be removed yet');
    t.same((await readdir(spool)).filter((f) => f.endsWith('.started.json')), [], 'and its start record is gone');
    await execa('mount', ['-o', 'remount,rw', out]);
    const r = await run;
    t.equal(r.exitCode, 0, r.stderr);
    t.same(await listPartials(), [], 'the partial was removed once the directory was writable again');
    t.match(r.stderr, /removed the partial of a failed encode/);
    const finished = finishedOf(r.stdout);
    t.equal(finished.length, 1, 'one event');
    t.equal(finished[0]!.encode.mode, 'offline-needed', 'its WAV is to be encoded afterwards');
    const side = await execa('node', [bin('rec-sidecars'), '--out', out, '--spool', spool, '--min-free', '1'], { reject: false, stdin: 'ignore' });
    t.equal(side.exitCode, 0, side.stderr);
    const opus = await decode(finished[0]!.opus!);
    t.ok(Math.abs(opus.durationMs - finished[0]!.durationMs) <= 20, `after rec-sidecars the recording holds the whole event (${opus.durationMs} ms)`);
  },
);

t.test('stream health: two bad events suspend, a bad trial doubles the pause, a good one ends it', async (t) => {
  const h = new StreamHealth({ strikes: 2, firstPauseMs: 1000, maxPauseMs: 3000 });
  t.equal(h.record('late', 'slow', 0), false, 'one bad event is forgiven');
  t.equal(h.record('ok', '', 10), false);
  t.equal(h.record('failed', 'x', 20), false, 'the count starts again after a good event');
  t.equal(h.record('late', 'slow', 30), true, 'two in a row suspend');
  t.equal(h.allowed(500), false);
  t.equal(h.suspendedUntil(500), 1030);
  t.equal(h.allowed(1030), true, 'the trial after the pause');
  t.equal(h.record('late', 'slow', 1100), true, 'a bad trial suspends again at once');
  t.equal(h.suspendedUntil(1200), 3100, 'for twice as long');
  h.record('failed', 'x', 3200);
  t.equal(h.suspendedUntil(3300), 6200, 'capped at maxPauseMs');
  t.equal(h.record('ok', '', 6300), false);
  t.equal(h.reason, null, 'healthy again');
  t.equal(h.record('late', 'slow', 6400), false, 'and forgiving again');
});

t.test('a healthy encoder in real time is never late and streaming is never suspended', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  // Three 2 s bursts, back to back as events (pre-roll 2 s + hang 1 s fill the gaps).
  const tone = await synth(join(dir, 'bursts.wav'), "aevalsrc='0.3*sin(2*PI*350*t)*gt(t,1)*lt(mod(t-1,5),2)':d=16:s=48000", ['-ac', '1']);
  const r = await livePipeline(t, tone, out, ['--hang', '1']).run();
  t.equal(r.exitCode, 0, r.stderr);
  const started = lines(r.stdout).filter((e): e is EventStarted => e.type === 'event.started');
  t.equal(started.length, 3);
  t.ok(started.every((e) => e.partial !== null), 'every event streamed');
  t.ok(finishedOf(r.stdout).every((e) => e.encode.mode === 'stream'), 'and every stream made it');
  const status = JSON.parse(await readFile(join(out, '.spool', 'segmenter_status.json'), 'utf8')) as SegmenterStatus;
  t.match(status.streamingEncode, { late: 0, failures: 0, suspended: false });
  t.notMatch(r.stderr, /behind real time/);
});
