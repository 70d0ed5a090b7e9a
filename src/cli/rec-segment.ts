// rec-segment: raw PCM on stdin → one WAV per event in the spool, NDJSON event
// lines on stdout, segmenter_status.json, and (by default) a growing
// <out>/<day>/<stem>.partial.opus while each event is still going on.
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { parseArgs, runTool, toolLogger, numberOption, type ToolCli } from '../lib/cli.js';
import { CliError, EX } from '../lib/exit-codes.js';
import { findProgramOrWait } from '../lib/programs.js';
import { isClosedPipe } from '../lib/epipe.js';
import { PcmFramer } from '../lib/pcm-framer.js';
import { RATES, frameBytes } from '../lib/pcm.js';
import type { EventLine } from '../lib/contracts.js';
import { CONTAINERS, DEFAULT_SETTINGS, type Container } from '../encode/settings.js';
import { DEFAULT_DETECTOR, type Trigger } from '../segment/detector.js';
import { createVad } from '../segment/vad.js';
import { Recorder } from '../segment/recorder.js';
import { StatusWriter } from '../segment/status-writer.js';
import { carriedFloor, finaliseOrphanPartials, recoverSpool, scanLeftovers } from '../segment/recovery.js';
import { listenForControl } from '../segment/control.js';
import { boundedLineWriter } from '../lib/ndjson.js';
import { createNotifier } from '../lib/sd-notify.js';
import { createErrorText, makeDirs } from '../lib/make-dirs.js';

const NAME = 'rec-segment';
const D = DEFAULT_DETECTOR;

const cli: ToolCli = {
  name: NAME,
  usage: '$0 [options] < PCM',
  description:
    'Detect sound and voice in s16le mono PCM on stdin; write one WAV per event to the spool, print NDJSON event lines, ' +
    'keep segmenter_status.json up to date, and stream-encode each event to <out>/<day>/<stem>.partial.opus while it lasts.',
  examples: [
    ['rec-capture --device hw:1,0 | $0 --out /srv/rec > events.ndjson', 'record a microphone'],
    ['rec-capture --input talk.mp3 --realtime | $0 --out ./rec | rec-sidecars', 'the whole pipeline on a file'],
    ['rec-capture --input day.flac | $0 --no-stream-encode --trigger level | jq .durationMs', 'segment a long file fast'],
    ['echo \'{"command":"start"}\' > /run/rec/control', 'force recording on (with --control /run/rec/control)'],
  ],
  epilog:
    'SIGUSR1 splits the current event. SIGTERM, SIGINT and end of input finish the open event and exit 0.\n' +
    'Exit status: 0 done, 64 usage, 73 cannot create the spool or output. A missing ffmpeg does not stop recording: events are kept as WAVs.',
  options: {
    out: { describe: 'Recordings root (<out>/<day>/<stem>.opus)', type: 'string', default: './recordings', requiresArg: true },
    spool: { describe: 'Spool directory for event WAVs and jobs (default <out>/.spool; tmpfs on a Pi)', type: 'string', requiresArg: true },
    'status-file': { describe: 'Status file (default <spool>/segmenter_status.json)', type: 'string', requiresArg: true },
    rate: numberOption('Sample rate of the PCM on stdin', { default: 48000, choices: RATES }),
    trigger: {
      describe: 'What starts an event: level (above the noise floor), voice (WebRTC VAD), any, both',
      type: 'string',
      choices: ['level', 'voice', 'any', 'both'],
      default: D.trigger,
    },
    'pre-roll': numberOption('Seconds kept before the detected start', { default: D.preRollMs / 1000, min: 0, max: 30 }),
    hang: numberOption('Seconds of quiet that end an event', { default: D.hangMs / 1000, min: 0.1, max: 600 }),
    'min-length': numberOption('Events with less activity than this (seconds) are discarded', { default: D.minLengthMs / 1000, min: 0, max: 600 }),
    'max-length': numberOption('Longer events are split seamlessly (seconds)', { default: D.maxLengthMs / 1000, min: 1, max: 86400 }),
    margin: numberOption('Threshold above the noise floor, in dB', { default: D.marginDb, min: 1, max: 60 }),
    'detect-highpass': numberOption('High-pass (Hz) on the level the detector compares with the noise floor; 0 = off', { default: 150, min: 0, max: 2000 }),
    'min-threshold': numberOption('Never trigger below this level (dBFS)', { default: D.minThresholdDbfs, min: -120, max: 0 }),
    'background-window': numberOption(
      'Seconds of history that make a steady voice-like background (a TV next door) ignored: then only sounds --background-margin dB over it count; 0 = off',
      { default: (D.background?.windowMs ?? 120_000) / 1000, min: 0, max: 3600 },
    ),
    'background-margin': numberOption('dB over a steady background (--background-window) a sound must be to count', { default: D.background?.marginDb ?? 9, min: 0, max: 60 }),
    'vad-highpass': numberOption('High-pass (Hz) on what the VAD hears: 200 keeps a fridge or boiler switching on from being taken for voice, but misses more low thumps; 0 = off', { default: 0, min: 0, max: 1000 }),
    // 3: at 2 the VAD calls the first frames of every stream voice (a false event at start).
    'vad-aggressiveness': numberOption('WebRTC VAD mode 0-3 (3 rejects the most non-speech)', { default: 3, min: 0, max: 3, integer: true }),
    'stream-encode': { describe: 'Stream-encode events while recording (--no-stream-encode: rec-sidecars encodes afterwards)', type: 'boolean', default: true },
    container: { describe: 'Container of the streamed file', type: 'string', choices: [...CONTAINERS], default: 'ogg' },
    bitrate: numberOption('Opus bitrate in kb/s', { default: DEFAULT_SETTINGS.bitrate, min: 6, max: 256 }),
    complexity: numberOption('libopus complexity 0-10', { default: DEFAULT_SETTINGS.complexity, min: 0, max: 10, integer: true }),
    ffmpeg: { describe: 'ffmpeg executable (default: ffmpeg on PATH)', type: 'string', requiresArg: true },
    control: { describe: 'Control FIFO for {"command":"start"|"stop"|"split"} lines (created if missing)', type: 'string', requiresArg: true },
  },
};

/** Detector settings that contradict each other are usage errors, not internal ones. */
function newRecorder(opts: ConstructorParameters<typeof Recorder>[0]): Recorder {
  try {
    return new Recorder(opts);
  } catch (err) {
    if (err instanceof RangeError) throw new CliError(EX.USAGE, `${err.message} (see --help)`);
    throw err;
  }
}

runTool(NAME, async () => {
  const args = parseArgs(cli);
  const log = toolLogger(NAME, args);
  if (process.stdin.isTTY) throw new CliError(EX.USAGE, 'no input: pipe PCM into it, e.g. rec-capture --device hw:1,0 | rec-segment');
  const out = resolve(args.out as string);
  const spool = resolve((args.spool as string | undefined) ?? join(out, '.spool'));
  const statusFile = resolve((args['status-file'] as string | undefined) ?? join(spool, 'segmenter_status.json'));
  const rate = args.rate as number;
  for (const dir of [out, spool, dirname(statusFile)]) {
    await makeDirs(dir).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(EX.CANTCREAT, `${dir}: cannot create: ${createErrorText(err)}`);
    });
  }
  const bgWindow = args['background-window'] as number;
  if (bgWindow > 0 && bgWindow < 10) throw new CliError(EX.USAGE, `--background-window: 0 (off) or at least 10 seconds, got ${bgWindow} (see --help)`);
  if ((args['max-length'] as number) <= (args['pre-roll'] as number) + 0.2) {
    throw new CliError(EX.USAGE, '--max-length must be longer than --pre-roll (plus the 0.1 s start window) (see --help)');
  }
  const streamEncode = args['stream-encode'] as boolean;
  // Without ffmpeg, events are still recorded (as WAVs, encoded by rec-sidecars
  // later): every stream start fails and is counted, and the suspension policy
  // keeps retrying, so ffmpeg that comes back is used again without a restart.
  const ffmpeg = streamEncode ? await findProgramOrWait('ffmpeg', args.ffmpeg as string | undefined, '--ffmpeg', log, 'recording goes on, events are encoded afterwards') : '';
  const trigger = args.trigger as Trigger;
  const vad =
    trigger === 'level' ? null : await createVad({ rate, aggressiveness: args['vad-aggressiveness'] as 0 | 1 | 2 | 3, highpassHz: args['vad-highpass'] as number });

  // stdout carries the event lines; a reader that goes away must not stop recording.
  let stdoutOpen = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    stdoutOpen = false;
    if (!isClosedPipe(err)) log.error({ err: err.message }, 'cannot write event lines to stdout; recording goes on');
    else log.warn('stdout closed; event lines are no longer printed, jobs are still written to the spool');
  });
  // A reader that stops reading (rec-sidecars down behind a FIFO systemd holds
  // open) must not make the lines pile up in memory: the spool has every job.
  const writeLine = boundedLineWriter(process.stdout, 256 * 1024, (dropped) =>
    log.warn({ dropped }, 'stdout is not being read: event lines are dropped until it is (jobs are still written to the spool)'),
  );
  const emit = (line: EventLine) => {
    if (stdoutOpen) writeLine(line);
  };

  const encoderSettings = { container: args.container as Container, bitrate: args.bitrate as number, complexity: args.complexity as number };
  // What a crash left is listed now and recovered beside the new run, which
  // reads its input at once: a re-encode must not keep the microphone waiting.
  const leftovers = await scanLeftovers(spool, out);
  const recovery = (async () => {
    await recoverSpool(spool, out, emit, log, streamEncode ? { ffmpeg, settings: encoderSettings } : null, leftovers.markers);
    // Partials only come from streaming; with it off, they wait for the next streaming start.
    if (streamEncode) await finaliseOrphanPartials(out, spool, ffmpeg, log, leftovers.partials);
  })().catch((err: Error) => log.error({ err: err.message }, 'recovering what the last run left failed; its files stay in the spool'));
  const floor = await carriedFloor(statusFile, rate);
  if (floor !== null) log.info({ noiseFloorDbfs: floor }, 'noise floor carried over from the last run');
  const recorder = newRecorder({
    out,
    spool,
    rate,
    vad,
    emit,
    log,
    highpassHz: args['detect-highpass'] as number,
    detector: {
      trigger,
      preRollMs: (args['pre-roll'] as number) * 1000,
      hangMs: (args.hang as number) * 1000,
      minLengthMs: (args['min-length'] as number) * 1000,
      maxLengthMs: (args['max-length'] as number) * 1000,
      marginDb: args.margin as number,
      minThresholdDbfs: args['min-threshold'] as number,
      initialFloorDbfs: floor,
      background: { windowMs: (args['background-window'] as number) * 1000, marginDb: args['background-margin'] as number },
    },
    stream: streamEncode
      ? {
          ffmpeg,
          settings: encoderSettings,
          // The whole pre-roll is handed over at once, then 2 s of slack for ffmpeg to start.
          maxQueueMs: (args['pre-roll'] as number) * 1000 + 2000,
        }
      : null,
  });
  const status = new StatusWriter({ path: statusFile, spool, out, recorder, log });
  status.start();
  // The signal first: a script that waits for the FIFO to appear may signal at once.
  process.on('SIGUSR1', () => {
    log.info({ command: 'split', signal: 'SIGUSR1' }, 'control command');
    recorder.command('split');
  });
  const stopControl = args.control ? await listenForControl(resolve(args.control as string), (c) => recorder.command(c), log) : () => undefined;
  // Under systemd (Type=notify): ready now; the watchdog is pinged only while frames arrive.
  const notifier = createNotifier({ log });
  notifier.ready();

  const stop = new AbortController();
  let reason: 'eof' | 'shutdown' = 'eof';
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      reason = 'shutdown';
      stop.abort();
    });
  }
  const fb = frameBytes(rate);
  let tail = 0;
  const framer = new PcmFramer({ frameBytes: fb, tail: 'pad', onTail: ({ partialBytes }) => (tail = partialBytes) });
  const sink = new Writable({
    highWaterMark: fb * 50,
    write(chunk: Buffer, _enc, cb) {
      notifier.watchdog();
      for (let off = 0; off < chunk.length; off += fb) recorder.pushFrame(chunk.subarray(off, off + fb));
      const wait = recorder.backpressure();
      if (wait) wait.then(() => cb(), cb);
      else cb();
    },
  });
  try {
    await pipeline(process.stdin, framer, sink, { signal: stop.signal });
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
  if (tail) log.warn({ partialBytes: tail }, 'input ended mid-frame; the last frame was padded with silence');
  await recorder.drain(reason);
  await recovery;
  stopControl();
  await status.stop();
  vad?.close();
  return EX.OK;
});
