// rec-segment end to end on real audio: the bundled demo scored against its
// ground truth, WAVs, jobs, event lines and status checked against the schemas,
// streaming encode, splitting, manual control, shutdown and crash recovery.
import t from 'tap';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { DEMO, DEMO_TRUTH, bin, decode, lines, livePipeline, segmentFile, synth, tempDir } from './helpers.js';
import { schemaError, type EventFinished, type EventLine } from '../src/lib/contracts.js';
import { readWavInfo } from '../src/lib/wav.js';
import { scoreEvents, type TruthEvent } from '../src/segment/score.js';
import { eventName } from '../src/segment/naming.js';

t.test('the demo: every true event caught, no onset clipped, outputs as the contracts say', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const r = await segmentFile(DEMO, out, ['--no-stream-encode']);
  t.equal(r.exitCode, 0, r.stderr);
  const events = lines(r.stdout);
  for (const e of events) t.equal(schemaError('event.schema.json', e), null, `${e.type} line matches the schema`);
  const finished = events.filter((e): e is EventFinished => e.type === 'event.finished');
  const truth = JSON.parse(await readFile(DEMO_TRUTH, 'utf8')) as { durationMs: number; events: TruthEvent[] };
  const score = scoreEvents(truth.events, finished, truth.durationMs);
  t.equal(score.recall, 1, `recall ${score.recall}, missed ${JSON.stringify(score.missed)}`);
  t.equal(score.falseEvents, 0, 'no false events');
  t.equal(score.clippedOnsets, 0, 'no onset clipped');
  t.equal(events.filter((e) => e.type === 'event.started').length, finished.length, 'a started line for each finished one');
  for (const e of finished) {
    const wav = await readWavInfo(e.wav);
    t.equal(wav.needsRepair, false, 'WAV header patched');
    t.equal((wav.dataBytes / 2 / 48000) * 1000, e.durationMs, 'WAV holds exactly the event');
    t.equal(e.endOffsetMs - e.startOffsetMs, e.durationMs);
    const job = JSON.parse(await readFile(join(out, '.spool', `${e.id}.job.json`), 'utf8')) as EventFinished;
    t.same(job, e, 'job file = the event line');
    t.match(e, { encode: { mode: 'offline-needed' }, opus: join(out, e.day, `${e.stem}.opus`) });
  }
  const status = JSON.parse(await readFile(join(out, '.spool', 'segmenter_status.json'), 'utf8')) as unknown;
  t.equal(schemaError('segmenter_status.schema.json', status), null, 'status file matches its schema');
  t.match(status, { input: { framesIn: truth.durationMs / 20 }, event: null, lastEvent: { type: 'event.finished' } });
  const leftovers = (await readdir(join(out, '.spool'))).filter((f) => f.endsWith('.started.json'));
  t.same(leftovers, [], 'no start records left');
});

t.test('streaming encode: one good .opus per event, no partial left', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const r = await segmentFile(DEMO, out);
  t.equal(r.exitCode, 0, r.stderr);
  const finished = lines(r.stdout).filter((e): e is EventFinished => e.type === 'event.finished');
  t.ok(finished.length >= 6);
  for (const e of finished) {
    t.match(e.encode, { mode: 'stream', droppedFrames: 0, error: null });
    const d = await decode(e.opus!);
    t.ok(Math.abs(d.durationMs - e.durationMs) <= 20, `${e.stem}: decoded ${d.durationMs} ms, WAV ${e.durationMs} ms`);
    t.equal((await stat(e.opus!)).size, e.encode.bytes);
  }
  const days = await readdir(out);
  for (const day of days.filter((d) => !d.startsWith('.'))) {
    t.notOk((await readdir(join(out, day))).some((f) => f.includes('.partial.')), 'no .partial left');
  }
});

t.test('--max-length splits seamlessly: parts are contiguous, no frame lost', async (t) => {
  const dir = await tempDir(t);
  // Silence first: a sound already playing when the stream starts is taken for the room.
  const tone = await synth(join(dir, 'tone.wav'), 'sine=f=400:d=7,adelay=1000', ['-ac', '1']);
  const r = await segmentFile(tone, join(dir, 'rec'), ['--no-stream-encode', '--max-length', '2', '--pre-roll', '0.5', '--trigger', 'level']);
  t.equal(r.exitCode, 0, r.stderr);
  const parts = lines(r.stdout).filter((e): e is EventFinished => e.type === 'event.finished');
  t.ok(parts.length >= 3, `${parts.length} parts`);
  for (let i = 1; i < parts.length; i++) t.equal(parts[i]!.startOffsetMs, parts[i - 1]!.endOffsetMs, 'next part starts at the very next frame');
  for (const p of parts.slice(0, -1)) t.equal(p.split, 'max-length');
  t.equal(parts[0]!.durationMs, 2000);
  let samples = 0;
  for (const p of parts) samples += (await readWavInfo(p.wav)).dataBytes / 2;
  t.equal(samples / 48, parts.at(-1)!.endOffsetMs - parts[0]!.startOffsetMs, 'WAVs add up to the whole span');
});

t.test('odd input sizes and manual control through the FIFO', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const fifo = join(dir, 'control');
  // Digital silence, so only the manual command can make an event.
  const seg = execa('node', [bin('rec-segment'), '--out', out, '--no-stream-encode', '--control', fifo, '--trigger', 'level'], { reject: false });
  const silence = Buffer.alloc(1920 * 5 + 1); // not even whole samples
  const feed = async (ms: number) => {
    for (let i = 0; i < ms / 100; i++) {
      seg.stdin!.write(silence);
      await sleep(50);
    }
  };
  for (let i = 0; i < 100 && !(await stat(fifo).catch(() => null))?.isFIFO(); i++) await sleep(100);
  await feed(1000);
  await writeFile(fifo, '{"command":"start"}\n');
  await feed(1500);
  await writeFile(fifo, 'not json\n{"command":"stop"}\n');
  await feed(1000);
  seg.stdin!.end();
  const r = await seg;
  t.equal(r.exitCode, 0, r.stderr);
  const finished = lines(r.stdout).filter((e): e is EventFinished => e.type === 'event.finished');
  t.equal(finished.length, 1, 'one manual event');
  t.match(finished[0], { trigger: 'manual', endReason: 'manual' });
  t.match(r.stderr, /ignored a control line/);
});

t.test('SIGTERM finishes the open event; kill -9 leaves a WAV that the next start recovers', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const tone = await synth(join(dir, 'tone.wav'), 'sine=f=300:d=60,adelay=1000', ['-ac', '1']);
  const live = livePipeline(t, tone, out, ['--no-stream-encode']);
  // 1. SIGTERM
  const a = live.run();
  await live.eventStarted();
  await sleep(1000);
  await live.signal('TERM');
  const ra = await a;
  const fa = lines(ra.stdout).filter((e): e is EventFinished => e.type === 'event.finished');
  t.equal(fa.length, 1, ra.stderr);
  t.match(fa[0], { endReason: 'shutdown' });
  t.ok(fa[0]!.durationMs > 500);
  // 2. kill -9 mid-event, then a new start with no input recovers it.
  const b = live.run();
  await live.eventStarted();
  await sleep(1500);
  await live.signal('KILL');
  await b;
  const c = await execa('node', [bin('rec-segment'), '--out', out, '--no-stream-encode'], { input: '', reject: false });
  t.equal(c.exitCode, 0, c.stderr);
  const recovered = lines(c.stdout).filter((e): e is EventFinished => e.type === 'event.finished');
  t.equal(recovered.length, 1, 'the cut-off event is recovered');
  t.match(recovered[0], { endReason: 'recovered', encode: { mode: 'offline-needed' } });
  const wav = await readWavInfo(recovered[0]!.wav);
  t.equal(wav.needsRepair, false, 'header repaired');
  t.ok(recovered[0]!.durationMs >= 1000, `${recovered[0]!.durationMs} ms of audio kept`);
  t.ok(Math.abs((await decode(recovered[0]!.wav)).durationMs - recovered[0]!.durationMs) <= 20);
});

t.test('SIGUSR1 splits the open event at once', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const tone = await synth(join(dir, 'tone.wav'), 'sine=f=300:d=30,adelay=1000', ['-ac', '1']);
  const live = livePipeline(t, tone, out, ['--no-stream-encode']);
  const seg = live.run();
  await live.eventStarted();
  await sleep(1000);
  await live.signal('USR1');
  await sleep(1000);
  await live.signal('TERM');
  const r = await seg;
  const parts = lines(r.stdout).filter((e): e is EventFinished => e.type === 'event.finished');
  t.equal(parts.length, 2, r.stderr);
  t.match(parts[0], { split: 'manual' });
  t.equal(parts[1]!.startOffsetMs, parts[0]!.endOffsetMs, 'seamless');
});

t.test('a full spool is logged and shown in the status; detection goes on', async (t) => {
  const dir = await tempDir(t);
  const spool = join(dir, 'spool');
  await execa('mkdir', ['-p', spool]);
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', spool], { reject: false });
  if (mounted.exitCode !== 0) {
    t.comment(`skipped: cannot mount a small tmpfs here: ${mounted.stderr.trim()}`);
    return;
  }
  t.teardown(() => execa('umount', [spool], { reject: false }).then(() => undefined));
  const status = join(dir, 'status.json');
  const r = await segmentFile(DEMO, join(dir, 'rec'), ['--no-stream-encode', '--spool', spool, '--status-file', status]);
  t.equal(r.exitCode, 0, 'no crash');
  t.match(r.stderr, /cannot write to the spool; detection goes on/);
  const finished = lines(r.stdout).filter((e): e is EventFinished => e.type === 'event.finished');
  t.ok(finished.length >= 6, `every event still detected and announced (${finished.length})`);
  t.ok(finished.some((e) => (e.wavDroppedFrames ?? 0) > 0), 'frames that did not fit are counted on the event');
  const s = JSON.parse(await readFile(status, 'utf8')) as { spool: { error: string | null; droppedFrames: number } };
  t.match(s.spool.error, /ENOSPC|no space/i);
  t.ok(s.spool.droppedFrames > 0);
});

t.test('kill -9 while stream-encoding: the next start re-encodes the WAV over the stale partial', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const tone = await synth(join(dir, 'tone.wav'), 'sine=f=300:d=60,adelay=1000', ['-ac', '1']);
  const live = livePipeline(t, tone, out, []);
  const seg = live.run();
  await live.eventStarted();
  await sleep(1500);
  await live.signal('KILL');
  await seg;
  await sleep(300); // the orphaned ffmpeg sees end of input and exits
  const day = (await readdir(out)).find((d) => !d.startsWith('.'))!;
  t.ok((await readdir(join(out, day))).some((f) => f.includes('.partial.')), 'a stale partial was left by the crash');
  const c = await execa('node', [bin('rec-segment'), '--out', out], { input: '', reject: false });
  t.equal(c.exitCode, 0, c.stderr);
  const recovered = lines(c.stdout).filter((e): e is EventFinished => e.type === 'event.finished');
  t.equal(recovered.length, 1);
  const e = recovered[0]!;
  t.match(e, { endReason: 'recovered', encode: { mode: 'offline', error: null } });
  t.equal(schemaError('event.schema.json', e), null);
  t.same(await readdir(join(out, day)), [`${e.stem}.opus`], 'only the final file, no partial');
  const d = await decode(e.opus!);
  t.ok(Math.abs(d.durationMs - e.durationMs) <= 20, `re-encoded ${d.durationMs} ms = WAV ${e.durationMs} ms`);
});

t.test('a start record left by a kill after its job was written, the job since done by rec-sidecars: removed at the next start, nothing recovered twice', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const spool = join(out, '.spool');
  const day = join(out, '2026-11-26');
  await mkdir(spool, { recursive: true });
  await mkdir(day, { recursive: true });
  const record = (id: string, stem: string) => ({
    type: 'event.started',
    id,
    day: '2026-11-26',
    stem,
    startedAt: '2026-11-26T08:56:14.000Z',
    startOffsetMs: 0,
    trigger: 'level',
    wav: join(spool, `${id}.wav`),
    partial: join(day, `${stem}.partial.opus`),
  });
  // Done: rec-sidecars took the job and the WAV, the final recording is there.
  await writeFile(join(spool, '20261126T085614Z-ee40.started.json'), JSON.stringify(record('20261126T085614Z-ee40', '08-56-14_level_ee40')));
  const final = await synth(join(day, '08-56-14_level_ee40.opus'), 'sine=f=440:d=1', ['-ac', '1', '-c:a', 'libopus', '-f', 'ogg']);
  const before = await readFile(final);
  // Gone: no WAV, no job, no recording (its job went to failed/, say).
  await writeFile(join(spool, '20261126T085714Z-ee41.started.json'), JSON.stringify(record('20261126T085714Z-ee41', '08-57-14_level_ee41')));
  // Empty and alone: killed inside the record's own write, before any WAV.
  await writeFile(join(spool, '20261126T085814Z-ee42.started.json'), '');
  const r = await execa('node', [bin('rec-segment'), '--out', out], { input: '', reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.same(lines(r.stdout), [], 'no event recovered: there was nothing left to recover');
  t.same((await readdir(spool)).filter((f) => !f.endsWith('_status.json')), [], 'the three start records are gone');
  t.match(r.stderr, /unreadable start record without a WAV: nothing to recover; removed/);
  t.same(await readFile(final), before, 'the finished recording is untouched');
  t.match(r.stderr, /start record of an event already finished; removed/);
  t.match(r.stderr, /start record whose WAV is gone/);
});

t.test('an empty start record (a kill between its creation and its write): the event is rebuilt from its id and WAV and recovered', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const spool = join(out, '.spool');
  const name = eventName(new Date('2026-11-26T09:36:49Z'), 'vad', 'a601');
  await mkdir(spool, { recursive: true });
  await mkdir(join(out, name.day), { recursive: true });
  await synth(join(spool, `${name.id}.wav`), 'sine=f=350:d=2.24', ['-ac', '1', '-ar', '48000', '-c:a', 'pcm_s16le']);
  await writeFile(join(spool, `${name.id}.started.json`), '');
  // The stream encoder had started: its partial holds less than the WAV.
  await writeFile(join(out, name.day, `${name.stem}.partial.opus`), Buffer.from('OggS cut short'));
  const r = await execa('node', [bin('rec-segment'), '--out', out], { input: '', reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stderr, /unreadable start record; rebuilt from its id and its WAV/);
  const recovered = lines(r.stdout).filter((e): e is EventFinished => e.type === 'event.finished');
  t.equal(recovered.length, 1, 'the event is recovered');
  const e = recovered[0]!;
  t.match(e, { id: name.id, day: name.day, stem: name.stem, trigger: 'vad', endReason: 'recovered', encode: { mode: 'offline', error: null } });
  t.equal(schemaError('event.schema.json', e), null);
  t.same(await readdir(join(out, name.day)), [`${name.stem}.opus`], 'the partial was replaced by the final file');
  const d = await decode(e.opus!);
  t.ok(Math.abs(d.durationMs - 2240) <= 20, `the recording holds the whole WAV (${d.durationMs} ms)`);
  t.same((await readdir(spool)).filter((f) => f.endsWith('.started.json')), [], 'no start record left');
});
