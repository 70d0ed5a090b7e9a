// rec-status on a live rec-segment (during an event, then stale after it stops)
// and on hand-made status files: health checks, exit statuses, bad files.
import { monotonicMs } from '../src/lib/clock.js';
import t from 'tap';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { bin, livePipeline, statusFixture, synth, tempDir } from './helpers.js';
import { schemaError, type SegmenterStatus } from '../src/lib/contracts.js';
import { StatusWriter } from '../src/segment/status-writer.js';
import type { Recorder } from '../src/segment/recorder.js';
import { createLogger } from '../src/lib/log.js';
import { readFile } from 'node:fs/promises';

const status = (args: string[]) => execa('node', [bin('rec-status'), ...args], { reject: false });

t.test('during an event: recording, in progress, healthy; after the segmenter stops: stale', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'rec');
  const tone = await synth(join(dir, 'tone.wav'), 'sine=f=300:d=10,adelay=1000,apad=pad_dur=1', ['-ac', '1']);
  const live = livePipeline(t, tone, out, ['--hang', '1']);
  const run = live.run();
  await live.eventStarted();
  await sleep(1500);
  const json = await status(['--out', out, '--json']);
  t.equal(json.exitCode, 0, json.stderr);
  const s = JSON.parse(json.stdout) as SegmenterStatus & { ageMs: number; stale: boolean };
  t.equal(schemaError('segmenter_status.schema.json', { ...s, ageMs: undefined, stale: undefined }), null);
  t.match(s, { capturing: true, stale: false, event: { inProgress: true } });
  t.ok(s.event!.partialPath?.endsWith('.partial.opus'), 'streaming to a partial');
  t.ok(s.ageMs < 6000);
  const text = await status(['--out', out]);
  t.match(text.stdout, /^rec-segment\s+recording; updated/m);
  t.match(text.stdout, /^event\s+level, .* streaming to \d{4}-\d\d-\d\d\/.*\.partial\.opus/m);
  const ok = await status(['--out', out, '--check']);
  t.equal(ok.exitCode, 0, `healthy while recording: ${ok.stdout}`);
  t.equal(ok.stdout, '', '--check is quiet when healthy');
  t.equal((await run).exitCode, 0);
  await sleep(1200);
  const stale = await status(['--out', out, '--check', '--max-age', '1']);
  t.equal(stale.exitCode, 1);
  t.match(stale.stdout, /^stale: updated .* ago/m);
  t.match((await status(['--out', out, '--max-age', '1'])).stdout, /STALE/);
});

t.test('health checks on hand-made status files', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'status.json');
  const check = async (s: SegmenterStatus, extra: string[] = []) => {
    t.equal(schemaError('segmenter_status.schema.json', s), null, 'the fixture is a valid status');
    await writeFile(file, JSON.stringify(s));
    return status(['--status-file', file, '--check', ...extra]);
  };
  t.equal((await check(statusFixture())).exitCode, 0, 'healthy');
  const idle = await check(statusFixture({ capturing: false }));
  t.equal(idle.exitCode, 1);
  t.match(idle.stdout, /not capturing/);
  const backlog = await check(statusFixture({ spool: { pendingJobs: 30, bytes: 9e7, freeBytes: 4e8, error: null } }));
  t.match(backlog.stdout, /spool backing up: 30 jobs/);
  t.equal((await check(statusFixture({ spool: { pendingJobs: 30, bytes: 9e7, freeBytes: 4e8, error: null } }), ['--max-pending-jobs', '50'])).exitCode, 0, 'threshold as a flag');
  const full = await check(statusFixture({ disk: { freeBytes: 10 * 1024 * 1024 } }));
  t.match(full.stdout, /recordings disk almost full: 10 MB free/);
  const susp = await check(statusFixture({ streamingEncode: { enabled: true, active: 0, failures: 2, queueFrames: 0, suspended: true, suspendedUntil: new Date().toISOString(), suspendReason: 'encoder fell behind real time' } }));
  t.match(susp.stdout, /streaming encode suspended: encoder fell behind real time/);
  const old = await check(statusFixture({ updatedAt: new Date(Date.now() - 60_000).toISOString() }));
  t.match(old.stdout, /^stale: updated 1 min \d+ s ago/m);
  // Dates the schema cannot check (formats are not validated) must not pass for fresh.
  await writeFile(file, JSON.stringify(statusFixture({ updatedAt: 'yesterday' })));
  const bad = await status(['--status-file', file, '--check']);
  t.equal(bad.exitCode, 65, 'an unreadable updatedAt is a corrupt file');
  t.match(bad.stderr, /updatedAt/);
});

t.test('missing, corrupt and invalid files; conflicting modes', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'rec', '.spool'), { recursive: true });
  const missing = await status(['--out', join(dir, 'rec')]);
  t.equal(missing.exitCode, 66);
  t.match(missing.stderr, /^rec-status: .*segmenter_status\.json: no such file \(is rec-segment running\?\)$/);
  await writeFile(join(dir, 'rec', '.spool', 'segmenter_status.json'), '{"schemaVersion":1,');
  const corrupt = await status(['--out', join(dir, 'rec')]);
  t.equal(corrupt.exitCode, 65);
  t.match(corrupt.stderr, /not JSON/);
  await writeFile(join(dir, 'rec', '.spool', 'segmenter_status.json'), JSON.stringify({ ...statusFixture(), capturing: 'yes' }));
  const invalid = await status(['--out', join(dir, 'rec'), '--json']);
  t.equal(invalid.exitCode, 65);
  t.match(invalid.stderr, /does not match the status schema: \/capturing/);
  const both = await status(['--json', '--check']);
  t.equal(both.exitCode, 64);
  t.equal(both.stderr.trim().split('\n').length, 1, 'one line');
});

t.test('--watch redraws when the file changes', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'status.json');
  await writeFile(file, JSON.stringify(statusFixture()));
  const w = execa('node', [bin('rec-status'), '--status-file', file, '--watch'], { reject: false });
  let seen = '';
  w.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
  for (let i = 0; i < 50 && !seen.includes('-48.2 dBFS'); i++) await sleep(100);
  await writeFile(`${file}.tmp`, JSON.stringify(statusFixture({ level: { rmsDbfs: -21.5, peakDbfs: -3, noiseFloorDbfs: -58.1, thresholdDbfs: -48.1, voice: true } })));
  await execa('mv', [`${file}.tmp`, file]);
  for (let i = 0; i < 30 && !seen.includes('-21.5 dBFS'); i++) await sleep(100);
  w.kill('SIGTERM');
  const r = await w;
  t.match(seen, /-48\.2 dBFS/);
  t.match(seen, /-21\.5 dBFS, noise floor -58\.1 dBFS, threshold -48\.1 dBFS, voice/, 'the new level after the file was replaced');
  t.equal(r.exitCode, 0);
});

t.test('the status file follows audio stopping, starting and gaps at once, not at the next heartbeat', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'segmenter_status.json');
  const snap = statusFixture();
  const recorder = {
    version: 1,
    gaps: 0,
    lastFrameMono: monotonicMs() as number | null,
    wavDroppedTotal: 0,
    snapshot: () => ({ input: { ...snap.input, gaps: recorder.gaps }, level: snap.level, event: null, lastEvent: null, streamingEncode: snap.streamingEncode, spoolError: null }),
  };
  const writer = new StatusWriter({ path, spool: dir, out: dir, recorder: recorder as unknown as Recorder, log: createLogger('test', { level: 'silent' }), minIntervalMs: 50, heartbeatMs: 60_000 });
  t.teardown(() => writer.stop());
  const capturing = async () => ((JSON.parse(await readFile(path, 'utf8').catch(() => 'null')) as SegmenterStatus | null)?.capturing ?? null);
  const until = async (want: boolean) => {
    for (let i = 0; i < 40 && (await capturing()) !== want; i++) await sleep(50);
    return capturing();
  };
  writer.start();
  t.equal(await until(true), true, 'capturing while frames arrive');
  recorder.lastFrameMono = monotonicMs() - 3000; // nothing else changes: no version, no level move
  t.equal(await until(false), false, 'not capturing within a tick of the last frame getting old');
  recorder.lastFrameMono = monotonicMs();
  t.equal(await until(true), true, 'capturing again within a tick');
  // A hole shorter than the capturing window (a capture restarted in 1.5 s) never flips
  // `capturing`; the new gap count is written at once all the same.
  recorder.gaps = 1;
  const gaps = async () => ((JSON.parse(await readFile(path, 'utf8').catch(() => 'null')) as SegmenterStatus | null)?.input.gaps ?? null);
  // Frames keep arriving meanwhile (else `capturing` would flip after 2 s and write it anyway).
  for (let i = 0; i < 20 && (await gaps()) !== 1; i++) {
    recorder.lastFrameMono = monotonicMs();
    await sleep(50);
  }
  t.equal(await gaps(), 1, 'a gap in the input is written within a tick');
});
