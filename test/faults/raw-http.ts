// HTTP spoken by hand over a TCP socket, for what fetch and node:http will not
// send: unnormalised paths, oversized headers and bodies, headers a byte at a
// time, and clients that connect and then never read.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** Status code of the answer, null when the server sent none. */
  status: number | null;
  body: Buffer;
  /** How the exchange ended. */
  end: 'closed' | 'timeout' | 'error';
  ms: number;
}

const MAX_KEPT = 1 << 20;

/**
 * Send `head` (request line and headers, without the blank line) and `body`, and
 * collect the answer until the server closes or `timeoutMs` passes. The request
 * asks for Connection: close, so a complete answer ends the exchange.
 */
export function rawRequest(port: number, head: string, body: Buffer | string = '', timeoutMs = 5000): Promise<RawAnswer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let kept = 0;
    let done = false;
    const sock = connect(port, '127.0.0.1');
    const finish = (end: RawAnswer['end']) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const all = Buffer.concat(parts);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(all.subarray(0, 32).toString('latin1'));
      const sep = all.indexOf('\r\n\r\n');
      resolve({ status: m ? Number(m[1]) : null, body: sep < 0 ? Buffer.alloc(0) : all.subarray(sep + 4), end, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    sock.on('data', (d: Buffer) => {
      if (kept < MAX_KEPT) parts.push(d);
      kept += d.length;
    });
    sock.on('end', () => finish('closed'));
    sock.on('close', () => finish('closed'));
    // The server may answer (413, 431) and close before the body is sent: not an error.
    sock.on('error', () => finish(parts.length ? 'closed' : 'error'));
    sock.on('connect', () => {
      sock.write(`${head}\r\nConnection: close\r\n\r\n`);
      if (body.length) sock.write(body);
    });
  });
}

/** A client that asks for a stream and then stops reading: its socket buffers fill up. */
export class StalledClient {
  readonly socket: Socket;
  /** Status of the answer, once its first bytes came. */
  readonly status: Promise<number | null>;

  constructor(port: number, head: string) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('error', () => undefined);
    this.status = new Promise((resolve) => {
      this.socket.once('data', (d: Buffer) => {
        this.socket.pause();
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(d.subarray(0, 32).toString('latin1'));
        resolve(m ? Number(m[1]) : null);
      });
      this.socket.once('close', () => resolve(null));
    });
    this.socket.on('connect', () => this.socket.write(`${head}\r\n\r\n`));
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Slowloris: a request whose headers arrive one byte every `intervalMs`, never
 * finished. Resolves with how long the server kept the connection, or null if it
 * was still open at `until` (performance.now() time).
 */
export function slowloris(port: number, intervalMs: number, until: number): { result: Promise<number | null>; stop: () => void } {
  const t0 = performance.now();
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => undefined);
  sock.resume();
  let timer: NodeJS.Timeout | undefined;
  let stop = () => undefined as void;
  const result = new Promise<number | null>((resolve) => {
    const text = 'GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(100_000);
    let i = 0;
    sock.once('close', () => {
      clearInterval(timer);
      resolve(performance.now() < until ? performance.now() - t0 : null);
    });
    sock.on('connect', () => {
      timer = setInterval(() => {
        if (performance.now() >= until) return stop();
        sock.write(text[i++ % text.length]!);
      }, intervalMs);
    });
    stop = () => {
      clearInterval(timer);
      sock.destroy();
    };
  });
  return { result, stop: () => stop() };
}
