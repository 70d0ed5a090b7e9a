// rec-serve: the dashboard and its HTTP API over the recordings folder and
// segmenter_status.json, with live playback of the event being recorded.
import { join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { parseArgs, runTool, toolLogger, numberOption, type ToolCli } from '../lib/cli.js';
import { CliError, EX } from '../lib/exit-codes.js';
import { findProgram } from '../lib/programs.js';
import { startServer } from '../serve/server.js';
import { isLoopbackName } from '../serve/guard.js';

const NAME = 'rec-serve';

const cli: ToolCli = {
  name: NAME,
  usage: '$0 [options]',
  description:
    'Serve the dashboard: segmenter status (live, by Server-Sent Events), the recordings list with search, ' +
    'playback (also of the event still being recorded), download, delete to trash, keep, and manual record/stop/split.',
  examples: [
    ['$0 --out ./recordings', 'dashboard on http://127.0.0.1:8080'],
    ['$0 --out /srv/rec --status-file /run/rec/spool/segmenter_status.json --host 0.0.0.0 --token "$(cat /etc/rec/token)"', 'on the network, with a token'],
    ['$0 --out ./rec --port 0', 'any free port; the URL is printed on stdout'],
    ["curl -s localhost:8080/api/status | jq '.running, .status.level'", 'is it recording?'],
  ],
  epilog:
    'Prints one line on stdout, the URL it listens on. GET /healthz ({"ok":true}) needs no token.\n' +
    'A --host other than a loopback address (127.0.0.0/8, ::1, localhost) needs --token, or --insecure-no-token.\n' +
    'Exit status: 0 stopped by SIGINT/SIGTERM, 64 usage (also a non-loopback --host without a token), 66 --out missing, 69 ffmpeg missing, ' +
    '73 cannot listen on --host/--port.',
  options: {
    out: { describe: 'Recordings root (<out>/<day>/<stem>.opus)', type: 'string', default: './recordings', requiresArg: true },
    spool: { describe: "rec-segment's spool directory (default <out>/.spool)", type: 'string', requiresArg: true },
    'status-file': { describe: 'Status file written by rec-segment (default <spool>/segmenter_status.json)', type: 'string', requiresArg: true },
    host: { describe: 'Address to listen on (0.0.0.0 for every interface)', type: 'string', default: '127.0.0.1', requiresArg: true },
    port: numberOption('TCP port; 0 picks a free one', { default: 8080, min: 0, max: 65535, integer: true }),
    token: { describe: 'Require this token (Bearer header, or ?token= once, which sets a cookie)', type: 'string', requiresArg: true },
    'insecure-no-token': {
      describe: 'Allow a non-loopback --host without --token: anyone who reaches it may listen, delete and record',
      type: 'boolean',
    },
    control: { describe: "rec-segment's control FIFO, for record/stop/split from the page", type: 'string', requiresArg: true },
    'max-live': numberOption('Concurrent live streams (one ffmpeg remux each)', { default: 4, min: 1, max: 64, integer: true }),
    ffmpeg: { describe: 'ffmpeg executable (default: ffmpeg on PATH)', type: 'string', requiresArg: true },
  },
};

runTool(NAME, async () => {
  const args = parseArgs(cli);
  const log = toolLogger(NAME, args);
  const out = resolve(args.out as string);
  const st = await stat(out).catch(() => null);
  if (!st?.isDirectory()) throw new CliError(EX.NOINPUT, `${out}: no such directory (--out)`);
  // The same defaults as rec-segment, so one environment file serves both.
  const spool = resolve((args.spool as string | undefined) ?? join(out, '.spool'));
  const statusFile = resolve((args['status-file'] as string | undefined) ?? join(spool, 'segmenter_status.json'));
  const token = (args.token as string | undefined) || undefined;
  if (token !== undefined && token.length < 8) throw new CliError(EX.USAGE, '--token: use at least 8 characters (see --help)');
  const host = args.host as string;
  const insecure = !token && !isLoopbackName(host.toLowerCase());
  if (insecure && !args['insecure-no-token']) {
    throw new CliError(
      EX.USAGE,
      `--host ${host} is not a loopback address: without a token anyone who can reach it could listen to, delete and start recordings; ` +
        'give --token (or REC_TOKEN), or --insecure-no-token if that is really meant (see --help)',
    );
  }
  const ffmpeg = await findProgram('ffmpeg', args.ffmpeg as string | undefined, '--ffmpeg');
  let srv;
  try {
    srv = await startServer(
      {
        out,
        statusFile,
        ffmpeg,
        log,
        ...(token ? { token } : {}),
        ...(args.control ? { control: resolve(args.control as string) } : {}),
        maxLive: args['max-live'] as number,
      },
      { host, port: args.port as number },
    );
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') {
      throw new CliError(EX.CANTCREAT, `cannot listen on ${host}:${String(args.port)} (${e.code})`);
    }
    throw err;
  }
  const addr = srv.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (args.port as number);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  if (insecure) log.warn({ host }, 'listening beyond loopback without a token (--insecure-no-token): anyone on the network may listen, delete and record');
  log.info({ url, out, statusFile, token: !!token, control: args.control ?? null }, 'listening');
  process.stdout.write(url + '\n');
  await new Promise<void>((resolveStop) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolveStop());
  });
  await srv.close();
  return EX.OK;
});
