// Issue #16: a folder that cannot be created is reported with its true reason.
// Node's recursive mkdir says ENOENT for a read-only file system; the tools said
// "cannot create (ENOENT)" for `--out` on a read-only card.
import t from 'tap';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { bin, tempDir } from './helpers.js';
import { makeDirs, makeDirsSync } from '../src/lib/make-dirs.js';

t.test('makeDirs: creates every level; a file in the way is ENOTDIR, not ENOENT', async (t) => {
  const dir = await tempDir(t);
  await makeDirs(join(dir, 'a/b/c'));
  makeDirsSync(join(dir, 'a/b/d/e'));
  await makeDirs(join(dir, 'a/b/c'));
  await writeFile(join(dir, 'file'), 'x');
  await t.rejects(makeDirs(join(dir, 'file/x/y')), { code: 'ENOTDIR' });
  t.throws(() => makeDirsSync(join(dir, 'file/x/y')), { code: 'ENOTDIR' });
});

// Mounting needs root (CI runs as root); elsewhere this probe cannot be made.
const roDir = await mkdtemp(join(tmpdir(), 'rec-ro-'));
const ro = join(roDir, 'ro');
await mkdir(ro);
const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro], { reject: false });
t.teardown(async () => {
  if (mounted.exitCode === 0) await execa('umount', [ro], { reject: false });
  await rm(roDir, { recursive: true, force: true });
});
const noMount = mounted.exitCode === 0 ? false : `cannot mount a read-only tmpfs here (${mounted.stderr.trim() || mounted.exitCode})`;

t.test('--out on a read-only file system: exit 73 naming EROFS, in every tool that creates it', { skip: noMount }, async (t) => {
  const dir = roDir;
  for (const [tool, args] of [
    ['rec-segment', ['--out', join(ro, 'rec')]],
    ['rec-sidecars', ['--out', join(ro, 'rec')]],
    ['rec-segment', ['--out', join(dir, 'rw'), '--spool', join(ro, 'spool')]],
    ['rec-opus-stream', [join(ro, 'day/x.opus')]],
  ] as const) {
    const r = await execa('node', [bin(tool), ...args], { input: '', reject: false });
    t.equal(r.exitCode, 73, `${tool} ${args.join(' ')}: exit 73`);
    t.match(r.stderr, /cannot create.*read-only file system \(EROFS\)/, r.stderr);
    t.notMatch(r.stderr, /ENOENT/);
  }
});
