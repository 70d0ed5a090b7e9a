// NDJSON: one JSON object per line. Reading is bounded (an endless line cannot
// exhaust memory) and reports bad lines with their line number instead of failing.
import type { Writable } from 'node:stream';

export type NdjsonItem =
  | { line: number; value: Record<string, unknown>; error?: undefined }
  | { line: number; value?: undefined; error: string };

export interface NdjsonReadOptions {
  /** Longest accepted line in bytes; longer lines are reported as errors and skipped. */
  maxLineBytes?: number;
}

/**
 * Iterate over the objects of an NDJSON stream; blank lines are skipped.
 * (split2 and readline either buffer without bound or skip overlong lines
 * silently, which would shift every later line number, hence this small loop.)
 */
export async function* readNdjson(input: AsyncIterable<Buffer | string>, opts: NdjsonReadOptions = {}): AsyncGenerator<NdjsonItem> {
  const max = opts.maxLineBytes ?? 1024 * 1024;
  let parts: Buffer[] = [];
  let length = 0;
  let skipping = false;
  let line = 0;
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      line++;
      if (skipping || length + nl - start > max) {
        yield { line, error: `line longer than ${max} bytes, skipped` };
      } else {
        parts.push(chunk.subarray(start, nl));
        const item = parseLine(line, Buffer.concat(parts).toString('utf8'));
        if (item) yield item;
      }
      parts = [];
      length = 0;
      skipping = false;
      start = nl + 1;
    }
    if (start < chunk.length && !skipping) {
      length += chunk.length - start;
      if (length > max) {
        skipping = true;
        parts = [];
      } else {
        parts.push(Buffer.from(chunk.subarray(start)));
      }
    }
  }
  if (skipping) yield { line: line + 1, error: `line longer than ${max} bytes, skipped` };
  else if (length > 0) {
    const item = parseLine(line + 1, Buffer.concat(parts).toString('utf8'));
    if (item) yield item;
  }
}

function parseLine(line: number, text: string): NdjsonItem | undefined {
  if (text.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { line, error: 'not a JSON object' };
    return { line, value: value as Record<string, unknown> };
  } catch (err) {
    return { line, error: `invalid JSON: ${(err as Error).message}` };
  }
}

/** Write one object as a line. Returns the stream's backpressure signal. */
export function writeNdjson(out: Writable, value: object): boolean {
  return out.write(JSON.stringify(value) + '\n');
}

/**
 * A line writer that never queues more than `maxQueuedBytes` in memory: a reader
 * that stops reading (a pipe held open by systemd, a paused consumer) makes it
 * drop lines instead of growing without bound. `onDrop` hears of the first drop
 * of each episode (the count so far); writing resumes once the queue drains.
 */
export function boundedLineWriter(out: Writable, maxQueuedBytes: number, onDrop: (dropped: number) => void): (value: object) => boolean {
  let dropped = 0;
  let dropping = false;
  return (value) => {
    if (out.writableLength >= maxQueuedBytes) {
      dropped++;
      if (!dropping) onDrop(dropped);
      dropping = true;
      return false;
    }
    dropping = false;
    out.write(JSON.stringify(value) + '\n');
    return true;
  };
}
