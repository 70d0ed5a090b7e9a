// rec-status on a status file that is not one (issue 16): a FIFO, a device, a
// directory, a symlink, a 300 MB file. Each ends at once with exit status 65 and
// one line, in every mode, without reading more than a status file's worth.
import t from 'tap';
import { mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import which from 'which';
import { bin, statusFixture, tempDir } from './helpers.js';
import { readStatus } from '../src/status/read-status.js';

/** A run that hangs is killed at this deadline, and then fails its exit-status check. */
const DEADLINE_MS = 20_000;

const status = (args: string[]) => execa('node', [bin('rec-status'), ...args], { reject: false, timeout: DEADLINE_MS });

async function hostileFiles(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'rec-status-hostile-');
  const real = join(dir, 'real.json');
  await writeFile(real, JSON.stringify(statusFixture()));
  const fifo = join(dir, 'fifo.json');
  await execa('mkfifo', [fifo]);
  const zeroLink = join(dir, 'zero.json');
  await symlink('/dev/zero', zeroLink);
  const realLink = join(dir, 'link.json');
  await symlink(real, realLink);
  const folder = join(dir, 'folder.json');
  await mkdir(folder);
  const huge = join(dir, 'huge.json');
  const fh = await open(huge, 'w');
  await fh.truncate(300 * 1024 * 1024); // sparse: nothing is written
  await fh.close();
  const files: Array<[string, string, RegExp]> = [
    ['a FIFO', fifo, /not a status file: not a regular file \(a FIFO\)$/],
    ['a symlink to /dev/zero', zeroLink, /not a status file: a symbolic link/],
    ['/dev/zero', '/dev/zero', /not a status file: not a regular file \(a character device\)$/],
    ['a symlink to a real status file', realLink, /not a status file: a symbolic link/],
    ['a directory', folder, /not a status file: not a regular file \(a directory\)$/],
    ['a 300 MB file', huge, /not a status file: too big \(300 MB\)$/],
  ];
  return { dir, real, files };
}

t.test('summary, --json and --check: exit 65 at once, one line', async (t) => {
  const { real, files } = await hostileFiles(t);
  t.equal((await status(['--status-file', real])).exitCode, 0, 'the real file itself is fine');
  for (const [what, path, message] of files) {
    for (const mode of [[], ['--json'], ['--check']]) {
      const r = await status(['--status-file', path, ...mode]);
      t.equal(r.exitCode, 65, `${what} ${mode.join(' ')}: exit 65${r.timedOut ? ' (it hung)' : ''}`);
      t.equal(r.stderr.split('\n').length, 1, 'one line');
      t.match(r.stderr, new RegExp(`^rec-status: ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `), 'naming the file');
      t.match(r.stderr, message, 'saying what it is');
      t.equal(r.stdout, '', 'nothing shown as if it were a status');
    }
  }
});

t.test('a corrupt file quoted in the message keeps it on one line', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'status.json');
  await writeFile(file, '\nnot\njson\u0000\u0000\n');
  const r = await status(['--status-file', file]);
  t.equal(r.exitCode, 65);
  t.equal(r.stderr.split('\n').length, 1, 'one line');
  t.match(r.stderr, /corrupt, not JSON .*\\nnot\\njson\\u0000/, 'control characters escaped');
});

t.test('a 300 MB status file is not read into memory', async (t) => {
  const time = await which('time', { nothrow: true, path: '/usr/bin:/bin' });
  if (!time) return t.plan(0, 'no /usr/bin/time to measure the peak RSS');
  const { files } = await hostileFiles(t);
  const huge = files.find(([what]) => what.includes('300 MB'))![1];
  // GNU time: %M is the peak resident set in kB, written after the tool's own stderr.
  const r = await execa(time, ['-f', 'maxrss=%M', 'node', bin('rec-status'), '--status-file', huge], { reject: false, timeout: DEADLINE_MS });
  t.equal(r.exitCode, 65);
  const kb = Number(/maxrss=(\d+)/.exec(r.stderr)?.[1]);
  t.ok(kb > 0 && kb < 150 * 1024, `peak RSS ${(kb / 1024).toFixed(0)} MB (a whole read is over 600 MB)`);
});

t.test('--watch shows the problem and goes on; SIGTERM ends it with 0', async (t) => {
  const { files } = await hostileFiles(t);
  const fifo = files[0]![1];
  const w = execa('node', [bin('rec-status'), '--status-file', fifo, '--watch'], { reject: false, timeout: DEADLINE_MS });
  let seen = '';
  await new Promise<void>((resolve) => {
    w.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('not a regular file')) resolve();
    });
    void w.then(() => resolve());
  });
  t.match(seen, /fifo\.json: not a status file: not a regular file \(a FIFO\)/);
  w.kill('SIGTERM');
  const r = await w;
  t.equal(r.exitCode, 0, `ended by SIGTERM${r.timedOut ? ' (it hung)' : ''}`);
});

t.test('readStatus (also used by rec-segment at start-up) refuses them without hanging', async (t) => {
  const { files } = await hostileFiles(t);
  for (const [what, path, message] of files) {
    const r = await readStatus(path);
    t.match(r, { ok: false, reason: 'not-a-status-file', message }, what);
  }
  t.match(await readStatus('/nonexistent/status.json'), { ok: false, reason: 'missing' }, 'a missing file is still missing');
});
