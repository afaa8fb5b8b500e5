/**
 * What a transport does with the bytes of one received message, UDP and TCP alike: parse it; stamp a
 * request's top Via (18.2.1, RFC 3581); check a response's top Via is ours (18.1.2); answer a bad request
 * statelessly and drop a bad response (RFC 3261 18.3, RFC 4475). Also the trace of every message.
 */
import { noopTracer, type TraceIface, type Tracer } from '@ut-testbed/trace';
import type { SipMessage } from '../message';
import { parseMessage, type Framing } from '../parse';
import { statelessAnswer, type StatelessAnswer } from './bad-request';
import { firstLine, summarize } from './summary';
import type { HostPort, Protocol, TransportOptions } from './types';
import { isOurVia, stampTopVia, topVia } from './via';

export type Received =
  | { kind: 'message'; message: SipMessage; summary: string }
  /** a bad request with the answer to send back */
  | { kind: 'answer'; answer: StatelessAnswer; summary: string }
  | { kind: 'drop'; summary: string };

export function receive(
  bytes: Buffer,
  framing: Framing,
  source: HostPort,
  sentBy: HostPort,
  maxBytes: number,
): Received {
  const r = parseMessage(bytes, { framing, maxBytes });
  if (!r.ok) {
    const summary = `${firstLine(bytes)} [${r.status} ${r.reason}: ${r.phrase}]`;
    if (r.kind === 'response') return { kind: 'drop', summary };
    const answer = statelessAnswer(bytes, r.status, r.reason, r.phrase, source, hostPort(sentBy));
    return answer ? { kind: 'answer', answer, summary } : { kind: 'drop', summary };
  }
  const m = r.message;
  const summary = summarize(m);
  if (m.kind === 'request') {
    stampTopVia(m, source);
    return { kind: 'message', message: m, summary };
  }
  const via = topVia(m);
  if (!via || !isOurVia(via, sentBy)) return { kind: 'drop', summary: `${summary} [not our Via]` };
  return { kind: 'message', message: m, summary };
}

export function hostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Emits the trace events of one transport. */
export class TransportTrace {
  private readonly tracer: Tracer;
  private readonly iface: (peer: HostPort) => TraceIface;
  private readonly name: string;
  private readonly peerName: (peer: HostPort) => string;

  constructor(
    private readonly transport: Protocol,
    o: Pick<TransportOptions, 'tracer' | 'iface' | 'name' | 'peerName'>,
  ) {
    this.tracer = o.tracer ?? noopTracer;
    const iface = o.iface ?? 'Gm';
    this.iface = typeof iface === 'function' ? iface : () => iface;
    this.name = o.name ?? 'sip';
    this.peerName = o.peerName ?? (() => 'peer');
  }

  sent(local: HostPort, remote: HostPort, bytes: Buffer, summary: string): void {
    if (!this.tracer.enabled) return;
    this.tracer.emit({
      iface: this.iface(remote),
      proto: 'sip',
      transport: this.transport,
      from: { name: this.name, host: local.host, port: local.port },
      to: { name: this.peerName(remote), host: remote.host, port: remote.port },
      bytes,
      summary,
    });
  }

  received(local: HostPort, remote: HostPort, bytes: Buffer, summary: string): void {
    if (!this.tracer.enabled) return;
    this.tracer.emit({
      iface: this.iface(remote),
      proto: 'sip',
      transport: this.transport,
      from: { name: this.peerName(remote), host: remote.host, port: remote.port },
      to: { name: this.name, host: local.host, port: local.port },
      bytes,
      summary,
    });
  }
}
