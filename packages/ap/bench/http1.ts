/**
 * A minimal HTTP/1.1 client on one keep-alive connection (plain or TLS), one request at a time. The load
 * generator shares a core with the client side of every measurement, so it does as little as it can:
 * requests are written as one string, answers are parsed only for the status, the headers and a
 * Content-Length body (all that the AP, nginx and the XCAP server send here).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export interface HttpResponse {
  status: number;
  /** header names in lower case; a repeated header keeps its last value */
  headers: Map<string, string>;
  body: Buffer;
}

const HEAD_END = Buffer.from('\r\n\r\n');

export class Http1Connection {
  private buf: Buffer = Buffer.alloc(0);
  private waiting:
    | {
        resolve: (r: HttpResponse) => void;
        reject: (e: Error) => void;
        head?: { status: number; headers: Map<string, string>; length: number; start: number };
      }
    | undefined;
  private failure: Error | undefined;

  private constructor(
    readonly socket: Socket | TLSSocket,
    private readonly host: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static plain(hostPort: string): Promise<Http1Connection> {
    const [host, port] = split(hostPort);
    return new Promise((resolve, reject) => {
      const s = netConnect(port, host);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new Http1Connection(s, hostPort));
      });
    });
  }

  /**
   * A TLS connection; `options` carry the trust anchor, the SNI name and a session to resume. `onSession`
   * gets every session the server gives (listened to from the start: a TLS 1.2 session comes during the
   * handshake, TLS 1.3 tickets after it).
   */
  static tls(
    hostPort: string,
    options: ConnectionOptions,
    onSession?: (session: Buffer) => void,
  ): Promise<Http1Connection> {
    const [host, port] = split(hostPort);
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ host, port, ...options });
      if (onSession) s.on('session', onSession);
      s.once('error', reject);
      s.once('secureConnect', () => {
        s.off('error', reject);
        resolve(new Http1Connection(s, options.servername ?? hostPort));
      });
    });
  }

  /** `headers` may hold Host to override the default (the SNI name, else host:port). */
  request(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<HttpResponse> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) return Promise.reject(new Error('one request at a time'));
    let head = `${method} ${path} HTTP/1.1\r\n`;
    if (!('Host' in headers)) head += `Host: ${this.host}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    if (payload) head += `Content-Length: ${payload.length}\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(payload ? Buffer.concat([Buffer.from(head + '\r\n'), payload]) : head + '\r\n');
    });
  }

  /** Ends the connection (TLS: close_notify, then FIN) without waiting for the peer. */
  end(): void {
    this.failure ??= new Error('connection ended');
    this.socket.end();
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const w = this.waiting;
    if (!w) return;
    if (!w.head) {
      const end = this.buf.indexOf(HEAD_END);
      if (end < 0) return;
      const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0]!.split(' ')[1]);
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      if (headers.has('transfer-encoding')) return this.fail(new Error('chunked answers are not supported'));
      const length = Number(headers.get('content-length') ?? (status === 204 || status === 304 ? 0 : NaN));
      if (!Number.isFinite(length)) return this.fail(new Error(`answer ${status} without Content-Length`));
      w.head = { status, headers, length, start: end + HEAD_END.length };
    }
    const { status, headers, length, start } = w.head;
    if (this.buf.length < start + length) return;
    const body = this.buf.subarray(start, start + length);
    this.buf = this.buf.subarray(start + length);
    this.waiting = undefined;
    w.resolve({ status, headers, body });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(e);
  }
}

function split(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
}
