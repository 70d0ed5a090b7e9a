// rec-segment's accuracy on generated recordings with known answers (bench/corpus.ts),
// scored by src/segment/score.ts, with the default settings a user gets.
import t from 'tap';
import { join } from 'node:path';
import { renderScenario, scenarios } from '../bench/corpus.js';
import { segmentWav } from '../bench/segment.js';
import { scoreEvents } from '../src/segment/score.js';
import { tempDir } from './helpers.js';

const all = scenarios({ minutes: 10 });

for (const name of ['pink-10db', 'brown', 'rising', 'hum']) {
  t.test(`${name}: every speech event at >= 10 dB SNR caught, no onset clipped, no endless event`, async (t) => {
    const dir = await tempDir(t);
    const { wav, truth } = await renderScenario(all.find((s) => s.name === name)!, dir);
    const detected = await segmentWav(wav, join(dir, 'out'));
    const speech = truth.events.filter((e) => (e.kind === 'speech' || e.kind === 'word') && (e.snrDb ?? 0) >= 10);
    const s = scoreEvents(speech, detected, truth.durationMs);
    t.equal(s.recall, 1, `speech recall ${s.recall}; missed ${JSON.stringify(s.missed.map((m) => [m.kind, m.startMs, m.snrDb]))}`);
    const everything = scoreEvents(truth.events, detected, truth.durationMs);
    t.equal(everything.clippedOnsets, 0, 'no onset clipped (pre-roll covers every true onset)');
    t.equal(everything.falseEvents, 0, 'no event where nothing happened');
    const longest = Math.max(...detected.map((e) => e.endOffsetMs - e.startOffsetMs));
    t.ok(longest < 20_000, `longest event ${longest} ms: the noise never holds an event open`);
  });
}

t.test('10 minutes of stationary noise: no event at all', async (t) => {
  const dir = await tempDir(t);
  const { wav, truth } = await renderScenario(all.find((s) => s.name === 'noise-only')!, dir);
  t.equal(truth.durationMs, 600_000);
  const detected = await segmentWav(wav, join(dir, 'out'));
  t.same(detected, [], 'no events');
});
