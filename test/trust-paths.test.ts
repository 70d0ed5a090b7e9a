// Issue #16: rec-sidecars and rec-segment's recovery take no path from an event
// line, a job file or a start record. Each probe puts a file outside the tools'
// folders where a hostile or careless writer would point them, and checks that
// it is neither read as audio, moved, overwritten nor deleted, while the event's
// own audio is kept (in failed/ when its job is refused).
import tap, { type Test } from 'tap';
const t = tap;
import { mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { bin, segmentFile, synth, tempDir } from './helpers.js';
import type { EventFinished } from '../src/lib/contracts.js';

/** One real event (a tone between silences), offline-encoded so its WAV and job wait in the spool. */
let template: string | undefined;
async function recorded(t: Test): Promise<{ out: string; spool: string; job: EventFinished; outside: string }> {
  if (!template) {
    const dir = await tempDir(tap, 'rec-trust-template-');
    const input = await synth(join(dir, 'in.wav'), 'sine=f=440:d=1.5', ['-af', 'adelay=1000,apad=pad_dur=5', '-ac', '1']);
    template = join(dir, 'rec');
    const r = await segmentFile(input, template, ['--no-stream-encode', '--trigger', 'level']);
    if (r.exitCode) throw new Error(r.stderr);
  }
  const base = await tempDir(t);
  const out = join(base, 'rec');
  await execa('cp', ['-a', template, out]);
  const spool = join(out, '.spool');
  const name = (await readdir(spool)).find((n) => n.endsWith('.job.json'))!;
  const raw = JSON.parse(await readFile(join(spool, name), 'utf8')) as EventFinished;
  // Jobs name their files by absolute path: point them at the copy.
  const job = { ...raw, wav: join(spool, `${raw.id}.wav`), opus: null };
  await writeFile(join(spool, name), JSON.stringify(job));
  const outside = join(base, 'elsewhere');
  await mkdir(outside);
  return { out, spool, job, outside };
}

function sidecars(out: string, input?: string, cwd?: string) {
  return execa('node', [bin('rec-sidecars'), '--out', out], { reject: false, cwd, ...(input !== undefined ? { input } : { stdin: 'ignore' }) });
}

const exists = (p: string) => stat(p).then(
  () => true,
  () => false,
);

/** The event's own WAV copied outside the spool as someone else's file; the event's job and WAV are gone. */
async function outsideCopyOfWav(spool: string, job: EventFinished, outside: string): Promise<{ victim: string; before: Buffer }> {
  const victim = join(outside, 'precious.wav');
  await execa('cp', [join(spool, `${job.id}.wav`), victim]);
  const before = await readFile(victim);
  await rm(join(spool, `${job.id}.job.json`));
  await rm(join(spool, `${job.id}.wav`));
  return { victim, before };
}

t.test('an event line naming a WAV outside the spool: the file is not encoded, moved or deleted', async (t) => {
  const { out, spool, job, outside } = await recorded(t);
  // A real WAV: today's code encoded it as the event and then deleted it.
  const { victim, before } = await outsideCopyOfWav(spool, job, outside);
  const r = await sidecars(out, JSON.stringify({ ...job, wav: victim }) + '\n');
  t.same(await readFile(victim), before, 'the outside WAV is still there, byte for byte');
  t.notOk(await exists(join(out, job.day, `${job.stem}.opus`)), 'nothing was encoded from it');
  t.notOk(await exists(join(spool, 'failed', 'precious.wav')), 'it was not moved into failed/');
  t.match(r.stderr, /"err":"\\"wav\\" names.*"msg":"skipped an event\.finished line"/, 'one log line says why');
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

t.test('an event line naming an .opus outside --out: the file is not overwritten, no waveform is written beside it', async (t) => {
  const { out, spool, job, outside } = await recorded(t);
  const victim = join(outside, 'victim.opus');
  await writeFile(victim, 'not yours to overwrite\n');
  await rm(join(spool, `${job.id}.job.json`));
  const r = await sidecars(out, JSON.stringify({ ...job, opus: victim }) + '\n');
  t.equal(await readFile(victim, 'utf8'), 'not yours to overwrite\n', 'the outside file is untouched');
  t.same((await readdir(outside)).sort(), ['victim.opus'], 'no waveform or temp file beside it');
  t.ok(await exists(join(spool, `${job.id}.wav`)), "the event's own WAV stays in the spool");
  t.match(r.stderr, /\\"opus\\" names/);
});

t.test('a relative "../../x.opus" is not written relative to the working directory', async (t) => {
  const { out, spool, job, outside } = await recorded(t);
  const cwd = join(outside, 'a', 'b');
  await mkdir(cwd, { recursive: true });
  await rm(join(spool, `${job.id}.job.json`));
  const r = await sidecars(out, JSON.stringify({ ...job, opus: '../../x.opus' }) + '\n', cwd);
  t.notOk(await exists(join(outside, 'x.opus')), 'no x.opus two folders up from the working directory');
  t.notOk(await exists(join(outside, 'x.waveform.json')));
  t.match(r.stderr, /\\"opus\\" names \\"\.\.\/\.\.\/x\.opus/);
});

t.test('a job file naming foreign paths goes to failed/ with the reason; the foreign file stays, the own WAV is kept', async (t) => {
  const { out, spool, job, outside } = await recorded(t);
  const victim = join(outside, 'victim.wav');
  await writeFile(victim, 'RIFF but not yours');
  await writeFile(join(spool, `${job.id}.job.json`), JSON.stringify({ ...job, wav: victim }));
  const r = await sidecars(out);
  t.equal(r.exitCode, 1, 'exit 1: a job could not be done');
  t.equal(await readFile(victim, 'utf8'), 'RIFF but not yours', 'the foreign file is untouched and where it was');
  const failed = (await readdir(join(spool, 'failed'))).sort();
  t.same(failed, [`${job.id}.job.json`, `${job.id}.reason.txt`, `${job.id}.wav`], 'the job and its own WAV are in failed/, nothing else');
  t.match(await readFile(join(spool, 'failed', `${job.id}.reason.txt`), 'utf8'), /"wav" names/);
  t.match(r.stderr, /moved to failed/);
});

t.test('a job file holding another event\'s job is rebuilt from the audio its own name points to', async (t) => {
  const { out, spool, job, outside } = await recorded(t);
  const victim = join(outside, 'victim.wav');
  await writeFile(victim, 'RIFF but not yours');
  // Valid paths for an id that is not the file's: without the check, its files would be the ones deleted.
  const other = { ...job, id: '20200101T000000Z-beef', stem: '00-00-00_level_beef', wav: join(spool, '20200101T000000Z-beef.wav') };
  await writeFile(join(spool, `${job.id}.job.json`), JSON.stringify(other));
  const r = await sidecars(out);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stderr, /job file was corrupt; rebuilt/);
  t.ok(await exists(join(out, job.day, `${job.stem}.opus`)), 'the event of the file name was recorded');
  t.equal(await readFile(victim, 'utf8'), 'RIFF but not yours');
});

t.test('a day folder that is a symbolic link to an outside folder: nothing is written through it', async (t) => {
  const { out, spool, job, outside } = await recorded(t);
  await rm(join(out, job.day), { recursive: true, force: true });
  await symlink(outside, join(out, job.day));
  const r = await sidecars(out);
  t.equal(r.exitCode, 1);
  t.same(await readdir(outside), [], 'the outside folder is still empty');
  t.match(await readFile(join(spool, 'failed', `${job.id}.reason.txt`), 'utf8'), /symbolic link/);
  t.ok(await exists(join(spool, 'failed', `${job.id}.wav`)), 'the audio is kept in failed/');
});

t.test('a WAV in the spool that is a symbolic link to an outside file is not read, and the outside file stays', async (t) => {
  const { out, spool, job, outside } = await recorded(t);
  const victim = join(outside, 'precious.wav');
  await execa('cp', [join(spool, `${job.id}.wav`), victim]);
  await rm(join(spool, `${job.id}.wav`));
  await symlink(victim, join(spool, `${job.id}.wav`));
  const r = await sidecars(out);
  t.equal(r.exitCode, 1);
  t.ok(await exists(victim), 'the outside file is still there');
  t.notOk(await exists(join(out, job.day, `${job.stem}.opus`)), 'nothing was encoded from it');
  t.match(r.stderr, /symbolic link/);
});

t.test('rec-segment recovery: a start record naming an outside WAV does not touch it', async (t) => {
  const { out, spool, job, outside } = await recorded(t);
  // A cut-off event: its start record, no job; the record names someone else's file.
  const { victim, before } = await outsideCopyOfWav(spool, job, outside);
  const started = { type: 'event.started', id: job.id, day: job.day, stem: job.stem, startedAt: job.startedAt, startOffsetMs: 0, trigger: job.trigger, wav: victim, partial: null };
  await writeFile(join(spool, `${job.id}.started.json`), JSON.stringify(started));
  const r = await execa('node', [bin('rec-segment'), '--out', out, '--no-stream-encode'], { input: '', reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.same(await readFile(victim), before, 'the outside WAV is byte for byte what it was (no header repaired, nothing appended)');
  t.notOk(await exists(join(spool, `${job.id}.job.json`)), 'no job naming it was written');
  t.match(r.stderr, /start record/);
});

t.test('atomicWrite never writes through a link planted at its temp name', async (t) => {
  const { atomicWriteJson } = await import('../src/lib/atomic-write.js');
  const dir = await tempDir(t);
  const victim = join(dir, 'victim.txt');
  await writeFile(victim, 'keep me');
  const path = join(dir, 'a.waveform.json');
  await symlink(victim, `${path}.tmp`);
  await atomicWriteJson(path, { peaks: [1] });
  t.equal(await readFile(victim, 'utf8'), 'keep me', 'the link target is untouched');
  t.same(JSON.parse(await readFile(path, 'utf8')), { peaks: [1] });
  t.same((await readdir(dir)).sort(), ['a.waveform.json', 'victim.txt'], 'the link is gone, nothing else left');
});

t.test('rec-sidecars --repair and rec-segment recovery do not write into a day folder that is a link', async (t) => {
  const base = await tempDir(t);
  const out = join(base, 'rec');
  const outside = join(base, 'elsewhere');
  await mkdir(join(out, '.spool'), { recursive: true });
  await mkdir(outside);
  // A finished recording without its waveform, and a stale partial, behind a linked day folder.
  await synth(join(outside, '10-00-00_vad_aaaa.opus'), 'sine=f=440:d=1', ['-ac', '1', '-c:a', 'libopus', '-f', 'ogg']);
  await synth(join(outside, '10-01-00_vad_bbbb.partial.opus'), 'sine=f=440:d=1', ['-ac', '1', '-c:a', 'libopus', '-f', 'ogg']);
  await symlink(outside, join(out, '2026-11-26'));
  const before = (await readdir(outside)).sort();
  const repair = await execa('node', [bin('rec-sidecars'), '--out', out, '--repair'], { reject: false });
  t.equal(repair.exitCode, 0, repair.stderr);
  const day = await execa('node', [bin('rec-sidecars'), '--out', out, '--repair', '--day', '2026-11-26'], { reject: false });
  t.equal(day.exitCode, 0, day.stderr);
  t.match(day.stderr, /symbolic link/, 'a --day that is a link is named, not repaired');
  const seg = await execa('node', [bin('rec-segment'), '--out', out], { input: '', reject: false });
  t.equal(seg.exitCode, 0, seg.stderr);
  t.same((await readdir(outside)).sort(), before, 'no waveform written, no partial finalised or moved out there');
});
