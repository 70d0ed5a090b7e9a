// The server's JSON shapes (types only, from the server code) and fetch helpers.
import type { StatusView } from '../src/serve/status.js';

export type { StatusView };

export interface Rec {
  id: string;
  day: string;
  stem: string;
  file: string;
  inProgress: boolean;
  url: string;
  liveUrl?: string;
  size: number;
  startedAt?: string;
  updatedAt?: string;
  trigger: string | null;
  durationMs: number | null;
  durationEstimated: boolean;
  voiceRatio: number | null;
  waveformUrl: string | null;
  transcriptUrl: string | null;
  excerpt: string | null;
  keep: boolean;
}

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
