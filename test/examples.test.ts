// The shell examples in examples/ do what their headers say, on generated audio.
import t from 'tap';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DEMO, DEMO_TRUTH, ROOT, decode, lines, tempDir } from './helpers.js';

const ex = (name: string) => join(ROOT, 'examples', name);
type Ready = { type: string; day: string; stem: string; opus: string; durationMs: number };

t.test('file-to-events, then re-encode that day smaller', async (t) => {
  const out = join(await tempDir(t), 'rec');
  const r = await execa(ex('file-to-events.sh'), [DEMO, out], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  const ready = lines(r.stdout) as unknown as Ready[];
  const truth = JSON.parse(await readFile(DEMO_TRUTH, 'utf8')) as { events: unknown[] };
  t.equal(ready.length, truth.events.length, 'one recording per demo event');
  const day = join(out, ready[0]!.day);
  const small = join(out, '..', 'small');
  const re = await execa(ex('reencode-day.sh'), [day, small, '12'], { reject: false });
  t.equal(re.exitCode, 0, re.stderr);
  const files = (await readdir(small)).sort();
  t.same(files, ready.map((x) => `${x.stem}.opus`).sort(), 'every recording re-encoded, under its own name');
  for (const x of ready) {
    const d = await decode(join(small, `${x.stem}.opus`));
    t.ok(Math.abs(d.durationMs - x.durationMs) <= 20, `${x.stem}: same length`);
    t.ok((await stat(join(small, `${x.stem}.opus`))).size < (await stat(x.opus)).size, 'and smaller');
  }
  t.equal(re.stdout, '', 'quiet on success');
});

t.test('alert-long-voice: only long voice events reach the alert command', async (t) => {
  const dir = await tempDir(t);
  const log = join(dir, 'alerts');
  const ev = (id: string, durationMs: number, voiceRatio: number, type = 'event.finished') => JSON.stringify({ type, id, durationMs, voiceRatio });
  const input = [ev('short', 5000, 0.9), ev('long-voice', 45000, 0.8), ev('long-noise', 60000, 0.1), ev('started', 99000, 1, 'event.started'), ev('long-voice-2', 31000, 0.5)].join('\n') + '\n';
  const r = await execa(ex('alert-long-voice.sh'), ['30'], { input, env: { ALERT_CMD: `jq -r .id >> ${log}` }, reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.same((await readFile(log, 'utf8')).trim().split('\n'), ['long-voice', 'long-voice-2']);
});

t.test('retranscribe-day: a transcript per recording, replaced atomically', async (t) => {
  const dir = await tempDir(t);
  const speech = join(dir, 'speech.wav');
  await execa('espeak-ng', ['-v', 'en-us', '-s', '120', '-w', speech, 'one two three four five. hello. the weather is nice today.']);
  const padded = join(dir, 'padded.wav');
  await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono:d=1', '-i', speech, '-filter_complex', '[1]aresample=48000,apad=pad_dur=4[s];[0][s]concat=n=2:v=0:a=1', '-ac', '1', padded]);
  const out = join(dir, 'rec');
  const r = await execa(ex('file-to-events.sh'), [padded, out], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  const [rec] = lines(r.stdout) as unknown as Ready[];
  const day = join(out, rec!.day);
  const tr = await execa(ex('retranscribe-day.sh'), [day], { reject: false });
  t.equal(tr.exitCode, 0, tr.stderr);
  const json = JSON.parse(await readFile(join(day, `${rec!.stem}.transcript.json`), 'utf8')) as { text: string; engine: string };
  t.equal(json.engine, 'pocketsphinx_continuous');
  const heard = ['one', 'two', 'three', 'four', 'five', 'hello', 'weather', 'today'].filter((w) => json.text.split(' ').includes(w));
  t.ok(heard.length >= 2, `"${json.text}" holds spoken words`);
  t.notOk((await readdir(day)).some((f) => f.endsWith('.tmp')), 'no temp file left');
});

t.test('custom-trigger: a loud low hum is ignored, a high whistle is recorded', async (t) => {
  const dir = await tempDir(t);
  const input = join(dir, 'hum-then-whistle.wav');
  // 1 s quiet, 2 s of loud 150 Hz hum, 3 s quiet, 2 s of a 4 kHz whistle, 4 s quiet.
  const expr = "0.5*sin(2*PI*150*t)*between(t,1,3)+0.2*sin(2*PI*4000*t)*between(t,6,8)";
  await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `aevalsrc='${expr}':d=12:s=48000`, '-ac', '1', input]);
  const out = join(dir, 'birds');
  await mkdir(out);
  const r = await execa(ex('custom-trigger.sh'), [input, out], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  const ready = lines(r.stdout) as unknown as Ready[];
  t.equal(ready.length, 1, 'one event: the whistle');
  const w = JSON.parse(await readFile(join(out, ready[0]!.day, `${ready[0]!.stem}.waveform.json`), 'utf8')) as { durationMs: number; data: number[] };
  t.ok(w.durationMs > 2000, 'it holds the whistle');
  // The event starts with the 2 s pre-roll before the whistle (6 s): quiet, no hum (it ended at 3 s).
  const preRoll = w.data.slice(0, 2 * 75);
  t.ok(Math.max(...preRoll) <= 4, `the first 1.5 s are quiet (peak ${Math.max(...preRoll)})`);
  t.ok(Math.max(...w.data) > 10, 'then the whistle');
  t.ok(ready[0]!.stem.includes('_level_'), 'triggered by level');
});

t.test('live-to-dashboard: the event in progress is on the dashboard while it is recorded', async (t) => {
  const dir = await tempDir(t);
  const input = join(dir, 'talk.wav');
  await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=f=300:d=5,adelay=1000,apad=pad_dur=2', '-ac', '1', input]);
  const out = join(dir, 'rec');
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const live = execa(ex('live-to-dashboard.sh'), [out], { env: { REC_INPUT: input, REC_PORT: port }, reject: false });
  t.teardown(() => execa('pkill', ['-f', out], { reject: false }).then(() => undefined));
  let inProgress: { inProgress?: boolean; liveUrl?: string } | undefined;
  for (let i = 0; i < 80 && !inProgress; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const res = await fetch(`http://127.0.0.1:${port}/api/recordings`).catch(() => null);
    if (!res?.ok) continue;
    const body = (await res.json()) as { items: Array<{ inProgress?: boolean; liveUrl?: string }> };
    inProgress = body.items.find((x) => x.inProgress);
  }
  t.ok(inProgress, 'the dashboard lists the event while it is recorded');
  t.match(inProgress?.liveUrl, /^\/live\/.*\.webm$/, 'with a live stream to play');
  const r = await live;
  t.equal(r.exitCode, 0, r.stderr);
  const ready = lines(r.stdout) as unknown as Ready[];
  t.equal(ready.length, 1, 'and it became a finished recording');
  await t.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'the dashboard stopped with the pipeline');
});
