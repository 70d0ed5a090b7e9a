// The README's "run it" command: `npm start` runs examples/demo.sh. Run here as
// fast as possible (DEMO_REALTIME=0), without the dashboard (DEMO_SERVE=0; the
// dashboard has its own end-to-end test), into a temporary folder.
import t from 'tap';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DEMO_TRUTH, ROOT, decode, lines, tempDir } from './helpers.js';

t.test('the demo pipeline leaves one complete recording per demo event', async (t) => {
  const out = join(await tempDir(t), 'recordings');
  const r = await execa('sh', [join(ROOT, 'examples/demo.sh')], { env: { DEMO_REALTIME: '0', DEMO_SERVE: '0', REC_OUT: out }, reject: false, stdin: 'ignore' });
  t.equal(r.exitCode, 0, r.stderr);
  const ready = lines(r.stdout) as unknown as Array<{ type: string; opus: string; waveform: string; durationMs: number }>;
  const truth = JSON.parse(await readFile(DEMO_TRUTH, 'utf8')) as { events: unknown[] };
  t.equal(ready.length, truth.events.length, 'one recording.ready line per demo event');
  for (const rec of ready) {
    t.equal(rec.type, 'recording.ready');
    const d = await decode(rec.opus);
    t.ok(Math.abs(d.durationMs - rec.durationMs) <= 20, `${rec.opus} plays the whole event`);
    t.ok(JSON.parse(await readFile(rec.waveform, 'utf8')).length > 0, 'with a waveform');
  }
  t.same((await readdir(join(out, '.spool'))).filter((f) => !f.endsWith('_status.json')), [], 'spool empty');
});
