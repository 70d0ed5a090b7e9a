// The short form of the rec-serve fault scenarios (test/faults/serve-siege.ts):
// a siege of clients and hostile requests while the pipeline records, and
// kill -9 of rec-serve with clients connected. The recording must not notice,
// rec-serve must come back, and nothing may be left behind.
import t from 'tap';
import { siegeScenario, killServeScenario } from './faults/serve-siege.js';
import { tempDir } from './helpers.js';

t.test('serve-siege: many clients and hostile requests while recording', async (t) => {
  const dir = await tempDir(t, 'rec-siege-');
  const r = await siegeScenario.run({ seed: 0x5e1e, trial: 0, dir, form: 'short' });
  t.comment(r.note ?? '');
  t.equal(r.audioLostMs, 0, 'no audio lost');
  t.same(r.leaked, [], 'nothing left behind');
  t.not(r.recoveryMs, null, `recovered (${r.recoveryMs} ms after the siege)`);
  t.not(r.visible, null, `visible: ${r.visible}`);
  const f = r.figures;
  t.same(f.violations, [], 'no traversal, no 500, every bound held');
  t.equal(f.gaps, 0, 'rec-segment kept real time');
  t.ok(f.events >= 2, `${f.events} events recorded during the siege`);
  t.ok(f.peakFfmpeg <= 5, `ffmpeg children peaked at ${f.peakFfmpeg} (max-live 4 + 1 spare)`);
  t.ok(f.live.refused > 0 && f.live.maxAcceptedInWave <= 4, `live: ${f.live.accepted} accepted, ${f.live.refused} refused`);
  t.ok(f.sse.refused > 0 && f.sse.accepted <= 32, `event clients: ${f.sse.accepted} accepted, ${f.sse.refused} refused`);
  t.ok(f.load && f.load.requests > 0, 'the load got answers');
  t.ok(f.healthzMs !== null && f.healthzMs < 1000, `/healthz answered in ${f.healthzMs} ms after the siege`);
  // The unit's MemoryMax (128M) holds rec-serve and its ffmpeg children.
  t.ok(f.peakRssWithChildrenMb < 128, `RSS peaked at ${f.peakRssMb} MB (anon ${f.peakAnonMb} MB); ${f.peakRssWithChildrenMb} MB with ffmpeg's private memory`);
});

t.test('kill-serve: kill -9 with clients connected, restarted', async (t) => {
  const dir = await tempDir(t, 'rec-killserve-');
  const r = await killServeScenario.run({ seed: 0x0c0ffee, trial: 0, dir, form: 'short' });
  t.comment(r.note ?? '');
  t.equal(r.audioLostMs, 0, 'no audio lost');
  t.same(r.leaked, [], 'nothing left behind (no remux ffmpeg outlives rec-serve)');
  t.not(r.recoveryMs, null, `recovered ${r.recoveryMs} ms after the kill`);
  t.not(r.visible, null, `visible: ${r.visible}`);
  t.same(r.figures.violations, [], 'recording untouched, clients served again');
  t.equal(r.figures.gaps, 0, 'rec-segment kept real time');
  t.ok(r.figures.remuxAtKill >= 1, `${r.figures.remuxAtKill} remux ffmpeg running at the kill`);
});
