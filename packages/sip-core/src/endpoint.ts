/**
 * A SIP endpoint: transports (UDP, TCP), the transaction layer (non-INVITE client and server transactions,
 * INVITE server transactions that reject) and the part of a UAS core every method shares. A request reaches
 * `onRequest` once, with a handle to answer it; retransmissions are the transactions'. Requests the endpoint
 * answers itself: 400 without To, From, CSeq or Call-ID; 405 + Allow for a method it knows but is not in
 * `allow` (INVITE always: these endpoints serve presence and messaging, never sessions), 501 Not Implemented
 * + Allow for a method name it does not recognise (RFC 3261 21.5.2); 416, 420 + Unsupported
 * (RFC 3261 8.2); CANCEL (200 when it matches a transaction, else 481: RFC 3261 9.2). ACKs are absorbed by
 * the INVITE transaction they acknowledge, others dropped. Outgoing non-INVITE requests get a fresh branch
 * and this end's Via (with `rport`); `request()` resolves with the final response, or a 408 built here when
 * Timer F fires (RFC 4320: none comes from the network), or a 503 built here on a transport error (8.1.3.1).
 */
import type { TraceIface, Tracer } from '@ut-testbed/trace';
import { checkRequest } from './check';
import { SipMessage } from './message';
import { systemClock, type Clock } from './transaction/clock';
import { newBranch, newCallId, newTag } from './transaction/ids';
import { CompletedTransactions, type CompletedTransaction } from './transaction/completed';
import { InviteServerTransaction } from './transaction/invite-server';
import { ack2543Key, cancelKey, clientKey, responseKey, serverKey } from './transaction/match';
import { NonInviteClientTransaction } from './transaction/non-invite-client';
import { NonInviteServerTransaction } from './transaction/non-invite-server';
import { buildResponse, type ExtraHeaders } from './transaction/response';
import { timerValues, type TimerValues } from './transaction/timers';
import { hostPort } from './transport/receive';
import { TcpTransport } from './transport/tcp';
import type {
  HostPort,
  Inbound,
  Protocol,
  ReplyPath,
  StreamConnection,
  Target,
  Transport,
  TransportOptions,
} from './transport/types';
import { UdpTransport } from './transport/udp';
import { topVia } from './transport/via';
import { parseCSeq } from './validate';

/** Methods of RFC 3261 and its extensions: not in `allow` they get 405; any other method gets 501. */
export const KNOWN_METHODS: readonly string[] = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
];

/** What `onRequest` answers a request with. */
export interface ServerTransactionHandle {
  readonly request: SipMessage;
  /** where the request came from */
  readonly source: Target;
  /** TCP: the connection it came on (a dialog it creates sends its requests back over it while open) */
  readonly connection?: StreamConnection;
  /** the To tag this end's responses get when the request has none (a UAS dialog's local tag) */
  readonly tag: string;
  /**
   * Builds the response from the request (Via, From, To with this end's tag, Call-ID, CSeq, the headers
   * given, Content-Length) and sends it. Returns it, or undefined when it was not sent (a final response was
   * sent already, the transaction is over, or a 100 on UDP before RFC 4320 allows one). Throws a RangeError
   * for a 101-199 or a 408 (RFC 4320).
   */
  respond(
    status: number,
    reason: string,
    extraHeaders?: ExtraHeaders,
    body?: Buffer | string,
  ): SipMessage | undefined;
}

export interface EndpointOptions {
  transports: { protocol: Protocol; host: string; port: number }[];
  /** methods passed to onRequest (not INVITE, ACK or CANCEL, which the endpoint handles) */
  allow: string[];
  onRequest(request: SipMessage, tx: ServerTransactionHandle): void | Promise<void>;
  /** an exception or rejection from onRequest (the request is answered 500 if it was not answered) */
  onError?(error: unknown, request: SipMessage): void;
  /** option-tags this endpoint supports (a Require of others gets 420) */
  supported?: string[];
  clock?: Clock;
  t1?: number;
  t2?: number;
  t4?: number;
  tracer?: Tracer;
  iface?: TraceIface | ((peer: HostPort) => TraceIface);
  name?: string;
  peerName?: (peer: HostPort) => string;
  /** TCP connections without traffic for this long are closed (default 180 s) */
  tcpIdleTimeoutMs?: number;
  /** UDP socket buffers asked of the kernel (default 4 MiB, see DEFAULT_UDP_BUFFER_BYTES) */
  udpBufferBytes?: number;
}

export interface RequestOptions {
  /** each provisional response */
  onProvisional?(response: SipMessage): void;
}

export interface Endpoint {
  /** the bound addresses, in the order of `transports` */
  readonly addresses: readonly Target[];
  readonly timers: Readonly<TimerValues>;
  /**
   * Sends a non-INVITE request (a copy, with this end's Via on top, Max-Forwards 70 if absent and its
   * Content-Length) in a client transaction; resolves with its final response.
   */
  request(msg: SipMessage, target: Target, options?: RequestOptions): Promise<SipMessage>;
  close(): Promise<void>;
}

type ServerTx = NonInviteServerTransaction | InviteServerTransaction;

/**
 * A server transaction for `m`. Its own function so that the closures a transaction keeps until Timer J ends
 * (the reply path, the end callback) do not share a closure scope with the request: a non-INVITE transaction
 * then keeps its last response and where to send it, not the request it answered (at thousands of PUBLISHes
 * a second, 32 s of requests is most of the heap).
 */
function openServerTransaction(
  m: SipMessage,
  inbound: Inbound,
  clock: Clock,
  timers: TimerValues,
  terminated: (tx: ServerTx) => void,
  completed: (tx: ServerTx, again: () => Promise<void>) => boolean,
): ServerTx {
  const transport = inbound.transport;
  const path: ReplyPath = {
    source: inbound.source,
    ...(inbound.connection ? { connection: inbound.connection } : {}),
  };
  const ctx = {
    clock,
    timers,
    reliable: transport.reliable,
    send: (r: SipMessage) => transport.respond(r, path),
    prepare: (r: SipMessage) => transport.prepare(r, path),
    complete: (again: () => Promise<void>) => completed(tx, again),
  };
  const tx: ServerTx =
    m.method === 'INVITE'
      ? new InviteServerTransaction(m, ctx, { terminated: () => terminated(tx) })
      : new NonInviteServerTransaction(ctx, () => terminated(tx));
  return tx;
}

export async function createEndpoint(o: EndpointOptions): Promise<Endpoint> {
  for (const m of ['INVITE', 'ACK', 'CANCEL'])
    if (o.allow.includes(m)) throw new TypeError(`${m} in allow: the endpoint handles ${m} itself`);
  const clock = o.clock ?? systemClock;
  const timers = timerValues(o);
  const allow = new Set(o.allow);
  const allowHeader = [...o.allow, 'CANCEL'].join(', ');
  // a live transaction, or what is left of a completed non-INVITE one for Timer J
  const servers = new Map<string, ServerTx | CompletedTransaction>();
  const cancellable = new Map<string, ServerTx | CompletedTransaction>();
  const completed = new CompletedTransactions(clock, 64 * timers.t1, (c) => {
    if (servers.get(c.key) === c) servers.delete(c.key);
    if (c.cancelKey !== undefined && cancellable.get(c.cancelKey) === c) cancellable.delete(c.cancelKey);
  });
  const clients = new Map<string, { tx: NonInviteClientTransaction; reject: (e: Error) => void }>();
  let closed = false;

  const transports: Transport[] = [];
  const common: Omit<TransportOptions, 'host' | 'port'> = {
    onMessage: (inbound) => {
      if (!closed) onMessage(inbound);
    },
    ...(o.tracer ? { tracer: o.tracer } : {}),
    ...(o.iface ? { iface: o.iface } : {}),
    ...(o.name ? { name: o.name } : {}),
    ...(o.peerName ? { peerName: o.peerName } : {}),
  };
  try {
    for (const t of o.transports) {
      const base = { ...common, host: t.host, port: t.port };
      transports.push(
        t.protocol === 'udp'
          ? await UdpTransport.listen({
              ...base,
              ...(o.udpBufferBytes !== undefined ? { socketBufferBytes: o.udpBufferBytes } : {}),
            })
          : await TcpTransport.listen({
              ...base,
              clock,
              ...(o.tcpIdleTimeoutMs !== undefined ? { idleTimeoutMs: o.tcpIdleTimeoutMs } : {}),
            }),
      );
    }
  } catch (e) {
    await Promise.all(transports.map((t) => t.close()));
    throw e;
  }

  function onMessage(inbound: Inbound): void {
    const m = inbound.message;
    if (m.kind === 'response') {
      const key = responseKey(m);
      if (key !== undefined) clients.get(key)?.tx.receive(m);
      return;
    }
    if (!topVia(m)) return; // nowhere to answer
    const key = serverKey(m);
    const existing = servers.get(key);
    if (m.method === 'ACK') {
      if (existing instanceof InviteServerTransaction) existing.receiveAck();
      return;
    }
    if (existing instanceof NonInviteServerTransaction || existing instanceof InviteServerTransaction) {
      existing.receiveRequest();
      return;
    }
    if (existing) {
      existing.again().catch(() => undefined);
      return;
    }
    serve(m, key, inbound);
  }

  /** The keys each live server transaction is filed under, to unfile it when it ends. */
  const filed = new Map<ServerTx, { keys: string[]; cKey: string | undefined }>();
  const forget = (tx: ServerTx) => {
    const f = filed.get(tx);
    if (!f) return;
    filed.delete(tx);
    for (const k of f.keys) if (servers.get(k) === tx) servers.delete(k);
    if (f.cKey !== undefined && cancellable.get(f.cKey) === tx) cancellable.delete(f.cKey);
  };
  /** A completed non-INVITE transaction hands its Timer J to `completed` (see CompletedTransactions). */
  const handOff = (tx: ServerTx, again: () => Promise<void>): boolean => {
    const f = filed.get(tx);
    // only a non-INVITE transaction completes this way: it is filed under its one key
    if (!f) return false;
    const c = completed.add(again, f.keys[0]!, f.cKey);
    servers.set(c.key, c);
    if (c.cancelKey !== undefined && cancellable.get(c.cancelKey) === tx) cancellable.set(c.cancelKey, c);
    return true;
  };

  function serve(m: SipMessage, key: string, inbound: Inbound): void {
    const tx = openServerTransaction(m, inbound, clock, timers, forget, handOff);
    const keys = [key];
    const cKey = m.method === 'CANCEL' ? undefined : cancelKey(m);
    filed.set(tx, { keys, cKey });
    servers.set(key, tx);
    if (cKey !== undefined) cancellable.set(cKey, tx);
    const tag = newTag();
    if (tx instanceof InviteServerTransaction) {
      const alias = ack2543Key(m, tag);
      if (alias !== undefined) {
        keys.push(alias);
        servers.set(alias, tx);
      }
    }
    const handle: ServerTransactionHandle = {
      request: m,
      source: { protocol: inbound.transport.protocol, ...inbound.source },
      ...(inbound.connection ? { connection: inbound.connection } : {}),
      tag,
      respond(status, reason, extraHeaders, body) {
        const r = buildResponse(m, status, reason, {
          tag,
          ...(extraHeaders ? { headers: extraHeaders } : {}),
          ...(body !== undefined ? { body } : {}),
        });
        return tx.respond(r) ? r : undefined;
      },
    };
    dispatch(m, handle);
  }

  function dispatch(m: SipMessage, tx: ServerTransactionHandle): void {
    const method = m.method!;
    const check = checkRequest(m, { supportedOptions: o.supported ?? [] });
    const warning = (phrase: string): [string, string][] => [
      ['Warning', `399 ${hostPort(transports[0]!.address)} "${phrase.replace(/["\\]/g, "'")}"`],
    ];
    if (!check.ok && check.status === 400) {
      tx.respond(400, check.reason, warning(check.phrase));
    } else if (method === 'CANCEL') {
      if (cancellable.has(cancelKey(m))) tx.respond(200, 'OK');
      else tx.respond(481, 'Call/Transaction Does Not Exist');
    } else if (!allow.has(method)) {
      if (KNOWN_METHODS.includes(method)) tx.respond(405, 'Method Not Allowed', [['Allow', allowHeader]]);
      else tx.respond(501, 'Not Implemented', [['Allow', allowHeader]]);
    } else if (!check.ok) {
      tx.respond(
        check.status,
        check.reason,
        check.unsupported ? [['Unsupported', check.unsupported.join(', ')]] : [],
      );
    } else {
      const fail = (error: unknown) => {
        o.onError?.(error, m);
        tx.respond(500, 'Server Internal Error');
      };
      try {
        const r = o.onRequest(m, tx);
        if (r) r.catch(fail);
      } catch (error) {
        fail(error);
      }
    }
  }

  function request(msg: SipMessage, target: Target, options: RequestOptions = {}): Promise<SipMessage> {
    if (closed) return Promise.reject(new Error('the endpoint is closed'));
    const method = msg.method;
    if (method === undefined) return Promise.reject(new TypeError('not a request'));
    if (method === 'INVITE' || method === 'ACK')
      return Promise.reject(new TypeError(`${method}: only non-INVITE client transactions are implemented`));
    const missing = ['From', 'To', 'Call-ID', 'CSeq'].filter((h) => msg.get(h) === undefined);
    if (missing.length > 0) return Promise.reject(new TypeError(`the request has no ${missing.join(', ')}`));
    let cseq: { method: string };
    try {
      cseq = parseCSeq(msg.get('CSeq')!);
    } catch (e) {
      return Promise.reject(e);
    }
    if (cseq.method !== method)
      return Promise.reject(new TypeError(`the CSeq method ${cseq.method} is not the request's ${method}`));
    const transport = transports.find((t) => t.protocol === target.protocol);
    if (!transport) return Promise.reject(new Error(`no ${target.protocol} transport`));
    const copy = new SipMessage(
      msg.start,
      msg.headers.map((h) => ({ ...h })),
      msg.body,
    );
    const branch = newBranch();
    const via = `SIP/2.0/${transport.protocol.toUpperCase()} ${hostPort(transport.address)};branch=${branch};rport`;
    if (copy.get('Via') === undefined) copy.headers.unshift({ name: 'Via', value: via });
    else copy.prepend('Via', via);
    if (copy.get('Max-Forwards') === undefined) copy.set('Max-Forwards', '70');
    copy.set('Content-Length', String(copy.body.length));
    const key = clientKey(branch, method);
    return new Promise<SipMessage>((resolve, reject) => {
      const tx = new NonInviteClientTransaction(
        copy,
        { clock, timers, reliable: transport.reliable, send: (m) => transport.send(m, target) },
        {
          ...(options.onProvisional ? { provisional: options.onProvisional } : {}),
          final: resolve,
          timeout: () => resolve(buildResponse(copy, 408, 'Request Timeout')),
          transportError: (e) =>
            resolve(
              buildResponse(copy, 503, 'Service Unavailable', {
                headers: [
                  ['Warning', `399 ${hostPort(transport.address)} "${String(e).replace(/["\\]/g, "'")}"`],
                ],
              }),
            ),
          terminated: () => {
            if (clients.get(key)?.tx === tx) clients.delete(key);
          },
        },
      );
      clients.set(key, { tx, reject });
      tx.start();
    });
  }

  return {
    addresses: transports.map((t) => ({ protocol: t.protocol, ...t.address })),
    timers,
    request,
    async close() {
      if (closed) return;
      closed = true;
      for (const { tx, reject } of [...clients.values()]) {
        const pending = tx.state === 'trying' || tx.state === 'proceeding';
        tx.end();
        if (pending) reject(new Error('the endpoint is closed'));
      }
      clients.clear();
      for (const tx of [...filed.keys()]) tx.end();
      servers.clear();
      cancellable.clear();
      filed.clear();
      completed.clear();
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}

/** A new request with From (a tag added if it has none), To, Call-ID (fresh if not given), CSeq and Max-Forwards 70. */
export function createRequest(o: {
  method: string;
  uri: string;
  from: string;
  to: string;
  callId?: string;
  cseq?: number;
  headers?: ExtraHeaders;
  body?: Buffer | string;
}): SipMessage {
  const body = typeof o.body === 'string' ? Buffer.from(o.body, 'utf8') : (o.body ?? Buffer.alloc(0));
  const from = /;[ \t]*tag[ \t]*=/i.test(o.from) ? o.from : `${o.from};tag=${newTag()}`;
  const fields = [
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: from },
    { name: 'To', value: o.to },
    { name: 'Call-ID', value: o.callId ?? newCallId() },
    { name: 'CSeq', value: `${o.cseq ?? 1} ${o.method}` },
    ...(o.headers ?? []).map(([name, value]) => ({ name, value })),
    { name: 'Content-Length', value: String(body.length) },
  ];
  return new SipMessage({ kind: 'request', method: o.method, uri: o.uri, version: 'SIP/2.0' }, fields, body);
}
