// Unit tests of the shared plumbing: PCM framing, WAV writing/repair, NDJSON,
// environment flags.
import t from 'tap';
import { Readable, Writable } from 'node:stream';
import { readFile, readdir, writeFile, truncate, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PcmFramer } from '../src/lib/pcm-framer.js';
import { WavWriter, readWavInfo, repairWav, wavHeader, WAV_HEADER_BYTES } from '../src/lib/wav.js';
import { boundedLineWriter, readNdjson } from '../src/lib/ndjson.js';
import { envArgs } from '../src/lib/cli.js';
import { partialPathFor, isPartialPath } from '../src/encode/settings.js';
import { atomicWrite, atomicWriteJson, removeWritten, tempPathFor } from '../src/lib/atomic-write.js';
import { tempDir, decode } from './helpers.js';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of stream) out.push(c as Buffer);
  return out;
}

t.test('PcmFramer emits only whole frames whatever the chunking', async (t) => {
  const data = Buffer.alloc(1920 * 5 + 700);
  for (let i = 0; i < data.length; i++) data[i] = i % 251;
  // Odd-sized chunks, including ones smaller than a frame and a lone byte.
  const sizes = [1, 999, 3000, 17, 1920, 5000];
  const chunks: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    chunks.push(data.subarray(off, off + n));
    off += n;
  }
  let tail: unknown;
  const framer = new PcmFramer({ frameBytes: 1920, tail: 'drop', onTail: (info) => (tail = info) });
  const out = await collect(Readable.from(chunks).pipe(framer));
  for (const c of out) t.equal(c.length % 1920, 0, 'chunk is whole frames');
  const joined = Buffer.concat(out);
  t.equal(joined.length, 1920 * 5);
  t.same(joined, data.subarray(0, 1920 * 5), 'bytes unchanged and in order');
  t.match(tail, { partialBytes: 700, policy: 'drop' });
});

t.test('PcmFramer tail policies: pad to a frame, keep whole samples', async (t) => {
  const input = Buffer.alloc(1920 + 101, 1);
  const padded = Buffer.concat(await collect(Readable.from([input]).pipe(new PcmFramer({ frameBytes: 1920, tail: 'pad' }))));
  t.equal(padded.length, 3840);
  t.equal(padded[1920 + 99], 1, 'tail samples kept');
  t.equal(padded[1920 + 100], 0, 'odd byte and the rest are silence');
  const kept = Buffer.concat(await collect(Readable.from([input]).pipe(new PcmFramer({ frameBytes: 1920, tail: 'keep' }))));
  t.equal(kept.length, 1920 + 100, 'odd byte dropped, whole samples kept');
});

t.test('WavWriter writes a valid WAV that ffmpeg decodes to the same length', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.wav');
  const w = await WavWriter.create(path, { rate: 16000 });
  const frame = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) frame.writeInt16LE(Math.round(8000 * Math.sin(i / 5)), i * 2);
  for (let i = 0; i < 100; i++) w.write(frame);
  await w.close();
  const info = await readWavInfo(path);
  t.match(info, { format: 1, channels: 1, rate: 16000, bitsPerSample: 16, dataOffset: 44, dataBytes: 64000, needsRepair: false });
  const d = await decode(path, 16000);
  t.equal(d.samples, 32000);
  await t.rejects(WavWriter.create(path, { rate: 16000 }), { code: 'EEXIST' }, 'never overwrites an existing file');
});

t.test('repairWav fixes a WAV cut off by a crash without losing samples', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'cut.wav');
  // As a killed writer leaves it: header with unknown sizes, 1000.5 samples of data.
  const pcm = Buffer.alloc(2001, 5);
  await writeFile(path, Buffer.concat([wavHeader({ rate: 48000 }), pcm]));
  const before = await readWavInfo(path);
  t.equal(before.needsRepair, true);
  t.equal(before.dataBytes, 2000, 'readable size comes from the file');
  const after = await repairWav(path);
  t.equal(after.needsRepair, false);
  t.equal(after.dataBytes, 2000);
  t.equal((await stat(path)).size, WAV_HEADER_BYTES + 2000, 'half sample trimmed');
  t.equal((await decode(path)).samples, 1000);
  // A header claiming more than the file holds (truncated after close).
  await truncate(path, WAV_HEADER_BYTES + 1000);
  t.equal((await repairWav(path)).dataBytes, 1000);
  await writeFile(join(dir, 'junk.wav'), 'not a wav at all');
  await t.rejects(readWavInfo(join(dir, 'junk.wav')), { name: 'WavFormatError' });
});

t.test('readNdjson reports bad lines with their numbers and keeps going', async (t) => {
  const text = '{"type":"a"}\n\nnot json\n[1,2]\n' + '{"x":"' + 'y'.repeat(300) + '"}\n{"type":"b"}\n{"type":"c"}';
  const chunks = [text.slice(0, 7), text.slice(7, 200), text.slice(200)].map((s) => Buffer.from(s));
  const items = [];
  for await (const item of readNdjson(Readable.from(chunks), { maxLineBytes: 100 })) items.push(item);
  t.same(
    items.map((i) => [i.line, i.value?.type ?? i.error?.split(':')[0]]),
    [
      [1, 'a'],
      [3, 'invalid JSON'],
      [4, 'not a JSON object'],
      [5, 'line longer than 100 bytes, skipped'],
      [6, 'b'],
      [7, 'c'],
    ],
  );
});

t.test('envArgs maps only this tool\'s options, flags after them win', async (t) => {
  const env = { REC_STATUS_FILE: '/s.json', REC_OUT: '/x', REC_RATE: '16000', OTHER: '1' };
  t.same(envArgs(['status-file', 'rate'], env), ['--status-file=/s.json', '--rate=16000']);
  // Booleans take the usual words; anything else is a usage error.
  t.same(envArgs(['force'], { REC_FORCE: 'Yes' }, { booleans: ['force'] }), ['--force=true']);
  t.same(envArgs(['force'], { REC_FORCE: '0' }, { booleans: ['force'] }), ['--force=false']);
  t.throws(() => envArgs(['force'], { REC_FORCE: 'maybe' }, { booleans: ['force'] }), { exitCode: 64, message: /REC_FORCE/ });
  // A typed flag silences the variables of the options it excludes.
  const both = { REC_DEVICE: 'hw:1', REC_INPUT: 'x.wav' };
  t.same(envArgs(['device', 'input'], both, { exclusive: [['device', 'input']], given: new Set(['input']) }), []);
  t.same(envArgs(['device'], both, { exclusive: [['device', 'input']], given: new Set() }), ['--device=hw:1']);
});

t.test('partial paths', async (t) => {
  t.equal(partialPathFor('/r/2026-11-26/10-15-02_vad_7f3a.opus'), '/r/2026-11-26/10-15-02_vad_7f3a.partial.opus');
  t.equal(partialPathFor('x.webm'), 'x.partial.webm');
  t.ok(isPartialPath('a/b.partial.opus'));
  t.notOk(isPartialPath('a/b.opus'));
});

t.test('atomicWriteJson replaces a file whole', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 's.json');
  await atomicWriteJson(path, { a: 1 });
  await atomicWriteJson(path, { a: 2, b: 'x' });
  t.same(JSON.parse(await readFile(path, 'utf8')), { a: 2, b: 'x' });
});

t.test('boundedLineWriter drops lines while nobody reads, and resumes after a drain', async (t) => {
  let release: (() => void) | undefined;
  const written: string[] = [];
  // A reader that takes one chunk, then stalls until released.
  const out = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _e, cb) {
      written.push(chunk.toString());
      release = cb;
    },
  });
  const drops: number[] = [];
  const write = boundedLineWriter(out, 200, (n) => drops.push(n));
  let accepted = 0;
  for (let i = 0; i < 50; i++) if (write({ i, pad: 'x'.repeat(20) })) accepted++;
  t.ok(out.writableLength <= 200 + 40, `queue bounded (${out.writableLength} bytes)`);
  t.ok(accepted < 50 && accepted > 3, `${accepted} lines taken, the rest dropped`);
  t.same(drops, [1], 'the drop episode is reported once');
  // The reader catches up: lines flow again and a new episode would be reported anew.
  while (release) {
    const r = release;
    release = undefined;
    r();
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.equal(out.writableLength, 0);
  t.equal(write({ i: 'after' }), true, 'writing resumes');
  t.equal(written.length, accepted + 1, 'every accepted line (and the new one) reached the reader, in whole lines');
  t.ok(written.every((l) => l.endsWith('\n')));
});

t.test('atomicWrite: a killed write leaves one fixed temp file, which the next write of that path takes over', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.waveform.json');
  // What a kill -9 mid-write leaves: half a temp file, no target.
  await writeFile(tempPathFor(path), '{"peaks":[1,2');
  t.equal(tempPathFor(path), `${path}.tmp`);
  await atomicWriteJson(path, { peaks: [1, 2, 3] });
  t.same(JSON.parse(await readFile(path, 'utf8')), { peaks: [1, 2, 3] });
  t.same(await readdir(dir), ['a.waveform.json'], 'the temp file was taken over, nothing else is left');
  // Writes of one path in one process are queued: the last one wins, whole, and no temp stays.
  await Promise.all(Array.from({ length: 20 }, (_, i) => atomicWriteJson(path, { i, pad: 'x'.repeat(i * 500) }, { fsync: i % 2 === 0 })));
  t.same(JSON.parse(await readFile(path, 'utf8')), { i: 19, pad: 'x'.repeat(19 * 500) });
  t.same(await readdir(dir), ['a.waveform.json']);
  // A write that cannot happen fails and leaves nothing behind.
  await t.rejects(atomicWrite(join(dir, 'no-such-dir', 'b.json'), 'x'), { code: 'ENOENT' });
  await writeFile(tempPathFor(path), 'half');
  await removeWritten(path);
  t.same(await readdir(dir), [], 'removeWritten takes the file and its temp');
});
