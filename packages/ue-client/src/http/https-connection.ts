/**
 * HTTPS the way a phone uses it on Ut (TS 24.109 5.2, TS 33.222 5.3.2: server-authenticated TLS, no client
 * certificate): one keep-alive connection at a time, reused across requests, and the TLS session kept across
 * connections so that a new connection resumes it (TLS 1.3 tickets, TLS 1.2 tickets or session ids; Node's
 * https.Agent caches the session per server). Each exchange reports whether it opened a new connection and
 * whether that connection resumed a session (`isSessionReused()` of the socket, not an assumption).
 *
 * The TCP target may differ from the server's name (`connectTo`, like curl --connect-to): SNI and the
 * certificate check use the name, the socket goes to the target. Every header is written by the caller,
 * in order, so what the trace records is what was sent. Bounded: response body size, inactivity time.
 *
 * Not implemented: HTTP/2, client certificates (TS 33.222 5.3.4), PSK-TLS (5.3.3), proxies, redirects.
 */
import { Agent, request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import { httpRequestBytes, httpResponseBytes, type TraceEndpoint, type Tracer } from '@ut-testbed/trace';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface HttpsConnectionOptions {
  /** the server as the client names it: host (SNI, certificate) and port */
  host: string;
  port: number;
  /** where the TCP connection goes when it is not host:port */
  connectTo?: { host: string; port: number };
  /** trust anchors, PEM (default: Node's bundled CAs) */
  ca?: string | Buffer | (string | Buffer)[];
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /** socket inactivity before the exchange fails (default 30 s) */
  timeoutMs?: number;
  /** largest response body accepted (default 4 MiB) */
  maxBodyBytes?: number;
  tracer?: Tracer;
  /** names in trace events (default ue / ap) */
  traceNames?: { client: string; server: string };
}

export interface ExchangeRequest {
  method: string;
  /** request-target (origin-form: path and query) */
  target: string;
  /** every header, in the order to write them */
  headers: [string, string][];
  body?: Buffer;
}

export interface ExchangeResult {
  status: number;
  statusMessage: string;
  /** lower-case names, Node's joined form */
  headers: IncomingMessage['headers'];
  /** every value of every header, lower-case names */
  headersDistinct: Record<string, string[]>;
  body: Buffer;
  /** this exchange opened a new TLS connection */
  newConnection: boolean;
  /** the TLS connection that carried it resumed an earlier session */
  tlsResumed: boolean;
  /** 1, 2, ...: which connection of this client carried it */
  connectionId: number;
  tlsProtocol: string | null;
  cipher: string | undefined;
}

export class HttpsExchangeError extends Error {
  override name = 'HttpsExchangeError';
  constructor(
    message: string,
    readonly code: 'timeout' | 'too-large' | 'network',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export class HttpsConnection {
  readonly #o: HttpsConnectionOptions;
  #agent: Agent;
  readonly #ids = new WeakMap<TLSSocket, number>();
  #connections = 0;
  #socket: TLSSocket | undefined;

  constructor(o: HttpsConnectionOptions) {
    this.#o = o;
    this.#agent = this.#newAgent();
  }

  #newAgent(): Agent {
    return new Agent({
      keepAlive: true,
      // one connection at a time, like a phone's Ut stack
      maxSockets: 1,
      maxFreeSockets: 1,
      ...(this.#o.ca !== undefined ? { ca: this.#o.ca } : {}),
      minVersion: this.#o.minVersion ?? 'TLSv1.2',
      maxVersion: this.#o.maxVersion ?? 'TLSv1.3',
    });
  }

  /** How many TLS connections this client has opened. */
  get connections(): number {
    return this.#connections;
  }

  /** The open connection, if any (for tests: its protocol, cipher, session). */
  get socket(): TLSSocket | undefined {
    return this.#socket;
  }

  async exchange(r: ExchangeRequest): Promise<ExchangeResult> {
    try {
      return await this.#once(r);
    } catch (e) {
      // a kept-alive connection the server closed while the request was on its way: once more, on a new one
      if (e instanceof RetryOnNewConnection) return this.#once(r);
      throw e;
    }
  }

  #once(r: ExchangeRequest): Promise<ExchangeResult> {
    const o = this.#o;
    const target = o.connectTo ?? { host: o.host, port: o.port };
    // RFC 6066 3: SNI carries host names only, never an address
    const servername = isIP(o.host) ? undefined : o.host;
    const options: RequestOptions & { servername?: string } = {
      agent: this.#agent,
      host: target.host,
      port: target.port,
      method: r.method,
      path: r.target,
      headers: Object.fromEntries(r.headers),
      ...(servername !== undefined ? { servername } : {}),
    };
    if (servername === undefined && o.connectTo) {
      // the certificate names the server's address, not the target's
      options.checkServerIdentity = (_host, cert) => checkServerIdentity(o.host, cert);
    }
    const maxBody = o.maxBodyBytes ?? 4 * 1024 * 1024;
    return new Promise<ExchangeResult>((resolve, reject) => {
      let socket: TLSSocket | undefined;
      let reused = false;
      let answered = false;
      const req = request(options);
      req.setTimeout(o.timeoutMs ?? 30_000, () =>
        req.destroy(new HttpsExchangeError(`no answer to ${r.method} ${r.target} in time`, 'timeout')),
      );
      req.on('socket', (s) => {
        socket = s as TLSSocket;
        reused = req.reusedSocket;
        if (!this.#ids.has(socket)) {
          this.#ids.set(socket, ++this.#connections);
          const mine = socket;
          mine.once('close', () => {
            if (this.#socket === mine) this.#socket = undefined;
          });
        }
        this.#socket = socket;
        this.#traceWhenConnected(socket, r);
      });
      req.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBody) {
            req.destroy(new HttpsExchangeError(`response body larger than ${maxBody} bytes`, 'too-large'));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const s = socket!;
          const body = Buffer.concat(chunks);
          this.#traceResponse(s, res, body);
          const cipher = s.getCipher?.();
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            headersDistinct: res.headersDistinct as Record<string, string[]>,
            body,
            newConnection: !reused,
            tlsResumed: s.isSessionReused(),
            connectionId: this.#ids.get(s) ?? 0,
            tlsProtocol: s.getProtocol(),
            cipher: cipher?.standardName ?? cipher?.name,
          });
        });
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof HttpsExchangeError) return reject(e);
        if (reused && !answered && e.code !== undefined && RETRYABLE.has(e.code))
          return reject(new RetryOnNewConnection());
        reject(new HttpsExchangeError(`${r.method} ${r.target}: ${e.message}`, 'network', { cause: e }));
      });
      req.end(r.body);
    });
  }

  #endpoints(s: TLSSocket): { client: TraceEndpoint; server: TraceEndpoint } {
    const names = this.#o.traceNames ?? { client: 'ue', server: 'ap' };
    return {
      client: { name: names.client, host: s.localAddress ?? '', port: s.localPort ?? 0 },
      server: { name: names.server, host: s.remoteAddress ?? '', port: s.remotePort ?? 0 },
    };
  }

  #traceWhenConnected(s: TLSSocket, r: ExchangeRequest): void {
    const tracer = this.#o.tracer;
    if (!tracer?.enabled) return;
    const emit = () => {
      const { client, server } = this.#endpoints(s);
      const request = { method: r.method, url: r.target, httpVersion: '1.1', rawHeaders: r.headers.flat() };
      tracer.emit({
        iface: 'Ut',
        proto: 'http',
        transport: 'tls',
        from: client,
        to: server,
        bytes: httpRequestBytes(request, r.body),
        summary: `${r.method} ${r.target}`,
      });
    };
    // a new connection has no ports before its handshake; the request waits in the socket until then
    if (s.remotePort !== undefined && !s.connecting) emit();
    else s.once('secureConnect', emit);
  }

  #traceResponse(s: TLSSocket, res: IncomingMessage, body: Buffer): void {
    const tracer = this.#o.tracer;
    if (!tracer?.enabled) return;
    const { client, server } = this.#endpoints(s);
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
      pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
    tracer.emit({
      iface: 'Ut',
      proto: 'http',
      transport: 'tls',
      from: server,
      to: client,
      bytes: httpResponseBytes(res.statusCode ?? 0, res.statusMessage ?? '', pairs, body),
      summary: `${res.statusCode} ${res.statusMessage}`,
    });
  }

  /**
   * Ends the open connection (TLS close_notify, then FIN) and waits until it is gone. The session stays
   * cached: the next exchange opens a new connection that resumes it.
   */
  async disconnect(): Promise<void> {
    const s = this.#socket;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      // the agent unrefs an idle kept-alive socket: without this a process with nothing else to do would
      // exit while waiting for the close
      s.ref();
      s.end();
    });
  }

  /** Forgets the cached TLS sessions too: the next connection makes a full handshake. */
  async forgetSessions(): Promise<void> {
    await this.disconnect();
    this.#agent.destroy();
    this.#agent = this.#newAgent();
  }

  close(): void {
    this.#agent.destroy();
    this.#socket = undefined;
  }
}

class RetryOnNewConnection extends Error {}
