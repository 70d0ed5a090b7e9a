// Issue #17, part 1: an event split by --max-length or a manual split loses
// nothing. The part after the last split holds the last words' decay and the hang
// time; it used to be thrown away as "shorter than --min-length" when no frame of
// it crossed the threshold. Real speech (espeak-ng), real rec-segment, real Opus.
import t, { type Test } from 'tap';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { bin, decode, lines, segmentFile, tempDir } from './helpers.js';
import type { EventFinished, EventLine } from '../src/lib/contracts.js';

const TALK =
  'So I told him the kettle was broken again. He said he would look at it on Sunday. ' +
  'I said Sunday is too late, we need tea today. Then he laughed and went to the shop for a new one.';

/** About 12 s of talk with short pauses, 1 s of silence before and 5 s after, as a 48 kHz mono WAV. */
async function conversation(dir: string): Promise<string> {
  const speech = join(dir, 'speech.wav');
  await execa('espeak-ng', ['-v', 'en-us', '-s', '150', '-g', '6', '-w', speech, TALK]);
  const out = join(dir, 'talk.wav');
  await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', speech, '-af', 'aresample=48000,adelay=1000,apad=pad_dur=5', '-ac', '1', out]);
  return out;
}

const finishedOf = (stdout: string) => lines(stdout).filter((e): e is EventFinished => e.type === 'event.finished');

/** Parts joined frame to frame, each .opus decoding to its own length. */
async function assertWhole(t: Test, parts: EventFinished[], from: number, to: number) {
  t.equal(parts[0]!.startOffsetMs, from, 'the first part starts where the unsplit event starts');
  for (let i = 1; i < parts.length; i++) t.equal(parts[i]!.startOffsetMs, parts[i - 1]!.endOffsetMs, `part ${i + 1} starts at the very next frame`);
  t.equal(parts.at(-1)!.endOffsetMs, to, 'the last part ends where the unsplit event ends: the last words and the hang time are kept');
  for (const p of parts) {
    const d = await decode(p.opus!);
    t.ok(Math.abs(d.durationMs - p.durationMs) <= 20, `${p.stem}.opus decodes to ${d.durationMs} ms (part ${p.durationMs} ms)`);
  }
}

t.test('a conversation split by --max-length right after its last word: the tail part is kept', async (t) => {
  const dir = await tempDir(t);
  const input = await conversation(dir);
  // Once without splitting: where the event starts and ends.
  const whole = await segmentFile(input, join(dir, 'whole'), ['--no-stream-encode', '--max-length', '600']);
  t.equal(whole.exitCode, 0, whole.stderr);
  const [ev] = finishedOf(whole.stdout);
  t.equal(finishedOf(whole.stdout).length, 1, 'one event for the whole conversation');
  const { startOffsetMs: from, endOffsetMs: to } = ev!;
  // A max-length whose last split falls 1.5 s before the end: inside the hang time,
  // after the last word, so the last part has no frame over the threshold.
  const span = to - 1500 - from;
  const k = Math.max(2, Math.floor(span / 3000));
  const maxLength = Math.floor(span / k / 20) * 20;
  t.ok(maxLength > 2200, `--max-length ${maxLength / 1000} s gives ${k} parts and a tail`);
  const r = await segmentFile(input, join(dir, 'split'), ['--max-length', String(maxLength / 1000)]);
  t.equal(r.exitCode, 0, r.stderr);
  const all = lines(r.stdout);
  t.same(all.filter((e: EventLine) => e.type === 'event.discarded'), [], 'nothing discarded');
  const parts = finishedOf(r.stdout);
  t.equal(parts.length, k + 1, `${k} full parts and the tail`);
  for (const p of parts.slice(0, -1)) t.equal(p.split, 'max-length');
  t.ok(parts.at(-1)!.durationMs < 3000, `the tail is ${parts.at(-1)!.durationMs} ms: shorter than the hang time`);
  await assertWhole(t, parts, from, to);
});

for (const how of ['the control FIFO', 'SIGUSR1'] as const)
t.test(`a manual split through ${how} just after the last word: the tail part is kept`, async (t) => {
  const dir = await tempDir(t);
  const input = await conversation(dir);
  const pcm = (await execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', input, '-f', 's16le', '-ac', '1', '-ar', '48000', 'pipe:1'], { encoding: 'buffer' })).stdout;
  const whole = await segmentFile(input, join(dir, 'whole'), ['--no-stream-encode', '--max-length', '600']);
  const [ev] = finishedOf(whole.stdout);
  const { startOffsetMs: from, endOffsetMs: to } = ev!;
  // Fed by hand: all audio up to 1.5 s before the event's end, then the split, then the rest.
  const fifo = join(dir, 'control');
  const seg = execa('node', [bin('rec-segment'), '--out', join(dir, 'rec'), '--control', fifo, '--min-length', '0.5'], { reject: false });
  // rec-segment makes the FIFO itself.
  while (!(await stat(fifo).catch(() => null))?.isFIFO()) await sleep(50);
  let stdout = '';
  const splitSeen = new Promise<void>((resolve) => {
    seg.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (stdout.includes('"split":"manual"')) resolve();
    });
  });
  const cut = Math.round(((to - 1500) * 48) / 960) * 1920;
  await new Promise<void>((resolve) => seg.stdin!.write(pcm.subarray(0, cut), () => resolve()));
  // Until rec-segment has read all of it (its status counts the frames in).
  const statusFile = join(dir, 'rec', '.spool', 'segmenter_status.json');
  const framesIn = async () => ((JSON.parse(await readFile(statusFile, 'utf8').catch(() => '{}')) as { input?: { framesIn?: number } }).input?.framesIn ?? 0);
  while ((await framesIn()) < cut / 1920) await sleep(50);
  // The command takes effect at the next frame read after it: feed one frame at a
  // time until the first part is announced, then the rest.
  let stderr = '';
  seg.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  if (how === 'SIGUSR1') seg.kill('SIGUSR1');
  else await writeFile(fifo, '{"command":"split"}\n');
  // Until rec-segment has taken the command (it logs it): then the next frame is cut.
  for (let waited = 0; !/"command":"split"/.test(stderr); waited += 20) {
    if (waited > 30_000) throw new Error(`rec-segment never took the split (${how}): ${stderr.slice(-500)}`);
    await sleep(20);
  }
  let fed = cut;
  let announced = false;
  void splitSeen.then(() => (announced = true));
  while (!announced && fed < pcm.length) {
    await new Promise<void>((resolve) => seg.stdin!.write(pcm.subarray(fed, fed + 1920), () => resolve()));
    fed += 1920;
    await Promise.race([splitSeen, new Promise((resolve) => setImmediate(resolve))]);
  }
  seg.stdin!.end(pcm.subarray(fed));
  const r = await seg;
  t.equal(r.exitCode, 0, r.stderr);
  t.same(lines(stdout).filter((e) => e.type === 'event.discarded'), [], 'nothing discarded');
  const parts = finishedOf(stdout);
  t.equal(parts.length, 2, 'the event and its tail');
  t.equal(parts[0]!.split, 'manual');
  t.ok(parts[1]!.durationMs <= 1600, `the split came after the last word: a tail of ${parts[1]!.durationMs} ms`);
  await assertWhole(t, parts, from, to);
});
