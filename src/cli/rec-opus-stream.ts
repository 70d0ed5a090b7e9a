// rec-opus-stream: PCM on stdin (or a WAV file) → OUT.partial.opus while encoding
// → OUT.opus when ffmpeg exits cleanly. Prints one NDJSON result line.
import { extname } from 'node:path';
import { parseArgs, runTool, toolLogger, numberOption, type ToolCli } from '../lib/cli.js';
import { CliError, EX } from '../lib/exit-codes.js';
import { findProgram } from '../lib/programs.js';
import { checkInputFile } from '../lib/input-file.js';
import { isClosedPipe, outputWriteError, writeAndFlush } from '../lib/epipe.js';
import { RATES } from '../lib/pcm.js';
import { WavFormatError } from '../lib/wav.js';
import { CONTAINERS, DEFAULT_SETTINGS, containerExtension, type Container } from '../encode/settings.js';
import { EncoderStartError, StreamEncoder, type EncodeResult } from '../encode/stream-encoder.js';
import { encodeWav, feedPcm } from '../encode/encode-input.js';

const NAME = 'rec-opus-stream';

const cli: ToolCli = {
  name: NAME,
  usage: '$0 <OUT>',
  description:
    'Encode s16le mono PCM from stdin (or --input FILE.wav) to Ogg/Opus, writing OUT.partial.opus as it goes and renaming it to OUT.opus when done.',
  positionals: { OUT: { describe: 'Output file (.opus, or .webm for WebM)', type: 'string' } },
  examples: [
    ['rec-capture --input talk.mp3 | $0 talk.opus', 'encode anything ffmpeg reads'],
    ['$0 --input event.wav rec/2026-11-26/event.opus', 'encode a spooled event'],
    ['rec-capture --device hw:1,0 --duration 60 | $0 --container webm minute.webm', 'a minute from the microphone as WebM'],
  ],
  epilog:
    'Prints {"type":"encode.finished","ok",…,"path","bytes","durationMs"} on stdout.\n' +
    'Exit status: 0 encoded, 1 encoder failed (or no audio), 64 usage, 65 bad input, 66 input missing or unreadable,\n' +
    '69 ffmpeg missing, 73 cannot create output, 74 cannot write stdout.',
  // Per-invocation flags: never from a shared environment file (REC_INPUT is rec-capture's).
  noEnv: ['input', 'force', 'keep-partial'],
  options: {
    input: { alias: 'i', describe: 'WAV file to encode instead of PCM on stdin', type: 'string', requiresArg: true },
    rate: numberOption('Sample rate of PCM on stdin', { default: 48000, choices: [...RATES] }),
    bitrate: numberOption('Opus bitrate in kb/s', { default: DEFAULT_SETTINGS.bitrate, min: 6, max: 256 }),
    complexity: numberOption('libopus complexity 0-10 (lower is cheaper)', { default: DEFAULT_SETTINGS.complexity, min: 0, max: 10, integer: true }),
    container: { describe: 'Container (default: from OUT\'s extension, else ogg)', type: 'string', choices: [...CONTAINERS] },
    'page-ms': numberOption('Audio per Ogg page / WebM cluster in ms (the partial lags live by about this)', { default: DEFAULT_SETTINGS.pageMs, min: 20, max: 5000 }),
    ffmpeg: { describe: 'ffmpeg executable (default: ffmpeg on PATH)', type: 'string', requiresArg: true },
    force: { alias: 'f', describe: 'Replace OUT if it exists', type: 'boolean', default: false },
    'keep-partial': { describe: 'Keep OUT.partial.opus when encoding fails', type: 'boolean', default: false },
    timeout: numberOption('Seconds to wait for ffmpeg to finish after input ends', { default: 30, min: 0.1, unit: 'seconds' }),
  },
};

/** OUT's extension decides the container unless --container says otherwise. */
function resolveOutput(out: string, flag: Container | undefined): { path: string; container: Container } {
  const ext = extname(out).toLowerCase();
  const fromExt: Container | undefined = ext === '.webm' ? 'webm' : ext === '.opus' || ext === '.ogg' ? 'ogg' : undefined;
  const container = flag ?? fromExt ?? 'ogg';
  if (fromExt && flag && fromExt !== flag) throw new CliError(EX.USAGE, `${out}: extension does not match --container ${flag}`);
  return { path: fromExt ? out : out + containerExtension(container), container };
}

runTool(NAME, async () => {
  const args = parseArgs(cli);
  const log = toolLogger(NAME, args);
  const { path, container } = resolveOutput(String(args.OUT), args.container as Container | undefined);
  const input = args.input as string | undefined;
  const ffmpeg = await findProgram('ffmpeg', args.ffmpeg as string | undefined, '--ffmpeg');
  if (!input && process.stdin.isTTY) throw new CliError(EX.USAGE, 'no input: pipe PCM on stdin or give --input FILE.wav');
  if (input) await checkInputFile(input);
  const encoderOptions = {
    path,
    ffmpeg,
    container,
    bitrate: args.bitrate as number,
    complexity: args.complexity as number,
    pageMs: args['page-ms'] as number,
    overwrite: args.force as boolean,
    replacePartial: args.force as boolean,
    keepPartialOnFailure: args['keep-partial'] as boolean,
    closeTimeoutMs: (args.timeout as number) * 1000,
    log,
  };
  // SIGINT/SIGTERM: stop reading and finish the file with what has arrived.
  const stop = new AbortController();
  // process.on, not once: execa's exit hook re-raises a signal nobody else listens to any more.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => stop.abort());

  let result: EncodeResult;
  try {
    if (input) {
      result = await encodeWav(input, encoderOptions, stop.signal);
    } else {
      const enc = new StreamEncoder({ ...encoderOptions, rate: args.rate as number });
      const { tailBytes } = await feedPcm(enc, process.stdin, stop.signal);
      if (tailBytes) log.warn({ tailBytes }, 'input ended inside a frame; its whole samples were kept');
      result = await enc.close();
    }
  } catch (err) {
    if (err instanceof EncoderStartError) {
      throw new CliError(EX.CANTCREAT, err.reason === 'exists' ? `${err.message}; use --force to replace it` : err.message);
    }
    if (err instanceof WavFormatError) throw new CliError(EX.DATAERR, `${input}: ${err.message.replace(`${input}: `, '')}`);
    throw err;
  }
  const { stderrTail, ...line } = result;
  process.stdout.on('error', () => undefined); // reported by writeAndFlush below
  try {
    await writeAndFlush(process.stdout, JSON.stringify({ type: 'encode.finished', ...line }) + '\n');
  } catch (err) {
    // Nobody reading the result is fine; a full disk behind a redirect is not.
    if (!isClosedPipe(err as NodeJS.ErrnoException)) throw outputWriteError('the result line', err as NodeJS.ErrnoException);
  }
  if (!result.ok) {
    log.error({ error: result.error, exitCode: result.exitCode, stderr: stderrTail }, 'encoding failed');
    return EX.FAILURE;
  }
  log.debug({ path: result.path, bytes: result.bytes, durationMs: result.durationMs }, 'encoded');
  return EX.OK;
});
