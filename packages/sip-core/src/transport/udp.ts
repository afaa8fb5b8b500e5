/**
 * SIP over UDP (RFC 3261 18): one message per datagram; requests sent to the target, responses by the
 * response's top Via (18.2.2 with RFC 3581: `received` host, `rport` port). Datagrams holding only line ends
 * (keep-alives) are ignored.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { SipMessage } from '../message';
import { receive, TransportTrace } from './receive';
import { summarize } from './summary';
import type { HostPort, Inbound, ReplyPath, Transport, TransportOptions } from './types';
import { responseDestination, topVia } from './via';

/** What a UDP transport asks of the kernel for each socket buffer unless told otherwise. */
export const DEFAULT_UDP_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  private readonly trace: TransportTrace;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly address: HostPort,
    private readonly options: TransportOptions,
  ) {
    this.trace = new TransportTrace('udp', options);
    socket.on('message', (bytes, rinfo) => this.onDatagram(bytes, { host: rinfo.address, port: rinfo.port }));
    // send errors are reported to the sender; a socket error without a sender is not fatal
    socket.on('error', () => undefined);
  }

  /** The socket's receive buffer as the kernel granted it (Linux reports twice what it keeps for data). */
  get receiveBufferBytes(): number {
    return this.socket.getRecvBufferSize();
  }

  /** Binds host:port (port 0: any free port). */
  static listen(options: TransportOptions): Promise<UdpTransport> {
    // a burst (a fan-out's 200s, a load generator) must not overflow the kernel's default buffer (~200 KB,
    // a hundred PUBLISHes) while the event loop is busy or collecting garbage; the kernel caps the size
    // at net.core.rmem_max / wmem_max
    const size = options.socketBufferBytes ?? DEFAULT_UDP_BUFFER_BYTES;
    const socket = createSocket({
      type: isIPv6(options.host) ? 'udp6' : 'udp4',
      recvBufferSize: size,
      sendBufferSize: size,
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, options.host, () => {
        socket.off('error', reject);
        const a = socket.address();
        resolve(new UdpTransport(socket, { host: a.address, port: a.port }, options));
      });
    });
  }

  private onDatagram(bytes: Buffer, source: HostPort): void {
    if (bytes.every((c) => c === 0x0d || c === 0x0a)) return;
    const r = receive(bytes, 'datagram', source, this.address, this.options.maxMessageBytes ?? 65_535);
    this.trace.received(this.address, source, bytes, r.summary);
    if (r.kind === 'answer') {
      const to = r.answer.via ? responseDestination(r.answer.via, false) : source;
      this.sendBytes(r.answer.bytes, to, r.answer.summary).catch(() => undefined);
    } else if (r.kind === 'message') {
      const inbound: Inbound = { message: r.message, transport: this, source };
      this.options.onMessage(inbound);
    }
  }

  private sendBytes(bytes: Buffer, to: HostPort, summary: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the UDP transport is closed'));
    this.trace.sent(this.address, to, bytes, summary);
    return new Promise((resolve, reject) => {
      this.socket.send(bytes, to.port, to.host, (err) => (err ? reject(err) : resolve()));
    });
  }

  send(message: SipMessage, to: HostPort): Promise<void> {
    return this.sendBytes(message.toBuffer(), to, summarize(message));
  }

  respond(response: SipMessage, path: ReplyPath): Promise<void> {
    return this.prepare(response, path)();
  }

  prepare(response: SipMessage, path: ReplyPath): () => Promise<void> {
    const via = topVia(response);
    const bytes = response.toBuffer();
    const to = via ? responseDestination(via, false) : path.source;
    const summary = summarize(response);
    return () => this.sendBytes(bytes, to, summary);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
