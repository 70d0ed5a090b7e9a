// How often the VAD calls voice where nothing sounds: frames at the room's floor.
// In a quiet room that is almost never (0-0.1 % of frames of stationary noise);
// steady rain or hiss makes it call one frame in ten, which the start rule
// (3 active frames of 5) turns into an event every few seconds. While that rate is
// high, a voice frame must also be over the floor to count. Pure and bounded: a
// ring of the last `windowMs` of frames.
import { defined } from '../lib/defined.js';
export interface VadNoiseOptions {
  frameMs?: number;
  /** History the rate is taken over (default 30 s). */
  windowMs?: number;
  /** Frames this close to the floor are "at the floor" (default 3 dB). */
  nearFloorDb?: number;
  /** Rate of voice among floor frames above which the VAD is noisy here (default 4 %). */
  maxRate?: number;
}

export const DEFAULT_VAD_NOISE = Object.freeze({ frameMs: 20, windowMs: 30_000, nearFloorDb: 3, maxRate: 0.04 });

export class VadNoise {
  private readonly o: Required<VadNoiseOptions>;
  /** Per frame: 0 not at the floor, 1 at the floor, 2 at the floor and called voice. */
  private readonly ring: Uint8Array;
  private head = 0;
  private n = 0;
  private atFloor = 0;
  private voiced = 0;

  constructor(opts: VadNoiseOptions = {}) {
    this.o = { ...DEFAULT_VAD_NOISE, ...defined(opts) };
    this.ring = new Uint8Array(Math.round(this.o.windowMs / this.o.frameMs));
  }

  /** True while the VAD calls voice too often at the floor (judged once a third of the window is at the floor). */
  get noisy(): boolean {
    return this.atFloor >= this.ring.length / 3 && this.voiced > this.o.maxRate * this.atFloor;
  }

  update(rmsDbfs: number, voice: boolean, floorDbfs: number): void {
    if (this.n === this.ring.length) {
      const old = this.ring[this.head]!;
      if (old) this.atFloor--;
      if (old === 2) this.voiced--;
    } else this.n++;
    const near = rmsDbfs < floorDbfs + this.o.nearFloorDb;
    const v = near ? (voice ? 2 : 1) : 0;
    this.ring[this.head] = v;
    if (v) this.atFloor++;
    if (v === 2) this.voiced++;
    this.head = (this.head + 1) % this.ring.length;
  }
}
