// The API over the recordings: the list (with the event in progress first),
// one recording, delete to trash, the keep marker, and the trash (list, empty,
// restore). Requests reach these handlers already guarded (guard.ts).
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isPlainName } from './paths.js';
import { DAY_DIR } from '../lib/recordings.js';
import { parseName } from './names.js';
import type { RecordingIndex, Query } from './recording-index.js';
import { recordingJson, type RecordingJson } from './recording-json.js';
import type { StatusReader } from './status.js';
import { ConflictError, emptyTrash, listTrash, restoreRecording, trashRecording } from './trash.js';
import { setKeep } from './keep.js';
import { HttpError, json } from './respond.js';

const MAX_LIMIT = 200;

export interface RecordingsApiContext {
  /** The recordings root, resolved. */
  root: string;
  index: RecordingIndex;
  /** Settles when the first scan is done. */
  indexReady: Promise<void>;
  status: StatusReader;
  log: Logger;
}

function numberParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new HttpError(400, `${name}: not a non-negative number`);
  return n;
}

function listQuery(q: URLSearchParams): Query {
  const limit = numberParam(q, 'limit') ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new HttpError(400, `limit: an integer from 1 to ${MAX_LIMIT}`);
  const day = q.get('day') || undefined;
  if (day && !DAY_DIR.test(day)) throw new HttpError(400, 'day: YYYY-MM-DD');
  const trigger = q.get('trigger') || undefined;
  if (trigger && !/^[a-z]{1,16}$/.test(trigger)) throw new HttpError(400, 'trigger: a word like vad, level, manual');
  const cursor = q.get('cursor') || undefined;
  if (cursor && cursor.length > 300) throw new HttpError(400, 'cursor: too long');
  const text = q.get('q')?.trim() || undefined;
  if (text && text.length > 200) throw new HttpError(400, 'q: at most 200 characters');
  const min = numberParam(q, 'minDuration');
  const max = numberParam(q, 'maxDuration');
  return {
    limit,
    ...(cursor ? { cursor } : {}),
    ...(day ? { day } : {}),
    ...(trigger ? { trigger } : {}),
    ...(text ? { q: text } : {}),
    ...(min !== undefined ? { minDurationMs: min * 1000 } : {}),
    ...(max !== undefined ? { maxDurationMs: max * 1000 } : {}),
  };
}

function inProgressMatches(entry: RecordingJson, q: Query): boolean {
  if (q.cursor || q.q || q.minDurationMs !== undefined || q.maxDurationMs !== undefined) return false;
  return (!q.day || entry.day === q.day) && (!q.trigger || entry.trigger === q.trigger);
}

export function recordingsApi(ctx: RecordingsApiContext) {
  const { root, index, indexReady, status, log } = ctx;

  async function list(res: ServerResponse, q: URLSearchParams): Promise<void> {
    const query = listQuery(q);
    await indexReady;
    const page = index.query(query);
    const items = page.items.map(recordingJson);
    // The status reader never waits on the file (see status.ts) and never throws;
    // if it ever did, the list would still be answered, without the live entry.
    const current = await status.read().then(
      (v) => v.recording,
      () => null,
    );
    if (current && inProgressMatches(current, query)) items.unshift(current);
    json(res, 200, { items, nextCursor: page.nextCursor, total: index.size });
  }

  async function recording(res: ServerResponse, method: string, day: string, name: string, sub: string | undefined): Promise<void> {
    if (!DAY_DIR.test(day) || !isPlainName(name)) throw new HttpError(404, 'not found');
    await indexReady;
    const { stem, kind } = parseName(name);
    if (kind === 'partial' || (!index.get(day, stem) && index.hasPartial(day, stem))) {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(409, 'recording in progress: read-only until it is final');
    }
    if (sub === undefined) {
      if (method === 'GET' || method === 'HEAD') {
        const r = index.get(day, stem);
        if (!r) throw new HttpError(404, 'no such recording');
        return json(res, 200, recordingJson(r));
      }
      if (method !== 'DELETE') throw new HttpError(405, 'GET or DELETE');
      if (!index.get(day, stem)) {
        await index.refresh(day);
        if (!index.get(day, stem)) throw new HttpError(index.hasPartial(day, stem) ? 409 : 404, index.hasPartial(day, stem) ? 'recording in progress' : 'no such recording');
      }
      const moved = await trashRecording(root, day, stem).catch((err: Error) => {
        if (err instanceof ConflictError) throw new HttpError(409, err.message);
        throw err;
      });
      await index.refresh(day);
      log.info({ day, stem, files: moved }, 'moved to the trash');
      return json(res, 200, { trashed: moved });
    }
    if (sub === 'keep') {
      if (!index.get(day, stem)) throw new HttpError(404, 'no such recording');
      if (method !== 'PUT' && method !== 'POST' && method !== 'DELETE') throw new HttpError(405, 'PUT or DELETE');
      // 409 when the day folder or the marker is a symbolic link (never followed).
      await setKeep(root, day, stem, method !== 'DELETE', log).catch((err: Error) => {
        if (err instanceof ConflictError) throw new HttpError(409, err.message);
        throw err;
      });
      await index.refresh(day);
      return json(res, 200, { keep: method !== 'DELETE' });
    }
    throw new HttpError(404, 'no such endpoint');
  }

  async function trash(res: ServerResponse, method: string, rest: string[]): Promise<void> {
    await indexReady;
    if (rest.length === 0) {
      if (method === 'GET' || method === 'HEAD') return json(res, 200, { items: await listTrash(root) });
      if (method === 'DELETE') {
        const removed = await emptyTrash(root);
        log.info({ files: removed }, 'emptied the trash');
        return json(res, 200, { removed });
      }
      throw new HttpError(405, 'GET or DELETE');
    }
    const [day, stem, verb] = rest;
    if (rest.length === 3 && verb === 'restore' && day && stem && DAY_DIR.test(day) && isPlainName(stem)) {
      if (method !== 'POST') throw new HttpError(405, 'POST only');
      const names = await restoreRecording(root, day, parseName(stem).stem).catch((err: Error) => {
        if (err instanceof ConflictError) throw new HttpError(409, err.message);
        throw err;
      });
      if (!names.length) throw new HttpError(404, 'not in the trash');
      await index.refresh(day);
      return json(res, 200, { restored: names });
    }
    throw new HttpError(404, 'no such endpoint');
  }

  return { list, recording, trash };
}
