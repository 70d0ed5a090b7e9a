// The systemd deployment: `systemd-analyze verify` on every unit, the units'
// command lines connected by real FIFOs held open at both ends like ListenFIFO=
// does (a reader never sees EOF, a writer never gets EPIPE), restarting the
// segmenter mid-run, readiness and watchdog pings, and install.sh/uninstall.sh.
import t from 'tap';
import { chmod, mkdir, readFile, readdir, stat, symlink, writeFile, appendFile } from 'node:fs/promises';
import { closeSync, constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import { ROOT, bin, decode, synth, tempDir } from './helpers.js';
import { createNotifier, watchdogIntervalMs } from '../src/lib/sd-notify.js';

const SYSTEMD = join(ROOT, 'systemd');
const UNITS = ['rec-tools.target', 'rec-pcm.socket', 'rec-events.socket', 'rec-capture.service', 'rec-segment.service', 'rec-sidecars.service', 'rec-serve.service'];
const SERVICES = UNITS.filter((u) => u.endsWith('.service'));
type Teardown = { teardown: (fn: () => Promise<void> | void) => void };

/** A unit file as section → key → values (repeated keys keep every value). */
async function readUnit(name: string): Promise<Map<string, Map<string, string[]>>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of (await readFile(join(SYSTEMD, name), 'utf8')).split('\n')) {
    const s = /^\[(.+)\]$/.exec(line);
    if (s) sections.set(s[1]!, (current = new Map()));
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (kv && current) current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}
const get = (u: Map<string, Map<string, string[]>>, section: string, key: string) => u.get(section)?.get(key)?.at(-1);

/** The example EnvironmentFile as variables (comments and blank lines skipped). */
async function envFile(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const line of (await readFile(join(SYSTEMD, 'rec-tools.env'), 'utf8')).split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** install.sh into a temporary root, ExecStart= pointing at this repository's bin/. */
async function installTo(t: Teardown, extraEnv: Record<string, string> = {}) {
  const dir = await tempDir(t, 'rec-sysd-');
  const bindir = join(dir, 'bin');
  await mkdir(bindir);
  for (const tool of ['rec-capture', 'rec-segment', 'rec-sidecars', 'rec-serve']) await symlink(bin(tool), join(bindir, tool));
  const root = join(dir, 'root');
  const run = (script: string) =>
    execa('sh', [join(SYSTEMD, script), '--destdir', root, ...(script === 'install.sh' ? ['--bindir', bindir] : [])], {
      env: { SYSTEMCTL: ':', ...extraEnv },
      reject: false,
    });
  return { dir, root, bindir, unitdir: join(root, 'etc/systemd/system'), install: () => run('install.sh'), uninstall: () => run('uninstall.sh') };
}

function verify(files: string[]) {
  // --man=no: no man pages needed for Documentation=; --generators=no: nothing of
  // the host's boot set-up is run. No running systemd is needed (PID 1 is not one here).
  return execa('systemd-analyze', ['verify', '--man=no', '--generators=no', ...files], { reject: false, all: true });
}

t.test('systemd-analyze verify: every unit, with no warning at all', async (t) => {
  const { install, unitdir, dir } = await installTo(t);
  const r = await install();
  t.equal(r.exitCode, 0, r.stderr);
  const v = await verify(UNITS.map((u) => join(unitdir, u)));
  t.equal(v.exitCode, 0, v.all);
  t.equal(v.all.trim(), '', 'no warnings (unknown keys or sections, missing programs, bad values)');
  // The check can fail: an unknown key is only a warning (exit 0) but shows up.
  const bad = join(dir, 'bad.service');
  await writeFile(bad, '[Service]\nExecStart=/bin/true\nMemoryMaximum=1M\n');
  const b = await verify([bad]);
  t.match(b.all, /Unknown key/, 'an unknown key is reported');
  // ... and so is an ExecStart= that does not resolve (the units as shipped, outside an install).
  const c = await verify([join(SYSTEMD, 'rec-capture.service')]);
  t.not(c.all.trim(), '', `an uninstalled unit complains: ${c.all.split('\n')[0]}`);
});

t.test('the units hang together: sockets, fd names, limits, sandbox, one settings file', async (t) => {
  const units = new Map(await Promise.all(UNITS.map(async (u) => [u, await readUnit(u)] as const)));
  const fdNames = new Map<string, string>();
  for (const sock of ['rec-pcm.socket', 'rec-events.socket']) {
    const u = units.get(sock)!;
    t.match(get(u, 'Socket', 'ListenFIFO'), /^\/run\/rec\/\w+\.fifo$/, `${sock}: a FIFO in /run/rec`);
    fdNames.set(get(u, 'Socket', 'FileDescriptorName')!, sock);
    t.ok(units.has(get(u, 'Socket', 'Service')!), `${sock} activates one of our services`);
  }
  for (const name of SERVICES) {
    const u = units.get(name)!;
    t.equal(get(u, 'Service', 'EnvironmentFile'), '/etc/rec-tools/rec-tools.env', `${name}: the one settings file`);
    t.match(get(u, 'Service', 'Environment'), /NODE_OPTIONS=--max-old-space-size=\d+/, `${name}: Node heap capped`);
    t.match(get(u, 'Service', 'MemoryMax'), /^\d+M$/, `${name}: MemoryMax`);
    t.equal(get(u, 'Service', 'User'), 'rec');
    t.equal(get(u, 'Service', 'ProtectSystem'), 'strict');
    t.equal(get(u, 'Service', 'NoNewPrivileges'), 'yes');
    t.equal(get(u, 'Service', 'CapabilityBoundingSet'), '', `${name}: no capabilities`);
    t.equal(get(u, 'Service', 'Restart'), 'on-failure');
    t.equal(get(u, 'Unit', 'PartOf'), 'rec-tools.target');
    t.equal(get(u, 'Install', 'WantedBy'), 'rec-tools.target');
    const sockets = (get(u, 'Service', 'Sockets') ?? '').split(/\s+/).filter(Boolean);
    for (const std of ['StandardInput', 'StandardOutput']) {
      const fd = /^fd:(\w+)$/.exec(get(u, 'Service', std) ?? '')?.[1];
      if (fd) t.ok(sockets.includes(fdNames.get(fd)!), `${name}: ${std}=fd:${fd} comes from a socket in Sockets=`);
    }
  }
  const seg = units.get('rec-segment.service')!;
  t.equal(get(seg, 'Service', 'KillMode'), 'mixed', 'the streaming encoder may finish its file');
  t.equal(get(seg, 'Service', 'StandardInput'), 'fd:pcm');
  t.equal(get(seg, 'Service', 'StandardOutput'), 'fd:events');
  t.equal(get(seg, 'Service', 'Type'), 'notify');
  t.equal(get(units.get('rec-capture.service')!, 'Service', 'StandardOutput'), 'fd:pcm');
  t.equal(get(units.get('rec-capture.service')!, 'Service', 'SupplementaryGroups'), 'audio');
  // What each service may write (ProtectSystem=strict: nothing else). rec-serve
  // moves recordings to the trash, restores them and writes keep markers in REC_OUT:
  // without it there, delete, keep and restore answered 500 on a real install.
  const env = await envFile();
  const writes: Record<string, string[]> = {
    'rec-capture.service': [],
    'rec-segment.service': [env.REC_OUT!, env.REC_SPOOL!, env.REC_CONTROL!],
    'rec-sidecars.service': [env.REC_OUT!, env.REC_SPOOL!],
    'rec-serve.service': [env.REC_OUT!, env.REC_CONTROL!],
  };
  for (const [name, paths] of Object.entries(writes)) {
    const rw = (get(units.get(name)!, 'Service', 'ReadWritePaths') ?? '').split(/\s+/).filter(Boolean);
    for (const path of paths) t.ok(rw.some((d) => path === d || path.startsWith(d + '/')), `${name} may write ${path} (ReadWritePaths=${rw.join(' ')})`);
    if (!paths.length) t.same(rw, [], `${name} writes nothing but its pipe`);
  }
  const side = units.get('rec-sidecars.service')!;
  t.equal(get(side, 'Service', 'StandardInput'), 'fd:events');
  t.match(get(side, 'Service', 'ExecStart'), /--follow/, 'rec-sidecars never sees EOF on the pipe: --follow');
  t.ok(Number(get(side, 'Service', 'Nice')) > Number(get(seg, 'Service', 'Nice')), 'sidecars yield to the segmenter');
  t.ok(Number(get(side, 'Service', 'CPUWeight')) < Number(get(seg, 'Service', 'CPUWeight')));

  // Every variable in the example file is a flag of some tool, and every flag a
  // service can take from the environment is documented there.
  const documented = new Set([...(await readFile(join(SYSTEMD, 'rec-tools.env'), 'utf8')).matchAll(/^#?(REC_[A-Z_]+)=/gm)].map((m) => m[1]!));
  const perInvocation = new Set(['help', 'version', 'input', 'realtime', 'duration', 'follow', 'json', 'watch', 'check', 'repair', 'day']);
  const flags = new Set<string>(['REC_HOST', 'REC_PORT', 'REC_TOKEN']); // rec-serve's, built elsewhere
  for (const tool of ['rec-capture', 'rec-segment', 'rec-sidecars', 'rec-status']) {
    const help = (await execa('node', [bin(tool), '--help'])).stdout;
    for (const m of help.matchAll(/^\s+(?:-\w, )?--([a-z-]+)(?=\s\s|$)/gm)) {
      if (perInvocation.has(m[1]!)) continue;
      const v = 'REC_' + m[1]!.replace(/-/g, '_').toUpperCase();
      flags.add(v);
      t.ok(documented.has(v), `${tool} --${m[1]} documented as ${v}`);
    }
  }
  for (const v of documented) t.ok(flags.has(v), `${v} is a flag of some tool`);
});

/** A child process with its stderr kept and a promise of how it ended. */
function running(child: ChildProcess) {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ exitCode: number | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ exitCode: code ?? (signal ? -1 : null), stderr })),
  );
  return Object.assign(done, { child, get exitCode() { return child.exitCode ?? (child.signalCode ? -1 : undefined); }, pid: child.pid, kill: (s: NodeJS.Signals) => child.kill(s), stdout: child.stdout });
}

/** A FIFO opened read+write by the test, as systemd holds a ListenFIFO= pipe. */
async function heldFifo(t: Teardown, path: string): Promise<number> {
  await execa('mkfifo', ['-m', '0600', path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  t.teardown(() => closeSync(fd));
  return fd;
}

interface Ready {
  type: string;
  opus: string;
  waveform: string;
  durationMs: number;
}

/**
 * The pipeline as the units run it: the same programs, settings from the example
 * EnvironmentFile (paths moved into a temp dir), stdio on held FIFOs. rec-capture
 * replays a file in real time instead of opening REC_DEVICE.
 */
async function pipelineOnFifos(t: Teardown) {
  const dir = await tempDir(t, 'rec-fifo-');
  const input = await synth(join(dir, 'bursts.wav'), 'sine=f=440:sample_rate=48000:d=14', [
    '-af',
    "volume='if(between(mod(t,5),1,2.5),0.5,0)':eval=frame",
    '-ac',
    '1',
  ]);
  const pcm = await heldFifo(t, join(dir, 'pcm.fifo'));
  const events = await heldFifo(t, join(dir, 'events.fifo'));
  // A service manager's notify socket, played by systemd-socket-activate: each
  // datagram that systemd-notify sends (the message, then its BARRIER=1) becomes a
  // line with the time it arrived.
  const notifySocket = join(dir, 'notify.sock');
  const notifyLog = join(dir, 'notify.log');
  await writeFile(notifyLog, '');
  const receiver = spawn(
    'systemd-socket-activate',
    ['--datagram', '-l', notifySocket, '--', 'sh', '-c', `while dd bs=65536 count=1 status=none <&3; do echo " $(date +%s.%N)"; done >> ${notifyLog}`],
    { stdio: 'ignore' },
  );
  t.teardown(() => void receiver.kill('SIGKILL'));
  for (let i = 0; i < 50; i++) {
    if (await stat(notifySocket).catch(() => null)) break;
    await sleep(20);
  }
  const out = join(dir, 'srv-rec');
  const spool = join(dir, 'run-rec/spool');
  const settings = await envFile();
  delete settings.REC_DEVICE;
  delete settings.REC_MAX_DISK_USAGE; // never prune the test machine's disk
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REC_') && k !== 'NODE_OPTIONS'));
  const base: Record<string, string | undefined> = {
    ...inherited,
    ...settings,
    REC_OUT: out,
    REC_SPOOL: spool,
    REC_CONTROL: join(dir, 'run-rec/control'),
    REC_TRIGGER: 'level',
    REC_PRE_ROLL: '0.5',
    REC_HANG: '1',
    LOG_LEVEL: 'warn',
  };
  const units = new Map(await Promise.all(SERVICES.map(async (u) => [u, await readUnit(u)] as const)));
  // Environment="NODE_OPTIONS=a b": systemd's quoting, undone.
  const nodeOptions = (u: string) => get(units.get(u)!, 'Service', 'Environment')!.replace(/^"?NODE_OPTIONS=/, '').replace(/"$/, '');
  const extraArgs = (u: string) => get(units.get(u)!, 'Service', 'ExecStart')!.split(' ').slice(1);
  const procs: ChildProcess[] = [];
  t.teardown(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  // child_process, not execa: the FIFO descriptors are handed over as they are, as systemd does.
  const start = (unit: string, tool: string, args: string[], stdio: { stdin: number | 'ignore'; stdout: number | 'pipe' }, env: Record<string, string> = {}) => {
    const child = spawn('node', [bin(tool), ...extraArgs(unit), ...args], {
      env: { ...base, NODE_OPTIONS: nodeOptions(unit), ...env },
      stdio: [stdio.stdin, stdio.stdout, 'pipe'],
    });
    procs.push(child);
    return running(child);
  };
  const notifyEnv = { NOTIFY_SOCKET: notifySocket, WATCHDOG_USEC: '1000000' };
  const startSegment = () => start('rec-segment.service', 'rec-segment', [], { stdin: pcm, stdout: events }, notifyEnv);

  const sidecars = start('rec-sidecars.service', 'rec-sidecars', [], { stdin: events, stdout: 'pipe' });
  const ready: Ready[] = [];
  let buf = '';
  sidecars.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = JSON.parse(buf.slice(0, i)) as Ready;
      buf = buf.slice(i + 1);
      if (line.type === 'recording.ready') ready.push(line);
    }
  });
  const segment = startSegment();
  const capture = start('rec-capture.service', 'rec-capture', ['--input', input, '--realtime'], { stdin: 'ignore', stdout: pcm });
  return {
    dir,
    out,
    spool,
    ready,
    segment,
    capture,
    sidecars,
    startSegment,
    notifyLog,
    async waitFor(n: number, ms: number) {
      for (let waited = 0; ready.length < n && waited < ms; waited += 100) await sleep(100);
      return ready.length;
    },
    async framesIn(): Promise<number> {
      const s = JSON.parse(await readFile(join(spool, 'segmenter_status.json'), 'utf8')) as { input: { framesIn: number } };
      return s.input.framesIn;
    },
    async spoolLeft(): Promise<string[]> {
      return (await readdir(spool)).filter((f) => /\.(wav|job\.json|started\.json)$/.test(f));
    },
  };
}

const INPUT_FRAMES = (14 * 1000) / 20;

t.test('the pipeline on FIFOs held open like ListenFIFO=: recordings come out, the spool empties', async (t) => {
  const p = await pipelineOnFifos(t);
  const cap = await p.capture;
  t.equal(cap.exitCode, 0, `rec-capture ends with its file: ${cap.stderr}`);
  t.equal(await p.waitFor(3, 10_000), 3, 'three bursts, three recordings');
  t.equal(p.segment.exitCode, undefined, 'rec-segment keeps running: the held pipe never ends');
  t.equal(p.sidecars.exitCode, undefined, 'rec-sidecars keeps running (--follow)');
  for (const r of p.ready) {
    t.ok((await stat(r.opus)).size > 0, `${r.opus} written`);
    t.ok((await stat(r.waveform)).size > 0, `${r.waveform} written`);
    const d = await decode(r.opus);
    t.ok(d.durationMs > 1500 && d.durationMs < 3500, `a burst of 1.5 s recorded as ${d.durationMs} ms`);
    // lavfi's sine is 1/8 of full scale, halved: peaks at -24 dBFS.
    t.ok(d.peakDbfs > -27 && d.peakDbfs < -21, `the tone, not silence (peak ${d.peakDbfs.toFixed(1)} dBFS)`);
  }
  t.same(await p.spoolLeft(), [], 'no WAV, job or start record left in the spool');

  // Readiness first, then watchdog pings while frames flowed, none once they stopped:
  // as received by a notify socket from the real systemd-notify.
  const received = async () =>
    (await readFile(p.notifyLog, 'utf8'))
      .split('\n')
      .map((l) => l.split(' '))
      .filter(([msg]) => msg === 'READY=1' || msg === 'WATCHDOG=1');
  const messages = await received();
  t.equal(messages[0]?.[0], 'READY=1', 'READY=1 first');
  const pings = messages.filter(([m]) => m === 'WATCHDOG=1').map(([, at]) => Number(at));
  t.ok(pings.length >= 14 && pings.length <= 30, `${pings.length} pings over 14 s of audio, at most one per 0.5 s`);
  // Arrival times carry systemd-notify's start-up jitter; the exact throttle is tested below.
  const mean = (pings.at(-1)! - pings[0]!) / (pings.length - 1);
  t.ok(mean >= 0.45, `pings every ${mean.toFixed(2)} s on average, not sooner than half the watchdog period`);
  await sleep(1500);
  t.equal((await received()).length, messages.length, 'no watchdog ping while no audio arrives');

  p.segment.kill('SIGTERM');
  p.sidecars.kill('SIGTERM');
  t.equal((await p.segment).exitCode, 0, 'rec-segment stops cleanly on SIGTERM');
  t.equal((await p.sidecars).exitCode, 0, 'rec-sidecars stops cleanly on SIGTERM');
  t.equal(await p.framesIn(), INPUT_FRAMES, 'every frame reached the segmenter (its final status)');
});

t.test('restarting rec-segment mid-run: capture survives, only the restart gap is lost', async (t) => {
  const p = await pipelineOnFifos(t);
  t.equal(await p.waitFor(1, 15_000), 1, 'the first burst is recorded');
  const capturePid = p.capture.pid!;
  p.segment.kill('SIGTERM');
  const first = await p.segment;
  t.equal(first.exitCode, 0, first.stderr);
  const framesBefore = await p.framesIn();
  await sleep(1000); // the gap: capture writes on, the pipe fills, then capture waits
  t.equal(p.capture.exitCode, undefined, 'rec-capture still running (no EPIPE: the pipe is held open)');
  t.doesNotThrow(() => process.kill(capturePid, 0), 'same rec-capture process');
  const second = p.startSegment();
  const cap = await p.capture;
  t.equal(cap.exitCode, 0, `rec-capture ran to the end of its file: ${cap.stderr}`);
  t.equal(p.capture.pid, capturePid);
  t.equal(await p.waitFor(3, 10_000), 3, 'bursts after the restart recorded too');
  second.kill('SIGTERM');
  t.equal((await second).exitCode, 0);
  const framesAfter = await p.framesIn();
  const lost = INPUT_FRAMES - framesBefore - framesAfter;
  // Lost: what the killed segmenter had read from the pipe but not yet processed
  // (its stdin buffer, up to 64 kB = 34 frames); the pipe itself loses nothing.
  t.ok(lost >= 0 && lost <= 50, `${lost} frames lost across the restart (${framesBefore} + ${framesAfter} of ${INPUT_FRAMES})`);
  for (const r of p.ready.slice(1)) {
    // A restart that cut the byte stream mid-sample would turn the tone into noise.
    const d = await decode(r.opus);
    // (byte-swapped samples of a -24 dBFS tone peak near full scale).
    t.ok(d.peakDbfs > -27 && d.peakDbfs < -21, `after the restart the tone is intact: peak ${d.peakDbfs.toFixed(1)} dBFS (-24 sent)`);
  }
  t.same(await p.spoolLeft(), [], 'spool empty');
  p.sidecars.kill('SIGTERM');
  await p.sidecars;
});

t.test('sd-notify: no service manager, no calls; the watchdog is throttled to half its period', async (t) => {
  t.equal(watchdogIntervalMs({}), null);
  t.equal(watchdogIntervalMs({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '60000000' }), 30_000);
  t.equal(watchdogIntervalMs({ NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '60000000', WATCHDOG_PID: '1' }, 2), null, 'meant for another process');
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000' }), null, 'no socket, no watchdog');
  const dir = await tempDir(t);
  const log = join(dir, 'calls');
  const program = join(dir, 'notify');
  await writeFile(program, `#!/bin/sh\necho "$*" >> ${log}\n`);
  await chmod(program, 0o755);
  await appendFile(log, '');
  const off = createNotifier({ env: {}, program });
  off.ready();
  off.watchdog();
  t.equal(off.active, false);
  const on = createNotifier({ env: { NOTIFY_SOCKET: join(dir, 'sock'), WATCHDOG_USEC: '2000000' }, program });
  t.equal(on.watchdogActive, true);
  on.ready();
  // Frames every 250 ms for 3.5 s (a clock of our own), time for each ping to go out.
  for (let now = 0; now <= 3500; now += 250) {
    on.watchdog(1_000_000 + now);
    await sleep(150);
  }
  const calls = (await readFile(log, 'utf8')).trim().split('\n').sort();
  t.same(calls, ['READY=1', ...Array(4).fill('WATCHDOG=1')].sort(), 'a 2 s watchdog: pings at 0, 1, 2, 3 s; nothing without a socket');
});

t.test('install.sh and uninstall.sh in a temporary root', async (t) => {
  const { root, unitdir, bindir, install, uninstall } = await installTo(t);
  const first = await install();
  t.equal(first.exitCode, 0, first.stderr);
  for (const u of UNITS) {
    const text = await readFile(join(unitdir, u), 'utf8');
    const exec = /^ExecStart=(\S+)/m.exec(text)?.[1];
    if (exec) t.equal(exec.startsWith(bindir + '/'), true, `${u}: ExecStart= in --bindir`);
  }
  t.equal(await readFile(join(root, 'etc/rec-tools/rec-tools.env'), 'utf8'), await readFile(join(SYSTEMD, 'rec-tools.env'), 'utf8'));
  t.equal(await readFile(join(root, 'etc/tmpfiles.d/rec-tools.conf'), 'utf8'), await readFile(join(SYSTEMD, 'rec-tools.tmpfiles.conf'), 'utf8'));
  t.ok((await stat(join(root, 'srv/rec'))).isDirectory(), '/srv/rec created');
  t.equal((await stat(join(root, 'etc/rec-tools/rec-tools.env'))).mode & 0o777, 0o640, 'settings not world-readable (REC_TOKEN)');

  const mtimes = async () => Promise.all(UNITS.map(async (u) => (await stat(join(unitdir, u))).mtimeMs));
  const m1 = await mtimes();
  await sleep(20);
  const second = await install();
  t.equal(second.exitCode, 0);
  t.notMatch(second.stdout, /installed|created/, 'a second run changes nothing');
  t.same(await mtimes(), m1, 'unit files untouched');

  // The user's settings and recordings are theirs.
  const env = join(root, 'etc/rec-tools/rec-tools.env');
  await appendFile(env, 'REC_DEVICE=hw:2,0\n');
  await writeFile(join(root, 'srv/rec/kept.opus'), 'x');
  const third = await install();
  t.match(await readFile(env, 'utf8'), /REC_DEVICE=hw:2,0\n$/, 'install never overwrites a settings file');
  t.match(third.stdout, /kept your/);
  const un = await uninstall();
  t.equal(un.exitCode, 0, un.stderr);
  for (const u of UNITS) await t.rejects(stat(join(unitdir, u)), `${u} removed`);
  await t.rejects(stat(join(root, 'etc/tmpfiles.d/rec-tools.conf')));
  t.ok((await stat(env)).isFile(), 'a changed settings file is kept');
  t.ok((await stat(join(root, 'srv/rec/kept.opus'))).isFile(), 'recordings are kept');
  t.equal((await uninstall()).exitCode, 0, 'uninstall twice is fine');

  // An unchanged settings file goes, with its directory.
  const again = await installTo(t);
  await again.install();
  await again.uninstall();
  await t.rejects(stat(join(again.root, 'etc/rec-tools')), 'unchanged settings removed');
  t.ok((await stat(join(again.root, 'srv/rec'))).isDirectory(), 'recordings directory kept');
});
