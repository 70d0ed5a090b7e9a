// rec-sidecars: finished events (NDJSON on stdin, and job files in the spool) →
// complete recordings: a verified .opus, a waveform, optionally a transcript and
// an archived copy; then the spool is cleaned. Prints a recording.ready line each.
import { dirname, join, resolve } from 'node:path';
import { parseArgs, runTool, toolLogger, numberOption, type ToolCli } from '../lib/cli.js';
import { CliError, EX } from '../lib/exit-codes.js';
import { findProgram, findProgramOrWait } from '../lib/programs.js';
import { readNdjson } from '../lib/ndjson.js';
import { schemaError, type EventFinished } from '../lib/contracts.js';
import { DEFAULT_SETTINGS } from '../encode/settings.js';
import { Runner, type RecordingReady } from '../sidecars/runner.js';
import { Retention } from '../sidecars/retention.js';
import { repairWaveforms } from '../sidecars/repair.js';
import { DAY_DIR } from '../lib/recordings.js';
import { commandTranscriber, pocketsphinx, type Transcriber } from '../sidecars/transcribe.js';
import { timerMs } from '../lib/timers.js';
import { createErrorText, makeDirs } from '../lib/make-dirs.js';

const NAME = 'rec-sidecars';

const cli: ToolCli = {
  name: NAME,
  usage: '$0 [options] [< EVENTS.ndjson]',
  description:
    'Turn finished events into complete recordings: verify the streamed .opus (or encode it from the WAV), write ' +
    '<stem>.waveform.json, optionally a transcript and an archived copy, then remove the WAV and the job from the spool. ' +
    'Reads event.finished lines on stdin (when it is not a terminal) and every job file in the spool.',
  examples: [
    ['rec-capture --input talk.mp3 | rec-segment --out rec | $0 --out rec', 'the whole pipeline on a file'],
    ['$0 --out /srv/rec --spool /run/rec/spool', 'finish whatever a crash left in the spool, then exit'],
    ['$0 --out /srv/rec --follow --max-disk-usage 85 --archive-cmd \'rsync -a "$@" nas:rec/$REC_DAY/\'', 'the service: watch, archive, keep the card from filling'],
    ['$0 --out rec --transcribe | jq -r .transcript', 'transcribe voice events with pocketsphinx'],
  ],
  epilog:
    'Prints {"type":"recording.ready","id","day","stem","opus","waveform","transcript","durationMs","encode","archived"} per recording.\n' +
    'Exit status: 0 every job done, 1 some jobs left in the spool for a retry or moved to <spool>/failed/, 64 usage,\n' +
    '69 ffmpeg (or the recogniser) missing, 73 cannot create the output or spool.\n' +
    'With --repair: prints the path of each waveform rebuilt; exit 1 when a recording\'s audio does not decode.',
  options: {
    out: { describe: 'Recordings root (<out>/<day>/<stem>.opus)', type: 'string', default: './recordings', requiresArg: true },
    spool: { describe: 'Spool directory of event WAVs and jobs (default <out>/.spool)', type: 'string', requiresArg: true },
    follow: { describe: 'Keep watching the spool after stdin ends (the service)', type: 'boolean', default: false },
    'sidecars-status': { describe: 'Status file (default <spool>/sidecars_status.json)', type: 'string', requiresArg: true },
    ffmpeg: { describe: 'ffmpeg executable (default: ffmpeg on PATH)', type: 'string', requiresArg: true },
    bitrate: numberOption('Opus bitrate in kb/s for events encoded here', { default: DEFAULT_SETTINGS.bitrate, min: 6, max: 256 }),
    complexity: numberOption('libopus complexity 0-10 for events encoded here', { default: DEFAULT_SETTINGS.complexity, min: 0, max: 10, integer: true }),
    'keep-wav': { describe: 'Move each event WAV here instead of deleting it', type: 'string', requiresArg: true },
    transcribe: { describe: 'Transcribe voice events with pocketsphinx (12-14 CPU-s per audio minute here)', type: 'boolean', default: false },
    'transcribe-cmd': { describe: 'Transcribe with this command instead; it gets a 16 kHz WAV path and prints text or JSON', type: 'string', requiresArg: true },
    'transcribe-min-voice': numberOption('Least share of voice frames (0-1) for an event to be transcribed', { default: 0.3, min: 0, max: 1 }),
    'archive-cmd': { describe: 'Command run per recording with its files as "$@" (e.g. rsync); REC_DAY, REC_STEM, REC_OPUS set', type: 'string', requiresArg: true },
    'archive-attempts': numberOption('Attempts per archive run', { default: 4, min: 1, max: 100, integer: true }),
    'archive-backoff': numberOption('Seconds before the first archive retry, doubled each time', { default: 10, min: 0, unit: 'seconds' }),
    'archive-timeout': numberOption('Seconds an archive command may run', { default: 600, min: 1, unit: 'seconds' }),
    'max-disk-usage': numberOption('Remove oldest recordings while the disk is fuller than this (percent)', { min: 1, max: 100 }),
    'keep-days': numberOption('Move recordings older than this many days to the trash', { min: 0 }),
    'trash-days': numberOption('Empty the trash of files deleted this many days ago', { default: 7, min: 0 }),
    'min-free': numberOption('MB that must stay free on the recordings disk; below it jobs wait', { default: 50, min: 0 }),
    'retention-interval': numberOption('Minutes between retention runs with --follow', { default: 10, min: 0.01, unit: 'minutes' }),
    retry: numberOption('Seconds before retrying a job that failed for a passing reason (doubles, up to 30 min)', { default: 30, min: 0.01, unit: 'seconds' }),
    repair: { describe: 'Instead: rebuild the waveform of every finished recording whose waveform is missing or unreadable; prints each one rebuilt', type: 'boolean', default: false },
    day: { describe: 'With --repair: only this day folder (YYYY-MM-DD; repeatable)', type: 'string', array: true, requiresArg: true },
  },
  // One-shot flags; REC_DAY is also what --archive-cmd's command is given, not an option for this run.
  noEnv: ['repair', 'day'],
  configure: (y) =>
    y.check((a) => {
      if (a.follow && a.repair) throw new Error('--follow and --repair: one or the other');
      const days = (a.day as string[] | undefined) ?? [];
      if (days.length && !a.repair) throw new Error('--day goes with --repair');
      const bad = days.find((d) => !DAY_DIR.test(d));
      if (bad !== undefined) throw new Error(`--day ${bad}: not a day folder name (YYYY-MM-DD)`);
      return true;
    }),
};

runTool(NAME, async () => {
  const args = parseArgs(cli);
  const log = toolLogger(NAME, args);
  const out = resolve(args.out as string);
  const spool = resolve((args.spool as string | undefined) ?? join(out, '.spool'));
  const statusFile = resolve((args['sidecars-status'] as string | undefined) ?? join(spool, 'sidecars_status.json'));
  for (const dir of [out, spool, dirname(statusFile)]) {
    await makeDirs(dir).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(EX.CANTCREAT, `${dir}: cannot create: ${createErrorText(err)}`);
    });
  }
  if (args.repair) {
    const ffmpeg = await findProgram('ffmpeg', args.ffmpeg as string | undefined, '--ffmpeg');
    const r = await repairWaveforms({ out, spool, ffmpeg, log, days: (args.day as string[] | undefined) ?? [] });
    for (const path of r.repaired) process.stdout.write(path + '\n');
    log.info({ checked: r.checked, repaired: r.repaired.length, failed: r.failed.length }, 'repair done');
    return r.failed.length ? EX.FAILURE : EX.OK;
  }
  // The service waits for ffmpeg (its jobs are retried); a one-shot run cannot.
  const ffmpeg = args.follow
    ? await findProgramOrWait('ffmpeg', args.ffmpeg as string | undefined, '--ffmpeg', log, 'jobs wait in the spool and are retried')
    : await findProgram('ffmpeg', args.ffmpeg as string | undefined, '--ffmpeg');
  let transcriber: Transcriber | null = null;
  if (args['transcribe-cmd']) transcriber = commandTranscriber(ffmpeg, args['transcribe-cmd'] as string);
  else if (args.transcribe) transcriber = pocketsphinx(ffmpeg, await findProgram('pocketsphinx_continuous', undefined, '--transcribe-cmd'));
  const archiveCmd = args['archive-cmd'] as string | undefined;
  const follow = args.follow as boolean;
  const emitLine = (line: RecordingReady) => {
    if (!process.stdout.destroyed) process.stdout.write(JSON.stringify(line) + '\n');
  };
  process.stdout.on('error', () => log.warn('stdout closed; recording.ready lines are no longer printed'));

  const aborter = new AbortController();
  // Always on: the trash (deletes from the dashboard, --keep-days) is emptied after --trash-days.
  const retention = new Retention(
    out,
    {
      maxDiskUsagePercent: args['max-disk-usage'] as number | undefined,
      keepDays: args['keep-days'] as number | undefined,
      trashDays: args['trash-days'] as number,
      archiving: archiveCmd !== undefined,
    },
    log,
  );
  const runner = new Runner({
    ctx: {
      out,
      spool,
      ffmpeg,
      log,
      encoder: { bitrate: args.bitrate as number, complexity: args.complexity as number },
      keepWav: args['keep-wav'] ? resolve(args['keep-wav'] as string) : null,
      transcriber,
      transcribeMinVoice: args['transcribe-min-voice'] as number,
      archive: archiveCmd
        ? { command: archiveCmd, attempts: args['archive-attempts'] as number, backoffMs: (args['archive-backoff'] as number) * 1000, timeoutMs: (args['archive-timeout'] as number) * 1000 }
        : null,
      signal: aborter.signal,
    },
    retention,
    minFreeBytes: (args['min-free'] as number) * 1024 * 1024,
    statusFile,
    emit: emitLine,
    retryMs: (args.retry as number) * 1000,
  });

  let stopped = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopped) return;
      stopped = true;
      log.info({ signal: sig }, 'stopping; unfinished jobs stay in the spool');
      aborter.abort();
      void runner.stop().then(() => process.exit(EX.OK));
    });
  }

  await runner.runRetention();
  await runner.scanSpool();
  if (follow) {
    runner.follow();
    setInterval(() => void runner.runRetention(), timerMs((args['retention-interval'] as number) * 60_000)).unref();
  }
  if (!process.stdin.isTTY) {
    for await (const item of readNdjson(process.stdin)) {
      if (item.error !== undefined) {
        log.warn({ line: item.line, err: item.error }, 'skipped a malformed input line');
        continue;
      }
      if (item.value.type !== 'event.finished') continue; // other line types are not ours
      await runner.offer(item.value, item.line);
    }
    // Jobs announced on stdin are in the spool too: a last look catches any line lost on the way.
    await runner.scanSpool();
  }
  if (follow) {
    await new Promise<never>(() => undefined); // until a signal
  }
  await runner.idle(true);
  await runner.stop();
  const left = runner.pending;
  if (left || runner.counts.failed) {
    log.warn({ left, failed: runner.counts.failed }, 'not every job is done: see the spool and its failed/ folder');
    return EX.FAILURE;
  }
  return EX.OK;
});
