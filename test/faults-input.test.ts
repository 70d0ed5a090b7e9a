// Fault matrix, short form (test/faults/input.ts; the long form is `npm run faults`).
import t from 'tap';
import { tapScenarios } from './faults/tap.js';
import { scenarios } from './faults/input.js';
import { CAPTURE_INFLIGHT_MS, notDelivered } from './faults/audit.js';
import { makeWorld } from './faults/world.js';

t.test('the audit counts as delivered only what a running microphone says it played', async (t) => {
  const world = makeWorld(1, { lengthMs: 20_000, speed: 1 });
  const at = (ms: number) => (ms * world.rate) / 1000;
  const log = (...entries: object[]) => entries.map((e) => JSON.stringify({ pid: 1, wall: 0, ...e })).join('\n');
  t.same(notDelivered('', world), [[-Infinity, Infinity]], 'no microphone ever started: nothing delivered');
  t.same(notDelivered(log({ type: 'start', at: at(500) }), world), [[-Infinity, 500]], 'from its start on');
  t.same(
    notDelivered(log({ type: 'start', at: 0 }, { type: 'stall', from: at(5000), to: at(9000) }, { type: 'exit', at: at(9000) }, { type: 'start', at: at(9200) }), world),
    [[-Infinity, 0], [5000, 9000], [9000, 9200]],
    'a stall and a restart',
  );
  t.same(
    notDelivered(log({ type: 'start', at: 0 }, { type: 'end', at: at(7000) }), world),
    [[-Infinity, 0], [7000 - CAPTURE_INFLIGHT_MS, Infinity]],
    'a microphone whose reader went away, never started again: nothing after (its pipe lost with the reader)',
  );
});

tapScenarios(t, scenarios);
