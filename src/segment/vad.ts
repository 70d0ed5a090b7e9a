// Voice activity detection: the WebRTC VAD (libfvad compiled to WASM) behind a
// one-call-per-frame API. By default the frame is decimated to 16 kHz in JS first:
// the VAD only looks below 4 kHz, and its own 48 kHz resampler costs ~5x more CPU.
import { CliError, EX } from '../lib/exit-codes.js';
import { Biquad } from '../lib/biquad.js';

/** The parts of the Emscripten module we use (the package ships no types). */
interface FvadModule {
  HEAP16: Int16Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _fvad_new(): number;
  _fvad_free(inst: number): void;
  _fvad_set_mode(inst: number, mode: number): number;
  _fvad_set_sample_rate(inst: number, rate: number): number;
  _fvad_process(inst: number, frame: number, samples: number): number;
}

export interface VadOptions {
  /** Sample rate of the frames given to isVoice: 8000, 16000, 32000 or 48000. */
  rate: number;
  /** 0 (least aggressive: most frames are voice) … 3 (most aggressive). Default 3. */
  aggressiveness?: 0 | 1 | 2 | 3;
  /** Average 2 or 3 samples into one to run the VAD at 16 kHz (default true). */
  decimate?: boolean;
  /**
   * High-pass (Hz, second order) on what the VAD hears; 0 = off. An appliance's hum
   * (a fridge, a boiler: harmonics of 50/60 Hz, energy mostly below 200 Hz) fooled
   * the VAD for seconds after it switched on; speech keeps its cues above it.
   */
  highpassHz?: number;
}

export interface Vad {
  /** The rate the VAD itself runs at (16000 when decimating). */
  readonly vadRate: number;
  /** Is this 10, 20 or 30 ms frame of s16le mono PCM voice? */
  isVoice(frame: Buffer): boolean;
  /** Frees the WASM instance; isVoice throws afterwards. Safe to call twice. */
  close(): void;
}

const VAD_RATES = [8000, 16000, 32000, 48000];

/** The signed sample at byte offset b. */
function s16(buf: Buffer, b: number): number {
  return ((buf[b]! | (buf[b + 1]! << 8)) << 16) >> 16;
}

// One WASM module (16 MB of linear memory) shared by every Vad in the process.
let modulePromise: Promise<FvadModule> | undefined;
function loadModule(): Promise<FvadModule> {
  // A non-literal specifier: the package has no type declarations, and this keeps
  // TypeScript from demanding them while the interface above states what we rely on.
  const specifier = '@echogarden/fvad-wasm';
  modulePromise ??= import(specifier).then((m: { default: () => Promise<FvadModule> }) => m.default());
  return modulePromise;
}

export async function createVad(opts: VadOptions): Promise<Vad> {
  const { rate, aggressiveness = 3 } = opts;
  if (!VAD_RATES.includes(rate)) throw new RangeError(`VAD rate must be one of ${VAD_RATES.join(', ')}, got ${rate}`);
  if (![0, 1, 2, 3].includes(aggressiveness)) throw new RangeError(`VAD aggressiveness must be 0-3, got ${aggressiveness}`);
  // Only whole-sample averaging: 48k/3 and 32k/2 land on 16 kHz; 16k and 8k run as they are.
  const factor = (opts.decimate ?? true) && rate > 16000 ? rate / 16000 : 1;
  const vadRate = rate / factor;

  // node --jitless / --lite-mode turn WebAssembly off; say so instead of an internal error.
  if (typeof WebAssembly === 'undefined') {
    throw new CliError(EX.UNAVAILABLE, 'the voice detector needs WebAssembly, which node --jitless or --lite-mode turn off: drop the flag or use --trigger level');
  }
  const m = await loadModule();
  const inst = m._fvad_new();
  if (!inst) throw new Error('fvad_new failed');
  if (m._fvad_set_mode(inst, aggressiveness) !== 0 || m._fvad_set_sample_rate(inst, vadRate) !== 0) {
    m._fvad_free(inst);
    throw new Error(`fvad rejected mode ${aggressiveness} / rate ${vadRate}`);
  }
  // Room for the longest frame fvad accepts (30 ms), allocated once.
  const capacity = (vadRate * 30) / 1000;
  const ptr = m._malloc(capacity * 2);
  let heap = m.HEAP16.subarray(ptr >> 1, (ptr >> 1) + capacity);
  let closed = false;
  const hp = opts.highpassHz ? new Biquad('highpass', opts.highpassHz, vadRate) : null;

  return {
    vadRate,
    isVoice(frame: Buffer): boolean {
      if (closed) throw new Error('VAD used after close()');
      const n = Math.floor(frame.length / 2 / factor);
      if (n > capacity) throw new RangeError(`VAD frame too long: ${frame.length} bytes`);
      // Another instance's malloc may have grown the WASM memory, detaching our view.
      if (heap.length === 0) heap = m.HEAP16.subarray(ptr >> 1, (ptr >> 1) + capacity);
      // Bytes combined by hand: a Buffer may start at an odd byteOffset (see levels.ts).
      // One unrolled loop per factor: a generic inner loop cost more than the VAD itself.
      // The Int16Array store truncates the average toward zero.
      if (factor === 3) {
        for (let i = 0, b = 0; i < n; i++, b += 6) heap[i] = (s16(frame, b) + s16(frame, b + 2) + s16(frame, b + 4)) / 3;
      } else if (factor === 2) {
        for (let i = 0, b = 0; i < n; i++, b += 4) heap[i] = (s16(frame, b) + s16(frame, b + 2)) / 2;
      } else {
        for (let i = 0, b = 0; i < n; i++, b += 2) heap[i] = frame[b]! | (frame[b + 1]! << 8);
      }
      hp?.run(heap, n);
      const r = m._fvad_process(inst, ptr, n);
      if (r < 0) throw new RangeError(`VAD needs 10, 20 or 30 ms frames; got ${n} samples at ${vadRate} Hz`);
      return r === 1;
    },
    close(): void {
      if (closed) return;
      closed = true;
      m._fvad_free(inst);
      m._free(ptr);
    },
  };
}
