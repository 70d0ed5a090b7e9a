// The load of the serve-siege scenario, in a process of its own (so the harness
// that watches rec-serve is not starved by it): autocannon with keep-alive
// connections cycling through the given requests. Options as JSON in argv[2];
// prints one JSON summary on stdout.
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  requests: Array<{ path: string; headers?: Record<string, string> }>;
}

export interface LoadSummary {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const r = await autocannon({
  url: opts.url,
  connections: opts.connections,
  duration: opts.seconds,
  headers: opts.headers,
  requests: opts.requests.map((q) => ({ method: 'GET' as const, path: q.path, ...(q.headers ? { headers: { ...opts.headers, ...q.headers } } : {}) })),
});
const statusCodes: Record<string, number> = {};
for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number((v as { count: number | string }).count);
const summary: LoadSummary = {
  requests: r.requests.total,
  rps: Math.round(r.requests.average),
  p50: r.latency.p50,
  p99: r.latency.p99,
  max: r.latency.max,
  errors: r.errors,
  timeouts: r.timeouts,
  non2xx: r.non2xx,
  statusCodes,
};
process.stdout.write(JSON.stringify(summary) + '\n');
