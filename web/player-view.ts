// The player panel: title, play/pause, position, the waveform to seek on (click,
// arrow keys, Home/End), Live and From start for the event in progress, download.
// Playback itself is player.ts; the list is told when what plays changes.
import { api, recPath, type Rec, type Waveform } from './api.js';
import { duration, timeOfStem } from './format.js';
import { drawWaveform, loadWaveform } from './waveform.js';
import { LIVE_OFFSET_S, Player } from './player.js';
import { $, toast } from './dom.js';

export interface PlayerViewHooks {
  /** What plays changed from `prev` to `next` (null: nothing): their rows show it. */
  onPlayingChanged(prev: Rec | null, next: Rec | null): void;
  /** The live stream ended and the final recording is there: the list shows it, then it plays. */
  onFinal(rec: Rec): void;
}

export class PlayerView {
  private readonly player = new Player($<HTMLAudioElement>('audio'));
  private readonly audio = this.player.audio;
  private readonly wave = $<HTMLCanvasElement>('p-wave');
  private playing: Rec | null = null;
  private peaks: Waveform | null = null;

  constructor(private readonly hooks: PlayerViewHooks) {
    this.wire();
    // For the end-to-end test and curious users: the live offset the page aims for.
    document.documentElement.dataset.liveOffset = String(LIVE_OFFSET_S);
  }

  /** The id of the recording in the player (playing or paused), if any. */
  get playingId(): string | null {
    return this.playing?.id ?? null;
  }

  async open(rec: Rec, fromStart = false): Promise<void> {
    const prev = this.playing;
    this.playing = rec;
    this.hooks.onPlayingChanged(prev, rec);
    $('player').hidden = false;
    this.renderMeta();
    if (rec.inProgress && rec.liveUrl) await this.player.playLive(rec.liveUrl, fromStart);
    else await this.player.playFile(rec.url);
  }

  close(): void {
    this.player.stop();
    const prev = this.playing;
    this.playing = null;
    this.hooks.onPlayingChanged(prev, null);
    $('player').hidden = true;
  }

  /** A newer description of the recording in the player; `redraw`: title, download link and waveform too. */
  update(rec: Rec, redraw: boolean): void {
    if (this.playing?.id !== rec.id) return;
    this.playing = rec;
    if (redraw) this.renderMeta();
  }

  private renderMeta(): void {
    const rec = this.playing;
    if (!rec) return;
    $('p-title').textContent = `${rec.day} ${timeOfStem(rec.stem)}${rec.inProgress ? ' · recording' : ''}`;
    $('p-live-controls').hidden = !(this.player.mode === 'live' || rec.inProgress) || this.player.liveEnded;
    const dl = $<HTMLAnchorElement>('p-download');
    dl.hidden = rec.inProgress;
    dl.href = `${rec.url}?download`;
    dl.setAttribute('download', rec.file);
    this.peaks = null;
    this.drawWave();
    if (rec.waveformUrl) {
      void loadWaveform(rec.waveformUrl).then((w) => {
        if (this.playing?.id === rec.id) {
          this.peaks = w;
          this.drawWave();
        }
      });
    }
  }

  private durationS(): number {
    const { player, audio } = this;
    if (player.mode === 'live') return player.bufferedEnd;
    if (Number.isFinite(audio.duration) && audio.duration > 0) return audio.duration;
    return (this.playing?.durationMs ?? 0) / 1000;
  }

  private drawWave(): void {
    const { wave } = this;
    const d = this.durationS();
    const progress = d > 0 ? this.audio.currentTime / d : 0;
    if (this.peaks) {
      drawWaveform(wave, this.peaks, progress);
      wave.dataset.drawn = '1';
      return;
    }
    // No peaks (yet): a plain progress bar.
    const ctx = wave.getContext('2d');
    if (!ctx) return;
    wave.width = wave.clientWidth;
    wave.height = wave.clientHeight;
    ctx.fillStyle = '#cfd8dc';
    ctx.fillRect(0, wave.height / 2 - 2, wave.width, 4);
    ctx.fillStyle = this.player.mode === 'live' ? '#c62828' : '#1565c0';
    ctx.fillRect(0, wave.height / 2 - 2, wave.width * Math.min(1, progress), 4);
  }

  private updateTime(): void {
    const { player, audio } = this;
    const pos = duration(audio.currentTime * 1000);
    if (player.mode === 'live' && !player.liveEnded) {
      $('p-time').textContent = `${pos} / ${duration(player.bufferedEnd * 1000)}`;
      $('p-lag').textContent = `${player.lag.toFixed(1)} s behind`;
      $('p-live').setAttribute('aria-pressed', String(player.followLive));
    } else {
      $('p-time').textContent = `${pos} / ${duration(this.durationS() * 1000)}`;
    }
    $('p-play').textContent = audio.paused ? '▶' : '❚❚';
    $('p-play').setAttribute('aria-label', audio.paused ? 'Play' : 'Pause');
    this.drawWave();
  }

  private seekBy(seconds: number): void {
    const d = this.durationS();
    if (d > 0) this.player.seekFraction((this.audio.currentTime + seconds) / d, d);
  }

  private wire(): void {
    const { player, audio, wave } = this;
    $('p-play').addEventListener('click', () => {
      if (audio.paused) {
        if (player.mode === 'idle' && this.playing) void this.open(this.playing);
        else void audio.play().catch(() => undefined);
      } else audio.pause();
    });
    $('p-close').addEventListener('click', () => this.close());
    $('p-live').addEventListener('click', () => player.seekLive(false));
    $('p-start').addEventListener('click', () => player.seekLive(true));
    wave.addEventListener('click', (e) => {
      const r = wave.getBoundingClientRect();
      player.seekFraction((e.clientX - r.left) / r.width, this.durationS());
    });
    wave.addEventListener('keydown', (e) => {
      const keys: Record<string, () => void> = {
        ArrowLeft: () => this.seekBy(-5),
        ArrowRight: () => this.seekBy(5),
        Home: () => player.seekFraction(0, this.durationS()),
        End: () => (player.mode === 'live' ? player.seekLive(false) : player.seekFraction(0.999, this.durationS())),
      };
      const f = keys[e.key];
      if (f) {
        e.preventDefault();
        f();
      }
    });
    for (const ev of ['timeupdate', 'play', 'pause', 'durationchange', 'ended']) audio.addEventListener(ev, () => this.updateTime());
    player.addEventListener('liveended', () => this.renderMeta());
    player.addEventListener('gone', () => {
      const rec = this.playing;
      if (!rec) return;
      void api<Rec>(recPath(rec)).then(
        (final) => {
          this.hooks.onFinal(final);
          void this.open(final);
        },
        () => toast('The event has ended and its recording is not there (discarded?)'),
      );
    });
    player.addEventListener('error', (e) => toast(`Player: ${(e as CustomEvent<string>).detail}`));
  }
}
