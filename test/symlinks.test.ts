// Issue #16, trust boundaries: nothing that deletes, moves or creates in the
// recordings folder follows a symbolic link out of it, and retention and the
// trash touch only a recording's own files (audio, sidecars, markers). Each probe
// puts files outside the recordings folder (or a user's own file inside it) where
// a link or a careless name would lead the tools, and checks they are untouched.
import t from 'tap';
import { Writable } from 'node:stream';
import { copyFile, lstat, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { pino, type Logger } from 'pino';
import { bin, tempDir } from './helpers.js';
import { addRecording, makeOpus, startServe } from './serve-helpers.js';
import { Retention } from '../src/sidecars/retention.js';

const OLD = '2026-01-01';
const LATER = '2026-01-05';
const STEM = '10-00-00_vad_aaaa';
/** A Retention clock where OLD and LATER are more than 3 days old. */
const NOW = () => Date.parse('2026-01-10T12:00:00');
/** So long that nothing in the trash is old enough to be emptied. */
const NEVER = 100_000;

/** A logger whose lines are kept, to count refusals. */
function capture(): { log: Logger; lines: () => Array<{ level: number; msg: string; path?: string }> } {
  const text: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  return { log, lines: () => text.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; path?: string }) };
}

/** Every file below `dir` (links listed, not followed), sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

async function files(dir: string, names: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(names)) await writeFile(join(dir, name), text);
}

/** The outside folder's contents, name → text. */
async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await tree(dir)) out[name] = await readFile(join(dir, name), 'utf8');
  return out;
}

const OUTSIDE_FILES = { [`${STEM}.opus`]: 'outside audio', [`${STEM}.notes.txt`]: 'outside notes', 'notes.txt': 'outside notes' };

t.test('rec-sidecars --trash-days 0: a trash day folder linked to an outside folder is not emptied', async (t) => {
  const base = await tempDir(t);
  const out = join(base, 'rec');
  const outside = join(base, 'outside');
  await files(outside, OUTSIDE_FILES);
  await mkdir(join(out, '.trash'), { recursive: true });
  await symlink(outside, join(out, '.trash', OLD));
  // A real trash day beside it is still emptied.
  await files(join(out, '.trash', LATER), { '11-00-00_vad_bbbb.opus': 'trashed' });
  const r = await execa('node', [bin('rec-sidecars'), '--out', out, '--trash-days', '0'], { reject: false, input: '', env: { LOG_LEVEL: 'info' } });
  t.equal(r.exitCode, 0, r.exitCode ? r.stderr : 'exit 0');
  t.same(await contents(outside), OUTSIDE_FILES, 'every outside file is still there, unchanged');
  t.ok((await lstat(join(out, '.trash', OLD))).isSymbolicLink(), 'the link itself is left for a person to look at');
  await t.rejects(stat(join(out, '.trash', LATER, '11-00-00_vad_bbbb.opus')), 'the real trash day was emptied');
  const refusals = r.stderr.split('\n').filter((l) => l.includes(join(out, '.trash', OLD)));
  t.equal(refusals.length, 1, `one line says why: ${refusals.join('')}`);
  t.match(refusals[0], /"level":40/);
});

t.test('retention: a linked .trash folder is neither emptied nor filled', async (t) => {
  const base = await tempDir(t);
  const out = join(base, 'rec');
  const outside = join(base, 'outside');
  await files(join(outside, OLD), OUTSIDE_FILES);
  await files(join(out, OLD), { [`${STEM}.opus`]: 'recording' });
  await mkdir(out, { recursive: true });
  await symlink(outside, join(out, '.trash'));
  const { log, lines } = capture();
  const r = await new Retention(out, { keepDays: 3, trashDays: 0, maxDiskUsagePercent: 50, archiving: false }, log, async () => 99, () => Date.now() + 60_000).run();
  t.same(await contents(join(outside, OLD)), OUTSIDE_FILES, 'nothing in the linked trash emptied');
  t.same(await tree(outside), Object.keys(OUTSIDE_FILES).map((n) => join(OLD, n)).sort(), 'nothing moved into it');
  t.equal(r.trashed, 0);
  // The recording itself may still be removed for good under disk pressure (that needs no trash).
  t.equal(r.purged, 1, 'the real recording was removed for space');
  t.ok(lines().some((l) => l.level === 40 && l.path === join(out, '.trash')), 'the refusal is logged');
});

t.test('retention --keep-days and --max-disk-usage: a day folder linked to an outside folder is left alone', async (t) => {
  const base = await tempDir(t);
  const out = join(base, 'rec');
  const outside = join(base, 'outside');
  await files(outside, OUTSIDE_FILES);
  await mkdir(out, { recursive: true });
  await symlink(outside, join(out, OLD));
  const { log, lines } = capture();
  const retention = new Retention(out, { keepDays: 3, trashDays: NEVER, archiving: false }, log, async () => 10, NOW);
  const k = await retention.run();
  t.equal(k.trashed, 0, 'nothing moved to the trash');
  t.same(await contents(outside), OUTSIDE_FILES, 'the outside files are where they were');
  t.same(await tree(join(out, '.trash')), [], 'and not in the trash');
  // The next run (which used to empty the trash) changes nothing either, and says so only once.
  await retention.run();
  t.same(await contents(outside), OUTSIDE_FILES);
  t.equal(lines().filter((l) => l.path === join(out, OLD)).length, 1, 'one line for the linked day folder, not one per run');

  const full = await new Retention(out, { maxDiskUsagePercent: 50, trashDays: 0, archiving: false }, log, async () => 99, NOW).run();
  t.equal(full.stuck, true, 'nothing it may remove: stuck, said so');
  t.equal(full.purged, 0);
  t.same(await contents(outside), OUTSIDE_FILES, 'disk pressure does not remove outside files either');
});

t.test('retention moves and removes only a recording\'s own files, never a user\'s', async (t) => {
  const base = await tempDir(t);
  const out = join(base, 'rec');
  const outside = join(base, 'outside');
  await files(outside, { 'target.opus': 'outside audio', 'target.waveform.json': 'outside waveform' });
  const user = { 'notes.txt': 'my notes', [`${STEM}.notes.txt`]: 'notes on this one', 'mytalk.opus': 'a file I copied here', '10-00-00_vad_AAAA.opus': 'not a stem' };
  await files(join(out, OLD), {
    ...user,
    [`${STEM}.opus`]: 'audio',
    [`${STEM}.waveform.json`]: '{}',
    [`${STEM}.opus.broken`]: 'broken partial kept aside',
    [`${STEM}.partial.opus`]: 'growing',
  });
  // A recording whose audio is a link: not moved (its link, its sidecar, nor the target).
  await symlink(join(outside, 'target.opus'), join(out, OLD, '11-00-00_vad_bbbb.opus'));
  await writeFile(join(out, OLD, '11-00-00_vad_bbbb.waveform.json'), '{}');
  const { log, lines } = capture();
  const k = await new Retention(out, { keepDays: 3, trashDays: NEVER, archiving: false }, log, async () => 10, NOW).run();
  t.equal(k.trashed, 1);
  t.same(await tree(join(out, '.trash')), [`${OLD}/${STEM}.opus`, `${OLD}/${STEM}.opus.broken`, `${OLD}/${STEM}.waveform.json`], 'only the recording, its sidecar and its .broken copy went to the trash');
  t.same(
    await tree(join(out, OLD)),
    [...Object.keys(user), `${STEM}.partial.opus`, '11-00-00_vad_bbbb.opus', '11-00-00_vad_bbbb.waveform.json'].sort(),
    'user files, the partial and the linked recording stay',
  );
  t.same(await contents(outside), { 'target.opus': 'outside audio', 'target.waveform.json': 'outside waveform' });
  t.equal(lines().filter((l) => l.path === join(out, OLD, '11-00-00_vad_bbbb.opus')).length, 1, 'the linked audio is logged once');

  // The trash is emptied of the recording only: a user's file put in a trash day stays.
  await writeFile(join(out, '.trash', OLD, 'notes.txt'), 'kept in the trash on purpose');
  await writeFile(join(out, '.trash', OLD, `${STEM}.notes.txt`), 'this too');
  const p = await new Retention(out, { trashDays: 0, archiving: false }, log, async () => 10, () => Date.now() + 60_000).run();
  t.equal(p.purged, 3);
  t.same(await tree(join(out, '.trash')), [`${OLD}/${STEM}.notes.txt`, `${OLD}/notes.txt`]);

  // Under disk pressure a recording goes for good; a user's file beside it does not.
  await files(join(out, LATER), { '09-00-00_level_cccc.opus': 'audio', '09-00-00_level_cccc.transcript.json': '{}', '09-00-00_level_cccc.notes.txt': 'mine' });
  const { log: log2 } = capture();
  const f = await new Retention(out, { maxDiskUsagePercent: 50, trashDays: NEVER, archiving: false }, log2, async () => 99, NOW).run();
  t.equal(f.stuck, true);
  t.same(await tree(join(out, LATER)), ['09-00-00_level_cccc.notes.txt'], 'only the recording and its transcript were removed');
  t.same(await tree(join(out, OLD)), [...Object.keys(user), `${STEM}.partial.opus`, '11-00-00_vad_bbbb.opus', '11-00-00_vad_bbbb.waveform.json'].sort(), 'the rest unchanged');
  t.same(await contents(outside), { 'target.opus': 'outside audio', 'target.waveform.json': 'outside waveform' });
});

const DAY = '2026-11-26';
const REC = '09-00-00_vad_0001';

async function served(t: Parameters<typeof tempDir>[0]) {
  const base = await tempDir(t, 'rec-serve-');
  const root = join(base, 'rec');
  const outside = join(base, 'outside');
  await mkdir(outside);
  const src = await makeOpus(base, 1);
  await addRecording(root, src, { day: DAY, stem: REC, durationMs: 1000 });
  return { base, root, outside, src };
}

t.test('rec-serve restore: never writes through a linked day folder, never takes from a linked trash', async (t) => {
  const { root, outside, src } = await served(t);
  const s = await startServe(t, ['--out', root]);
  const api = `${s.url}/api`;
  t.equal((await fetch(`${api}/recordings/${DAY}/${REC}.opus`, { method: 'DELETE' })).status, 200, 'deleted to the trash');
  // The day folder is replaced by a link to an outside folder: a restore would write there.
  await rm(join(root, DAY), { recursive: true });
  await symlink(outside, join(root, DAY));
  const refused = await fetch(`${api}/trash/${DAY}/${REC}/restore`, { method: 'POST' });
  t.equal(refused.status, 409, 'restore through a linked day folder: 409');
  t.match(await refused.json(), { error: /symbolic link/ });
  t.same(await tree(outside), [], 'nothing written into the outside folder');
  t.same(await tree(join(root, '.trash', DAY)), [`${REC}.opus`, `${REC}.waveform.json`], 'the recording waits in the trash');

  // A trash day folder that is a link to an outside folder: not listed, not restored from, not emptied.
  const other = join(outside, '..', 'outside-trash');
  await files(other, { '12-00-00_vad_cccc.opus': 'outside audio', '12-00-00_vad_cccc.waveform.json': 'outside waveform' });
  await symlink(other, join(root, '.trash', '2026-11-20'));
  const list = (await (await fetch(`${api}/trash`)).json()) as { items: Array<{ day: string; stem: string }> };
  t.same(list.items.map((i) => `${i.day}/${i.stem}`), [`${DAY}/${REC}`], 'only the real trash is listed');
  const from = await fetch(`${api}/trash/2026-11-20/12-00-00_vad_cccc/restore`, { method: 'POST' });
  t.equal(from.status, 409, 'restore from a linked trash day: 409');
  await t.rejects(lstat(join(root, '2026-11-20')), 'no day folder made for it');
  t.same(await contents(other), { '12-00-00_vad_cccc.opus': 'outside audio', '12-00-00_vad_cccc.waveform.json': 'outside waveform' }, 'outside files left where they are');

  // The real day folder back: restore works again. Emptying the trash leaves the outside files.
  await rm(join(root, DAY));
  t.equal((await fetch(`${api}/trash/${DAY}/${REC}/restore`, { method: 'POST' })).status, 200, 'restored into a real folder');
  t.same(await tree(join(root, DAY)), [`${REC}.opus`, `${REC}.waveform.json`]);
  t.ok((await readFile(join(root, DAY, `${REC}.opus`))).equals(await readFile(src)), 'the same audio');
  t.equal((await fetch(`${api}/recordings/${DAY}/${REC}.opus`, { method: 'DELETE' })).status, 200);
  const emptied = (await (await fetch(`${api}/trash`, { method: 'DELETE' })).json()) as { removed: number };
  t.equal(emptied.removed, 2, 'the two trashed files removed for good');
  t.same(await contents(other), { '12-00-00_vad_cccc.opus': 'outside audio', '12-00-00_vad_cccc.waveform.json': 'outside waveform' }, 'emptying the trash leaves the outside files');
});

t.test('rec-serve: a .trash folder that is a link is neither filled, listed, restored from nor emptied', async (t) => {
  const { root, outside } = await served(t);
  const trashed = { [`${DAY}/12-00-00_vad_cccc.opus`]: 'outside audio' };
  await files(join(outside, DAY), { '12-00-00_vad_cccc.opus': 'outside audio' });
  await symlink(outside, join(root, '.trash'));
  const s = await startServe(t, ['--out', root]);
  const api = `${s.url}/api`;
  const del = await fetch(`${api}/recordings/${DAY}/${REC}.opus`, { method: 'DELETE' });
  t.equal(del.status, 409, 'delete into a linked trash: 409');
  t.match(await del.json(), { error: /\.trash is a symbolic link/ });
  t.same(await tree(join(root, DAY)), [`${REC}.opus`, `${REC}.waveform.json`], 'the recording stays where it is');
  t.same((await (await fetch(`${api}/trash`)).json()) as unknown, { items: [] }, 'nothing listed from behind the link');
  t.equal((await fetch(`${api}/trash/${DAY}/12-00-00_vad_cccc/restore`, { method: 'POST' })).status, 409, 'nor restored');
  t.same((await (await fetch(`${api}/trash`, { method: 'DELETE' })).json()) as unknown, { removed: 0 }, 'nor emptied');
  t.same(await contents(outside), trashed, 'the outside folder is as it was');
  t.same(await tree(join(root, DAY)), [`${REC}.opus`, `${REC}.waveform.json`]);
});

t.test('rec-serve delete and restore move a recording\'s own files only', async (t) => {
  const { root } = await served(t);
  await writeFile(join(root, DAY, `${REC}.notes.txt`), 'my notes');
  await writeFile(join(root, DAY, 'notes.txt'), 'my day notes');
  const s = await startServe(t, ['--out', root]);
  const api = `${s.url}/api`;
  const del = (await (await fetch(`${api}/recordings/${DAY}/${REC}.opus`, { method: 'DELETE' })).json()) as { trashed: string[] };
  t.same(del.trashed, [`${REC}.opus`, `${REC}.waveform.json`]);
  t.same(await tree(join(root, DAY)), [`${REC}.notes.txt`, 'notes.txt'], 'user files stay in the day folder');
  await writeFile(join(root, '.trash', DAY, `${REC}.notes.txt`), 'put in the trash by hand');
  const list = (await (await fetch(`${api}/trash`)).json()) as { items: Array<{ files: string[] }> };
  t.same(list.items.map((i) => i.files.sort()), [[`${REC}.opus`, `${REC}.waveform.json`]], 'the trash lists the recording\'s files only');
  // A restore never overwrites a user's file of the same name: the hand-made one stays in the trash.
  const back = (await (await fetch(`${api}/trash/${DAY}/${REC}/restore`, { method: 'POST' })).json()) as { restored: string[] };
  t.same(back.restored, [`${REC}.opus`, `${REC}.waveform.json`]);
  t.equal(await readFile(join(root, DAY, `${REC}.notes.txt`), 'utf8'), 'my notes', 'the user file in the day folder is unchanged');
  t.same(await tree(join(root, '.trash', DAY)), [`${REC}.notes.txt`]);
});

t.test('rec-serve keep: a .keep that is a link is refused (409), its target never created', async (t) => {
  const { root, outside } = await served(t);
  const other = '10-00-00_level_0002';
  await addRecording(root, await makeOpus(outside, 1), { day: DAY, stem: other });
  await rm(join(outside, 'src-1.opus'));
  await symlink(join(outside, 'created-by-keep'), join(root, DAY, `${REC}.keep`));
  const s = await startServe(t, ['--out', root], { LOG_LEVEL: 'info' });
  const rec = `${s.url}/api/recordings/${DAY}/${REC}.opus`;
  for (const method of ['PUT', 'POST']) {
    const r = await fetch(`${rec}/keep`, { method });
    t.equal(r.status, 409, `${method} keep over a dangling link: 409`);
    t.match(await r.json(), { error: /symbolic link/ });
    await t.rejects(lstat(join(outside, 'created-by-keep')), 'the link\'s target was not created');
  }
  t.equal((await fetch(`${rec}/keep`, { method: 'DELETE' })).status, 409, 'nor is the link removed as if it were the marker');
  t.ok((await lstat(join(root, DAY, `${REC}.keep`))).isSymbolicLink(), 'the link is left for a person to look at');
  t.same(await tree(outside), [], 'nothing outside');
  // A link to an outside file: not written, not truncated.
  await writeFile(join(outside, 'precious.txt'), 'do not touch');
  await rm(join(root, DAY, `${REC}.keep`));
  await symlink(join(outside, 'precious.txt'), join(root, DAY, `${REC}.keep`));
  t.equal((await fetch(`${rec}/keep`, { method: 'PUT' })).status, 409);
  t.equal(await readFile(join(outside, 'precious.txt'), 'utf8'), 'do not touch');
  await waitFor(() => s.stderr().split('\n').filter((l) => l.includes(`${REC}.keep`)).length >= 4);
  t.equal(s.stderr().split('\n').filter((l) => l.includes(`${REC}.keep`)).length, 4, 'one line per refusal');

  // A normal keep still works: created, idempotent, removed.
  const ok = `${s.url}/api/recordings/${DAY}/${other}.opus`;
  t.equal((await fetch(`${ok}/keep`, { method: 'PUT' })).status, 200);
  const st = await lstat(join(root, DAY, `${other}.keep`));
  t.ok(st.isFile() && st.size === 0, 'an empty marker file');
  t.equal((await fetch(`${ok}/keep`, { method: 'PUT' })).status, 200, 'keeping twice is fine');
  t.match(await (await fetch(ok)).json(), { keep: true });
  t.equal((await fetch(`${ok}/keep`, { method: 'DELETE' })).status, 200);
  await t.rejects(lstat(join(root, DAY, `${other}.keep`)), 'marker removed');
  t.equal((await fetch(`${ok}/keep`, { method: 'DELETE' })).status, 200, 'removing it twice is fine');
});

t.test('rec-serve: a day folder linked inside the root is listed, but nothing is created or moved through it', async (t) => {
  const { root } = await served(t);
  // A day folder that is a link to another folder inside the root (the index lists what stays inside).
  const elsewhere = join(root, 'elsewhere');
  await mkdir(elsewhere);
  await copyFile(join(root, DAY, `${REC}.opus`), join(elsewhere, '08-00-00_vad_0003.opus'));
  await symlink(elsewhere, join(root, '2026-11-27'));
  const s = await startServe(t, ['--out', root]);
  const rec = `${s.url}/api/recordings/2026-11-27/08-00-00_vad_0003.opus`;
  t.equal((await fetch(rec)).status, 200, 'listed');
  t.equal((await fetch(`${rec}/keep`, { method: 'PUT' })).status, 409, 'keep through a linked day folder: 409');
  t.equal((await fetch(rec, { method: 'DELETE' })).status, 409, 'delete through a linked day folder: 409');
  t.same(await tree(elsewhere), ['08-00-00_vad_0003.opus'], 'no marker created, nothing moved');
  t.same(await tree(join(root, '.trash')), []);
});

/** Until `cond` holds (log lines reach the test through a pipe, after the response); tap's timeout bounds it. */
async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 25));
}
