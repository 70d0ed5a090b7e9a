// Steps of the wall clock (NTP setting a Raspberry Pi's clock after boot, or
// stepping it back): event names follow the new time without counting a gap,
// the status heartbeat and its readers keep their footing, retention does not
// take a folder named in 1970 for an old one. The whole pipeline under
// libfaketime is the fault matrix's clock-back / clock-forward (test/faults/clock.ts).
import t from 'tap';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClockStepDetector } from '../src/lib/clock.js';
import { createLogger } from '../src/lib/log.js';
import type { EventLine, EventFinished } from '../src/lib/contracts.js';
import { Recorder } from '../src/segment/recorder.js';
import { readStatus, statusAgeMs } from '../src/status/read-status.js';
import { checkHealth } from '../src/status/summary.js';
import { Retention } from '../src/sidecars/retention.js';
import { statusFixture, tempDir } from './helpers.js';

const log = createLogger('test', { level: 'silent' });

t.test('ClockStepDetector: steps either way, not drift', async (t) => {
  let wall = 1_000_000;
  let mono = 0;
  const d = new ClockStepDetector(
    () => wall,
    () => mono,
  );
  t.equal(d.check(), 0, 'first reading');
  wall += 20;
  mono += 20;
  t.equal(d.check(), 0, 'both clocks ran');
  for (let i = 0; i < 100; i++) {
    wall += 25; // 25 % fast for 2 s: slewing, not a step, when read every frame
    mono += 20;
    t.equal(d.check(), 0);
  }
  wall += 3_600_000;
  t.equal(d.check(), 3_600_000, 'stepped forward');
  wall -= 7_200_000;
  t.equal(d.check(), -7_200_000, 'stepped back');
  t.equal(d.check(), 0, 'once');
});

t.test('Recorder: events after a step are named by the new time, the open one keeps its name, no gap counted', async (t) => {
  const dir = await tempDir(t);
  const lines: EventLine[] = [];
  let wall = Date.parse('1970-01-01T00:00:00Z');
  let mono = 0;
  const rec = new Recorder({
    out: join(dir, 'rec'),
    spool: join(dir, 'spool'),
    rate: 48000,
    vad: null,
    emit: (l) => lines.push(l),
    log,
    stream: null,
    detector: { trigger: 'level', hangMs: 500, preRollMs: 200, initialFloorDbfs: -80 },
    now: () => wall,
    mono: () => mono,
  });
  const quiet = Buffer.alloc(1920);
  const loud = Buffer.alloc(1920);
  for (let i = 0; i < 960; i++) loud.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48000)), i * 2);
  const play = (frames: number, frame: Buffer) => {
    for (let i = 0; i < frames; i++) {
      rec.pushFrame(frame);
      wall += 20;
      mono += 20;
    }
  };
  play(100, quiet);
  play(50, loud); // event 1 starts at 1970-01-01T00:00:01.8
  wall += Date.parse('2026-11-26T10:00:00Z') - wall; // NTP, mid-event
  play(50, loud);
  play(100, quiet); // event 1 ends
  play(50, loud); // event 2
  play(100, quiet);
  wall -= 3_600_000; // stepped back an hour, between events
  play(20, quiet);
  play(50, loud); // event 3
  play(100, quiet);
  await rec.drain('eof');
  const finished = lines.filter((l): l is EventFinished => l.type === 'event.finished');
  t.equal(finished.length, 3, 'three events');
  t.equal(finished[0]!.day, '1970-01-01', 'the event open at the step keeps its name');
  t.ok(finished[0]!.durationMs > 2000 && finished[0]!.durationMs < 3500, `and its length is counted in frames, not by the clock (${finished[0]!.durationMs} ms)`);
  t.equal(finished[0]!.endedAt, new Date(Date.parse(finished[0]!.startedAt) + finished[0]!.durationMs).toISOString());
  const second = Date.parse(finished[1]!.startedAt);
  t.ok(Math.abs(second - Date.parse('2026-11-26T10:00:02.800Z')) <= 300, `the next one by the new time (${finished[1]!.startedAt})`);
  t.equal(finished[1]!.day, '2026-11-26');
  const third = Date.parse(finished[2]!.startedAt);
  t.ok(Math.abs(third - (second + 3000 + 400 - 3_600_000)) <= 300, `after the step back, an hour earlier (${finished[2]!.startedAt})`);
  t.equal(rec.gaps, 0, 'a clock step is not an input gap');
  t.equal(rec.clockStepCount, 2);
  t.same(
    finished.map((e) => e.startOffsetMs),
    [...finished.map((e) => e.startOffsetMs)].sort((a, b) => a - b),
    'stream positions never jump',
  );
});

t.test('a status from the future: fresh within the tolerance, stale beyond it (the clock stepped back and nobody rewrote it)', async (t) => {
  const now = Date.parse('2026-11-26T10:00:00Z');
  t.equal(statusAgeMs(now - 2000, now), 2000);
  t.equal(statusAgeMs(now + 2000, now), 0, 'a little ahead: fresh');
  t.equal(statusAgeMs(now + 3_600_000, now), 3_600_000, 'an hour ahead: as old as it is far');
  const path = join(await tempDir(t), 'segmenter_status.json');
  await writeFile(path, JSON.stringify(statusFixture({}, now + 3_600_000)));
  const r = await readStatus(path, now);
  t.ok(r.ok && r.stale, 'judged stale');
  if (!r.ok) return;
  const problems = checkHealth(r.status, r.ageMs, { maxAgeMs: 15_000, maxPendingJobs: 20, minFreeBytes: 0 }, now);
  t.match(problems[0], /in the future \(the clock stepped back/);
  await writeFile(path, JSON.stringify(statusFixture({}, now + 1000)));
  const fresh = await readStatus(path, now);
  t.ok(fresh.ok && !fresh.stale && fresh.ageMs === 0, 'a second ahead: fresh');
});

t.test('retention: a day folder named before the clock was set is not old', async (t) => {
  const out = join(await tempDir(t), 'rec');
  const mk = async (day: string, file: string) => {
    await mkdir(join(out, day), { recursive: true });
    await writeFile(join(out, day, file), Buffer.alloc(1000));
  };
  await mk('1970-01-01', '00-00-03_level_aaaa.opus');
  await mk('1970-01-01', '00-00-03_level_aaaa.waveform.json');
  await mk('2026-11-01', '10-00-00_level_bbbb.opus');
  await mk('2026-11-26', '10-00-00_level_cccc.opus');
  const now = () => Date.parse('2026-11-26T12:00:00');
  const keep = await new Retention(out, { keepDays: 7, trashDays: 7, archiving: false }, log, async () => 10, now).run();
  t.equal(keep.trashed, 1, 'only the dated old one');
  t.ok(await stat(join(out, '1970-01-01', '00-00-03_level_aaaa.opus')), 'the 1970 recording stays');
  t.ok(await stat(join(out, '.trash', '2026-11-01', '10-00-00_level_bbbb.opus')));
  // Under disk pressure the 1970 folder goes last, not first: 20 % per recording outside the trash.
  const usage = async () => 20 * (await readdir(out, { recursive: true })).map(String).filter((f) => f.endsWith('.opus') && !f.startsWith('.trash')).length;
  const full = await new Retention(out, { maxDiskUsagePercent: 30, trashDays: 7, archiving: false }, log, usage, now).run();
  t.equal(full.usedPercent, 20);
  t.ok(await stat(join(out, '1970-01-01', '00-00-03_level_aaaa.opus')), 'the 1970 recording is the one kept');
  await t.rejects(stat(join(out, '2026-11-26', '10-00-00_level_cccc.opus')), 'the dated one went first');
});
