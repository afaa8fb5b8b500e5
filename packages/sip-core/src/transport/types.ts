/**
 * What the transports (RFC 3261 section 18) share: addresses, the message handed up with where it came from,
 * the Transport interface the transaction layer sends through, and the options for tracing.
 */
import type { TraceIface, Tracer } from '@ut-testbed/trace';
import type { SipMessage } from '../message';

export type Protocol = 'udp' | 'tcp';

export interface HostPort {
  /** an IP address literal (IPv6 without brackets) or a host name */
  host: string;
  port: number;
}

export interface Target extends HostPort {
  protocol: Protocol;
}

/** Where the responses to a request go: its source, or over the connection it came on. */
export interface ReplyPath {
  source: HostPort;
  /** TCP: the connection it arrived on (responses to it go back over it while it is open) */
  connection?: StreamConnection;
}

/** A message received by a transport, requests with `received`/`rport` already added to the top Via. */
export interface Inbound extends ReplyPath {
  message: SipMessage;
  transport: Transport;
}

/** A TCP connection as the layers above see it. */
export interface StreamConnection {
  readonly open: boolean;
  readonly remote: HostPort;
  readonly local: HostPort;
  /** resolves once the connection is closed, by either end */
  readonly closed: Promise<void>;
}

export interface Transport {
  readonly protocol: Protocol;
  /** true for TCP: no retransmissions, Timers J, K, I at 0 */
  readonly reliable: boolean;
  /** the bound address, which is also the sent-by of the Via this transport's requests carry */
  readonly address: HostPort;
  /** Sends a request (UDP datagram, or over a TCP connection to `to`, opened when there is none). */
  send(message: SipMessage, to: HostPort): Promise<void>;
  /** Sends a response along `path`: over its connection while open, else by RFC 3261 18.2.2 and RFC 3581. */
  respond(response: SipMessage, path: ReplyPath): Promise<void>;
  /**
   * A response made ready to be sent, and sent again, along `path`: the returned function holds only its
   * bytes, where they go and its trace summary (what a completed server transaction keeps for Timer J).
   */
  prepare(response: SipMessage, path: ReplyPath): () => Promise<void>;
  close(): Promise<void>;
}

export interface TransportOptions {
  host: string;
  /** 0: any free port (read `address` after listen) */
  port: number;
  /** receives every well-formed message (bad requests are answered and bad responses dropped here) */
  onMessage: (inbound: Inbound) => void;
  tracer?: Tracer;
  /** the trace interface, e.g. 'Gm' (default 'Gm'), or one by the other end (an AS: ISC from the S-CSCF, Gm else) */
  iface?: TraceIface | ((peer: HostPort) => TraceIface);
  /** the trace name of this end (default 'sip') */
  name?: string;
  /** the trace name of the other end (default 'peer') */
  peerName?: (peer: HostPort) => string;
  /** largest message accepted (default 65,535 octets) */
  maxMessageBytes?: number;
  /** UDP: the socket's receive and send buffer sizes asked of the kernel (default 4 MiB) */
  socketBufferBytes?: number;
}
