/**
 * One Diameter transport connection and the peer state machine of RFC 6733 section 5.6 on it, for either
 * role: the initiator connects, sends CER and waits for CEA (Wait-I-CEA -> I-Open); the responder waits
 * for CER, answers CEA (-> R-Open). Once open: the RFC 3539 watchdog, DWR/DWA, DPR/DPA, request/answer
 * correlation by Hop-by-Hop id with per-request timeouts and a bound on requests in flight, and dispatch
 * of application requests to the owner. Every message in and out becomes a trace event.
 *
 * Election (Wait-Conn-Ack/Elect, Wait-Returns) is not modelled: a node here is either the initiator
 * (a client) or the responder (a server) towards a given peer, never both.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Tracer, TraceIface } from '@ut-testbed/trace';
import {
  buildCea,
  buildCer,
  buildDpa,
  buildDpr,
  buildDwa,
  buildDwr,
  buildErrorAnswer,
  CMD_CAPABILITIES_EXCHANGE,
  CMD_DEVICE_WATCHDOG,
  CMD_DISCONNECT_PEER,
  DISCONNECT_CAUSE,
  readCapabilities,
  type Capabilities,
} from '../builders/base';
import { getNumber, getString } from '../builders/avp';
import { protocolError, RESULT_CODES, type ProtocolError } from '../codec/errors';
import { FLAG_ERROR, FLAG_REQUEST } from '../codec/header';
import { decodeMessage, encodeMessage, type DiameterMessage } from '../codec/message';
import { APPLICATION_COMMON } from '../dictionary';
import { DiameterFramer } from '../framer';
import { checkGrammar } from '../grammar';
import { summarize } from '../summary';
import { EndToEndIds, HopByHopIds } from './identifiers';
import { commonApplications, localCapabilities, type LocalPeer } from './local';
import type { TimerHandle, Timers } from './timers';
import { Watchdog, type WatchdogState } from './watchdog';

/** `Refused`: the responder sent a CEA with an error; it drops whatever else arrives and closes once the CEA is out. */
export type PeerState = 'Wait-I-CEA' | 'Wait-CER' | 'I-Open' | 'R-Open' | 'Refused' | 'Closing' | 'Closed';

/** pino-compatible subset */
export interface PeerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentLogger: PeerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};

export interface PeerTrace {
  tracer: Tracer;
  /** the interface to record, or how to tell it from the message (one connection may carry Cx and Zh) */
  iface: TraceIface | ((m: DiameterMessage | undefined) => TraceIface);
  /** the name of this node in the ladder, e.g. "ap" */
  localName: string;
  /** the name of the other end; default: its Origin-Host once known */
  remoteName?: string;
}

/**
 * The owner's handler for requests of an application in common. CER, DWR and DPR are handled here; any
 * other request with Application-Id 0 (common messages) is answered 3001 COMMAND_UNSUPPORTED, one for an
 * application that is not common 3007, and one beyond `maxIncoming` in progress 3004 TOO_BUSY, all
 * without the handler. `error` is the first protocol error the decoder or the command grammar found
 * (requests in any AVP order are fine; only Session-Id must come first); the handler may build its own
 * answer for it (e.g. an MAA carrying 5005). Returning undefined answers with the RFC 6733 7.2
 * answer-message (for `error`) or 3001 COMMAND_UNSUPPORTED; a handler that throws, or an answer that
 * cannot be encoded, gives a 5012 answer-message.
 */
export type RequestHandler = (
  request: DiameterMessage,
  connection: PeerConnection,
  error: ProtocolError | undefined,
) => Promise<DiameterMessage | undefined> | DiameterMessage | undefined;

export interface ConnectionOptions {
  socket: Socket;
  role: 'initiator' | 'responder';
  local: LocalPeer;
  timers: Timers;
  /** watchdog Tw, ms */
  tw: number;
  twJitter?: number;
  /** a connection made again after a failure starts in REOPEN (RFC 3539) */
  reopened?: boolean;
  reopenDwas?: number;
  /** how long to wait for CER (responder) or CEA (initiator), ms */
  capabilitiesTimeout?: number;
  /** how long a request waits for its answer, ms */
  requestTimeout?: number;
  maxInFlight?: number;
  /** requests from the peer being processed at once (handler pending); beyond it 3004 TOO_BUSY (default 1024) */
  maxIncoming?: number;
  /** bytes waiting to be written above which the socket stops reading until it drains (default 4 MiB) */
  maxWriteBuffer?: number;
  /** largest message accepted, by the framer and the decoder alike (default 1 MiB) */
  maxMessageLength?: number;
  /** responder: peers allowed to connect (by Origin-Host); default any (DESIGN section 11) */
  allowPeer?: (remote: Capabilities) => boolean;
  onRequest?: RequestHandler;
  trace?: PeerTrace;
  logger?: PeerLogger;
}

export const DEFAULT_MAX_INCOMING = 1024;
export const DEFAULT_MAX_WRITE_BUFFER = 4 * 1024 * 1024;

const DISCONNECT_CAUSE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(DISCONNECT_CAUSE).map(([k, v]) => [v, k]),
);

export class DiameterRequestError extends Error {
  override name = 'DiameterRequestError';
  constructor(
    message: string,
    readonly code: 'timeout' | 'closed' | 'busy' | 'not-open' | 'malformed-answer',
    readonly protocolError?: ProtocolError,
  ) {
    super(message);
  }
}

interface Outstanding {
  resolve: (m: DiameterMessage) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

export class PeerConnection extends EventEmitter<{
  open: [remote: Capabilities];
  close: [reason: string];
  watchdog: [state: WatchdogState];
}> {
  private stateValue: PeerState;
  private readonly framer: DiameterFramer;
  private readonly hbh = new HopByHopIds();
  private readonly e2e = new EndToEndIds();
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly watchdog: Watchdog;
  private readonly logger: PeerLogger;
  private capsTimer: TimerHandle | undefined;
  private dprTimer: TimerHandle | undefined;
  private dpaWaiter: (() => void) | undefined;
  /** why the transport is about to close (CEA refusal, DPR from the peer): the reason once it does */
  private endingReason: string | undefined;
  private peerCause: number | undefined;
  private incoming = 0;
  private readingPaused = false;
  private closeReason = '';
  private remoteCaps: Capabilities | undefined;
  /** the peer's Origin-Host from its CER/CEA, known before the exchange completes (for trace names) */
  private remoteHost: string | undefined;
  private common: number[] = [];
  readonly closed: Promise<string>;
  /** what this node advertises, computed once from the LocalPeer */
  private readonly caps: Capabilities;

  constructor(private readonly o: ConnectionOptions) {
    super();
    this.logger = o.logger ?? silentLogger;
    this.caps = localCapabilities(o.local);
    this.framer = new DiameterFramer(o.maxMessageLength ? { maxMessageLength: o.maxMessageLength } : {});
    this.stateValue = o.role === 'initiator' ? 'Wait-I-CEA' : 'Wait-CER';
    this.closed = new Promise((resolve) => this.once('close', resolve));
    this.watchdog = new Watchdog({
      tw: o.tw,
      ...(o.twJitter !== undefined ? { jitter: o.twJitter } : {}),
      ...(o.reopenDwas !== undefined ? { reopenDwas: o.reopenDwas } : {}),
      timers: o.timers,
      sendWatchdog: () => this.sendRaw(buildDwr({ ...this.identity(), ...this.ids() })),
      closeConnection: () => this.destroy('watchdog: no answer from the peer'),
      onState: (s) => this.emit('watchdog', s),
    });
    const s = o.socket;
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('error', (e) => this.destroy(this.endingReason ?? `socket error: ${e.message}`));
    s.on('close', () => this.destroy(this.endingReason ?? 'connection closed by the peer'));
    s.on('drain', () => {
      if (!this.readingPaused) return;
      this.readingPaused = false;
      s.resume();
    });
    this.capsTimer = o.timers.setTimeout(
      () => this.destroy(`no ${o.role === 'initiator' ? 'CEA' : 'CER'} in time`),
      o.capabilitiesTimeout ?? 10_000,
    );
    if (o.role === 'initiator') this.sendRaw(buildCer({ ...this.caps, ...this.ids() }));
  }

  get state(): PeerState {
    return this.stateValue;
  }

  /** RFC 3539 state: OKAY means the peer may carry application traffic. */
  get watchdogState(): WatchdogState {
    return this.watchdog.state;
  }

  /** The peer's capabilities, once exchanged. */
  get remote(): Capabilities | undefined {
    return this.remoteCaps;
  }

  get commonApplications(): readonly number[] {
    return this.common;
  }

  get isOpen(): boolean {
    return this.stateValue === 'I-Open' || this.stateValue === 'R-Open';
  }

  /** The Disconnect-Cause of the DPR the peer sent (RFC 6733 5.4.3), if it sent one. */
  get peerDisconnectCause(): number | undefined {
    return this.peerCause;
  }

  /** Bytes written to the socket and not yet handed to the kernel. */
  get writeBuffered(): number {
    return this.o.socket.writableLength;
  }

  /** Requests from the peer being processed now. */
  get incomingRequests(): number {
    return this.incoming;
  }

  /** Sends a request and resolves with its answer. Hop-by-Hop and End-to-End ids are assigned here. */
  request(m: DiameterMessage): Promise<DiameterMessage> {
    if (!this.isOpen)
      return Promise.reject(new DiameterRequestError(`connection is ${this.state}`, 'not-open'));
    if (this.outstanding.size >= (this.o.maxInFlight ?? 256)) {
      return Promise.reject(new DiameterRequestError('too many requests in flight', 'busy'));
    }
    const msg = { ...m, flags: m.flags | FLAG_REQUEST, ...this.ids() };
    return new Promise<DiameterMessage>((resolve, reject) => {
      const timer = this.o.timers.setTimeout(() => {
        this.outstanding.delete(msg.hopByHop);
        reject(new DiameterRequestError(`no answer to ${summarize(msg)} in time`, 'timeout'));
      }, this.o.requestTimeout ?? 5000);
      this.outstanding.set(msg.hopByHop, { resolve, reject, timer });
      this.sendRaw(msg);
    });
  }

  /** DPR (RFC 6733 5.4), wait for DPA up to `timeoutMs`, then close. */
  async disconnect(cause: number = DISCONNECT_CAUSE.REBOOTING, timeoutMs = 2000): Promise<void> {
    if (!this.isOpen) {
      this.destroy('closed locally');
      return this.closed.then(() => undefined);
    }
    this.stateValue = 'Closing';
    const answered = new Promise<void>((resolve) => {
      this.dpaWaiter = resolve;
      const t = this.o.timers.setTimeout(resolve, timeoutMs);
      void this.closed.then(() => {
        this.o.timers.clearTimeout(t);
        resolve();
      });
    });
    this.sendRaw(buildDpr({ ...this.identity(), ...this.ids(), disconnectCause: cause }));
    await answered;
    this.destroy('disconnected (DPR/DPA)');
    await this.closed;
  }

  /** Closes at once; pending requests fail. */
  destroy(reason: string): void {
    if (this.stateValue === 'Closed') return;
    this.stateValue = 'Closed';
    this.closeReason = reason;
    this.o.timers.clearTimeout(this.capsTimer);
    this.o.timers.clearTimeout(this.dprTimer);
    this.watchdog.stop();
    for (const [, p] of this.outstanding) {
      this.o.timers.clearTimeout(p.timer);
      p.reject(new DiameterRequestError(`connection closed: ${reason}`, 'closed'));
    }
    this.outstanding.clear();
    this.o.socket.destroy();
    this.logger.info({ peer: this.remoteCaps?.originHost, reason }, 'diameter connection closed');
    this.emit('close', reason);
  }

  get reason(): string {
    return this.closeReason;
  }

  private identity() {
    const c = this.caps;
    return { originHost: c.originHost, originRealm: c.originRealm, originStateId: c.originStateId! };
  }

  private ids() {
    return { hopByHop: this.hbh.take(), endToEnd: this.e2e.take() };
  }

  /** Writes a message (an answer keeps the ids it was given; requests get theirs in request()). */
  send(m: DiameterMessage): void {
    this.sendRaw(m);
  }

  /** Encodes and writes; throws only if `m` cannot be encoded (then nothing is written). */
  private sendRaw(m: DiameterMessage): void {
    if (this.stateValue === 'Closed') return;
    const bytes = encodeMessage(m);
    this.trace(bytes, m, 'out');
    const s = this.o.socket;
    if (!s.write(bytes) && !this.readingPaused) {
      // the peer does not read: stop reading its requests until what we owe it has drained
      if (s.writableLength > (this.o.maxWriteBuffer ?? DEFAULT_MAX_WRITE_BUFFER)) {
        this.readingPaused = true;
        s.pause();
        this.logger.warn(
          { peer: this.remoteHost, buffered: s.writableLength },
          'diameter peer does not read: reading paused',
        );
      }
    }
  }

  /** Sends the answer to `request`; one that cannot be encoded is replaced by a 5012 answer-message. */
  private sendAnswer(request: DiameterMessage, answer: DiameterMessage): void {
    try {
      this.sendRaw(answer);
    } catch (e) {
      this.logger.warn(
        { err: e instanceof Error ? e.message : String(e), command: request.commandCode },
        'diameter answer could not be encoded',
      );
      this.sendRaw(
        buildErrorAnswer(request, {
          ...this.identity(),
          error: protocolError('DIAMETER_UNABLE_TO_COMPLY', 'the answer could not be encoded'),
        }),
      );
    }
  }

  private trace(bytes: Buffer, m: DiameterMessage | undefined, dir: 'in' | 'out'): void {
    const t = this.o.trace;
    if (!t || !t.tracer.enabled) return;
    const s = this.o.socket;
    const local = { name: t.localName, host: s.localAddress ?? '127.0.0.1', port: s.localPort ?? 0 };
    const remote = {
      name: t.remoteName ?? this.remoteHost ?? 'peer',
      host: s.remoteAddress ?? '127.0.0.1',
      port: s.remotePort ?? 0,
    };
    t.tracer.emit({
      iface: typeof t.iface === 'function' ? t.iface(m) : t.iface,
      proto: 'diameter',
      transport: 'tcp',
      from: dir === 'out' ? local : remote,
      to: dir === 'out' ? remote : local,
      bytes,
      summary: m ? summarize(m) : `undecodable Diameter message (${bytes.length} bytes)`,
    });
  }

  /** Whether messages from the peer are still read (not once refused or closed). */
  private serving(): boolean {
    return this.stateValue !== 'Refused' && this.stateValue !== 'Closed';
  }

  private onData(chunk: Buffer): void {
    if (!this.serving()) return;
    const r = this.framer.push(chunk);
    for (const bytes of r.messages) {
      if (!this.serving()) return;
      this.onMessage(bytes);
    }
    if (r.error) this.destroy(`framing: ${r.error.reason}`);
  }

  private onMessage(bytes: Buffer): void {
    const { message, error } = decodeMessage(
      bytes,
      this.o.maxMessageLength !== undefined ? { maxLength: this.o.maxMessageLength } : {},
    );
    if (message && message.commandCode === CMD_CAPABILITIES_EXCHANGE && this.remoteHost === undefined) {
      this.remoteHost = getString(message.avps, 'Origin-Host');
    }
    this.trace(bytes, message, 'in');
    if (!message) {
      this.destroy(`undecodable message: ${error?.reason ?? 'unknown'}`);
      return;
    }
    this.watchdog.received(message.commandCode === CMD_DEVICE_WATCHDOG && !(message.flags & FLAG_REQUEST));
    if (message.flags & FLAG_REQUEST) {
      this.onRequest(message, error).catch((e: unknown) => {
        this.logger.warn(
          { err: e instanceof Error ? e.message : String(e), command: message.commandCode },
          'diameter request could not be answered',
        );
      });
    } else this.onAnswer(message, error);
  }

  private onAnswer(m: DiameterMessage, error: ProtocolError | undefined): void {
    if (this.stateValue === 'Wait-I-CEA') {
      if (m.commandCode !== CMD_CAPABILITIES_EXCHANGE) {
        this.destroy(`expected CEA, got command ${m.commandCode}`);
        return;
      }
      this.onCea(m, error);
      return;
    }
    if (m.commandCode === CMD_DISCONNECT_PEER && this.dpaWaiter) {
      this.dpaWaiter();
      return;
    }
    if (m.commandCode === CMD_DEVICE_WATCHDOG) return;
    const p = this.outstanding.get(m.hopByHop);
    if (!p) {
      // RFC 6733 6.2: an answer that matches no request is discarded
      this.logger.warn({ hopByHop: m.hopByHop, command: m.commandCode }, 'diameter answer to no request');
      return;
    }
    this.outstanding.delete(m.hopByHop);
    this.o.timers.clearTimeout(p.timer);
    if (error)
      p.reject(new DiameterRequestError(`malformed answer: ${error.reason}`, 'malformed-answer', error));
    else p.resolve(m);
  }

  private onCea(m: DiameterMessage, error: ProtocolError | undefined): void {
    const caps = readCapabilities(m);
    const rc = getNumber(m.avps, 'Result-Code');
    if (error || rc !== RESULT_CODES.DIAMETER_SUCCESS) {
      this.destroy(
        `CEA refused: Result-Code ${rc ?? 'none'}${error ? ` (${error.reason})` : ''}${caps.errorMessage ? `: ${caps.errorMessage}` : ''}`,
      );
      return;
    }
    this.common = commonApplications(this.o.local, caps);
    if (this.common.length === 0) {
      // RFC 6733 5.3: with no application in common the initiator disconnects
      this.destroy(`CEA: no application in common with ${caps.originHost || 'the peer'} (RFC 6733 5.3)`);
      return;
    }
    this.opened(caps, 'I-Open');
  }

  private opened(caps: Capabilities, state: 'I-Open' | 'R-Open'): void {
    this.o.timers.clearTimeout(this.capsTimer);
    this.remoteCaps = caps;
    this.stateValue = state;
    this.watchdog.connectionUp(this.o.reopened ?? false);
    this.logger.info({ peer: caps.originHost, applications: this.common }, 'diameter peer open');
    this.emit('open', caps);
  }

  private async onRequest(m: DiameterMessage, decodeError: ProtocolError | undefined): Promise<void> {
    const errorAnswer = (e: ProtocolError) => buildErrorAnswer(m, { ...this.identity(), error: e });
    if (this.stateValue === 'Wait-CER') {
      if (m.commandCode !== CMD_CAPABILITIES_EXCHANGE) {
        this.destroy(`expected CER, got command ${m.commandCode}`);
        return;
      }
      this.onCer(m, decodeError);
      return;
    }
    if (this.stateValue === 'Wait-I-CEA') {
      this.destroy(`request ${m.commandCode} before CEA`);
      return;
    }
    // the first problem with the request: from the decoder, else from the command's grammar
    const error = decodeError ?? checkGrammar(m);
    switch (m.commandCode) {
      case CMD_DEVICE_WATCHDOG:
        this.sendRaw(
          error
            ? errorAnswer(error)
            : buildDwa(m, { ...this.identity(), resultCode: RESULT_CODES.DIAMETER_SUCCESS }),
        );
        return;
      case CMD_DISCONNECT_PEER: {
        this.stateValue = 'Closing';
        const cause = getNumber(m.avps, 'Disconnect-Cause');
        if (cause !== undefined) this.peerCause = cause;
        const named = cause === undefined ? 'none' : (DISCONNECT_CAUSE_NAMES[cause] ?? String(cause));
        this.endingReason = `peer disconnected (DPR, Disconnect-Cause ${named})`;
        this.sendRaw(buildDpa(m, { ...this.identity(), resultCode: RESULT_CODES.DIAMETER_SUCCESS }));
        // the peer closes the transport after DPA; do it ourselves if it does not
        this.o.timers.clearTimeout(this.dprTimer);
        this.dprTimer = this.o.timers.setTimeout(() => this.destroy(this.endingReason!), 1000);
        return;
      }
      case CMD_CAPABILITIES_EXCHANGE:
        // a CER on an open connection: RFC 6733 5.6.4 has no such event; refuse it
        this.sendRaw(
          errorAnswer(protocolError('DIAMETER_UNABLE_TO_COMPLY', 'capabilities already exchanged')),
        );
        return;
      default:
        break;
    }
    if (m.applicationId === APPLICATION_COMMON) {
      // the common messages are CER/CEA, DWR/DWA and DPR/DPA only (RFC 6733 2.4): nothing for the handler
      this.sendRaw(
        errorAnswer(
          protocolError(
            'DIAMETER_COMMAND_UNSUPPORTED',
            `command ${m.commandCode} is not a Diameter common message`,
          ),
        ),
      );
      return;
    }
    if (!this.common.includes(m.applicationId)) {
      this.sendRaw(
        errorAnswer(
          protocolError('DIAMETER_APPLICATION_UNSUPPORTED', `application ${m.applicationId} is not common`),
        ),
      );
      return;
    }
    if (this.incoming >= (this.o.maxIncoming ?? DEFAULT_MAX_INCOMING)) {
      this.sendRaw(
        errorAnswer(protocolError('DIAMETER_TOO_BUSY', `${this.incoming} requests already in progress`)),
      );
      return;
    }
    let answer: DiameterMessage | undefined;
    this.incoming++;
    try {
      answer = await this.o.onRequest?.(m, this, error);
    } catch (e) {
      this.logger.warn(
        { err: e instanceof Error ? e.message : String(e) },
        'diameter request handler failed',
      );
      answer = errorAnswer(protocolError('DIAMETER_UNABLE_TO_COMPLY', 'the request could not be processed'));
    } finally {
      this.incoming--;
    }
    if (!answer) {
      answer = errorAnswer(
        error ?? protocolError('DIAMETER_COMMAND_UNSUPPORTED', `command ${m.commandCode} not supported`),
      );
    }
    this.sendAnswer(m, answer);
  }

  private onCer(m: DiameterMessage, decodeError: ProtocolError | undefined): void {
    const caps = readCapabilities(m);
    const error = decodeError ?? checkGrammar(m);
    const refuse = (e: ProtocolError) => {
      const cea = buildCea(m, {
        ...this.caps,
        resultCode: e.resultCode,
        errorMessage: e.reason,
        ...(e.failedAvp ? { failedAvp: e.failedAvp } : {}),
      });
      // the CEA is the command's own answer: E only for a 3xxx protocol error (RFC 6733 7.1.3)
      this.sendRaw(e.eBit ? { ...cea, flags: cea.flags | FLAG_ERROR } : cea);
      this.logger.warn({ peer: caps.originHost, resultCode: e.resultCode, reason: e.reason }, 'CER refused');
      // nothing more is served: later messages are dropped, the transport closes once the CEA is out
      this.o.timers.clearTimeout(this.capsTimer);
      this.stateValue = 'Refused';
      this.endingReason = `CER refused: ${e.reason}`;
      const s = this.o.socket;
      s.once('finish', () => this.destroy(this.endingReason!));
      s.end();
    };
    if (error) return refuse(error);
    if (this.o.allowPeer && !this.o.allowPeer(caps)) {
      return refuse(protocolError('DIAMETER_UNKNOWN_PEER', `peer ${caps.originHost} is not allowed`));
    }
    this.common = commonApplications(this.o.local, caps);
    if (this.common.length === 0) {
      return refuse(protocolError('DIAMETER_NO_COMMON_APPLICATION', 'no application in common'));
    }
    this.sendRaw(buildCea(m, { ...this.caps, resultCode: RESULT_CODES.DIAMETER_SUCCESS }));
    this.opened(caps, 'R-Open');
  }
}
