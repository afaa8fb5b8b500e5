/**
 * The initiator side: one peer, one connection at a time, CER/CEA on connect, reconnect with exponential
 * backoff after a failure (the new connection starts in REOPEN, RFC 3539, and carries requests again
 * after three DWAs), requests queued while the connection is being (re)established, DPR/DPA on close.
 * A peer that disconnected with DPR BUSY or DO_NOT_WANT_TO_TALK_TO_YOU is not called back right away
 * (RFC 6733 5.4.3): the next attempt waits the backoff ceiling; after REBOOTING the usual backoff applies.
 */
import { connect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import type { DiameterMessage } from '../codec/message';
import { DISCONNECT_CAUSE } from '../builders/base';
import type { Capabilities } from '../builders/base';
import {
  DiameterRequestError,
  PeerConnection,
  silentLogger,
  type PeerLogger,
  type PeerTrace,
  type RequestHandler,
} from './connection';
import type { LocalPeer } from './local';
import { realTimers, type TimerHandle, type Timers } from './timers';

export interface ClientOptions {
  host: string;
  port: number;
  local: LocalPeer;
  timers?: Timers;
  /** watchdog Tw, ms (default 30 s; RFC 3539 says no less than 6 s in service) */
  tw?: number;
  twJitter?: number;
  reopenDwas?: number;
  requestTimeout?: number;
  maxInFlight?: number;
  /** requests from the peer processed at once; beyond it 3004 TOO_BUSY (default 1024) */
  maxIncoming?: number;
  /** bytes waiting to be written above which reading pauses until they drain (default 4 MiB) */
  maxWriteBuffer?: number;
  /** largest message accepted (default 1 MiB) */
  maxMessageLength?: number;
  capabilitiesTimeout?: number;
  connectTimeout?: number;
  /**
   * reconnect backoff: first delay and ceiling, ms (default 250 and 30000); after a DPR with
   * Disconnect-Cause BUSY or DO_NOT_WANT_TO_TALK_TO_YOU the next attempt waits the ceiling
   */
  backoff?: { min: number; max: number };
  onRequest?: RequestHandler;
  trace?: PeerTrace;
  logger?: PeerLogger;
}

export class DiameterClient extends EventEmitter<{ open: [remote: Capabilities]; down: [reason: string] }> {
  private conn: PeerConnection | undefined;
  private timers: Timers;
  private closing = false;
  private attempts = 0;
  private everOpened = false;
  private retry: TimerHandle | undefined;
  /** the socket of a connect in progress, until it connects or fails */
  private dialing: { socket: Socket; timer: TimerHandle } | undefined;
  private readonly logger: PeerLogger;

  constructor(private readonly o: ClientOptions) {
    super();
    this.timers = o.timers ?? realTimers();
    this.logger = o.logger ?? silentLogger;
  }

  /** Connects; resolves once the peer is open (CEA 2001), rejects if the first attempt fails. */
  start(): Promise<Capabilities> {
    return new Promise((resolve, reject) => {
      const onOpen = (c: Capabilities) => {
        this.off('down', onDown);
        resolve(c);
      };
      const onDown = (reason: string) => {
        this.off('open', onOpen);
        reject(new Error(`cannot open Diameter peer ${this.o.host}:${this.o.port}: ${reason}`));
      };
      this.once('open', onOpen);
      this.once('down', onDown);
      this.dial();
    });
  }

  /** The open connection, if any. */
  get connection(): PeerConnection | undefined {
    return this.conn?.isOpen ? this.conn : undefined;
  }

  /**
   * Sends a request once the peer is open and its watchdog OKAY; waits for that up to the request
   * timeout while a connection is being made.
   */
  async request(m: DiameterMessage): Promise<DiameterMessage> {
    if (this.closing) throw new DiameterRequestError('client is closed', 'closed');
    const c = this.conn;
    if (c?.isOpen && c.watchdogState === 'OKAY') return c.request(m);
    await this.waitUsable(this.o.requestTimeout ?? 5000);
    return this.conn!.request(m);
  }

  private waitUsable(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = this.timers.setTimeout(() => {
        cleanup();
        reject(new DiameterRequestError(`peer ${this.o.host}:${this.o.port} is not available`, 'not-open'));
      }, ms);
      const check = () => {
        if (this.conn?.isOpen && this.conn.watchdogState === 'OKAY') {
          cleanup();
          resolve();
        }
      };
      const cleanup = () => {
        this.timers.clearTimeout(t);
        this.off('open', check);
        this.watchers.delete(check);
      };
      this.on('open', check);
      this.watchers.add(check);
    });
  }

  private readonly watchers = new Set<() => void>();

  /** DPR to the peer (if open), wait for DPA, stop reconnecting. */
  async close(cause: number = DISCONNECT_CAUSE.REBOOTING): Promise<void> {
    this.closing = true;
    this.timers.clearTimeout(this.retry);
    const d = this.dialing;
    if (d) {
      // a connect in progress: abandon it (a 'connect' that still fires finds the socket destroyed)
      this.dialing = undefined;
      this.timers.clearTimeout(d.timer);
      d.socket.destroy();
      this.emit('down', 'client closed while connecting');
    }
    const c = this.conn;
    if (c) await c.disconnect(cause);
  }

  private dial(): void {
    if (this.closing) return;
    const socket: Socket = connect({ host: this.o.host, port: this.o.port });
    let connected = false;
    const connectTimer = this.timers.setTimeout(
      () => socket.destroy(new Error('connect timed out')),
      this.o.connectTimeout ?? 5000,
    );
    const dialing = { socket, timer: connectTimer };
    this.dialing = dialing;
    socket.once('error', (e) => {
      if (connected || this.dialing !== dialing) return;
      this.dialing = undefined;
      this.timers.clearTimeout(connectTimer);
      this.failed(`connect: ${e.message}`);
    });
    socket.once('connect', () => {
      if (this.closing || this.dialing !== dialing || socket.destroyed) {
        socket.destroy();
        return;
      }
      this.dialing = undefined;
      connected = true;
      this.timers.clearTimeout(connectTimer);
      const conn = new PeerConnection({
        socket,
        role: 'initiator',
        local: this.o.local,
        timers: this.timers,
        tw: this.o.tw ?? 30_000,
        ...(this.o.twJitter !== undefined ? { twJitter: this.o.twJitter } : {}),
        ...(this.o.reopenDwas !== undefined ? { reopenDwas: this.o.reopenDwas } : {}),
        reopened: this.everOpened,
        ...(this.o.requestTimeout !== undefined ? { requestTimeout: this.o.requestTimeout } : {}),
        ...(this.o.maxInFlight !== undefined ? { maxInFlight: this.o.maxInFlight } : {}),
        ...(this.o.maxIncoming !== undefined ? { maxIncoming: this.o.maxIncoming } : {}),
        ...(this.o.maxWriteBuffer !== undefined ? { maxWriteBuffer: this.o.maxWriteBuffer } : {}),
        ...(this.o.maxMessageLength !== undefined ? { maxMessageLength: this.o.maxMessageLength } : {}),
        ...(this.o.capabilitiesTimeout !== undefined
          ? { capabilitiesTimeout: this.o.capabilitiesTimeout }
          : {}),
        ...(this.o.onRequest ? { onRequest: this.o.onRequest } : {}),
        ...(this.o.trace ? { trace: this.o.trace } : {}),
        logger: this.logger,
      });
      this.conn = conn;
      conn.on('open', (caps) => {
        this.attempts = 0;
        this.everOpened = true;
        this.emit('open', caps);
        for (const w of [...this.watchers]) w();
      });
      conn.on('watchdog', () => {
        for (const w of [...this.watchers]) w();
      });
      conn.on('close', (reason) => {
        if (this.conn === conn) this.conn = undefined;
        const cause = conn.peerDisconnectCause;
        // RFC 6733 5.4.3: BUSY and DO_NOT_WANT_TO_TALK_TO_YOU ask us not to reconnect right away
        const stayAway =
          cause === DISCONNECT_CAUSE.BUSY || cause === DISCONNECT_CAUSE.DO_NOT_WANT_TO_TALK_TO_YOU;
        this.failed(reason, stayAway);
      });
    });
  }

  private failed(reason: string, stayAway = false): void {
    this.emit('down', reason);
    if (this.closing) return;
    const b = this.o.backoff ?? { min: 250, max: 30_000 };
    const delay = stayAway ? b.max : Math.min(b.max, b.min * 2 ** this.attempts);
    this.attempts++;
    this.logger.warn(
      { peer: `${this.o.host}:${this.o.port}`, reason, retryInMs: delay },
      'diameter peer down',
    );
    this.retry = this.timers.setTimeout(() => this.dial(), delay);
  }
}
