// Memory of the systemd services' command lines, with and without the units'
// Node heap caps (NODE_OPTIONS=--max-old-space-size=…), and the CPU cost of one
// watchdog ping through systemd-notify. Run: npm run build && node dist/bench/services.js
// The pipeline runs as the units connect it: FIFOs held open at both ends, 20 s of
// audio (5 s silence, 8 s tone, 7 s silence) replayed in real time.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const bin = (tool: string) => join(ROOT, 'bin', `${tool}.js`);
const HEAP: Record<string, string> = {};
for (const unit of ['rec-capture', 'rec-segment', 'rec-sidecars']) {
  const text = readFileSync(join(ROOT, 'systemd', `${unit}.service`), 'utf8');
  HEAP[unit] = /^Environment=NODE_OPTIONS=(.*)$/m.exec(text)![1]!;
}

/** Resident memory (kB) of a process and all its descendants, and its own peak. */
function rss(pid: number): { treeKb: number; selfKb: number } {
  const status = (p: number) => {
    try {
      return readFileSync(`/proc/${p}/status`, 'utf8');
    } catch {
      return '';
    }
  };
  const field = (s: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  let treeKb = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    treeKb += field(status(p), 'VmRSS');
    stack.push(...children(p));
  }
  return { treeKb, selfKb: field(status(pid), 'VmRSS') };
}

async function run(nodeOptions: (tool: string) => string | undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'rec-bench-svc-'));
  const input = join(dir, 'in.wav');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', "sine=f=440:sample_rate=48000:d=20", '-af', "volume='between(t,5,13)':eval=frame", '-ac', '1', input]);
  const fifo = (name: string) => {
    execFileSync('mkfifo', [join(dir, name)]);
    return openSync(join(dir, name), constants.O_RDWR | constants.O_NONBLOCK);
  };
  const pcm = fifo('pcm.fifo');
  const events = fifo('events.fifo');
  const env = (tool: string) => ({
    ...process.env,
    REC_OUT: join(dir, 'rec'),
    REC_SPOOL: join(dir, 'spool'),
    REC_TRIGGER: 'level',
    LOG_LEVEL: 'warn',
    NODE_OPTIONS: nodeOptions(tool) ?? '',
  });
  const procs: Record<string, ChildProcess> = {
    'rec-sidecars': spawn('node', [bin('rec-sidecars'), '--follow'], { env: env('rec-sidecars'), stdio: [events, 'ignore', 'inherit'] }),
    'rec-segment': spawn('node', [bin('rec-segment')], { env: env('rec-segment'), stdio: [pcm, events, 'inherit'] }),
    'rec-capture': spawn('node', [bin('rec-capture'), '--input', input, '--realtime'], { env: env('rec-capture'), stdio: ['ignore', pcm, 'inherit'] }),
  };
  const idle: Record<string, number> = {};
  const idleSelf: Record<string, number> = {};
  const peak: Record<string, number> = {};
  const peakSelf: Record<string, number> = {};
  for (let t = 0; t < 24_000; t += 250) {
    await sleep(250);
    for (const [name, p] of Object.entries(procs)) {
      if (p.exitCode !== null) continue;
      const m = rss(p.pid!);
      if (t >= 3500 && idle[name] === undefined) [idle[name], idleSelf[name]] = [m.treeKb, m.selfKb];
      peak[name] = Math.max(peak[name] ?? 0, m.treeKb);
      peakSelf[name] = Math.max(peakSelf[name] ?? 0, m.selfKb);
    }
  }
  for (const p of Object.values(procs)) p.kill('SIGTERM');
  await sleep(1000);
  closeSync(pcm);
  closeSync(events);
  await rm(dir, { recursive: true, force: true });
  return { idle, idleSelf, peak, peakSelf };
}

const mb = (kb: number | undefined) => (kb === undefined ? '   -' : (kb / 1024).toFixed(1).padStart(5));
console.log('RSS in MB: node alone / with its children (arecord or ffmpeg), idle at 3.5 s and peak over 20 s with an 8 s event');
const variants: Array<[string, (tool: string) => string | undefined]> = [
  ['no heap cap', () => undefined],
  ['the units\' cap', (tool) => HEAP[tool]],
  ['cap + --max-semi-space-size=1', (tool) => `${HEAP[tool]} --max-semi-space-size=1`],
];
for (const [label, opts] of variants) {
  const r = await run(opts);
  for (const tool of ['rec-capture', 'rec-segment', 'rec-sidecars']) {
    const o = opts(tool) ?? '-';
    console.log(
      `${tool.padEnd(13)} ${label.padEnd(30)} ${o.padEnd(56)} idle ${mb(r.idleSelf[tool])} / ${mb(r.idle[tool])}  peak ${mb(r.peakSelf[tool])} / ${mb(r.peak[tool])}`,
    );
  }
}

// One watchdog ping = one systemd-notify run; bash's `times` gives its children's CPU.
const n = 100;
const sock = join(tmpdir(), `rec-bench-notify-${process.pid}.sock`);
const receiver = spawn('systemd-socket-activate', ['--datagram', '-l', sock, '--', 'sh', '-c', 'while dd bs=65536 count=1 status=none of=/dev/null <&3; do :; done'], { stdio: 'ignore' });
await sleep(300);
const times = execFileSync('bash', ['-c', `for i in $(seq ${n}); do systemd-notify WATCHDOG=1; done; times`], { env: { ...process.env, NOTIFY_SOCKET: sock } })
  .toString()
  .trim()
  .split('\n')
  .at(-1)!;
receiver.kill('SIGKILL');
const secs = [...times.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
const cpuMs = ((secs[0]! + secs[1]!) / n) * 1000;
console.log(`watchdog ping (systemd-notify WATCHDOG=1, delivered): ${cpuMs.toFixed(1)} ms CPU each; at WatchdogSec=60 (one per 30 s): ${((cpuMs * 120) / 1000).toFixed(2)} CPU-s per audio hour`);
