// The server's JSON shapes (types only, from the server code) and fetch helpers.
import type { StatusView } from '../src/serve/status.js';
import type { RecordingJson } from '../src/serve/recording-json.js';

export type { StatusView };

export type Rec = RecordingJson;

export interface Page {
  items: Rec[];
  nextCursor: string | null;
  total: number;
}

export type Notice = { kind: 'added' | 'finalised' | 'updated'; id: string; recording: Rec } | { kind: 'removed'; id: string; day: string; stem: string };

export interface Waveform {
  data: number[];
  bits?: number;
  durationMs?: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { ...init, headers: { Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers } });
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
  return body;
}

export function recPath(r: { day: string; file?: string; stem: string }): string {
  return `/api/recordings/${r.day}/${encodeURIComponent(r.file ?? r.stem)}`;
}
