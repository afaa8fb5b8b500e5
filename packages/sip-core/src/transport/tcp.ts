/**
 * SIP over TCP (RFC 3261 18): messages framed by Content-Length (stream-framer.ts), CRLFCRLF keep-alives
 * answered with CRLF (RFC 5626 3.5.1), a connection closed after a framing error (its answer sent first
 * when the header section could be read). Connections, accepted or opened, are kept in a table by remote
 * address and reused for requests to that address; each closes after `idleTimeoutMs` without traffic.
 * A response goes back over the connection its request came on while that is open, else over a connection
 * to `received` (or the sent-by host) at the sent-by port (18.2.2).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { SipMessage } from '../message';
import { systemClock, type Clock } from '../transaction/clock';
import { statelessAnswer } from './bad-request';
import { hostPort, receive, TransportTrace } from './receive';
import { StreamFramer, type FramerLimits } from './stream-framer';
import { firstLine, summarize } from './summary';
import type { HostPort, ReplyPath, StreamConnection, Transport, TransportOptions } from './types';
import { normalHost, responseDestination, topVia } from './via';

export interface TcpTransportOptions extends TransportOptions, FramerLimits {
  /** a connection without traffic for this long is closed (default 180 s: above RFC 5626's 120 s keep-alive) */
  idleTimeoutMs?: number;
  /** the clock of the idle timeout (default the system clock) */
  clock?: Clock;
}

const PONG = Buffer.from('\r\n', 'latin1');

function key(a: HostPort): string {
  return `${normalHost(a.host)}|${a.port}`;
}

class TcpConnection implements StreamConnection {
  open = true;
  readonly remote: HostPort;
  readonly local: HostPort;
  readonly closed: Promise<void>;
  private readonly framer: StreamFramer;
  private idle: unknown;

  constructor(
    readonly socket: Socket,
    private readonly owner: TcpTransport,
    limits: FramerLimits,
  ) {
    this.remote = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    this.local = { host: socket.localAddress ?? '', port: socket.localPort ?? 0 };
    this.framer = new StreamFramer(limits);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.open = false;
        this.owner.clock.clearTimeout(this.idle);
        this.owner.forget(this);
        resolve();
      }),
    );
    this.touch();
  }

  /** Restarts the idle timeout. */
  private touch(): void {
    const clock = this.owner.clock;
    clock.clearTimeout(this.idle);
    this.idle = clock.setTimeout(() => this.destroy(), this.owner.idleTimeoutMs);
  }

  private onData(chunk: Buffer): void {
    this.touch();
    for (const out of this.framer.push(chunk)) {
      if (out.kind === 'ping') {
        if (this.open) this.socket.write(PONG);
      } else if (out.kind === 'message') {
        this.owner.onStreamMessage(this, out.bytes);
      } else {
        const summary = `${firstLine(out.head)} [${out.status} ${out.reason}: ${out.phrase}]`;
        this.owner.trace.received(this.local, this.remote, out.head, summary);
        const answer = statelessAnswer(
          out.head,
          out.status,
          out.reason,
          out.phrase,
          this.remote,
          hostPort(this.owner.address),
        );
        if (answer) this.write(answer.bytes, answer.summary).catch(() => undefined);
        this.close();
      }
    }
  }

  write(bytes: Buffer, summary: string): Promise<void> {
    if (!this.open)
      return Promise.reject(new Error(`the TCP connection to ${hostPort(this.remote)} is closed`));
    this.touch();
    this.owner.trace.sent(this.local, this.remote, bytes, summary);
    return new Promise((resolve, reject) =>
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** Closes at once. */
  destroy(): void {
    this.open = false;
    this.owner.clock.clearTimeout(this.idle);
    this.socket.destroy();
  }

  /** Closes after what was written is flushed. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.owner.forget(this);
    this.socket.end(() => this.socket.destroy());
  }
}

export class TcpTransport implements Transport {
  readonly protocol = 'tcp' as const;
  readonly reliable = true;
  readonly trace: TransportTrace;
  readonly clock: Clock;
  readonly idleTimeoutMs: number;
  private readonly table = new Map<string, TcpConnection>();
  private readonly opening = new Map<string, Promise<TcpConnection>>();
  private readonly all = new Set<TcpConnection>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly address: HostPort,
    private readonly options: TcpTransportOptions,
  ) {
    this.trace = new TransportTrace('tcp', options);
    this.clock = options.clock ?? systemClock;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 180_000;
    server.on('connection', (socket) => this.adopt(socket));
  }

  /** Listens on host:port (port 0: any free port). */
  static listen(options: TcpTransportOptions): Promise<TcpTransport> {
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        const a = server.address();
        if (a === null || typeof a === 'string') return reject(new Error('not a TCP address'));
        resolve(new TcpTransport(server, { host: a.address, port: a.port }, options));
      });
    });
  }

  /** The open connections, by remote address. */
  get connections(): readonly StreamConnection[] {
    return [...this.table.values()];
  }

  private limits(): FramerLimits {
    return {
      maxMessageBytes: this.options.maxMessageBytes ?? 65_535,
      ...(this.options.maxHeaderBytes !== undefined ? { maxHeaderBytes: this.options.maxHeaderBytes } : {}),
    };
  }

  private adopt(socket: Socket): TcpConnection {
    const c = new TcpConnection(socket, this, this.limits());
    if (this.closed) {
      socket.destroy();
      return c;
    }
    this.all.add(c);
    this.table.set(key(c.remote), c);
    return c;
  }

  /** @internal called by a connection that closed */
  forget(c: TcpConnection): void {
    this.all.delete(c);
    if (this.table.get(key(c.remote)) === c) this.table.delete(key(c.remote));
  }

  /** @internal one framed message from a connection */
  onStreamMessage(c: TcpConnection, bytes: Buffer): void {
    const r = receive(bytes, 'stream', c.remote, this.address, this.options.maxMessageBytes ?? 65_535);
    this.trace.received(c.local, c.remote, bytes, r.summary);
    if (r.kind === 'answer') c.write(r.answer.bytes, r.answer.summary).catch(() => undefined);
    else if (r.kind === 'message')
      this.options.onMessage({ message: r.message, transport: this, source: c.remote, connection: c });
  }

  /** The open connection to `to`, or a new one. */
  private connection(to: HostPort): Promise<TcpConnection> {
    if (this.closed) return Promise.reject(new Error('the TCP transport is closed'));
    const k = key(to);
    const open = this.table.get(k);
    if (open?.open) return Promise.resolve(open);
    const pending = this.opening.get(k);
    if (pending) return pending;
    const p = new Promise<TcpConnection>((resolve, reject) => {
      const socket = connect({ host: to.host, port: to.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const c = this.adopt(socket);
        if (this.closed) reject(new Error('the TCP transport is closed'));
        else resolve(c);
      });
    }).finally(() => this.opening.delete(k));
    this.opening.set(k, p);
    return p;
  }

  async send(message: SipMessage, to: HostPort): Promise<void> {
    const c = await this.connection(to);
    await c.write(message.toBuffer(), summarize(message));
  }

  respond(response: SipMessage, path: ReplyPath): Promise<void> {
    return this.prepare(response, path)();
  }

  prepare(response: SipMessage, path: ReplyPath): () => Promise<void> {
    const bytes = response.toBuffer();
    const summary = summarize(response);
    const c = path.connection;
    const via = topVia(response);
    const to = via ? responseDestination(via, true) : path.source;
    return async () => {
      if (c instanceof TcpConnection && c.open && this.all.has(c)) return c.write(bytes, summary);
      await (await this.connection(to)).write(bytes, summary);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.all]) c.destroy();
    this.all.clear();
    this.table.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
