// rec-capture: an ALSA device, or any file/URL ffmpeg can decode → raw s16le mono
// PCM on stdout, in whole 20 ms frames, supervised and restarted when it fails.
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs, runTool, toolLogger, numberOption, type ToolCli } from '../lib/cli.js';
import { CliError, EX } from '../lib/exit-codes.js';
import { isClosedPipe, onEpipe, outputWriteError } from '../lib/epipe.js';
import { findProgram } from '../lib/programs.js';
import { checkInputFile } from '../lib/input-file.js';
import { RATES, frameBytes, BYTES_PER_SAMPLE } from '../lib/pcm.js';
import { isUrl, restartPolicy, sourceStages, type CaptureSettings, type SourceSpec } from '../capture/source.js';
import { describeExits, supervise } from '../capture/supervisor.js';
import { RealtimePacer } from '../capture/pacer.js';
import { ByteLimiter } from '../capture/limiter.js';

const NAME = 'rec-capture';

const cli: ToolCli = {
  name: NAME,
  usage: '$0 (--device NAME | --input FILE|URL|-) [options]',
  description: 'Capture audio as raw PCM (s16le, mono) on stdout, in whole 20 ms frames.',
  examples: [
    ['$0 --device hw:1,0 | rec-segment --out ./rec', 'record from a USB microphone'],
    ['$0 --input talk.mp3 --realtime | rec-segment', 'replay a file as if it were a microphone'],
    ['$0 --device default --highpass 80 --gain 6 --duration 10 > ten.pcm', 'ten seconds, filtered and louder'],
    ['curl -s URL | $0 --input - | rec-opus-stream radio.opus', 'decode stdin'],
  ],
  epilog:
    'A device (and a URL that fails) is restarted with backoff when it is lost, and restarted when it stalls\n' +
    '(no audio for --stall-timeout seconds); a file is read once.\n' +
    'Exit status: 0 done, 64 usage, 65 input cannot be decoded, 66 input missing, 69 arecord/ffmpeg missing,\n' +
    '74 cannot write stdout (a closed pipe is not an error).',
  options: {
    device: { alias: 'D', describe: 'ALSA capture device (e.g. hw:1,0, plughw:1, default)', type: 'string', requiresArg: true },
    input: { alias: 'i', describe: 'File, URL or - (stdin) to decode with ffmpeg instead of a device', type: 'string', requiresArg: true },
    realtime: { describe: 'Pace the output at real time (for --input)', type: 'boolean', default: false },
    rate: numberOption('Output sample rate', { default: 48000, choices: RATES }),
    channels: numberOption('Channels to open the device with; always downmixed to mono', { default: 1, choices: [1, 2] }),
    gain: numberOption('Gain in dB', { min: -60, max: 60 }),
    highpass: numberOption('High-pass filter cut-off in Hz (e.g. 80 against rumble)', { min: 1, max: 20000 }),
    filter: { describe: 'Extra ffmpeg audio filter chain, applied last (e.g. afftdn)', type: 'string', requiresArg: true },
    duration: numberOption('Stop after this many seconds of audio', { min: 0.02 }),
    backend: { describe: 'Device capture program', type: 'string', choices: ['arecord', 'ffmpeg'], default: 'arecord' },
    arecord: { describe: 'arecord executable', type: 'string', requiresArg: true },
    ffmpeg: { describe: 'ffmpeg executable', type: 'string', requiresArg: true },
    'retry-delay': numberOption('First delay in seconds before restarting a lost source (doubles up to 30 s)', { default: 1, min: 0.05, unit: 'seconds' }),
    'stall-timeout': numberOption('Restart a device or URL that delivers no audio for this many seconds without exiting (0: never)', {
      default: 10,
      min: 0,
      unit: 'seconds',
    }),
  },
  // REC_DEVICE for the service, --input typed in a shell: the flag wins.
  exclusive: [['device', 'input']],
  configure: (y) =>
    y.check((a) => {
      if (!a.device === !a.input) throw new Error('give exactly one of --device or --input');
      if (a.realtime && a.device) throw new Error('--realtime is for --input; a device is already real time');
      return true;
    }),
};

runTool(NAME, async () => {
  const args = parseArgs(cli);
  const log = toolLogger(NAME, args);
  if (process.stdout.isTTY) {
    throw new CliError(EX.USAGE, 'refusing to write raw PCM to a terminal; pipe it into rec-segment or rec-opus-stream, or redirect it to a file');
  }
  const settings: CaptureSettings = {
    rate: args.rate as number,
    channels: args.channels as number,
    ...(args.gain !== undefined ? { gainDb: args.gain as number } : {}),
    ...(args.highpass !== undefined ? { highpassHz: args.highpass as number } : {}),
    ...(args.filter !== undefined ? { filter: args.filter as string } : {}),
  };
  const input = args.input as string | undefined;
  const source: SourceSpec = input
    ? { kind: 'input', input }
    : { kind: 'device', device: args.device as string, backend: args.backend as 'arecord' | 'ffmpeg' };
  if (input && input !== '-' && !isUrl(input)) await checkInputFile(input);
  const stages = sourceStages(source, settings);
  const programs = { arecord: '', ffmpeg: '' };
  for (const program of new Set(stages.map((s) => s.program))) {
    // REC_ARECORD / REC_FFMPEG arrive here as flags (see envArgs).
    programs[program] = await findProgram(program, args[program] as string | undefined, `--${program}`);
  }

  const stop = new AbortController();
  const frame = frameBytes(settings.rate);
  // Data path: source runs → (limit) → (pace) → stdout. Each stage sees whole frames.
  const head = new PassThrough();
  const chain: Array<NodeJS.ReadWriteStream> = [];
  if (args.duration !== undefined) {
    const samples = Math.round((args.duration as number) * settings.rate);
    chain.push(new ByteLimiter(samples * BYTES_PER_SAMPLE, () => stop.abort()));
  }
  if (args.realtime) chain.push(new RealtimePacer({ bytesPerSecond: settings.rate * BYTES_PER_SAMPLE, chunkBytes: frame * 5 }));
  let downstreamClosed = false;
  let writeError: NodeJS.ErrnoException | undefined;
  const onWriteError = (err: NodeJS.ErrnoException) => {
    if (isClosedPipe(err)) downstreamClosed = true;
    else writeError ??= err;
    stop.abort();
  };
  onEpipe(process.stdout, () => onWriteError({ code: 'EPIPE' } as NodeJS.ErrnoException), onWriteError);
  const delivered = pipeline([head, ...chain, process.stdout] as ReadonlyArray<NodeJS.ReadableStream | NodeJS.WritableStream>).catch(onWriteError);
  // process.on, not once: execa's exit hook re-raises a signal nobody else listens to any more.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => stop.abort());

  log.debug({ source, stages: stages.map((s) => [s.program, ...s.args].join(' ')) }, 'starting capture');
  const result = await supervise({
    stages,
    programs,
    policy: restartPolicy(source),
    frameBytes: frame,
    out: head,
    log,
    retryDelayMs: (args['retry-delay'] as number) * 1000,
    // A file or stdin may pause (a slow pipe); only a source that is restarted anyway is watched.
    stallTimeoutMs: restartPolicy(source) === 'never' ? 0 : (args['stall-timeout'] as number) * 1000,
    signal: stop.signal,
  });
  head.end();
  await delivered;
  if (writeError) throw outputWriteError('PCM to stdout', writeError);
  if (downstreamClosed) return EX.OK;
  if (result.outcome === 'failed') {
    throw new CliError(EX.DATAERR, `cannot decode ${input}: ${describeExits(result.lastExit)}`);
  }
  return EX.OK;
});
