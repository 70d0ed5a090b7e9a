// Every example a user can copy from the documentation, run for real: the
// no-fill blocks (.nf/.fi, .EX/.EE) of each man page's EXAMPLES section and
// each command of the README's ```sh blocks are extracted from the documents
// (a new example is picked up by itself) and run by bash with the real tools,
// ffmpeg, jq, curl, rsync and a real rec-serve, in a sandbox. What cannot exist
// here (a sound card, /srv/rec, a NAS, port 8080) is replaced by the explicit
// tables SUBSTITUTIONS and ENVIRONMENT below; an example that still cannot run
// is in SKIP with its reason. An example that is neither run nor skipped fails,
// and so does a SKIP or SPECS entry that no longer matches any example.
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, cp, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import which from 'which';
import { FIXTURES, ROOT, bin, decode, tempDir } from './helpers.js';

// ---------------------------------------------------------------- extraction

interface Example {
  doc: string;
  line: number;
  /** The command(s) as a user would paste them (roff escapes undone, `\` continuations joined). */
  text: string;
}

const ROFF_ESCAPES: Record<string, string> = {
  '-': '-',
  e: '\\',
  '(aq': "'",
  '(dq': '"',
  '(ga': '`',
  '(ti': '~',
  '(rs': '\\',
  '(em': '\u2014',
  '(en': '\u2013',
  '&': '',
  ' ': ' ',
};

/** One line of a roff no-fill block back to the text it shows. An escape not in the table fails loudly. */
function unroff(line: string, where: string): string {
  return line.replace(/\\(\(..|f[BIRP]|.)/g, (esc, name: string) => {
    if (/^f[BIRP]$/.test(name)) return '';
    const text = ROFF_ESCAPES[name];
    if (text === undefined) throw new Error(`${where}: roff escape ${esc} is not in ROFF_ESCAPES`);
    return text;
  });
}

/** Lines ending in `\` joined with the next one, as the shell reads them. */
function joinContinuations(lines: Array<{ n: number; text: string }>, alsoAfter?: RegExp): Array<{ n: number; text: string }> {
  const out: Array<{ n: number; text: string }> = [];
  let cur: { n: number; text: string } | undefined;
  for (const l of lines) {
    cur = cur ? { n: cur.n, text: `${cur.text} ${l.text.trimStart()}` } : { ...l };
    if (cur.text.endsWith('\\')) cur.text = cur.text.slice(0, -1).trimEnd();
    else if (!(alsoAfter && alsoAfter.test(cur.text))) {
      out.push(cur);
      cur = undefined;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** The no-fill blocks of a man page's EXAMPLES section, one example each (a block is a script). */
function manExamples(doc: string, page: string): Example[] {
  const lines = page.split('\n');
  const start = lines.findIndex((l) => /^\.SH\s+"?EXAMPLES"?\s*$/.test(l));
  if (start < 0) return [];
  const examples: Example[] = [];
  let block: Array<{ n: number; text: string }> | undefined;
  for (let i = start + 1; i < lines.length && !/^\.SH\b/.test(lines[i]!); i++) {
    const line = lines[i]!;
    if (/^\.(nf|EX)\b/.test(line)) block = [];
    else if (/^\.(fi|EE)\b/.test(line)) {
      if (block?.length) examples.push({ doc, line: block[0]!.n, text: joinContinuations(block).map((l) => l.text).join('\n') });
      block = undefined;
    } else if (block) {
      if (/^\.\\"/.test(line)) continue;
      if (/^[.']/.test(line)) throw new Error(`${doc}:${i + 1}: roff request inside an example block: teach manExamples() about it`);
      block.push({ n: i + 1, text: unroff(line, `${doc}:${i + 1}`) });
    }
  }
  return examples;
}

/** Each command of the README's shell blocks (```sh: a block there is a list of one-liners). */
function readmeExamples(doc: string, md: string): Example[] {
  const examples: Example[] = [];
  for (const m of md.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm)) {
    const first = md.slice(0, m.index).split('\n').length + 1;
    const lines = m[1]!
      .split('\n')
      .map((text, i) => ({ n: first + i, text }))
      .filter((l) => l.text.trim() !== '' && !/^\s*#/.test(l.text));
    for (const l of joinContinuations(lines, /(\||\|\||&&)\s*$/)) examples.push({ doc, line: l.n, text: l.text });
  }
  return examples;
}

/** What identifies a command: comments dropped, white space collapsed (the same command in two places runs once). */
function normalise(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/(^|\s)#(\s.*)?$/, ''))
    .join('\n')
    .replace(/\s+/g, ' ')
    .trim();
}

type Kind = 'shell' | 'crontab' | 'units';
function kindOf(text: string): Kind {
  if (/^\[(Unit|Service|Timer|Install)\]$/m.test(text)) return 'units';
  if (/^(?:[\d*/,-]+\s+){5}\S/.test(text)) return 'crontab';
  return 'shell';
}

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'man')).filter((f) => /\.\d$/.test(f)).sort().map((f) => `man/${f}`)];
const EXAMPLES: Example[] = DOCS.flatMap((doc) => {
  const text = readFileSync(join(ROOT, doc), 'utf8');
  return doc === 'README.md' ? readmeExamples(doc, text) : manExamples(doc, text);
});

interface Command {
  key: string;
  text: string;
  kind: Kind;
  places: Example[];
}
const COMMANDS: Command[] = [];
for (const ex of EXAMPLES) {
  const key = normalise(ex.text);
  const seen = COMMANDS.find((c) => c.key === key);
  if (seen) seen.places.push(ex);
  else COMMANDS.push({ key, text: ex.text, kind: kindOf(ex.text), places: [ex] });
}

// ---------------------------------------------------------------- what cannot run here

/** Examples that cannot run in a test, each with its reason. Prefer a substitution. */
const SKIP: Array<{ match: RegExp; reason: string }> = [
  { match: /^sudo apt-get /, reason: 'installs system packages as root from the network (the machine running this was set up by it)' },
  { match: /^npm test\b/, reason: 'the whole suite, this test included' },
  { match: /^npm run build\b/, reason: 'rebuilds dist/ of the working tree while other test files run from it (npm test builds first: pretest)' },
  { match: /\bnpm run bench\b/, reason: 'benchmarks: ten minutes to a day of CPU; timing belongs in bench/, not in tests (STYLE.md)' },
  { match: /^npm run faults\b/, reason: "the fault matrix's long form: root, tmpfs mounts, minutes per row, rewrites FAULTS.md (its short form is test/faults-*.test.ts)" },
  { match: /\bwhisper-cli\b/, reason: 'whisper.cpp is not packaged for Debian and needs a model download (nothing is fetched here)' },
];

// ---------------------------------------------------------------- the sandbox

/** Where one example runs: its home (the working directory) and the root standing in for the Pi's /. */
interface World {
  home: string;
  pi: string;
  tmp: string;
  /** REC_PORT, and what `--port 8080` becomes. */
  port: number;
}

interface Sandbox {
  root: string;
  bin: string;
  room: string;
  streamUrl: string;
  livePort: number;
  live: World;
  template: { root: string; home: string; pi: string };
  /** The waveforms the template damaged (today's) or left out (2026-11-26), relative to the Pi root. */
  repair: { today: string; old: string };
}

/**
 * Text substitutions, applied to every example before it runs, in this order.
 * Each replaces something that does not exist here with a local stand-in.
 */
const SUBSTITUTIONS: Array<{ what: string; from: RegExp; to: (s: Sandbox, w: World, ...groups: string[]) => string }> = [
  {
    what: "the Pi's folders /srv/rec, /run/rec, /etc/rec, /etc/rec-tools → the same folders under the sandbox's stand-in for the Pi's /",
    from: /(?<![\w./-])\/(srv\/rec|run\/rec|etc\/rec-tools|etc\/rec)(?![\w.-])/g,
    to: (_s, w, dir) => `${w.pi}/${dir}`,
  },
  { what: '/tmp → a tmp folder of the example', from: /(?<![\w./-])\/tmp\//g, to: (_s, w) => `${w.tmp}/` },
  { what: '/usr/local/bin (where install.sh expects the tools and the units run them) → the sandbox bin', from: /\/usr\/local\/bin\//g, to: (s) => `${s.bin}/` },
  { what: "localhost:8080 (the Pi's dashboard) → the live sandbox's rec-serve", from: /\blocalhost:8080\b/g, to: (s) => `localhost:${s.livePort}` },
  { what: '--port 8080 → a free port (REC_PORT too, for rec-serve without --port)', from: /--port 8080\b/g, to: (_s, w) => `--port ${w.port}` },
  { what: '--duration over 10 s → 3 s (the microphone and --realtime run in real time)', from: /--duration (\d+)\b/g, to: (_s, _w, n) => `--duration ${Number(n) > 10 ? 3 : n}` },
  { what: 'URL, http://radio.example/stream → a local HTTP server sending talk.mp3', from: /\bURL\b|http:\/\/radio\.example\/stream/g, to: (s) => s.streamUrl },
  { what: 'nas: (rsync to a NAS over ssh) → a local folder of the sandbox Pi', from: /\bnas:/g, to: (_s, w) => `${w.pi}/nas/` },
  { what: "npm start → package.json's start script without its build step (the suite is built), from the checkout", from: /^npm start\b/gm, to: () => startScript() },
  { what: 'dist/ (commands run in a checkout) → this checkout\'s dist/, run from the sandbox', from: /(?<![\w/.-])dist\//g, to: () => `${ROOT}/dist/` },
];

function startScript(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const m = /^npm run build --silent && (.+)$/.exec(pkg.scripts.start ?? '');
  if (!m) throw new Error(`package.json start script changed: ${pkg.scripts.start}; update startScript()`);
  return m[1]!.replace(/(?<![\w/.-])examples\//g, `${ROOT}/examples/`);
}

function substitute(text: string, s: Sandbox, w: World): string {
  // Each replacement is parked behind a marker until the end, so that no rule rewrites another's output.
  const parked: string[] = [];
  let out = text;
  for (const sub of SUBSTITUTIONS) {
    out = out.replace(sub.from, (_m: string, ...groups: unknown[]) => {
      parked.push(sub.to(s, w, ...(groups.filter((g) => typeof g === 'string') as string[])));
      return `\u0000${parked.length - 1}\u0000`;
    });
  }
  return out.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => parked[Number(i)]!);
}

/**
 * The environment of every example (nothing else is inherited but TZ and LANG):
 *  PATH   the sandbox bin first: rec-* → this checkout's bin/*.js; arecord →
 *         test/fixtures/arecord-room.mjs, a USB microphone in a room where someone
 *         speaks for 2 s every 8 s, in real time (any device name); ffmpeg →
 *         test/fixtures/ffmpeg-alsa, that microphone behind `ffmpeg -f alsa`, the
 *         real ffmpeg for everything else.
 *  HOME   the example's home (its working directory).
 *  REC_PORT  a free port (rec-serve's default 8080 may be taken).
 *  SDL_AUDIODRIVER=dummy  ffplay plays to SDL's dummy output (no sound card).
 *  LD_PRELOAD=libstdbuf, _STDBUF_O=L  stdout line-buffered, as on a terminal
 *         (what `stdbuf -oL` does): jq prints each line when it has it, so an
 *         endless pipeline shows its output before Ctrl-C.
 *  TERM=xterm  watch(1) draws (its escape codes go to the pipe like the text).
 */
function environment(s: Sandbox, w: World): Record<string, string> {
  return {
    PATH: `${s.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: w.home,
    REC_PORT: String(w.port),
    SDL_AUDIODRIVER: 'dummy',
    TERM: 'xterm',
    LD_PRELOAD: LIBSTDBUF,
    _STDBUF_O: 'L',
    FAKE_ROOM_DIR: s.room,
    REAL_FFMPEG: realFfmpeg,
    ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
    LANG: process.env.LANG ?? 'C.UTF-8',
  };
}

/** An example reads the running recorder when it talks to the dashboard or runs rec-status without a segmenter of its own. */
const LIVE = (key: string) => /localhost:8080/.test(key) || (/\brec-status\b/.test(key) && !/\brec-segment\b/.test(key));

// ---------------------------------------------------------------- running

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Ctrl-C was sent (the example was endless). */
  interrupted: boolean;
}

interface Ctx {
  s: Sandbox;
  w: World;
  /** The example after substitution. */
  script: string;
  stdout: () => string;
  stderr: () => string;
  /** A path relative to the example's home. */
  at: (p: string) => string;
  /** A file's text if the example wrote it (not what a copy of the sandbox had before it started), else ''. */
  fresh: (p: string) => Promise<string>;
  /** What the spec's `before` found. */
  noted?: unknown;
}

interface Spec {
  /** Which example(s): a pattern on the normalised command. */
  match: RegExp;
  /** Before the run, e.g. until the live recorder is in an event; what it returns is `c.noted`. */
  before?: (c: Ctx) => Promise<unknown>;
  /** An endless command: what it must have done before Ctrl-C stops it. */
  until?: { what: string; ready: (c: Ctx) => Promise<boolean> | boolean; then?: (t: Test, c: Ctx) => Promise<unknown> };
  /** The exit status: a number, or 'SIGINT' for a pipeline whose last program dies of Ctrl-C (jq, curl). Default 0. */
  exit?: number | 'SIGINT';
  /** What the example promises, checked once it ended. */
  check?: (t: Test, c: Ctx, r: Run) => unknown;
}

const realFfmpeg = (await which('ffmpeg', { nothrow: true })) ?? 'ffmpeg';
/** coreutils' stdbuf preload library (Debian: /usr/libexec/coreutils). */
const LIBSTDBUF = ['/usr/libexec/coreutils/libstdbuf.so', '/usr/lib/coreutils/libstdbuf.so'].find((p) => existsSync(p)) ?? '';

function json(line: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
const jsonLines = (text: string) => text.split('\n').map(json).filter((x): x is Record<string, unknown> => x !== undefined);
const typed = (text: string, type: string) => jsonLines(text).filter((o) => o.type === type);

async function waitFor(what: string, ready: () => Promise<boolean> | boolean, timeoutMs: number, alive?: () => boolean): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ready()) return true;
    if (alive && !alive()) return ready();
    await sleep(100);
  }
  return false;
}

/**
 * The live processes an example started: those in its process group that carry
 * its tag in their environment (a process group id can be reused once the group
 * is gone; the tag cannot). Zombies do not count. Linux /proc.
 */
function members(pgid: number, tag: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) !== pgid || state === 'Z' || state === 'X') continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`DOC_EXAMPLE_RUN=${tag}`)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** pid, state and command line of each process, for a failure message. */
function describe(pids: number[]): string[] {
  return pids.map((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const sig = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Sig(Blk|Ign|Cgt):.*$/gm)?.join(' ');
      return `${pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()} ${sig}`;
    } catch {
      return `${pid} gone`;
    }
  });
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone meanwhile
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function size(path: string): Promise<number> {
  return stat(path).then(
    (st) => st.size,
    () => -1,
  );
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | null> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

/**
 * No process started here may outlive the test, even one cut short by tap's
 * timeout (SIGALRM, then SIGKILL): a detached reaper waits for this process to
 * end, then kills whatever still carries one of its tags and removes the sandbox.
 */
function startReaper(root: string): void {
  const tag = `DOC_EXAMPLE_RUN=${process.pid}-`;
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done`,
    'for pass in 1 2; do for f in /proc/[0-9]*/environ; do',
    `  if grep -qa "${tag}" "$f" 2>/dev/null; then p=\${f#/proc/}; kill -KILL "\${p%/environ}" 2>/dev/null; fi`,
    'done; done',
    `rm -rf '${root}'`,
  ].join('\n');
  spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

/** A process group started by bash, its output kept as it arrives. */
function startBash(script: string, cwd: string, env: Record<string, string>) {
  const tag = `${process.pid}-${++runs}`;
  const child: ChildProcess = spawn('bash', ['-c', `set -eo pipefail\n${script}`], { cwd, env: { ...env, DOC_EXAMPLE_RUN: tag }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-200_000)));
  let exited = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    child.on('exit', (code, signal) => {
      exited = true;
      ok({ code, signal });
    }),
  );
  const pid = child.pid!;
  const run = {
    pid,
    stdout: () => stdout,
    stderr: () => stderr,
    exit,
    exited: () => exited,
    members: () => members(pid, tag),
    /** Ctrl-C at a terminal: the whole foreground group (bash is alive, so the group id is still this run's). */
    ctrlC: () => (exited ? signal(members(pid, tag), 'SIGINT') : process.kill(-pid, 'SIGINT')),
    signal: (sig: NodeJS.Signals) => signal(members(pid, tag), sig),
  };
  return run;
}
let runs = 0;

const EXAMPLE_TIMEOUT_MS = 60_000;

/** Run one shell example the way a user does: wait for what it promises, Ctrl-C it if it is endless, leave nothing behind. */
async function runShell(t: Test, c: Ctx & { setOutput: (o: () => string, e: () => string) => void }, spec: Spec | undefined): Promise<Run> {
  const p = startBash(c.script, c.w.home, environment(c.s, c.w));
  c.setOutput(p.stdout, p.stderr);
  let interrupted = false;
  if (spec?.until) {
    const ok = await waitFor(spec.until.what, () => spec.until!.ready(c), EXAMPLE_TIMEOUT_MS, () => !p.exited() || p.members().length > 0);
    t.ok(ok, `before Ctrl-C: ${spec.until.what}`);
    if (ok && spec.until.then) await spec.until.then(t, c);
    if (p.members().length) {
      interrupted = true;
      p.ctrlC();
    }
  }
  const ended = await Promise.race([p.exit.then(() => true), sleep(EXAMPLE_TIMEOUT_MS, false, { ref: false })]);
  if (!ended) {
    t.fail(`still running after ${EXAMPLE_TIMEOUT_MS / 1000} s: endless? give it an "until" in SPECS`, { running: describe(p.members()) });
    p.signal('SIGKILL');
  }
  const { code, signal: sig } = await p.exit;
  // What the example left running in the background: stopped like a user would.
  if (p.members().length) {
    p.signal('SIGINT');
    const gone = await waitFor('background jobs end', () => p.members().length === 0, 15_000);
    if (!gone) {
      t.fail('left processes running that Ctrl-C did not stop', { running: describe(p.members()) });
      p.signal('SIGKILL');
    }
  }
  return { code, signal: sig, stdout: p.stdout(), stderr: p.stderr(), interrupted };
}

/**
 * A crontab line (wrapped on the page: joined again), its command run as cron
 * runs it: /bin/sh, cron's PATH, in HOME. Cron mails any output, so healthy is silent.
 */
async function runCrontab(c: Ctx): Promise<Run> {
  const command = c.script.replace(/\s*\n\s*/g, ' ').replace(/^(?:[\d*/,-]+\s+){5}/, '');
  const r = await execa('/bin/sh', ['-c', command], {
    cwd: c.w.home,
    env: { PATH: '/usr/bin:/bin', SHELL: '/bin/sh', HOME: c.w.home, LOGNAME: 'rec' },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: EXAMPLE_TIMEOUT_MS,
  });
  return { code: r.exitCode ?? null, signal: (r.signal as NodeJS.Signals | undefined) ?? null, stdout: r.stdout, stderr: r.stderr, interrupted: false };
}

/**
 * Unit files (`# name` starts each): written to a folder with a stand-in for any
 * OnFailure= unit the page says is to be written, checked by systemd-analyze
 * verify, then each service's ExecStart= run as systemd would (no shell, its
 * EnvironmentFile=, working directory /).
 */
async function runUnits(t: Test, c: Ctx): Promise<Run> {
  const dir = join(c.w.tmp, 'units');
  await mkdir(dir, { recursive: true });
  const units = new Map<string, string>();
  let name: string | undefined;
  for (const line of c.script.split('\n')) {
    const m = /^#\s*(\S+\.(?:service|timer|socket|target|path))\s*$/.exec(line);
    if (m) units.set((name = m[1]!), '');
    else if (name && line.trim() !== '') units.set(name, `${units.get(name)!}${line}\n`);
  }
  t.ok(units.size > 0, `units in the example: ${[...units.keys()].join(', ')}`);
  for (const [n, body] of units) {
    await writeFile(join(dir, n), body);
    for (const dep of body.matchAll(/^(?:OnFailure|Wants|Requires)=(.+)$/gm)) {
      for (const other of dep[1]!.split(/\s+/)) {
        if (!units.has(other) && !(await exists(join(dir, other)))) await writeFile(join(dir, other), '[Service]\nType=oneshot\nExecStart=/bin/true\n');
      }
    }
  }
  const v = await execa('systemd-analyze', ['verify', '--man=no', '--generators=no', ...[...units.keys()].map((n) => join(dir, n))], { reject: false, all: true });
  t.equal(v.exitCode, 0, `systemd-analyze verify: ${v.all}`);
  t.equal(v.all.trim(), '', 'no warnings');
  let last: Run = { code: 0, signal: null, stdout: '', stderr: '', interrupted: false };
  for (const body of units.values()) {
    const exec = /^ExecStart=(.+)$/m.exec(body)?.[1];
    if (!exec) continue;
    const envFile = /^EnvironmentFile=-?(.+)$/m.exec(body)?.[1];
    const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
    if (envFile) {
      t.ok(await exists(envFile), `EnvironmentFile= exists: ${envFile}`);
      for (const line of (await readFile(envFile, 'utf8').catch(() => '')).split('\n')) {
        const kv = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (kv) env[kv[1]!] = kv[2]!;
      }
    }
    const [file, ...args] = exec.split(/\s+/);
    const r = await execa(file!, args, { cwd: '/', env, extendEnv: false, reject: false, stdin: 'ignore', timeout: EXAMPLE_TIMEOUT_MS });
    last = { code: r.exitCode ?? null, signal: (r.signal as NodeJS.Signals | undefined) ?? null, stdout: r.stdout, stderr: r.stderr, interrupted: false };
  }
  return last;
}

// ---------------------------------------------------------------- what each example promises

async function decodesTo(t: Test, path: string, ms: number, tolerance = 60): Promise<void> {
  const d = await decode(path);
  t.ok(Math.abs(d.durationMs - ms) <= tolerance, `${path} decodes to ${d.durationMs} ms, want ${ms} ± ${tolerance}`);
}

const liveStatus = async (s: Sandbox) => {
  const r = await get(`http://127.0.0.1:${s.livePort}/api/status`);
  return r?.status === 200 ? (json(r.body) as { running?: boolean; live?: unknown; status?: { event?: { durationMs: number } | null; lastEvent?: { id: string; split?: string | null } | null } }) : undefined;
};

/** The live recorder is in an event that began less than 3.5 s ago (it lasts about 6.5). */
async function liveEventStarted(c: Ctx): Promise<void> {
  const ok = await waitFor('an event in progress', async () => {
    const v = await liveStatus(c.s);
    return !!v?.live && (v.status?.event?.durationMs ?? Infinity) < 3500;
  }, 30_000);
  if (!ok) throw new Error('the live recorder never started an event');
}

/** `<day>/<stem>.archived` markers in the sandbox Pi's /srv/rec. */
async function archived(c: Ctx): Promise<string[]> {
  const root = join(c.w.pi, 'srv/rec');
  const out: string[] = [];
  for (const day of (await readdir(root).catch(() => [] as string[])).filter((d) => /^\d{4}-\d\d-\d\d$/.test(d))) {
    for (const f of await readdir(join(root, day))) if (f.endsWith('.archived')) out.push(`${day}/${f}`);
  }
  return out;
}

/** How far ffplay's clock got, from its status line on stderr. */
const played = (stderr: string) => Math.max(0, ...[...stderr.matchAll(/(\d+\.\d+) M-A:/g)].map((m) => Number(m[1])));
const served = (c: Ctx) => /^http:\/\/\S+\/$/m.test(c.stdout());
const servedUrl = (c: Ctx) => {
  const url = /^(http:\/\/\S+\/)$/m.exec(c.stdout())![1]!;
  return url.replace('//0.0.0.0:', '//127.0.0.1:');
};
const healthy = async (c: Ctx) => served(c) && (await get(`${servedUrl(c)}healthz`))?.status === 200;
const finishedEvents = (text: string) => typed(text, 'event.finished');

const SPECS: Spec[] = [
  // rec-capture.1
  { match: /--duration 3600 \| rec-opus-stream hour\.opus$/, check: (t, c) => decodesTo(t, c.at('hour.opus'), 3000) },
  {
    match: /^rec-capture --device hw:1,0 \| rec-segment --out \.\/rec$/,
    until: { what: 'an event.finished line on stdout', ready: (c) => finishedEvents(c.stdout()).length > 0 },
  },
  {
    match: /--duration 10 > ten\.pcm ffmpeg/,
    check: async (t, c) => {
      t.equal(await size(c.at('ten.pcm')), 10 * 48000 * 2, 'ten.pcm holds 10 s at 48 kHz');
      await decodesTo(t, c.at('ten.wav'), 10_000, 1);
    },
  },
  {
    match: /--backend ffmpeg --channels 2 --rate 16000 --log-level debug > room\.pcm$/,
    until: { what: 'room.pcm holds a second of audio', ready: async (c) => (await c.fresh('room.pcm')).length >= 32000 },
    check: async (t, c, r) => {
      t.equal((await size(c.at('room.pcm'))) % 640, 0, 'room.pcm is whole 20 ms frames at 16 kHz mono');
      t.match(r.stderr, /"level":20/, 'debug logs on stderr');
    },
  },
  { match: /head -c 96000 > first-second\.pcm$/, check: async (t, c) => t.equal(await size(c.at('first-second.pcm')), 96000, 'one second of PCM') },
  // rec-opus-stream.1
  {
    match: /ffplay -nodisp/,
    check: async (t, c, r) => {
      const talk = (await decode(c.at('talk.mp3'))).durationMs / 1000;
      t.ok(played(r.stderr) >= talk - 0.5, `ffplay played ${played(r.stderr)} s of the ${talk.toFixed(1)} s talk, most of it while the file grew`);
    },
  },
  { match: /--duration 60 \| rec-opus-stream --container webm minute\.webm$/, check: (t, c) => decodesTo(t, c.at('minute.webm'), 3000) },
  { match: /rec-opus-stream --force -i spool\/event\.wav .* \| jq -r \.path$/, check: (t, _c, r) => t.equal(r.stdout.trim(), 'rec/2026-11-26/event.opus', 'the file name only') },
  {
    match: /^for f in \*\.wav; do/,
    check: async (t, c) => {
      const wavs = (await readdir(c.w.home)).filter((f) => f.endsWith('.wav'));
      t.ok(wavs.length >= 2, `WAVs to encode: ${wavs.join(' ')}`);
      for (const w of wavs) await decodesTo(t, c.at(w.replace(/\.wav$/, '.opus')), (await decode(c.at(w))).durationMs, 20);
    },
  },
  // rec-segment.1
  {
    match: /^rec-capture --device hw:1,0 --highpass 80 \| rec-segment --out \/srv\/rec > events\.ndjson$/,
    until: { what: 'an event.finished line in events.ndjson', ready: async (c) => finishedEvents(await c.fresh('events.ndjson')).length > 0 },
  },
  {
    match: /^rec-capture --input talk\.mp3 --realtime \| rec-segment --out \.\/rec > events\.ndjson$/,
    check: async (t, c) => t.equal(finishedEvents(await readFile(c.at('events.ndjson'), 'utf8')).length, 1, 'one event in events.ndjson'),
  },
  {
    match: /rec-capture --input day\.flac \| rec-segment --out \.\/rec \| jq -c/,
    check: (t, _c, r) => {
      const lines = r.stdout.trim().split('\n');
      t.ok(lines.length >= 1 && lines.every((l) => json(l)?.type === 'event.finished' && Number(json(l)?.durationMs) > 5000), `only events over 5 s: ${r.stdout}`);
    },
  },
  {
    match: /--no-stream-encode > ev\.ndjson jq -r/,
    check: async (t, c, r) => {
      const events = finishedEvents(await readFile(c.at('ev.ndjson'), 'utf8'));
      t.ok(events.length >= 2, `${events.length} events`);
      t.same(typed(r.stdout, 'encode.finished').map((e) => e.path), events.map((e) => e.opus), 'each event encoded by hand to its .opus');
    },
  },
  {
    match: /rec-segment --out \.\/rec --control \/tmp\/rec\.ctl &/,
    until: {
      what: 'an event split by SIGUSR1, and an event stopped through the FIFO',
      ready: (c) => {
        const done = finishedEvents(c.stdout());
        const split = done.findIndex((e) => e.split === 'manual');
        return split >= 0 && done.length > split + 1;
      },
    },
    check: (t, _c, r) => t.ok(typed(r.stdout, 'event.started').some((e) => e.trigger === 'manual'), 'the FIFO started an event'),
  },
  {
    match: /^jq -s 'group_by\(\.type\)/,
    check: (t, _c, r) => t.ok(Number(json(/^\{[\s\S]*?^\}/m.exec(r.stdout)?.[0] ?? '')?.['event.finished']) >= 1, `counted by type: ${r.stdout}`),
  },
  {
    match: /^rec-segment --out \/srv\/rec --spool \/run\/rec\/spool < \/dev\/null$/,
    check: (t, _c, r) => t.ok(finishedEvents(r.stdout).some((e) => e.endReason === 'recovered'), 'the event a crash cut off is recovered'),
  },
  {
    match: /^watch -n 1 jq -c \.level /,
    until: { what: 'watch shows the levels', ready: (c) => /"rmsDbfs":-?\d/.test(c.stdout()) },
  },
  // rec-serve.1 and README's rec-serve
  {
    match: /^rec-serve --out \.\/(recordings|rec)( --port \d+)?$/,
    until: {
      what: 'rec-serve printed its URL and answers',
      ready: healthy,
      then: async (t, c) => t.equal(servedUrl(c), `http://127.0.0.1:${c.w.port}/`, 'on the port asked for (or REC_PORT)'),
    },
  },
  {
    match: /^REC_TOKEN=\$\(cat \/etc\/rec\/token\) rec-serve --out \/srv\/rec --spool \/run\/rec\/spool --host 0\.0\.0\.0/,
    until: {
      what: 'rec-serve printed its URL and answers',
      ready: healthy,
      then: async (t, c) => {
        const token = (await readFile(join(c.w.pi, 'etc/rec/token'), 'utf8')).trim();
        t.equal((await get(`${servedUrl(c)}api/status`))?.status, 401, 'no token: 401');
        t.equal((await get(`${servedUrl(c)}api/status`, { Authorization: `Bearer ${token}` }))?.status, 200, 'with the token: 200');
      },
    },
  },
  {
    match: /rec-serve --out \.\/rec --port 0/,
    check: async (t, c, r) => {
      const urls = r.stdout.trim().split('\n').filter(Boolean);
      t.ok(urls.length >= 1, `recordings found: ${r.stdout}`);
      for (const u of urls) {
        const m = /^\/recordings\/([\d-]+)\/([^/]+)\.opus$/.exec(u);
        t.ok(m, `${u} is a recording's URL`);
        if (m) t.match(await readFile(c.at(`rec/${m[1]}/${decodeURIComponent(m[2]!)}.transcript.json`), 'utf8'), /kettle/i, 'whose transcript has the word');
      }
    },
  },
  {
    match: /api\/status \| jq/,
    before: liveEventStarted,
    check: (t, _c, r) => t.same(r.stdout.trim().split('\n'), ['true', 'true'], 'running, and recording right now'),
  },
  {
    match: /api\/control$/,
    // Noted: the last finished event before the split.
    before: async (c) => {
      await liveEventStarted(c);
      return (await liveStatus(c.s))?.status?.lastEvent?.id;
    },
    check: async (t, c, r) => {
      t.same(json(r.stdout.trim()), { sent: 'split' }, 'the dashboard passed the command on');
      const split = await waitFor('the event split', async () => {
        const last = (await liveStatus(c.s))?.status?.lastEvent;
        return !!last && last.id !== c.noted && last.split === 'manual';
      }, 10_000);
      t.ok(split, 'the event in progress was split');
    },
  },
  {
    match: /^curl -sN localhost:8080\/api\/events$/,
    until: { what: 'a status event', ready: (c) => /^event: status\ndata: \{/m.test(c.stdout()) },
    exit: 'SIGINT',
    check: (t, _c, r) => t.equal(json(/^data: (.+)$/m.exec(r.stdout)?.[1] ?? '')?.running, true, 'the status says the recorder runs'),
  },
  // rec-sidecars.1
  {
    match: /^rec-sidecars --out \/srv\/rec --spool \/run\/rec\/spool$/,
    check: (t, _c, r) => t.ok(typed(r.stdout, 'recording.ready').length >= 1, 'the job a crash left is finished'),
  },
  {
    match: /^rec-sidecars --out \/srv\/rec --follow --max-disk-usage 85 --archive-cmd/,
    until: { what: 'a recording archived (its .archived marker)', ready: async (c) => (await archived(c)).length > 0 },
    check: async (t, c) => {
      for (const marker of await archived(c)) {
        const [day, name] = marker.split('/') as [string, string];
        const opus = name.replace(/\.archived$/, '.opus');
        t.ok(await exists(join(c.w.pi, 'nas/rec', day, opus)), `${day}/${opus} is on the NAS`);
      }
    },
  },
  {
    match: /^rec-sidecars --out rec --transcribe \| jq -r \.transcript$/,
    check: async (t, _c, r) => {
      const paths = r.stdout.trim().split('\n').filter(Boolean);
      t.ok(paths.length >= 1, 'a transcript');
      for (const p of paths) t.match(json(await readFile(p, 'utf8'))?.text, /\w/, `${p} has text`);
    },
  },
  { match: /--transcribe > ready\.ndjson jq/, check: (t, _c, r) => t.match(r.stdout, /kettle/, 'the text of the new transcript') },
  { match: /^jq -s --arg d "\$\(date \+%F\)"/, check: (t, _c, r) => t.ok(Number(r.stdout.trim()) > 0, `minutes today: ${r.stdout}`) },
  {
    match: /--repair --day "\$\(date \+%F\)" \| wc -l$/,
    check: async (t, c, r) => {
      t.ok(Number(r.stdout.trim()) >= 1, `waveforms rebuilt today: ${r.stdout.trim()}`);
      t.ok(Array.isArray(json(await readFile(join(c.w.pi, c.s.repair.today), 'utf8'))?.data), `the damaged ${c.s.repair.today} is a waveform again`);
    },
  },
  {
    match: /--repair --day 2026-11-26$/,
    check: async (t, c, r) => {
      t.same(r.stdout.trim().split('\n'), [join(c.w.pi, c.s.repair.old)], 'the missing waveform, rebuilt');
      t.ok(Array.isArray(json(await readFile(join(c.w.pi, c.s.repair.old), 'utf8'))?.data), 'it is a waveform');
    },
  },
  {
    match: /^watch -n 5 jq -c \.jobs /,
    until: { what: 'watch shows the job counts', ready: (c) => /"failed":\d/.test(c.stdout()) },
    check: (t, _c, r) => t.match(r.stdout, /not a RIFF\/WAVE file/, 'then the reason a job failed'),
  },
  // rec-status.1 and README's rec-status (the live recorder)
  { match: /^rec-status( --out \S+)?( --spool \S+)?$/, check: (t, _c, r) => t.match(r.stdout, /^rec-segment\s+(capturing|recording)/m, 'a summary of a recorder that is capturing') },
  { match: /^rec-status --json \| jq \.level\.rmsDbfs$/, check: (t, _c, r) => t.ok(Number.isFinite(Number(r.stdout.trim())) && r.stdout.trim() !== '', `a level: ${r.stdout}`) },
  { match: /^rec-status( --out \S+)?( --spool \S+)? --json$/, check: (t, _c, r) => t.equal(json(r.stdout)?.stale, false, 'a fresh status') },
  { match: /^rec-status .*--check \|\| /, check: (t, _c, r) => t.equal(r.stdout + r.stderr, '', 'healthy: nothing to say') },
  { match: /^(?:[\d*/,-]+\s+){5}/, check: (t, _c, r) => t.equal(r.stdout + r.stderr, '', 'healthy: cron has nothing to mail') },
  {
    match: /^rec-status --watch$/,
    until: { what: 'a summary', ready: (c) => /^rec-segment\s+(capturing|recording)/m.test(c.stdout()) },
  },
  // rec-tools.7
  { match: /--duration 600 \| rec-opus-stream \.\/recordings\/ten-minutes\.opus$/, check: (t, c) => decodesTo(t, c.at('recordings/ten-minutes.opus'), 3000) },
  {
    match: /^rec-capture --device hw:1,0 --highpass 80 \| rec-segment --out \/srv\/rec \| jq -r/,
    until: { what: 'the name of an event over 5 s', ready: (c) => /\.opus$/m.test(c.stdout()) },
    exit: 'SIGINT',
    check: async (t, _c, r) => {
      for (const p of r.stdout.trim().split('\n')) t.ok(await exists(p), `${p} exists`);
    },
  },
  {
    match: /^npm start$/,
    until: {
      what: 'the dashboard shows the event being recorded',
      ready: async (c) => {
        const r = await get(`http://127.0.0.1:${c.w.port}/api/recordings`);
        return !!r && r.status === 200 && /"inProgress":true/.test(r.body);
      },
    },
    exit: 130,
    check: async (t, c) => {
      t.equal(await get(`http://127.0.0.1:${c.w.port}/healthz`), null, 'the dashboard stopped too');
      const left = await partials(c.at('recordings'));
      t.same(left, [], 'Ctrl-C left no partial behind');
    },
  },
  { match: /^printf '%s\\n' REC_DEVICE=/, check: (t, c) => decodesTo(t, c.at('minute.opus'), 3000) },
  {
    match: /^rec-capture --input talk\.mp3 --realtime \| rec-segment --out \.\/rec \| rec-sidecars --out \.\/rec rec-status/,
    check: (t, _c, r) => t.match(r.stdout, /^last event\s+\d{4}-\d\d-\d\d\//m, "the segmenter's last event"),
  },
  // README
  {
    match: /^rec-capture --device hw:1,0 --highpass 80 \| rec-opus-stream kitchen\.opus$/,
    until: { what: 'kitchen.partial.opus grows', ready: async (c) => (await size(c.at('kitchen.partial.opus'))) > 4000 },
    check: async (t, c) => t.ok((await decode(c.at('kitchen.opus'))).durationMs > 500, 'kitchen.opus holds what was recorded'),
  },
  { match: /--realtime --duration 30 \| rec-opus-stream talk\.opus$/, check: (t, c) => decodesTo(t, c.at('talk.opus'), 3000) },
  {
    match: /^node dist\/examples\/make-demo\.js$/,
    check: async (t, c) => {
      const truth = json(await readFile(c.at('examples/demo/demo.json'), 'utf8'));
      t.ok(Array.isArray(truth?.events) && (truth.events as unknown[]).length > 0, 'the ground truth lists events');
      t.ok((await decode(c.at('examples/demo/demo.opus'))).durationMs > 30_000, 'the demo recording');
    },
  },
];

/** The day folder name of now, in local time, as the tools and `date +%F` give it. */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

async function partials(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.name.endsWith('.partial.opus') || e.name.endsWith('.partial.webm')) out.push(join(d, e.name));
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * What every example is held to, beyond its spec: its exit status; no `null`
 * line (a jq filter naming a field that is not there); no error log; every line
 * that announces a file (event.finished, recording.ready, encode.finished, on
 * stdout or in an .ndjson it wrote) names one that is there and decodes; every
 * file it names and wrote is there and valid; no partial left behind.
 */
async function generalChecks(t: Test, c: Ctx, r: Run, spec: Spec | undefined, before: Map<string, number>, partialsBefore: string[], live: boolean): Promise<void> {
  const want = spec?.exit ?? 0;
  if (want === 'SIGINT') t.ok(r.signal === 'SIGINT' || r.code === 130, `ended by Ctrl-C (${r.code ?? r.signal})`);
  else t.equal(r.code, want, `exit status ${want}${r.interrupted ? ' after Ctrl-C' : ''}${r.stderr ? `; stderr: ${r.stderr.slice(-1500)}` : ''}`);
  t.notMatch(r.stdout, /^null$/m, 'no null printed (a field that is not there?)');
  const errors = jsonLines(r.stderr).filter((l) => Number(l.level) >= 50);
  t.same(errors, [], 'no error logged');

  const announced = async (text: string, where: string) => {
    for (const e of finishedEvents(text)) {
      if (typeof e.opus === 'string' && !e.opus.endsWith('.partial.opus')) await decodesTo(t, e.opus, Number(e.durationMs), 80);
    }
    for (const e of typed(text, 'recording.ready')) {
      t.ok(await exists(String(e.opus)), `${where}: ${String(e.opus)} is there`);
      t.ok(Array.isArray(json(await readFile(String(e.waveform), 'utf8').catch(() => ''))?.data), `${where}: with its waveform`);
      if (e.transcript !== null) t.match(json(await readFile(String(e.transcript), 'utf8').catch(() => ''))?.text, /\S/, `${where}: with its transcript`);
    }
    for (const e of typed(text, 'encode.finished')) {
      t.equal(e.ok, true, `${where}: ${String(e.path)} encoded`);
      await decodesTo(t, resolve(c.w.home, String(e.path)), Number(e.durationMs), 20);
    }
  };
  await announced(r.stdout, 'stdout');

  // Files the example names (after substitution): made or changed by it → valid.
  for (const name of namedFiles(c.script)) {
    const path = resolve(c.w.home, name);
    if (/\.partial\.(opus|webm)$/.test(name)) {
      t.notOk(await exists(path), `${name} was renamed when done`);
      continue;
    }
    const st = await stat(path).catch(() => null);
    if (!st) {
      t.fail(`${name}: named by the example, but not there`);
      continue;
    }
    if (before.get(path) === st.mtimeMs) continue; // an input it only read
    if (/\.(opus|webm|wav)$/.test(name)) t.ok((await decode(path)).durationMs > 0, `${name} decodes`);
    else if (name.endsWith('.pcm')) t.ok(st.size > 0 && st.size % 2 === 0, `${name}: ${st.size} bytes of 16-bit PCM`);
    else if (name.endsWith('.ndjson')) {
      const text = await readFile(path, 'utf8');
      t.ok(text.trim().split('\n').every((l) => json(l)), `${name}: one JSON object a line`);
      await announced(text, name);
    } else t.ok(st.size > 0, `${name} is not empty`);
  }
  if (!live) {
    const now = [...(await partials(c.w.home)), ...(await partials(c.w.pi))];
    t.same(now.filter((p) => !partialsBefore.includes(p)), [], 'no new partial left behind');
  }
}

/** The files an example names (not in comments, not patterns or variables). */
function namedFiles(script: string): string[] {
  const code = script
    .split('\n')
    .map((l) => l.replace(/(^|\s)#(\s.*)?$/, ''))
    .join('\n');
  return [...new Set([...code.matchAll(/[^\s'"|;&<>()=]+\.(?:opus|webm|wav|pcm|ndjson|env|txt)\b/g)].map((m) => m[0]))].filter((f) => !/[$*%{}]/.test(f));
}

/** mtime of every file the example names, before it runs (inputs are not checked as outputs). */
async function namedBefore(c: Ctx): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const f of namedFiles(c.script)) {
    const path = resolve(c.w.home, f);
    const st = await stat(path).catch(() => null);
    if (st) m.set(path, st.mtimeMs);
  }
  return m;
}

// ---------------------------------------------------------------- preparing the sandbox

async function sh(cwd: string, script: string, s: Sandbox, w: World): Promise<void> {
  const r = await execa('bash', ['-c', `set -eo pipefail\n${script}`], { cwd, env: { ...environment(s, w), LOG_LEVEL: 'warn' }, extendEnv: false, reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`preparing the sandbox: ${script}\nexit ${r.exitCode}: ${r.stderr}`);
}

/** Test audio: a room (for the fake microphone), talk.mp3, day.flac, long.flac, note.pcm, door.wav. */
async function makeAudio(assets: string, room: string): Promise<void> {
  const ff = (args: string[]) => execa('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  const speech = join(assets, 'speech.wav');
  const short = join(assets, 'short.wav');
  await execa('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', speech, 'put the kettle on please. the weather is nice today.']);
  await execa('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', short, 'put the kettle on please.']);
  const quiet = (s: number, r = 48000) => ['-f', 'lavfi', '-i', `anoisesrc=a=0.0005:c=pink:r=${r}:seed=7:d=${s}`];
  // The room: 1.5 s quiet, a short sentence (2 s), 4.5 s quiet; looped by the microphone,
  // so an event (about 6.5 s with its pre-roll and hang) ends about 7 s after the device opens.
  await Promise.all(
    [48000, 32000, 16000].map((r) =>
      ff([...quiet(1.5, r), '-i', short, ...quiet(4.5, r), '-filter_complex', `[1]aresample=${r},apad=whole_dur=2[s];[0][s][2]concat=n=3:v=0:a=1`, '-ac', '1', '-ar', String(r), '-f', 's16le', join(room, `room-${r}.pcm`)]),
    ),
  );
  await Promise.all([
    // 1 s quiet, the sentence, 4 s quiet: one event, about 8 s.
    ff([...quiet(1), '-i', speech, ...quiet(4), '-filter_complex', '[1]aresample=48000[s];[0][s][2]concat=n=3:v=0:a=1', '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '64k', join(assets, 'talk.mp3')]),
    // A day in short: two events.
    ff([...quiet(1), '-i', speech, ...quiet(6), '-i', speech, ...quiet(5), '-filter_complex', '[1]aresample=48000[s];[3]aresample=48000[u];[0][s][2][u][4]concat=n=5:v=0:a=1', '-ac', '1', join(assets, 'day.flac')]),
    ff(['-f', 'lavfi', '-i', 'sine=f=440:d=30', '-ac', '1', join(assets, 'long.flac')]),
    ff(['-i', speech, '-ac', '1', '-ar', '16000', '-f', 's16le', join(assets, 'note.pcm')]),
    ff(['-f', 'lavfi', '-i', "aevalsrc='0.6*sin(2*PI*120*t)*exp(-30*t)':d=1.5:s=48000", '-ac', '1', join(assets, 'door.wav')]),
  ]);
}

/** An HTTP server sending talk.mp3, for the examples that read a URL. */
async function streamServer(t: Test, file: string): Promise<string> {
  const srv = createHttpServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'audio/mpeg' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  t.teardown(() => new Promise<void>((ok) => srv.close(() => ok())));
  return `http://127.0.0.1:${(srv.address() as { port: number }).port}/stream`;
}

/** The Pi's settings file with its folders moved into a sandbox root. */
async function writeSettings(s: Sandbox, w: World): Promise<void> {
  await mkdir(join(w.pi, 'etc/rec-tools'), { recursive: true });
  const text = await readFile(join(ROOT, 'systemd/rec-tools.env'), 'utf8');
  await writeFile(join(w.pi, 'etc/rec-tools/rec-tools.env'), substitute(text, s, w));
}

/**
 * The state the examples assume, made by the real tools: in home, recordings of
 * talk.mp3 with transcripts and ready.ndjson, and one more event whose job still
 * waits in rec/.spool (events.ndjson); on the Pi, today's recordings (one waveform
 * damaged) and one of 2026-11-26 without a waveform, a job waiting in
 * /srv/rec/.spool, and in /run/rec/spool what a crash left: a job waiting, one
 * in failed/ with its reason, and the WAV of an event cut off by kill -9.
 */
async function prepareTemplate(s: Sandbox, assets: string): Promise<void> {
  const { home, pi } = s.template;
  const w: World = { home, pi, tmp: join(s.template.root, 'tmp'), port: 0 };
  for (const d of [home, join(home, 'recordings'), join(home, 'spool'), w.tmp, join(pi, 'srv/rec'), join(pi, 'run/rec/spool'), join(pi, 'etc/rec'), join(pi, 'nas/rec')]) await mkdir(d, { recursive: true });
  for (const f of ['talk.mp3', 'day.flac', 'long.flac', 'note.pcm']) await symlink(join(assets, f), join(home, f));
  await copyFile(join(assets, 'door.wav'), join(home, 'door.wav'));
  await writeFile(join(pi, 'etc/rec/token'), 'doc-examples-token-2c9f\n');
  await writeSettings(s, w);
  const onHome = async () => {
    await sh(home, 'rec-capture --input talk.mp3 | rec-segment --out rec | rec-sidecars --out rec --transcribe > ready.ndjson', s, w);
    await sh(home, 'rec-capture --input talk.mp3 | rec-segment --out rec > events.ndjson', s, w);
    const wav = (await readdir(join(home, 'rec/.spool'))).find((f) => f.endsWith('.wav'))!;
    await copyFile(join(home, 'rec/.spool', wav), join(home, 'event.wav'));
    await copyFile(join(home, 'rec/.spool', wav), join(home, 'spool/event.wav'));
  };
  const srvRec = async () => {
    await sh(pi, `rec-capture --input ${home}/day.flac | rec-segment --out srv/rec | rec-sidecars --out srv/rec > /dev/null`, s, w);
    const day = (await readdir(join(pi, 'srv/rec'))).find((d) => /^\d{4}-\d\d-\d\d$/.test(d))!;
    const stems = (await readdir(join(pi, 'srv/rec', day))).filter((f) => f.endsWith('.waveform.json')).sort();
    await writeFile(join(pi, 'srv/rec', day, stems[0]!), '{"version":2,"dat');
    const opus = stems[1]!.replace(/\.waveform\.json$/, '.opus');
    await mkdir(join(pi, 'srv/rec/2026-11-26'));
    await copyFile(join(pi, 'srv/rec', day, opus), join(pi, 'srv/rec/2026-11-26', opus));
    s.repair = { today: `srv/rec/${day}/${stems[0]!}`, old: `srv/rec/2026-11-26/${stems[1]!}` };
    await sh(pi, `rec-capture --input ${home}/talk.mp3 | rec-segment --out srv/rec > /dev/null`, s, w);
  };
  const crashSpool = async () => {
    const spool = join(pi, 'run/rec/spool');
    await sh(pi, `rec-capture --input ${home}/talk.mp3 | rec-segment --out srv/rec --spool run/rec/spool --no-stream-encode > /dev/null`, s, w);
    const bad = (await readdir(spool)).find((f) => f.endsWith('.wav'))!;
    await writeFile(join(spool, bad), 'not a WAV: what a dying SD card leaves\n');
    await execa('bash', ['-c', `rec-sidecars --out srv/rec --spool run/rec/spool > /dev/null`], { cwd: pi, env: { ...environment(s, w), LOG_LEVEL: 'fatal' }, extendEnv: false, reject: false, stdin: 'ignore' });
    await sh(pi, `rec-capture --input ${home}/talk.mp3 | rec-segment --out srv/rec --spool run/rec/spool > /dev/null`, s, w);
    // kill -9 in the middle of an event.
    const crash = startBash(`rec-capture --input ${home}/talk.mp3 --realtime | rec-segment --out srv/rec --spool run/rec/spool > /dev/null`, pi, { ...environment(s, w), LOG_LEVEL: 'warn' });
    const started = await waitFor('an event started', async () => (await readdir(spool)).some((f) => f.endsWith('.started.json')), 20_000);
    if (started) await waitFor('its partial grew', async () => (await partials(join(pi, 'srv/rec'))).length > 0 && (await size((await partials(join(pi, 'srv/rec')))[0]!)) > 2000, 10_000);
    crash.signal('SIGKILL');
    await crash.exit;
    if (!started) throw new Error(`preparing the sandbox: no event to cut off: ${crash.stderr()}`);
  };
  await Promise.all([onHome(), srvRec(), crashSpool()]);
}

/** A copy of the prepared sandbox for one example; absolute paths in its JSON files follow the copy. */
async function privateWorld(s: Sandbox, n: number): Promise<World> {
  const root = join(s.root, 'ex', String(n));
  await cp(s.template.root, root, { recursive: true, verbatimSymlinks: true });
  const rewrite = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await rewrite(p);
      else if (e.isFile() && /\.(json|ndjson|txt)$/.test(e.name)) {
        const text = await readFile(p, 'utf8');
        if (text.includes(s.template.root)) await writeFile(p, text.split(`${s.template.root}/`).join(`${root}/`));
      }
    }
  };
  await rewrite(root);
  return { home: join(root, 'home'), pi: join(root, 'pi'), tmp: join(root, 'tmp'), port: await freePort() };
}

/**
 * The live sandbox: the Pi's services as the units run them (ExecStart= with the
 * settings file, capture | segment | sidecars, and rec-serve standing in for
 * localhost:8080), and in home a recorder started by hand with the defaults.
 */
async function startLive(t: Test, s: Sandbox): Promise<void> {
  const w = s.live;
  for (const d of [w.home, w.tmp, join(w.pi, 'srv/rec'), join(w.pi, 'run/rec/spool')]) await mkdir(d, { recursive: true });
  await writeSettings(s, w);
  const settings: Record<string, string> = {};
  for (const line of (await readFile(join(w.pi, 'etc/rec-tools/rec-tools.env'), 'utf8')).split('\n')) {
    const kv = /^([A-Z_]+)=(.*)$/.exec(line);
    if (kv) settings[kv[1]!] = kv[2]!;
  }
  const exec = async (unit: string) => substitute(/^ExecStart=(.+)$/m.exec(await readFile(join(ROOT, 'systemd', unit), 'utf8'))![1]!, s, w);
  const env = { ...environment(s, w), ...settings, REC_PORT: String(s.livePort), LOG_LEVEL: 'warn' };
  const services = startBash(`${await exec('rec-capture.service')} | ${await exec('rec-segment.service')} | ${await exec('rec-sidecars.service')}`, '/', env);
  const serve = startBash(await exec('rec-serve.service'), '/', env);
  const byHand = startBash('rec-capture --device default | rec-segment > /dev/null', w.home, { ...environment(s, w), LOG_LEVEL: 'warn' });
  t.teardown(async () => {
    for (const p of [services, serve, byHand]) p.signal('SIGTERM');
    await Promise.all([services, serve, byHand].map((p) => waitFor('stopped', () => p.members().length === 0, 15_000)));
    for (const p of [services, serve, byHand]) p.signal('SIGKILL');
  });
  const up = await waitFor(
    'the live recorder is up',
    async () =>
      (await exists(join(w.pi, 'run/rec/spool/segmenter_status.json'))) &&
      (await exists(join(w.home, 'recordings/.spool/segmenter_status.json'))) &&
      (await stat(join(w.pi, 'run/rec/control')).then((st) => st.isFIFO(), () => false)) &&
      (await liveStatus(s))?.running === true,
    30_000,
  );
  if (!up) {
    const facts = {
      piStatus: await exists(join(w.pi, 'run/rec/spool/segmenter_status.json')),
      homeStatus: await exists(join(w.home, 'recordings/.spool/segmenter_status.json')),
      fifo: await exists(join(w.pi, 'run/rec/control')),
      dashboard: await liveStatus(s),
      serveStdout: serve.stdout(),
    };
    throw new Error(`the live sandbox did not start: ${JSON.stringify(facts)}\n${services.stderr()}\n${serve.stderr()}\n${byHand.stderr()}`);
  }
}

// ---------------------------------------------------------------- the tests

t.test('the extractor reads roff and the README as a user would', async (t) => {
  t.equal(unroff(String.raw`rec\-capture \-\-input talk.mp3 \(aq$x\(aq \(dqa\(dq \e`, 'x'), `rec-capture --input talk.mp3 '$x' "a" \\`);
  t.throws(() => unroff(String.raw`\(xx`, 'x'), /not in ROFF_ESCAPES/);
  const page = ['.SH EXAMPLES', 'Text.', '.PP', '.nf', String.raw`a \-\-b \e`, '    c |', '    d', '.fi', '.EX', 'e', '.EE', '.SH SEE ALSO', '.nf', 'not an example', '.fi'].join('\n');
  t.same(manExamples('p.1', page), [
    { doc: 'p.1', line: 5, text: 'a --b c |\n    d' },
    { doc: 'p.1', line: 10, text: 'e' },
  ]);
  const md = ['x', '```sh', 'one --a   # comment', 'two |', '  three', '# only a comment', '```', '```json', '{}', '```'].join('\n');
  t.same(readmeExamples('R', md), [
    { doc: 'R', line: 3, text: 'one --a   # comment' },
    { doc: 'R', line: 4, text: 'two | three' },
  ]);
  t.equal(normalise('one --a   # comment\n  b'), 'one --a b');
  for (const doc of DOCS) t.ok(EXAMPLES.some((e) => e.doc === doc), `${doc} has examples`);
});

t.test('every skip and every spec still matches an example', async (t) => {
  for (const s of SKIP) t.ok(COMMANDS.some((c) => s.match.test(c.key)), `skip ${s.match} (${s.reason}) matches an example`);
  for (const s of SPECS) t.ok(COMMANDS.some((c) => s.match.test(c.key)), `spec ${s.match} matches an example`);
});

/** DOC_EXAMPLES_ONLY=REGEX runs only the commands it matches (while working on one). */
const ONLY = process.env.DOC_EXAMPLES_ONLY ? new RegExp(process.env.DOC_EXAMPLES_ONLY) : undefined;
const tools = ['ffmpeg', 'ffplay', 'jq', 'curl', 'rsync', 'watch', 'espeak-ng', 'pocketsphinx_continuous', 'systemd-analyze'];
const missing = (await Promise.all(tools.map(async (p) => ((await which(p, { nothrow: true })) ? null : p)))).filter(Boolean);

t.test('every example in the man pages and the README runs as written', async (t) => {
  t.same(missing, [], 'the programs the examples use are installed (README, "Start here")');
  t.ok(LIBSTDBUF, "coreutils' libstdbuf.so (what stdbuf -oL preloads)");
  if (missing.length || !LIBSTDBUF) return;
  const root = await tempDir(t, 'rec-docs-');
  startReaper(root);
  const s: Sandbox = {
    root,
    bin: join(root, 'bin'),
    room: join(root, 'room'),
    streamUrl: '',
    livePort: await freePort(),
    live: { home: join(root, 'live/home'), pi: join(root, 'live/pi'), tmp: join(root, 'live/tmp'), port: await freePort() },
    template: { root: join(root, 'template'), home: join(root, 'template/home'), pi: join(root, 'template/pi') },
    repair: { today: '', old: '' },
  };
  const assets = join(root, 'assets');
  for (const d of [s.bin, s.room, assets]) await mkdir(d, { recursive: true });
  for (const tool of ['rec-capture', 'rec-segment', 'rec-opus-stream', 'rec-sidecars', 'rec-status', 'rec-serve']) await symlink(bin(tool), join(s.bin, tool));
  await symlink(join(FIXTURES, 'arecord-room.mjs'), join(s.bin, 'arecord'));
  await symlink(join(FIXTURES, 'ffmpeg-alsa'), join(s.bin, 'ffmpeg'));
  const t0 = Date.now();
  await makeAudio(assets, s.room);
  s.streamUrl = await streamServer(t, join(assets, 'talk.mp3'));
  await Promise.all([prepareTemplate(s, assets), startLive(t, s)]);
  t.comment(`sandbox ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Most examples wait on real time (a microphone, --realtime), not on the CPU.
  t.jobs = 6;
  let n = 0;
  for (const cmd of COMMANDS) {
    const where = cmd.places.map((p) => `${p.doc}:${p.line}`).join(', ');
    if (ONLY && !ONLY.test(cmd.key)) continue;
    const skip = SKIP.find((x) => x.match.test(cmd.key));
    if (skip) {
      t.test(`${where}: ${cmd.key.slice(0, 70)}`, { skip: skip.reason }, () => undefined);
      continue;
    }
    const index = n++;
    t.test(`${where}: ${cmd.key.slice(0, 70)}`, async (t) => {
      const live = LIVE(cmd.key) || cmd.kind !== 'shell';
      const w = live ? s.live : await privateWorld(s, index);
      // A private copy goes when its example is done (seventy copies of the sandbox would take half a gigabyte).
      if (!live) t.teardown(() => rm(join(w.home, '..'), { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
      const script = substitute(cmd.text, s, w);
      const spec = SPECS.find((x) => x.match.test(cmd.key));
      let out = () => '';
      let err = () => '';
      const c: Ctx & { setOutput: (o: () => string, e: () => string) => void } = {
        s,
        w,
        script,
        stdout: () => out(),
        stderr: () => err(),
        at: (p) => resolve(w.home, p),
        fresh: async (p) => {
          const st = await stat(resolve(w.home, p)).catch(() => null);
          return st && st.mtimeMs >= startedAt ? readFile(resolve(w.home, p), 'utf8') : '';
        },
        setOutput: (o, e) => {
          out = o;
          err = e;
        },
      };
      const startedAt = Date.now() - 1;
      t.comment(`runs in ${live ? 'the live sandbox' : 'a private copy'}: ${script.replace(/\n/g, '\n#   ')}`);
      c.noted = await spec?.before?.(c);
      const before = await namedBefore(c);
      const partialsBefore = live ? [] : [...(await partials(w.home)), ...(await partials(w.pi))];
      const r = cmd.kind === 'crontab' ? await runCrontab(c) : cmd.kind === 'units' ? await runUnits(t, c) : await runShell(t, c, spec);
      out = () => r.stdout;
      err = () => r.stderr;
      await generalChecks(t, c, r, spec, before, partialsBefore, live);
      await spec?.check?.(t, c, r);
    });
  }
});
