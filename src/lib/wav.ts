// Streaming WAV (RIFF, PCM s16le) writer with the header patched on close, a
// header reader that tolerates files cut off by a crash, and a repair for them.
import { open, type FileHandle } from 'node:fs/promises';
import { closeSync, openSync, writeSync } from 'node:fs';

export const WAV_HEADER_BYTES = 44;
/** Size fields while a file is still being written: "unknown, read to end of file". */
const SIZE_UNKNOWN = 0xffffffff;

export function wavHeader(opts: { rate: number; channels?: number; dataBytes?: number }): Buffer {
  const channels = opts.channels ?? 1;
  const blockAlign = channels * 2;
  const dataBytes = opts.dataBytes ?? SIZE_UNKNOWN;
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(dataBytes === SIZE_UNKNOWN ? SIZE_UNKNOWN : 36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(opts.rate, 24);
  h.writeUInt32LE(opts.rate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export interface WavInfo {
  format: number;
  channels: number;
  rate: number;
  bitsPerSample: number;
  blockAlign: number;
  /** Byte offset of the first sample. */
  dataOffset: number;
  /** Sample bytes actually present (whole blocks), from the file size when the header disagrees. */
  dataBytes: number;
  /** The data size in the header, as written. */
  headerDataBytes: number;
  /** True when the header's sizes do not match the file (cut off by a crash, or still being written). */
  needsRepair: boolean;
  fileBytes: number;
}

export class WavFormatError extends Error {
  override name = 'WavFormatError';
}

/** Read a WAV header (only the first few KiB of the file are read). */
export async function readWavInfo(path: string): Promise<WavInfo> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 4096));
    await fh.read(head, 0, head.length, 0);
    return parseWavHeader(head, size);
  } finally {
    await fh.close();
  }
}

/** Parse the RIFF chunks in `head` (the start of a file of `fileBytes` bytes). */
export function parseWavHeader(head: Buffer, fileBytes: number): WavInfo {
  if (head.length < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavFormatError('not a RIFF/WAVE file');
  }
  let pos = 12;
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataBytes' | 'headerDataBytes' | 'needsRepair' | 'fileBytes'> | undefined;
  while (pos + 8 <= head.length) {
    const id = head.toString('ascii', pos, pos + 4);
    const size = head.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (body + 16 > head.length) break;
      fmt = {
        format: head.readUInt16LE(body),
        channels: head.readUInt16LE(body + 2),
        rate: head.readUInt32LE(body + 4),
        blockAlign: head.readUInt16LE(body + 12),
        bitsPerSample: head.readUInt16LE(body + 14),
      };
      // WAVE_FORMAT_EXTENSIBLE carries the real format in its sub-format GUID.
      if (fmt.format === 0xfffe && size >= 40 && body + 26 <= head.length) fmt.format = head.readUInt16LE(body + 24);
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk before fmt chunk');
      if (fmt.blockAlign === 0) throw new WavFormatError('block align is 0');
      const available = fileBytes - body;
      const fromHeader = size === SIZE_UNKNOWN || size === 0 || size > available ? available : size;
      const dataBytes = fromHeader - (fromHeader % fmt.blockAlign);
      const riffSize = head.readUInt32LE(4);
      const needsRepair = size !== dataBytes || (available === dataBytes && riffSize !== body - 8 + dataBytes);
      return { ...fmt, dataOffset: body, dataBytes, headerDataBytes: size, needsRepair, fileBytes };
    }
    pos = body + size + (size % 2);
  }
  throw new WavFormatError(fmt ? 'no data chunk in the first 4 KiB' : 'no fmt chunk');
}

/**
 * Make a WAV cut off by a crash valid again: size fields set from the samples
 * present, a trailing partial sample trimmed. No sample is discarded.
 */
export async function repairWav(path: string): Promise<WavInfo> {
  const info = await readWavInfo(path);
  if (!info.needsRepair) return info;
  const fh = await open(path, 'r+');
  try {
    const end = info.dataOffset + info.dataBytes;
    if (end < info.fileBytes && info.fileBytes - end < info.blockAlign) await fh.truncate(end);
    const fields = Buffer.alloc(4);
    fields.writeUInt32LE(end - 8);
    await fh.write(fields, 0, 4, 4);
    fields.writeUInt32LE(info.dataBytes);
    await fh.write(fields, 0, 4, info.dataOffset - 4);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { ...(await readWavInfo(path)) };
}

export interface WavWriterOptions {
  rate: number;
  /** Open with 'wx' so an existing file is never overwritten. */
  exclusive?: boolean;
}

/**
 * Appends PCM to a WAV file; `close()` patches the header. Each write is a
 * synchronous write(2) of one frame into the page cache (microseconds), so what
 * was handed over is in the file the moment write() returns: a process killed
 * with -9 loses nothing it had written, which a queued write stream would.
 * A write error (disk full, permissions) is kept in `error`, later writes are
 * refused, and close() throws it.
 */
export class WavWriter {
  private failure: Error | undefined;
  private fd: number | null;
  dataBytes = 0;

  private constructor(
    readonly path: string,
    readonly rate: number,
    fd: number | null,
    failure: Error | undefined,
  ) {
    this.fd = fd;
    this.failure = failure;
  }

  /** Start a WAV; an open error shows up in `error` and in close(), never as a throw. */
  static open(path: string, opts: WavWriterOptions): WavWriter {
    let fd: number | null = null;
    try {
      fd = openSync(path, opts.exclusive === false ? 'w' : 'wx');
      writeAll(fd, wavHeader({ rate: opts.rate }));
      return new WavWriter(path, opts.rate, fd, undefined);
    } catch (err) {
      return new WavWriter(path, opts.rate, fd, err as Error);
    }
  }

  /** Open, throwing an open error here. */
  static async create(path: string, opts: WavWriterOptions): Promise<WavWriter> {
    const w = WavWriter.open(path, opts);
    if (w.failure) {
      w.release();
      throw w.failure;
    }
    return w;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  /** Bytes handed to the writer but not yet in the file: always 0 (writes are synchronous). */
  get pendingBytes(): number {
    return 0;
  }

  write(pcm: Buffer): void {
    if (this.failure || this.fd === null) return;
    try {
      writeAll(this.fd, pcm);
      this.dataBytes += pcm.length;
    } catch (err) {
      this.failure = err as Error;
    }
  }

  /** Patch the sizes in the header, close. Throws the first write error. */
  async close(): Promise<{ path: string; dataBytes: number }> {
    try {
      if (this.fd === null) throw this.failure ?? new Error(`${this.path}: not open`);
      // After a failed write too: what did get written stays a readable WAV.
      try {
        writeAll(this.fd, wavHeader({ rate: this.rate, dataBytes: this.dataBytes }), 0);
      } catch (err) {
        this.failure ??= err as Error;
      }
      if (this.failure) throw this.failure;
      return { path: this.path, dataBytes: this.dataBytes };
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** write(2) until every byte is in (a short write is retried for the rest), at `position` or appended. */
function writeAll(fd: number, buf: Buffer, position?: number): void {
  for (let off = 0; off < buf.length; ) {
    off += writeSync(fd, buf, off, buf.length - off, position === undefined ? null : position + off);
  }
}
