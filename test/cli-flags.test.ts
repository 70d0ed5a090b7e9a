// Issue #16: every number flag is checked in one place (src/lib/cli.ts) before any
// work starts: an empty value is a usage error, not 0, and a delay fed to a timer
// cannot exceed what Node's timers hold (2^31 - 1 ms, past which they fire at once).
import t from 'tap';
import { execa } from 'execa';
import { bin, tempDir } from './helpers.js';
import { MAX_TIMER_MS, timerMs } from '../src/lib/timers.js';

const run = (tool: string, args: string[], env: Record<string, string> = {}) =>
  execa('node', [bin(tool), ...args], { reject: false, input: '', env: { ...env, LOG_LEVEL: 'silent' } });

t.test('an empty number flag is a usage error (exit 64, one line), however it is given', async (t) => {
  const out = await tempDir(t);
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['rec-segment', ['--out', out, '--pre-roll', ''], {}, /^rec-segment: --pre-roll: empty; a number is needed \(see --help\)$/],
    ['rec-segment', ['--out', out, '--hang='], {}, /^rec-segment: --hang: empty/],
    ['rec-segment', ['--out', out], { REC_MIN_LENGTH: '  ' }, /^rec-segment: --min-length: empty/],
    ['rec-sidecars', ['--out', out, '--retry', ' '], {}, /^rec-sidecars: --retry: empty/],
    ['rec-serve', ['--out', out, '--port='], {}, /^rec-serve: --port: empty/],
    ['rec-capture', ['--input', '-', '--gain', ''], {}, /^rec-capture: --gain: empty/],
    ['rec-status', ['--max-age', ''], {}, /^rec-status: --max-age: empty/],
    ['rec-opus-stream', ['--bitrate=', `${out}/x.opus`], {}, /^rec-opus-stream: --bitrate: empty/],
  ];
  for (const [tool, args, env, message] of cases) {
    const r = await run(tool, args, env);
    t.equal(r.exitCode, 64, `${tool} ${args.join(' ')} ${JSON.stringify(env)}: exit 64`);
    t.match(r.stderr, message);
  }
});

t.test('a delay longer than a timer can hold is refused with the range (exit 64)', async (t) => {
  const out = await tempDir(t);
  const cases: Array<[string, string[], RegExp]> = [
    ['rec-sidecars', ['--out', out, '--archive-timeout', '1e7'], /--archive-timeout: must be from 1 to 2147483 seconds, got 10000000/],
    ['rec-sidecars', ['--out', out, '--retention-interval', '1e6'], /--retention-interval: must be from 0.01 to 35791 minutes, got 1000000/],
    ['rec-sidecars', ['--out', out, '--retry', '1e7'], /--retry: must be from 0.01 to 2147483 seconds/],
    ['rec-sidecars', ['--out', out, '--archive-backoff', '1e7'], /--archive-backoff: must be from 0 to 2147483 seconds/],
    ['rec-capture', ['--input', '-', '--retry-delay', '1e7'], /--retry-delay: must be from 0.05 to 2147483 seconds/],
    ['rec-capture', ['--input', '-', '--stall-timeout', '1e7'], /--stall-timeout: must be from 0 to 2147483 seconds/],
    ['rec-opus-stream', ['--timeout', '1e7', `${out}/x.opus`], /--timeout: must be from 0.1 to 2147483 seconds/],
  ];
  for (const [tool, args, message] of cases) {
    const r = await run(tool, args);
    t.equal(r.exitCode, 64, `${tool} ${args.join(' ')}: exit 64`);
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  // The largest accepted value is accepted.
  const ok = await run('rec-sidecars', ['--out', out, '--archive-timeout', '2147483']);
  t.equal(ok.exitCode, 0, ok.stderr);
});

t.test('timerMs keeps computed delays where Node keeps them', async (t) => {
  t.equal(timerMs(1500), 1500);
  t.equal(timerMs(-5), 0);
  t.equal(timerMs(10 * 2 ** 99), MAX_TIMER_MS, 'a back-off doubled 100 times waits the longest, not 1 ms');
  t.equal(timerMs(Infinity), MAX_TIMER_MS);
  t.equal(timerMs(Number.NaN), MAX_TIMER_MS);
});
