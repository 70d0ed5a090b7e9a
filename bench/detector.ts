// CPU cost of rec-segment's detection core per audio hour: frame levels + noise
// floor + state machine alone, and with the WebRTC VAD at 48 kHz or decimated to 16 kHz.
// In-process (process.cpuUsage), on synthetic 48 kHz audio: noise with speech-like bursts.
import { table } from './measure.js';
import { frameLevels } from '../src/segment/levels.js';
import { Detector } from '../src/segment/detector.js';
import { createVad, type Vad } from '../src/segment/vad.js';

const RATE = 48000;
const FRAME = (RATE / 50) * 2; // 20 ms of s16le mono

/**
 * One minute of audio, looped for the run: faint noise, and every few seconds a
 * 1.5 s "voice" (a 140 Hz harmonic series, syllable-modulated) so every branch runs.
 */
function syntheticMinute(): Buffer {
  const n = RATE * 60;
  const buf = Buffer.alloc(n * 2);
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    let v = noise() * 60; // about -60 dBFS
    if (t % 5 < 1.5) {
      const syllable = 0.5 + 0.5 * Math.sin(2 * Math.PI * 4 * t);
      let h = 0;
      for (let k = 1; k <= 8; k++) h += Math.sin(2 * Math.PI * 140 * k * t) / k;
      v += h * 3000 * syllable;
    }
    buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v))), i * 2);
  }
  return buf;
}

function cpuSeconds(fn: () => void): number {
  const before = process.cpuUsage();
  fn();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1e6;
}

function run(audio: Buffer, frames: number, vad: Vad | null): { events: number } {
  const det = new Detector({ trigger: vad ? 'any' : 'level' });
  const lv = { rmsDbfs: 0, peakDbfs: 0 };
  const input = { rmsDbfs: 0, peakDbfs: 0, voice: false };
  let events = 0;
  for (let f = 0, off = 0; f < frames; f++) {
    const frame = audio.subarray(off, off + FRAME);
    off = off + FRAME >= audio.length ? 0 : off + FRAME;
    frameLevels(frame, lv);
    input.rmsDbfs = lv.rmsDbfs;
    input.peakDbfs = lv.peakDbfs;
    input.voice = vad ? vad.isVoice(frame) : false;
    if (det.push(input).type === 'start') events++;
  }
  return { events };
}

export async function runDetectorBench(opts: { minutes?: number; repeats?: number } = {}): Promise<void> {
  const minutes = opts.minutes ?? 10;
  const repeats = opts.repeats ?? 3;
  const frames = minutes * 60 * 50;
  const audio = syntheticMinute();
  const variants: Array<[string, Vad | null]> = [
    ['levels + noise floor + detector', null],
    ['  + VAD at 48 kHz', await createVad({ rate: RATE, decimate: false })],
    ['  + VAD decimated to 16 kHz', await createVad({ rate: RATE, decimate: true })],
  ];
  const rows = [];
  for (const [name, vad] of variants) {
    let best = Infinity;
    let events = 0;
    run(audio, 50 * 10, vad); // warm up the JIT
    for (let r = 0; r < repeats; r++) best = Math.min(best, cpuSeconds(() => (events = run(audio, frames, vad).events)));
    vad?.close();
    rows.push({
      variant: name,
      'cpu-s (best)': best.toFixed(3),
      'cpu-s/audio-h': ((best * 60) / minutes).toFixed(2),
      'x realtime': ((minutes * 60) / best).toFixed(0),
      events,
    });
  }
  console.log(`\n## Detection core: ${minutes} min of synthetic 48 kHz frames, best of ${repeats}\n`);
  console.log(table(rows));
}
