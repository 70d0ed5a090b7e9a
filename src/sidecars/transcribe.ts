// The transcript sidecar: a pluggable recogniser run on a finished recording.
// Built in: Debian's pocketsphinx (pocketsphinx_continuous, English model);
// --transcribe-cmd: any command that takes a 16 kHz mono WAV path as its last
// argument and prints plain text or JSON ({"text", "words"?}). Recognisers are
// slow and hungry, so they run at the lowest priority, one at a time.
import { rm } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { execa, type ResultPromise } from 'execa';

export interface Word {
  word: string;
  startMs: number;
  endMs: number;
}

export interface Transcript {
  text: string;
  words?: Word[];
  engine: string;
}

export interface Transcriber {
  readonly engine: string;
  /** Transcribe an audio file (any format ffmpeg reads). */
  transcribe(audio: string, opts: { tmpDir: string; timeoutMs: number }): Promise<Transcript>;
}

const NICE = 19;

function lowPriority(child: ResultPromise): void {
  try {
    if (child.pid) setPriority(child.pid, NICE);
  } catch {
    // Not fatal.
  }
}

const toWav16k = (audio: string) => ['-hide_banner', '-nostdin', '-loglevel', 'error', '-threads', '1', '-i', audio, '-ac', '1', '-ar', '16000', '-f', 'wav'];

/** Parse `pocketsphinx_continuous -time yes` output: hypothesis lines and `word start end confidence` lines. */
export function parsePocketsphinx(stdout: string): Pick<Transcript, 'text' | 'words'> {
  const words: Word[] = [];
  const hypotheses: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (m) {
      const word = m[1]!.replace(/\(\d+\)$/, '');
      // Utterance marks, silence and fillers are not words.
      if (/^(<.*>|\[.*\]|\+\+.*\+\+)$/.test(word)) continue;
      words.push({ word, startMs: Math.round(Number(m[2]) * 1000), endMs: Math.round(Number(m[3]) * 1000) });
    } else if (line.trim()) hypotheses.push(line.trim());
  }
  const text = words.length ? words.map((w) => w.word).join(' ') : hypotheses.join(' ');
  return { text, words };
}

export function pocketsphinx(ffmpeg: string, program = 'pocketsphinx_continuous'): Transcriber {
  return {
    engine: 'pocketsphinx',
    async transcribe(audio, { timeoutMs }) {
      // A real pipe: pocketsphinx opens /dev/stdin by name, which fails on the
      // socket Node gives a child for stdin. pipefail keeps a decode error visible.
      const script = `set -o pipefail; "$0" ${toWav16k('"$2"').join(' ')} pipe:1 | "$1" -infile /dev/stdin -time yes -logfn /dev/null`;
      const r = await execa('nice', ['-n', String(NICE), 'bash', '-c', script, ffmpeg, program, audio], { reject: false, timeout: timeoutMs, stdin: 'ignore' });
      if (r.exitCode !== 0) throw new Error(`${program} on ${audio}: ${String(r.stderr).trim().split('\n').pop() || r.shortMessage}`);
      return { ...parsePocketsphinx(String(r.stdout)), engine: 'pocketsphinx' };
    },
  };
}

/** Output of a user's command: a JSON object with `text` (and maybe `words`), else plain text. */
export function parseCommandOutput(stdout: string, engine: string): Transcript {
  const trimmed = stdout.trim();
  if (trimmed.startsWith('{')) {
    try {
      const v = JSON.parse(trimmed) as { text?: unknown; words?: unknown };
      if (typeof v.text === 'string') {
        const words = Array.isArray(v.words)
          ? (v.words as Array<Record<string, unknown>>).filter((w) => typeof w?.word === 'string' && typeof w.startMs === 'number' && typeof w.endMs === 'number') as unknown as Word[]
          : undefined;
        return { text: v.text.trim(), ...(words?.length ? { words } : {}), engine };
      }
    } catch {
      // Not JSON after all: plain text.
    }
  }
  return { text: trimmed.replace(/\s+/g, ' '), engine };
}

/** `sh -c "<cmd> <wav>"`: the WAV path is the last argument and also $REC_WAV. */
export function commandTranscriber(ffmpeg: string, command: string): Transcriber {
  return {
    engine: command.split(/\s+/)[0] ?? 'command',
    async transcribe(audio, { tmpDir, timeoutMs }) {
      const wav = `${tmpDir}/transcribe-${process.pid}-${Date.now()}.wav`;
      try {
        const d = await execa(ffmpeg, [...toWav16k(audio), '-y', wav], { reject: false });
        if (d.exitCode !== 0) throw new Error(`decoding ${audio}: ${String(d.stderr).trim().split('\n').pop() || d.shortMessage}`);
        const child = execa('sh', ['-c', `${command} "$REC_WAV"`], { reject: false, timeout: timeoutMs, env: { REC_WAV: wav }, stdin: 'ignore' });
        lowPriority(child);
        const r = await child;
        if (r.exitCode !== 0) throw new Error(`--transcribe-cmd exited with ${r.exitCode ?? r.signal}: ${String(r.stderr).trim().split('\n').pop() ?? ''}`);
        return parseCommandOutput(String(r.stdout), this.engine);
      } finally {
        await rm(wav, { force: true });
      }
    },
  };
}
