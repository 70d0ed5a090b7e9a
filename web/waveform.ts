// Drawing audiowaveform peaks ({data:[min0,max0,min1,max1,…]}) on a canvas, with
// the played part shaded; peaks are fetched once per URL and kept in a small cache.
import type { Waveform } from './api.js';

const cache = new Map<string, Promise<Waveform | null>>();
const MAX_CACHE = 200;

export function loadWaveform(url: string): Promise<Waveform | null> {
  let p = cache.get(url);
  if (!p) {
    p = fetch(url)
      .then((r) => (r.ok ? (r.json() as Promise<Waveform>) : null))
      .catch(() => null);
    if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value!);
    cache.set(url, p);
  }
  return p;
}

/** Draw `w` into `canvas` at its CSS size; `progress` (0–1) shades what was played. */
export function drawWaveform(canvas: HTMLCanvasElement, w: Waveform, progress = 0): void {
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const height = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, width, height);
  const pairs = Math.floor(w.data.length / 2);
  if (!pairs) return;
  const full = w.bits === 16 ? 32768 : 128;
  const mid = height / 2;
  for (let x = 0; x < width; x++) {
    // Each pixel column takes the extremes of the peaks it covers.
    const a = Math.floor((x / width) * pairs);
    const b = Math.max(a + 1, Math.floor(((x + 1) / width) * pairs));
    let lo = 0;
    let hi = 0;
    for (let i = a; i < b && i < pairs; i++) {
      lo = Math.min(lo, w.data[2 * i]!);
      hi = Math.max(hi, w.data[2 * i + 1]!);
    }
    ctx.fillStyle = x / width < progress ? '#1565c0' : '#90a4ae';
    const top = mid - (hi / full) * mid;
    const bottom = mid - (lo / full) * mid;
    ctx.fillRect(x, top, 1, Math.max(1, bottom - top));
  }
}
