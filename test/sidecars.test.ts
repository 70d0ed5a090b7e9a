// rec-sidecars on real events (espeak-ng speech and tones cut by rec-segment):
// verified or re-encoded .opus, waveform, transcript, spool cleaned; kill -9 at
// random points and restart; corrupt WAVs; archive retries; retention.
import t, { type Test } from 'tap';
import { cp, mkdir, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { bin, decode, lines, segmentFile, synth, tempDir } from './helpers.js';
import { schemaError, type EventFinished } from '../src/lib/contracts.js';
import type { Waveform } from '../src/sidecars/waveform.js';
import { Runner, type RecordingReady } from '../src/sidecars/runner.js';
import { Retention } from '../src/sidecars/retention.js';
import { createLogger } from '../src/lib/log.js';

const WORDS = ['one', 'two', 'three', 'four', 'five', 'hello', 'weather', 'nice', 'today'];

/** Speech (espeak-ng) then a burst of noise (no voice), with silence around: two events. */
async function makeInput(dir: string): Promise<string> {
  const speech = join(dir, 'speech.wav');
  await execa('espeak-ng', ['-v', 'en-us', '-s', '120', '-w', speech, 'one two three four five. hello. the weather is nice today.']);
  const out = join(dir, 'input.wav');
  await execa('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono:d=1', '-i', speech, '-f', 'lavfi', '-i', 'anoisesrc=d=2:c=pink:r=48000:a=0.1'],
    ...['-filter_complex', '[1]aresample=48000,apad=pad_dur=4[s];[2]apad=pad_dur=4[t];[0][s][t]concat=n=3:v=0:a=1', '-ac', '1', out],
  ]);
  return out;
}

/** A spool of real jobs, made once and copied into each test. */
let template: { dir: string; streamed: string; offline: string } | undefined;
async function spoolTemplate(): Promise<NonNullable<typeof template>> {
  if (template) return template;
  const dir = await tempDir(t, 'rec-sidecars-template-');
  const input = await makeInput(dir);
  const offline = join(dir, 'offline');
  const streamed = join(dir, 'streamed');
  const a = await segmentFile(input, offline, ['--no-stream-encode']);
  const b = await segmentFile(input, streamed, []);
  if (a.exitCode || b.exitCode) throw new Error(a.stderr + b.stderr);
  template = { dir, streamed, offline };
  return template;
}

async function copyOf(t: Test, which: 'streamed' | 'offline'): Promise<string> {
  const src = (await spoolTemplate())[which];
  const out = join(await tempDir(t), 'rec');
  await cp(src, out, { recursive: true });
  // Jobs name their files by absolute path: point them at the copy.
  const spool = join(out, '.spool');
  for (const f of (await readdir(spool)).filter((n) => n.endsWith('.job.json'))) {
    const text = (await readFile(join(spool, f), 'utf8')).replaceAll(src, out);
    await writeFile(join(spool, f), text);
  }
  return out;
}

const jobsIn = async (out: string) => {
  const spool = join(out, '.spool');
  const jobs: EventFinished[] = [];
  for (const f of (await readdir(spool)).filter((n) => n.endsWith('.job.json')).sort()) jobs.push(JSON.parse(await readFile(join(spool, f), 'utf8')) as EventFinished);
  return jobs;
};

function sidecars(out: string, extra: string[] = [], input?: string) {
  return execa('node', [bin('rec-sidecars'), '--out', out, ...extra], { reject: false, ...(input !== undefined ? { input } : { stdin: 'ignore' }) });
}

/** What a finished recording must be: opus as long as the event, waveform to match, spool cleaned. */
async function assertComplete(t: Test, out: string, jobs: EventFinished[], failedExpected = false) {
  for (const job of jobs) {
    const opus = join(out, job.day, `${job.stem}.opus`);
    const d = await decode(opus);
    t.ok(Math.abs(d.durationMs - job.durationMs) <= 20, `${job.stem}.opus decodes to ${d.durationMs} ms (event ${job.durationMs} ms)`);
    const w = JSON.parse(await readFile(join(out, job.day, `${job.stem}.waveform.json`), 'utf8')) as Waveform;
    t.match(w, { version: 2, channels: 1, bits: 8, sample_rate: 48000 });
    t.equal(w.data.length, w.length * 2, 'min/max per pixel');
    t.equal(w.length, Math.ceil((job.durationMs * 48) / w.samples_per_pixel), 'one pixel per 20 ms of the event');
    t.equal(w.durationMs, job.durationMs);
    const expected = Math.round(10 ** (job.peakDbfs / 20) * 128);
    t.ok(Math.abs(Math.max(...w.data) - expected) <= 2, `the waveform's peak (${Math.max(...w.data)}) is the event's (${expected})`);
  }
  const spool = (await readdir(join(out, '.spool'))).filter((f) => !f.endsWith('_status.json'));
  t.same(spool, failedExpected ? ['failed'] : [], 'spool empty: no WAV, no job');
  const tmp = (await readdir(out, { recursive: true })).map(String).filter((f) => /\.tmp|partial/.test(f));
  t.same(tmp, [], 'no temp or partial file');
}

t.test('real events: verified opus, waveform, transcript with spoken words, clean spool', async (t) => {
  const out = await copyOf(t, 'streamed');
  const jobs = await jobsIn(out);
  t.equal(jobs.length, 2, 'speech and noise');
  t.ok(jobs.every((j) => j.encode.mode === 'stream'));
  // Between the two events' voice shares: pink noise can look a little like voice to the VAD.
  const [noisy, voiced] = jobs.map((j) => j.voiceRatio).sort();
  const r = await sidecars(out, ['--transcribe', '--transcribe-min-voice', String((noisy! + voiced!) / 2)]);
  t.equal(r.exitCode, 0, r.stderr);
  const ready = lines(r.stdout) as unknown as RecordingReady[];
  t.same(ready.map((l) => l.id).sort(), jobs.map((j) => j.id).sort(), 'one recording.ready line per event');
  t.ok(ready.every((l) => l.encode.mode === 'stream'), 'the streamed files were good: not re-encoded');
  for (const l of ready) t.equal(schemaError('event.schema.json', l), null, 'recording.ready matches the schema');
  const status = JSON.parse(await readFile(join(out, '.spool', 'sidecars_status.json'), 'utf8')) as unknown;
  t.equal(schemaError('sidecars_status.schema.json', status), null, 'sidecars_status.json matches its schema');
  t.match(status, { jobs: { pending: 0, done: 2, transcribed: 1, failed: 0 } });
  await assertComplete(t, out, jobs);
  const speech = jobs.find((j) => j.voiceRatio === voiced)!;
  t.ok(speech, 'the speech event has voice');
  const tr = JSON.parse(await readFile(join(out, speech.day, `${speech.stem}.transcript.json`), 'utf8')) as { text: string; words: Array<{ word: string; startMs: number }> };
  const heard = WORDS.filter((w) => tr.text.split(' ').includes(w));
  t.ok(heard.length >= 2, `transcript "${tr.text}" holds spoken words (${heard.join(', ')})`);
  t.ok(tr.words.length > 0 && tr.words.every((w, i) => i === 0 || w.startMs >= tr.words[i - 1]!.startMs), 'word timings in order');
  const noise = jobs.find((j) => j !== speech)!;
  await t.rejects(stat(join(out, noise.day, `${noise.stem}.transcript.json`)), 'no transcript for an event with less voice than asked');
});

t.test('stream file missing or broken: encoded again from the WAV', async (t) => {
  const out = await copyOf(t, 'streamed');
  const [a, b] = await jobsIn(out);
  await rm(join(out, a!.day, `${a!.stem}.opus`));
  await truncate(join(out, b!.day, `${b!.stem}.opus`), 3000);
  // What an earlier run killed mid-write leaves: half a job rewrite (after its re-encode) and half a waveform.
  await writeFile(join(out, '.spool', `${a!.id}.job.json.tmp`), '{"type":"event.fin');
  await writeFile(join(out, b!.day, `${b!.stem}.waveform.json.tmp`), '{"version":2,');
  const r = await sidecars(out);
  t.equal(r.exitCode, 0, r.stderr);
  const ready = lines(r.stdout) as unknown as RecordingReady[];
  t.ok(ready.length === 2 && ready.every((l) => l.encode.mode === 'offline'), 'both re-encoded');
  t.match(r.stderr, /not good; encoding the WAV/);
  await assertComplete(t, out, [a!, b!]);
});

t.test('--repair rebuilds missing and damaged waveforms from the recordings, and leaves the rest alone', async (t) => {
  const out = await copyOf(t, 'streamed');
  const [a, b] = await jobsIn(out);
  const wave = (j: EventFinished) => join(out, j.day, `${j.stem}.waveform.json`);
  // Jobs still in the spool are rec-sidecars' own work: not touched.
  const early = await sidecars(out, ['--repair']);
  t.equal(early.exitCode, 0, early.stderr);
  t.equal(early.stdout, '', 'nothing repaired while the recordings are being made');
  await t.rejects(stat(wave(a!)), 'and no waveform written for them');
  t.equal((await sidecars(out)).exitCode, 0);
  const good = JSON.parse(await readFile(wave(a!), 'utf8')) as Waveform;
  await writeFile(wave(a!), 'garbage, not JSON');
  await rm(wave(b!));
  const untouched = join(out, b!.day, 'not-a-recording.txt');
  await writeFile(untouched, 'x');
  const r = await sidecars(out, ['--repair', '--day', a!.day]);
  t.equal(r.exitCode, 0, r.stderr);
  t.same(r.stdout.trim().split('\n').sort(), [wave(a!), wave(b!)].sort(), 'prints each waveform it rebuilt');
  const fixed = JSON.parse(await readFile(wave(a!), 'utf8')) as Waveform;
  t.equal(fixed.length, good.length, 'the same number of pixels as the original');
  t.ok(Math.abs(fixed.durationMs - good.durationMs) <= 20, `the same duration (${fixed.durationMs} vs ${good.durationMs} ms)`);
  t.ok(Math.abs(Math.max(...fixed.data) - Math.max(...good.data)) <= 4, 'the same peak, within the codec');
  t.ok(await stat(wave(b!)), 'the missing one is back');
  const again = await sidecars(out, ['--repair']);
  t.equal(again.stdout, '', 'a second run finds nothing to do');
  // A recording whose audio does not decode cannot be repaired: exit 1, and its files are left as they are.
  await writeFile(wave(a!), 'garbage');
  await writeFile(join(out, a!.day, `${a!.stem}.opus`), 'not opus either');
  const bad = await sidecars(out, ['--repair']);
  t.equal(bad.exitCode, 1);
  t.match(bad.stderr, /cannot be rebuilt/);
  t.equal(await readFile(wave(a!), 'utf8'), 'garbage', 'nothing overwritten');
  t.same((await readdir(join(out, a!.day))).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
  const other = await sidecars(out, ['--repair', '--day', '2001-01-01']);
  t.equal(other.exitCode, 0, 'a day with nothing in it is no error');
});

t.test('kill -9 at random points, restart: the same end state as one clean run', async (t) => {
  const clean = await copyOf(t, 'offline');
  const jobs = await jobsIn(clean);
  const began = performance.now();
  t.equal((await sidecars(clean)).exitCode, 0);
  // Kill times within the length of a clean run here and now, so the kills land
  // mid-way on a fast machine and a busy one alike (a fixed 0.2-1.5 s window
  // killed none once the machine was quick enough).
  const cleanMs = performance.now() - began;
  const killed = await copyOf(t, 'offline');
  // A fixed seed: the same kill times on every run.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let kills = 0;
  for (let run = 0; run < 8; run++) {
    const child = sidecars(killed);
    const delay = Math.floor(cleanMs * (0.05 + rand() * 0.9));
    const timer = setTimeout(() => child.kill('SIGKILL'), delay);
    const r = await child;
    clearTimeout(timer);
    if (r.signal === 'SIGKILL') kills++;
    else t.equal(r.exitCode, 0, `run ${run + 1} finished before its kill at ${delay} ms`);
  }
  // Later runs have less left to do and may finish before their kill: two kills mid-way are enough to test.
  t.ok(kills >= 2, `${kills} of 8 runs killed mid-way`);
  const last = await sidecars(killed);
  t.equal(last.exitCode, 0, last.stderr);
  await assertComplete(t, killed, jobs);
  const names = async (out: string) => (await readdir(join(out, jobs[0]!.day))).sort();
  t.same(await names(killed), await names(clean), 'the same files as the clean run');
  for (const j of jobs) {
    const w = (out: string) => readFile(join(out, j.day, `${j.stem}.waveform.json`), 'utf8');
    t.equal(await w(killed), await w(clean), 'the same waveform');
  }
});

t.test('corrupt WAV: job and WAV go to failed/ with a reason; malformed lines are skipped by line number', async (t) => {
  const out = await copyOf(t, 'offline');
  const [bad, good] = await jobsIn(out);
  await writeFile(bad!.wav, 'this is not a WAV file at all, just text');
  const input = ['{"type":"event.started","id":"x"}', 'not json', JSON.stringify(good), ''].join('\n');
  const r = await sidecars(out, [], input);
  t.equal(r.exitCode, 1, 'exit 1: a job could not be done');
  t.match(r.stderr, /"line":2/, 'the bad line is reported with its number');
  const failed = (await readdir(join(out, '.spool', 'failed'))).sort();
  t.same(failed, [`${bad!.id}.job.json`, `${bad!.id}.reason.txt`, `${bad!.id}.wav`].sort(), 'job, WAV and reason kept');
  t.match(await readFile(join(out, '.spool', 'failed', `${bad!.id}.reason.txt`), 'utf8'), /WAV|RIFF/);
  await assertComplete(t, out, [good!], true);
  // A second run does not try the failed job again.
  const again = await sidecars(out);
  t.equal(again.exitCode, 0, again.stderr);
  t.equal(again.stdout, '', 'nothing left to do');
});

t.test('a corrupt job file with its audio still in the spool is rebuilt, not failed (issue #9)', async (t) => {
  const out = await copyOf(t, 'streamed');
  const [a, b] = await jobsIn(out);
  const spool = join(out, '.spool');
  // a: cut to half, WAV and streamed .opus there. b: garbage, and its .opus broken too: encoded from the WAV.
  const text = await readFile(join(spool, `${a!.id}.job.json`), 'utf8');
  await writeFile(join(spool, `${a!.id}.job.json`), text.slice(0, Math.floor(text.length / 2)));
  await writeFile(join(spool, `${b!.id}.job.json`), '\u0000\u0001{{ not a job');
  await truncate(join(out, b!.day, `${b!.stem}.opus`), 3000);
  // What an earlier run killed mid-write leaves: half a job rewrite (after its re-encode) and half a waveform.
  await writeFile(join(out, '.spool', `${a!.id}.job.json.tmp`), '{"type":"event.fin');
  await writeFile(join(out, b!.day, `${b!.stem}.waveform.json.tmp`), '{"version":2,');
  const r = await sidecars(out);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stderr, /job file was corrupt; rebuilt it from its audio/);
  const ready = lines(r.stdout) as unknown as RecordingReady[];
  t.same(ready.map((l) => l.stem).sort(), [a!.stem, b!.stem].sort(), 'the same recordings: day, stem and trigger found again');
  // assertComplete: opus as long as the event, waveform with the event's peak, spool empty (no failed/).
  await assertComplete(t, out, [a!, b!]);
  const status = JSON.parse(await readFile(join(spool, 'sidecars_status.json'), 'utf8')) as unknown;
  t.equal(schemaError('sidecars_status.schema.json', status), null);
  t.match(status, { jobs: { rebuilt: 2, failed: 0, done: 2, reencoded: 1 } });
});

t.test('a corrupt job whose recording file is gone too: rebuilt from the WAV, named with the trigger "level"', async (t) => {
  const out = await copyOf(t, 'offline');
  const [a] = await jobsIn(out);
  const spool = join(out, '.spool');
  for (const j of await jobsIn(out)) if (j.id !== a!.id) await Promise.all([rm(join(spool, `${j.id}.job.json`)), rm(j.wav)]);
  await writeFile(join(spool, `${a!.id}.job.json`), '{"type":"event.fin');
  const r = await sidecars(out);
  t.equal(r.exitCode, 0, r.stderr);
  const stem = a!.stem.replace(/_(vad|level|manual)_/, '_level_');
  const [ready] = lines(r.stdout) as unknown as RecordingReady[];
  t.equal(ready?.stem, stem, 'the time and random part of the id, the trigger unknown');
  await assertComplete(t, out, [{ ...a!, stem }]);
});

t.test('a corrupt job file with no audio left goes to failed/', async (t) => {
  const out = await copyOf(t, 'offline');
  const [a] = await jobsIn(out);
  const spool = join(out, '.spool');
  await writeFile(join(spool, `${a!.id}.job.json`), '{"type":"event.fin');
  await writeFile(join(spool, `${a!.id}.job.json.tmp`), '{"type":"event.fin');
  await rm(a!.wav);
  const r = await sidecars(out);
  t.equal(r.exitCode, 1, 'exit 1: a job could not be done');
  t.same((await readdir(join(spool, 'failed'))).sort(), [`${a!.id}.job.json`, `${a!.id}.reason.txt`]);
  t.notOk((await readdir(spool)).some((f) => f.startsWith(a!.id)), 'nothing of the failed job is left in the spool, its temp file neither');
});

t.test('the ids of finished jobs are remembered up to a bound, failed ones too (issue #9: no growth per event)', async (t) => {
  const out = join(await tempDir(t), 'rec');
  const spool = join(out, '.spool');
  await mkdir(spool, { recursive: true });
  const runner = new Runner({
    ctx: { out, spool, ffmpeg: 'ffmpeg', log: createLogger('test', { level: 'silent' }), encoder: {}, keepWav: null, transcriber: null, transcribeMinVoice: 0.3, archive: null },
    retention: null,
    minFreeBytes: 0,
    statusFile: join(spool, 'sidecars_status.json'),
    emit: () => undefined,
    finishedMemory: 5,
  });
  // Unreadable WAVs: each job fails for good (to failed/) without running ffmpeg.
  const jobs: EventFinished[] = [];
  for (let i = 0; i < 12; i++) {
    const id = `20261126T1000${String(i).padStart(2, '0')}Z-0a0${i.toString(16)}`;
    const wav = join(spool, `${id}.wav`);
    await writeFile(wav, 'not a WAV');
    const job = { type: 'event.finished', id, day: '2026-11-26', stem: `10-00-${String(i).padStart(2, '0')}_level_0a0${i.toString(16)}`, wav, durationMs: 1000, encode: { mode: 'stream' } };
    jobs.push(job as unknown as EventFinished);
    runner.add(jobs[i]!);
    await runner.idle(false);
  }
  t.equal(runner.counts.failed, 12, 'every job failed for good');
  runner.add(jobs[11]!);
  t.equal(runner.pending, 0, 'a late line for the newest failed job is ignored');
  runner.add(jobs[0]!);
  t.equal(runner.pending, 1, 'the oldest is forgotten: no more than finishedMemory ids are kept');
  await runner.idle(false);
  await runner.stop();
});

t.test('archive: failing twice then succeeding archives once; a re-run does not repeat it', async (t) => {
  const out = await copyOf(t, 'offline');
  const [job] = await jobsIn(out);
  await rm(join(out, '.spool', `${(await jobsIn(out))[1]!.id}.job.json`)); // one job is enough
  const dest = join(out, '..', 'nas');
  await mkdir(dest);
  const count = join(out, '..', 'count');
  const cmd = `n=$(($(cat ${count} 2>/dev/null || echo 0) + 1)); echo $n > ${count}; [ $n -ge 3 ] || { echo "nas down" >&2; exit 1; }; cp "$@" ${dest}/`;
  const jobFile = await readFile(join(out, '.spool', `${job!.id}.job.json`));
  const r = await sidecars(out, ['--archive-cmd', cmd, '--archive-backoff', '0.05']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal((await readFile(count, 'utf8')).trim(), '3', 'three attempts');
  t.same((await readdir(dest)).sort(), [`${job!.stem}.opus`, `${job!.stem}.waveform.json`], 'the recording and its sidecars archived');
  t.match(r.stderr, /nas down/);
  t.match(lines(r.stdout)[0], { archived: true });
  // As if killed after archiving but before the job was removed:
  await writeFile(join(out, '.spool', `${job!.id}.job.json`), jobFile);
  const again = await sidecars(out, ['--archive-cmd', cmd]);
  t.equal(again.exitCode, 0, again.stderr);
  t.equal((await readFile(count, 'utf8')).trim(), '3', 'not archived twice');
});

t.test('archive that keeps failing: the job stays, the status says why, exit 1', async (t) => {
  const out = await copyOf(t, 'offline');
  const jobs = await jobsIn(out);
  const r = await sidecars(out, ['--archive-cmd', 'echo unreachable >&2; exit 2', '--archive-attempts', '2', '--archive-backoff', '0.01']);
  t.equal(r.exitCode, 1);
  t.equal((await jobsIn(out)).length, jobs.length, 'jobs stay in the spool');
  for (const j of jobs) await t.rejects(stat(j.wav), 'the WAV is released: the verified .opus is what gets archived');
  const status = JSON.parse(await readFile(join(out, '.spool', 'sidecars_status.json'), 'utf8')) as { jobs: { archiveFailures: number }; lastError: string };
  t.equal(schemaError('sidecars_status.schema.json', status), null, 'sidecars_status.json matches its schema');
  t.ok(status.jobs.archiveFailures >= 1);
  t.match(status.lastError, /unreachable/);
});

t.test('retention: oldest first, never kept, partial or unarchived; trash emptied after --trash-days', async (t) => {
  const out = join(await tempDir(t), 'rec');
  const mk = async (day: string, file: string, bytes = 1000) => {
    await mkdir(join(out, day), { recursive: true });
    await writeFile(join(out, day, file), Buffer.alloc(bytes));
  };
  await mk('2026-01-01', '10-00-00_vad_aaaa.opus');
  await mk('2026-01-01', '10-00-00_vad_aaaa.waveform.json', 10);
  await mk('2026-01-01', '11-00-00_vad_bbbb.opus');
  await mk('2026-01-01', '11-00-00_vad_bbbb.keep', 0);
  await mk('2026-01-01', '12-00-00_vad_cccc.partial.opus');
  await mk('2026-01-02', '10-00-00_vad_dddd.opus');
  await mk('2026-01-03', '10-00-00_vad_eeee.opus');
  // A disk that is 10 % full per recording byte-kilo: removing files lowers it.
  const usage = async () => {
    let bytes = 0;
    for (const f of await readdir(out, { recursive: true })) {
      const s = await stat(join(out, String(f)));
      if (s.isFile() && !String(f).startsWith('.trash')) bytes += s.size;
    }
    return bytes / 100;
  };
  const log = createLogger('test', { level: 'silent' });
  const r = await new Retention(out, { maxDiskUsagePercent: 35, trashDays: 7, archiving: false }, log, usage).run();
  t.ok(r.usedPercent !== null && r.usedPercent <= 35, `down to ${r.usedPercent} %`);
  const left = (await readdir(out, { recursive: true })).map(String).filter((f) => f.includes('_vad_')).sort();
  t.same(left, ['2026-01-01/11-00-00_vad_bbbb.keep', '2026-01-01/11-00-00_vad_bbbb.opus', '2026-01-01/12-00-00_vad_cccc.partial.opus', '2026-01-03/10-00-00_vad_eeee.opus'], 'the two oldest removable ones went, with their sidecars');

  // --keep-days into the trash; archiving on protects what is not archived yet.
  await mk('2026-01-04', '10-00-00_vad_ffff.opus');
  await writeFile(join(out, '2026-01-03', '10-00-00_vad_eeee.archived'), '{}');
  const now = Date.parse('2026-01-10T12:00:00');
  const keep = new Retention(out, { keepDays: 3, trashDays: 7, archiving: true }, log, usage, () => now);
  const k = await keep.run();
  t.equal(k.trashed, 1, 'only the archived old one');
  t.ok(await stat(join(out, '.trash', '2026-01-03', '10-00-00_vad_eeee.opus')), 'moved to the trash, with its marker');
  t.ok(await stat(join(out, '2026-01-04', '10-00-00_vad_ffff.opus')), 'unarchived one kept');
  // Days later the trash is emptied for good.
  const later = new Retention(out, { trashDays: 7, archiving: true }, log, usage, () => Date.now() + 8 * 86_400_000);
  const l = await later.run();
  t.equal(l.purged, 2, 'trashed audio and marker removed for good');
  await t.rejects(readdir(join(out, '.trash', '2026-01-03')), 'and its emptied day folder');
});

t.test('the pipeline with rec-sidecars on stdin: every event complete as it ends', async (t) => {
  const dir = await tempDir(t);
  const tone = await synth(join(dir, 'tone.wav'), "aevalsrc='0.3*sin(2*PI*400*t)*gt(t,1)*lt(mod(t,5),2.5)':d=14:s=48000", ['-ac', '1']);
  const out = join(dir, 'rec');
  const r = await execa('sh', ['-c', `node ${bin('rec-capture')} --input ${tone} | node ${bin('rec-segment')} --out ${out} --trigger level --hang 1 | node ${bin('rec-sidecars')} --out ${out}`], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  const ready = lines(r.stdout) as unknown as RecordingReady[];
  t.equal(ready.length, 3, 'three bursts, three recordings');
  const spool = (await readdir(join(out, '.spool'))).filter((f) => !f.endsWith('_status.json'));
  t.same(spool, [], 'spool empty');
  await sleep(0);
});
