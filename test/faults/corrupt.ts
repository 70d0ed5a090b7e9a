// Files of the pipeline damaged while it runs (a bad card, a stray editor, a
// crash mid-write elsewhere): the status file, a spool job, a finished
// recording's waveform, and an event's WAV cut at an odd byte while rec-segment
// is down. Every tool must say so plainly, never lose audio that is still there,
// and put right what it owns.
import { spawn } from 'node:child_process';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { readStatus } from '../../src/status/read-status.js';
import { bin } from '../helpers.js';
import { readText } from './audit.js';
import { firstMsg, statusCheck } from './input.js';
import type { Rig } from './rig.js';
import { rigTrial, sleepUntilWorld, wallAt } from './trial.js';
import type { Scenario } from './types.js';
import { prng } from './world.js';

const spoolFiles = (rig: Rig) => readdir(rig.spool).catch(() => [] as string[]);

/** Bytes that are not JSON: seeded noise with a few braces in it. */
function garbage(seed: number, n: number): Buffer {
  const rnd = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rnd() < 0.05 ? 0x7b : Math.floor(rnd() * 256);
  return b;
}

/** Jobs in the spool that rec-sidecars has not finished; resolves with the first one that appears. */
async function firstJob(rig: Rig, timeoutMs: number): Promise<string | null> {
  let job: string | null = null;
  await rig.until(async () => {
    job = (await spoolFiles(rig)).find((f) => f.endsWith('.job.json')) ?? null;
    return job !== null;
  }, timeoutMs);
  return job;
}

interface Served {
  url: string;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** rec-serve on any free port (it prints its URL), ended by its own pid. */
async function serve(out: string): Promise<Served> {
  const p = spawn('node', [bin('rec-serve'), '--out', out, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  let err = '';
  p.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-65536)));
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: p.stdout });
    rl.once('line', (l) => resolve(l.trim().replace(/\/$/, '')));
    p.once('exit', (code) => reject(new Error(`rec-serve exited ${code}: ${err}`)));
  });
  return {
    url,
    stderr: () => err,
    stop: async () => {
      if (p.exitCode !== null) return;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await gone;
    },
  };
}

export const scenarios: Scenario[] = [
  {
    id: 'corrupt-status',
    fault: 'segmenter_status.json overwritten with garbage, later cut to half, while running',
    trials: { short: 1, long: 2 },
    run: (ctx) =>
      rigTrial(ctx, {
        speed: 1,
        lengthMs: ctx.form === 'long' ? 40_000 : 22_000,
        fault: async (rig, world) => {
          const path = join(rig.spool, 'segmenter_status.json');
          const seen: string[] = [];
          let worst = 0;
          const damage = [
            { at: 6000, how: 'garbage', bad: (_text: string) => garbage(ctx.seed, 300) },
            { at: world.lengthMs - 8000, how: 'half', bad: (text: string) => Buffer.from(text.slice(0, Math.floor(text.length / 2))) },
          ];
          for (const d of damage) {
            await sleepUntilWorld(world, d.at);
            // rec-segment may rewrite it while rec-status starts (its next heartbeat or
            // a level change): damage it again until rec-status has read a damaged file.
            let check: { code: number; out: string } | null = null;
            let damagedAt = 0;
            for (let attempt = 0; attempt < 8 && check?.code !== 65; attempt++) {
              const text = readText(path);
              writeFileSync(path, d.bad(text));
              damagedAt = Date.now();
              check = await statusCheck(rig);
            }
            if (check?.code !== 65) return { recoveryMs: null, visible: null, note: `rec-status never saw the ${d.how} file (last: exit ${check?.code}, ${check?.out})` };
            const lines = check.out.split('\n').filter(Boolean);
            seen.push(`${d.how}: exit 65, ${lines.length} line${lines.length > 1 ? 's' : ''} "${lines[0]!.replace(path, '<status>').slice(0, 90)}"`);
            const took = await rig.until(async () => (await readStatus(path)).ok, 30_000);
            if (took === null) return { recoveryMs: null, visible: seen.join('; '), note: `never rewritten after the ${d.how} damage` };
            worst = Math.max(worst, Date.now() - damagedAt);
          }
          return { recoveryMs: worst, visible: `rec-status --check: ${seen.join('; ')}`, note: 'rewritten by rec-segment at its next write' };
        },
      }),
  },
  {
    id: 'corrupt-job',
    fault: 'a spool job file cut to half while rec-sidecars is stopped',
    trials: { short: 1, long: 2 },
    run: (ctx) =>
      rigTrial(ctx, {
        speed: 1,
        lengthMs: ctx.form === 'long' ? 40_000 : 24_000,
        fault: async (rig, world) => {
          await rig.pause('sidecars');
          const job = await firstJob(rig, wallAt(world, world.lengthMs - 3000) - Date.now());
          if (!job) {
            rig.resume('sidecars');
            return { recoveryMs: null, visible: null, note: 'no job appeared' };
          }
          const path = join(rig.spool, job);
          const text = readFileSync(path, 'utf8');
          writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
          const id = job.slice(0, -'.job.json'.length);
          const resumed = Date.now();
          rig.resume('sidecars');
          // Recovered: the job is done (its file gone), nothing went to failed/.
          const took = await rig.until(async () => !(await spoolFiles(rig)).some((f) => f === job || f === 'failed'), 60_000);
          const log = rig.log('sidecars');
          const failed = (await spoolFiles(rig)).includes('failed');
          const msg = firstMsg(log, /corrupt|failed\//);
          return {
            recoveryMs: took === null || failed ? null : Date.now() - resumed,
            visible: msg ? `rec-sidecars log: "${msg}"` : null,
            note: `job ${id} cut from ${text.length} to ${Math.floor(text.length / 2)} bytes${failed ? '; moved to failed/' : ''}`,
          };
        },
      }),
  },
  {
    id: 'corrupt-waveform',
    fault: "a finished recording's waveform.json overwritten with garbage (rec-serve running), then rec-sidecars --repair",
    trials: { short: 1, long: 2 },
    run: (ctx) =>
      rigTrial(ctx, {
        speed: 1,
        lengthMs: ctx.form === 'long' ? 40_000 : 20_000,
        fault: async (rig, world) => {
          const served = await serve(rig.out);
          try {
            // The first recording rec-sidecars has finished.
            let ready: { day: string; stem: string; opus: string; waveform: string } | null = null;
            await rig.until(() => {
              const line = readText(join(ctx.dir, 'ready.ndjson')).split('\n').find(Boolean);
              ready = line ? (JSON.parse(line) as NonNullable<typeof ready>) : null;
              return ready !== null;
            }, wallAt(world, world.lengthMs) - Date.now());
            if (!ready) return { recoveryMs: null, visible: null, note: 'no recording became ready' };
            const r = ready as { day: string; stem: string; opus: string; waveform: string };
            const problems: string[] = [];
            const findings: string[] = [];
            type Item = { stem: string; url: string; waveformUrl: string | null; durationMs: number | null; durationEstimated: boolean };
            const listed = async (): Promise<Item | undefined> => {
              const list = await fetch(`${served.url}/api/recordings?limit=100`).catch(() => null);
              if (!list || list.status !== 200) {
                problems.push(`list ${list?.status ?? 'unreachable'}`);
                return undefined;
              }
              return ((await list.json()) as { items: Item[] }).items.find((i) => i.stem === r.stem);
            };
            // The damage strikes a recording rec-serve already offers with its waveform.
            if ((await rig.until(async () => (await listed())?.waveformUrl != null, 10_000)) === null) {
              return { recoveryMs: null, visible: null, note: 'the finished recording was never offered with its waveform' };
            }
            writeFileSync(r.waveform, garbage(ctx.seed ^ 0xa5, 4000));
            const damagedAt = Date.now();
            // rec-serve: still listed and playing, its damaged waveform no longer offered, and said in its log.
            let item: Item | undefined;
            const hidden = await rig.until(async () => (item = await listed()) !== undefined && item.waveformUrl === null, 10_000);
            if (hidden === null || !item) return { recoveryMs: null, visible: null, note: `the damaged waveform is still offered (${[...new Set(problems)].join(', ') || 'listed as before'})` };
            const it = item as Item;
            const audio = await fetch(new URL(it.url, served.url));
            await audio.arrayBuffer();
            if (audio.status !== 200) problems.push(`opus ${audio.status}`);
            findings.push(`listed without its waveform ${(hidden / 1000).toFixed(1)} s after the damage, opus ${audio.status}, durationMs ${it.durationMs}${it.durationEstimated ? ' (estimated)' : ''}`);
            const warned = served.stderr().includes('waveform sidecar is unreadable');
            if (!warned) problems.push(`no warning in rec-serve's log (${served.stderr().trim().split('\n').slice(-3).join(' | ').slice(0, 600)})`);
            // The remedy the warning names, run as a user (or a timer) would.
            const repair = await execa('node', [bin('rec-sidecars'), '--out', rig.out, '--spool', rig.spool, '--repair', '--day', r.day], { reject: false });
            if (repair.exitCode !== 0 || repair.stdout.trim() !== r.waveform) problems.push(`rec-sidecars --repair: exit ${repair.exitCode}, printed "${repair.stdout.trim()}" (${repair.stderr.trim().split('\n').at(-1)})`);
            const back = await rig.until(async () => (await listed())?.waveformUrl != null, 10_000);
            if (back === null) problems.push('the rebuilt waveform is not offered again');
            const health = await fetch(`${served.url}/healthz`);
            if (health.status !== 200) problems.push(`healthz ${health.status}`);
            const recoveredMs = Date.now() - damagedAt;
            return {
              recoveryMs: problems.length ? null : recoveredMs,
              visible: warned ? `rec-serve: warning "waveform sidecar is unreadable"; ${findings.join(', ')}` : null,
              note: `${problems.length ? `PROBLEMS: ${problems.join(', ')}; ` : ''}rebuilt by rec-sidecars --repair and offered again ${(recoveredMs / 1000).toFixed(1)} s after the damage`,
            };
          } finally {
            await served.stop();
          }
        },
      }),
  },
  {
    id: 'half-wav',
    fault: "kill -9 rec-segment mid-event and cut the event's WAV at an odd byte before it restarts",
    trials: { short: 1, long: 2 },
    run: async (ctx) => {
      let cutMs = 0;
      const r = await rigTrial(ctx, {
        speed: 1,
        lengthMs: ctx.form === 'long' ? 40_000 : 24_000,
        rig: { restartMs: 5000 },
        fault: async (rig, world) => {
          await rig.pause('sidecars');
          const rnd = prng(ctx.seed ^ 0x4a1f);
          const b = world.bursts.find((x) => x.durMs >= 2000) ?? world.bursts[0]!;
          await sleepUntilWorld(world, b.startMs + b.durMs * (0.6 + rnd() * 0.2));
          const ev = rig.status()?.event;
          if (!ev) {
            rig.resume('sidecars');
            return { recoveryMs: null, visible: null, note: 'no event open at the kill' };
          }
          const killedAt = rig.kill('segment');
          await new Promise((res) => setTimeout(res, 200));
          // Cut about 300 ms off the end, at an odd offset (half a sample).
          const size = statSync(ev.wav).size;
          let to = size - Math.round(0.3 * 96_000);
          if (to % 2 === 0) to -= 1;
          truncateSync(ev.wav, to);
          cutMs = Math.round((size - to) / 96);
          // rec-segment restarts, repairs the header and finishes the event.
          const id = ev.id;
          const recovered = await rig.until(async () => rig.startedAt('segment') > killedAt && (await spoolFiles(rig)).includes(`${id}.job.json`), 30_000);
          const log = rig.log('segment');
          const msg = firstMsg(log, /recovered an event/);
          rig.resume('sidecars');
          if (recovered === null) return { recoveryMs: null, visible: msg || null, note: `event ${id} was not recovered` };
          const done = await rig.until(async () => !(await spoolFiles(rig)).some((f) => f.startsWith(id)), 60_000);
          return {
            recoveryMs: done === null ? null : Date.now() - killedAt,
            visible: msg ? `rec-segment log: "${msg}"` : null,
            note: `WAV cut from ${size} to ${to} bytes (${cutMs} ms) while rec-segment was down`,
          };
        },
      });
      // The cut tail is gone by design (the fault deleted it): only audio before the cut counts.
      const raw = r.audioLostMs;
      return { ...r, audioLostMs: Math.max(0, raw - cutMs), note: `${r.note}; audit lost ${raw} ms of which ${cutMs} ms were cut off by the fault` };
    },
  },
];
