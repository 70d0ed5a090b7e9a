// Playback. Finished recordings play from their file (Range requests). The event
// in progress plays through Media Source Extensions fed from /live/…webm, a WebM
// remux of the growing partial held open by the server: sound starts as soon as
// the first bytes arrive, and "live" keeps the playhead ~0.5 s behind the end of
// what was received. Without MSE the same stream is played directly (slower start).

/** How far behind the received end "live" plays (s). */
export const LIVE_OFFSET_S = 0.5;
/** Beyond this lag (s) a live listener is pulled back to the live edge. */
const MAX_LIVE_LAG_S = 1.2;
/** Chunks waiting for the SourceBuffer; the fetch is paused (backpressure) beyond this. */
const MAX_QUEUE = 64;

export type PlayerMode = 'idle' | 'file' | 'live';

export class Player extends EventTarget {
  mode: PlayerMode = 'idle';
  /** In live mode: follow the live edge (true) or play on from where we are. */
  followLive = true;
  /** The live stream has ended (the event is over): what is buffered is all there is. */
  liveEnded = false;
  private abort: AbortController | undefined;
  private objectUrl: string | undefined;
  private sourceBuffer: SourceBuffer | undefined;
  private mediaSource: MediaSource | undefined;
  private queue: Uint8Array[] = [];
  private queueWaiter: (() => void) | undefined;
  /** The playhead was placed once the first bytes were appended. */
  private positioned = false;

  constructor(readonly audio: HTMLAudioElement) {
    super();
    audio.addEventListener('error', () => {
      if (this.mode !== 'idle') this.emit('error', audio.error?.message || 'cannot play this recording');
    });
  }

  static liveSupported(): boolean {
    return typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('audio/webm; codecs="opus"');
  }

  /** The end of what is buffered (s): the live edge as far as this page knows. */
  get bufferedEnd(): number {
    const b = this.audio.buffered;
    return b.length ? b.end(b.length - 1) : 0;
  }

  /** Seconds behind the received live edge. */
  get lag(): number {
    return Math.max(0, this.bufferedEnd - this.audio.currentTime);
  }

  stop(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.queue = [];
    this.queueWaiter?.();
    this.audio.pause();
    this.audio.removeAttribute('src');
    this.audio.load();
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = undefined;
    this.sourceBuffer = undefined;
    this.mediaSource = undefined;
    this.mode = 'idle';
    this.liveEnded = false;
    this.positioned = false;
  }

  async playFile(url: string, at = 0): Promise<void> {
    this.stop();
    this.mode = 'file';
    this.audio.preload = 'auto';
    this.audio.src = url;
    if (at) this.audio.currentTime = at;
    await this.start();
  }

  /** Play the event in progress; `fromStart` plays it from its first second instead of the live edge. */
  async playLive(liveUrl: string, fromStart: boolean): Promise<void> {
    this.stop();
    this.mode = 'live';
    this.followLive = !fromStart;
    if (!Player.liveSupported()) {
      // Held-open WebM without MSE: plays continuously, but only from the start.
      this.followLive = false;
      this.audio.src = liveUrl;
      await this.start();
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    // Marks for measuring time to sound (read by the end-to-end test).
    performance.mark('live:start');
    const ms = new MediaSource();
    this.mediaSource = ms;
    this.objectUrl = URL.createObjectURL(ms);
    this.audio.src = this.objectUrl;
    // The request (the server starts a remux for it) goes out while the MediaSource opens.
    performance.mark('live:fetch');
    const response = fetch(liveUrl, { signal: abort.signal, cache: 'no-store' });
    response.catch(() => undefined);
    await new Promise<void>((resolve) => ms.addEventListener('sourceopen', () => resolve(), { once: true }));
    if (abort.signal.aborted) return;
    const sb = ms.addSourceBuffer('audio/webm; codecs="opus"');
    this.sourceBuffer = sb;
    sb.addEventListener('updateend', () => this.onAppended());
    this.audio.addEventListener('playing', () => performance.mark('live:playing'), { once: true });
    // Asked now, play() starts the audio output while the first bytes are on their
    // way; the playhead is put at the live edge when they are appended (onAppended).
    void this.start();
    let started = false;
    try {
      const res = await response;
      performance.mark('live:response');
      if (res.status === 404) {
        // The event ended between the list and the click: the page plays the final file instead.
        this.emit('gone');
        return;
      }
      if (!res.ok || !res.body) throw new Error(`live stream: HTTP ${res.status}`);
      const reader = res.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || abort.signal.aborted) break;
        this.queue.push(value);
        this.pump();
        if (!started) {
          performance.mark('live:data');
          started = true;
        }
        if (this.queue.length > MAX_QUEUE) await new Promise<void>((r) => (this.queueWaiter = r));
      }
    } catch (err) {
      if (abort.signal.aborted) return;
      this.emit('error', (err as Error).message);
      return;
    }
    if (abort.signal.aborted) return;
    // The event is over: let the buffer drain, then close the stream so "ended" comes.
    this.liveEnded = true;
    this.emit('liveended');
    await this.whenIdle();
    if (ms.readyState === 'open' && !abort.signal.aborted) ms.endOfStream();
  }

  /** Jump to the live edge (or, with `fromStart`, to the beginning) of the event playing. */
  seekLive(fromStart: boolean): void {
    if (this.mode !== 'live') return;
    this.followLive = !fromStart;
    const b = this.audio.buffered;
    if (fromStart) this.audio.currentTime = b.length ? b.start(0) : 0;
    else this.audio.currentTime = Math.max(b.length ? b.start(0) : 0, this.bufferedEnd - LIVE_OFFSET_S);
    void this.start();
  }

  seekFraction(f: number, durationS: number): void {
    if (!Number.isFinite(durationS) || durationS <= 0) return;
    if (this.mode === 'live') this.followLive = false;
    this.audio.currentTime = Math.min(durationS, Math.max(0, f * durationS));
  }

  private async start(): Promise<void> {
    try {
      await this.audio.play();
    } catch (err) {
      if ((err as DOMException).name !== 'AbortError') this.emit('error', (err as Error).message);
    }
  }

  private pump(): void {
    const sb = this.sourceBuffer;
    if (!sb || sb.updating || !this.queue.length || this.mediaSource?.readyState !== 'open') return;
    const chunk = this.queue.shift()!;
    try {
      sb.appendBuffer(chunk as Uint8Array<ArrayBuffer>);
    } catch (err) {
      // QuotaExceededError after hours: drop what was played long ago and retry.
      if ((err as DOMException).name === 'QuotaExceededError' && this.audio.currentTime > 60) {
        this.queue.unshift(chunk);
        sb.remove(0, this.audio.currentTime - 30);
      } else {
        this.emit('error', (err as Error).message);
      }
    }
    if (this.queue.length <= MAX_QUEUE / 2) {
      this.queueWaiter?.();
      this.queueWaiter = undefined;
    }
  }

  private onAppended(): void {
    if (!this.positioned && this.audio.buffered.length) {
      this.positioned = true;
      performance.mark('live:buffered');
      if (this.followLive) this.audio.currentTime = Math.max(0, this.bufferedEnd - LIVE_OFFSET_S);
    } else if (this.mode === 'live' && this.followLive && !this.audio.paused && this.lag > MAX_LIVE_LAG_S) {
      this.audio.currentTime = this.bufferedEnd - LIVE_OFFSET_S;
    }
    this.pump();
    if (!this.queue.length && !this.sourceBuffer?.updating) this.idleWaiter?.();
  }

  private idleWaiter: (() => void) | undefined;

  private whenIdle(): Promise<void> {
    if (!this.queue.length && !this.sourceBuffer?.updating) return Promise.resolve();
    return new Promise((r) => (this.idleWaiter = r));
  }

  private emit(type: string, detail?: string): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
