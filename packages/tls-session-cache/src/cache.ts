import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Server, TLSSocket } from 'node:tls';
import { systemClock, type Clock } from './clock';
import { TLS1_3_VERSION, sessionProtocolVersion } from './session-der';
import {
  SessionStoreError,
  TICKET_KEYS_LENGTH,
  toStoreError,
  type SessionStore,
  type SessionStoreOperation,
} from './store';

export interface SessionCacheOptions {
  store: SessionStore;
  /** seconds, default 300: lifetime of sessions and tickets */
  sessionTimeout?: number;
  /** seconds, default 3600 */
  ticketKeyRotation?: number;
  /** default 'ut-testbed': must be identical on every instance */
  sessionIdContext?: string;
  clock?: Clock;
  /**
   * A store call not settled after this many milliseconds counts as failed and the handshake goes on
   * without it. A backstop for stores without their own timeout. Default 1000.
   */
  storeTimeoutMs?: number;
  /** After a failed ticket key fetch, the next attempt is this many milliseconds later. Default 1000. */
  retryDelayMs?: number;
}

export interface SessionCounters {
  /** handshakes completed without resumption ('secureConnection' with isSessionReused() false) */
  fullHandshakes: number;
  /** handshakes completed by resuming a session, from a ticket or from the store */
  resumedHandshakes: number;
  /** 'resumeSession' lookups the store answered with a session */
  hits: number;
  /**
   * 'resumeSession' lookups the store answered with nothing. Includes one per TLS 1.3 ClientHello
   * that carries a legacy_session_id, which is random and can never hit: see the README.
   */
  misses: number;
  /** the store's own count of sessions dropped for its size bound (0 for stores without one) */
  evictions: number;
  /** TLS <= 1.2 sessions written to the store */
  stored: number;
  /** times the servers' ticket keys were replaced after the first keys were installed */
  ticketKeyRotations: number;
  /** store calls that failed or timed out (handshakes went on without them) */
  storeErrors: number;
  /** of the completed handshakes, those that negotiated TLS 1.3 */
  tls13Handshakes: number;
  /** 'newSession' events for TLS 1.3 sessions, not stored because Node resumes TLS 1.3 by ticket only */
  tls13SessionsSkipped: number;
}

/** Events of a {@link TlsSessionCache}. */
export type TlsSessionCacheEvents = {
  /** Ticket keys were installed: the first ones, a rotation, or shared keys replacing local ones. */
  ticketKeys: [epoch: number, shared: boolean];
  /** A store call failed; the error carries the operation and a reason, never secrets. */
  storeError: [error: SessionStoreError];
};

interface EpochKeys {
  epoch: number;
  keys: Buffer;
  /** false: random local keys used because the store could not be reached */
  shared: boolean;
}

type Outcome<T> = { ok: true; value: T } | { ok: false };

// setTimeout treats longer delays as 1 ms; a longer rotation period is reached in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Session resumption for `tls.Server`s: TLS <= 1.2 session ids in a {@link SessionStore}, and
 * ticket keys taken from the store per rotation epoch, so that every instance sharing the store
 * encrypts and decrypts tickets with the same keys and switches to new keys at the same moment.
 */
export class TlsSessionCache extends EventEmitter<TlsSessionCacheEvents> {
  readonly sessionIdContext: string;
  readonly sessionTimeout: number;
  readonly ticketKeyRotation: number;
  private readonly store: SessionStore;
  private readonly clock: Clock;
  private readonly storeTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly rotationMs: number;
  private readonly servers = new Set<Server>();
  private readonly c = {
    fullHandshakes: 0,
    resumedHandshakes: 0,
    hits: 0,
    misses: 0,
    stored: 0,
    ticketKeyRotations: 0,
    storeErrors: 0,
    tls13Handshakes: 0,
    tls13SessionsSkipped: 0,
  };
  private current: EpochKeys | undefined;
  private refreshing: Promise<void> | undefined;
  private timer: unknown;
  private closed = false;

  constructor(o: SessionCacheOptions) {
    super();
    if (!o || !o.store) throw new TypeError('TlsSessionCache: a store is required');
    this.store = o.store;
    this.clock = o.clock ?? systemClock;
    this.sessionTimeout = o.sessionTimeout ?? 300;
    if (
      !Number.isInteger(this.sessionTimeout) ||
      this.sessionTimeout < 1 ||
      this.sessionTimeout > MAX_TIMER_MS
    )
      throw new RangeError('TlsSessionCache: sessionTimeout must be a positive integer (seconds)');
    this.ticketKeyRotation = o.ticketKeyRotation ?? 3600;
    if (!(this.ticketKeyRotation > 0) || !Number.isFinite(this.ticketKeyRotation))
      throw new RangeError('TlsSessionCache: ticketKeyRotation must be > 0 (seconds)');
    this.rotationMs = this.ticketKeyRotation * 1000;
    this.sessionIdContext = o.sessionIdContext ?? 'ut-testbed';
    const contextBytes = Buffer.byteLength(this.sessionIdContext);
    // OpenSSL's SSL_MAX_SID_CTX_LENGTH
    if (contextBytes < 1 || contextBytes > 32)
      throw new RangeError('TlsSessionCache: sessionIdContext must be 1 to 32 bytes');
    this.storeTimeoutMs = o.storeTimeoutMs ?? 1000;
    this.retryDelayMs = o.retryDelayMs ?? 1000;
    if (!(this.storeTimeoutMs > 0) || !(this.retryDelayMs > 0))
      throw new RangeError('TlsSessionCache: storeTimeoutMs and retryDelayMs must be > 0');
  }

  /** The rotation epoch at a time: every instance computes the same number from its clock. */
  epochAt(ms: number): number {
    return Math.floor(ms / this.rotationMs);
  }

  /**
   * Options to spread into tls.createServer / https.createServer (and into setSecureContext, which
   * would otherwise bring back the keys the server was created with): the current epoch's ticket
   * keys from the store. If the store cannot be reached, random local keys are used and replaced by
   * the shared ones as soon as the store answers.
   */
  async serverOptions(): Promise<{ sessionIdContext: string; sessionTimeout: number; ticketKeys: Buffer }> {
    await this.refresh();
    const current = this.current as EpochKeys;
    return {
      sessionIdContext: this.sessionIdContext,
      sessionTimeout: this.sessionTimeout,
      ticketKeys: Buffer.from(current.keys),
    };
  }

  /**
   * Installs the 'newSession'/'resumeSession' handlers, counts handshakes on 'secureConnection', and
   * keeps the server's ticket keys on the current epoch. Call it before the server accepts
   * connections: Node decides per connection whether to run the session callbacks.
   */
  attach(server: Server): void {
    if (this.closed) throw new Error('TlsSessionCache: closed');
    if (this.servers.has(server)) return;
    // Node keeps the context it was given as `sessionIdContext` (else a hash of process.argv, which
    // differs between instances and silently prevents cross-instance resumption).
    const context = (server as { sessionIdContext?: unknown }).sessionIdContext;
    if (typeof context === 'string' && context !== this.sessionIdContext)
      throw new Error(
        'TlsSessionCache.attach: the server has another sessionIdContext; create it with ...(await cache.serverOptions())',
      );
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) =>
      this.onNewSession(id, data, done),
    );
    server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) =>
      this.onResumeSession(id, done),
    );
    server.on('secureConnection', (socket: TLSSocket) => this.onSecureConnection(socket));
    this.servers.add(server);
    if (this.current !== undefined && !server.getTicketKeys().equals(this.current.keys))
      server.setTicketKeys(this.current.keys);
    // serverOptions() may not have run, or in the previous epoch. (Local keys, after a failed fetch,
    // are left to the retry timer.)
    const current = this.current;
    if (current === undefined || current.epoch < this.epochAt(this.clock.now())) void this.refresh();
    else if (this.refreshing === undefined) this.schedule();
  }

  counters(): SessionCounters {
    const evictions = this.store.evictions;
    return { ...this.c, evictions: typeof evictions === 'number' ? evictions : 0 };
  }

  /** Stops the rotation timer; does not close the store. The handlers stay installed on the servers. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopTimer();
    await this.refreshing;
  }

  private onNewSession(id: Buffer, data: Buffer, done: () => void): void {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      done();
    };
    // Node resumes TLS 1.3 only from tickets (a stored TLS 1.3 session is never looked up by the
    // PSK identity), so writing these would only fill the store.
    if (sessionProtocolVersion(data) === TLS1_3_VERSION) {
      this.c.tls13SessionsSkipped++;
      finish();
      return;
    }
    // The handshake waits for the callback, so the session is stored before the client can come back
    // (to this or another instance); the wait is bounded by storeTimeoutMs.
    void this.guard('setSession', () => this.store.setSession(id, data, this.sessionTimeout))
      .then((r) => {
        if (r.ok) this.c.stored++;
      })
      .finally(finish);
  }

  private onResumeSession(id: Buffer, done: (err: Error | null, data: Buffer | null) => void): void {
    void this.guard('getSession', () => this.store.getSession(id)).then((r) => {
      let session: Buffer | null = null;
      if (r.ok) {
        if (r.value instanceof Uint8Array && r.value.length > 0) {
          this.c.hits++;
          session = Buffer.from(r.value);
        } else {
          this.c.misses++;
        }
      }
      // An error here would destroy the connection; answering "no session" gives a full handshake.
      done(null, session);
    });
  }

  private onSecureConnection(socket: TLSSocket): void {
    if (socket.isSessionReused()) this.c.resumedHandshakes++;
    else this.c.fullHandshakes++;
    if (socket.getProtocol() === 'TLSv1.3') this.c.tls13Handshakes++;
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.loadCurrentKeys().finally(() => {
      this.refreshing = undefined;
      this.schedule();
    });
    return this.refreshing;
  }

  private async loadCurrentKeys(): Promise<void> {
    const epoch = this.epochAt(this.clock.now());
    const current = this.current;
    if (current !== undefined && current.shared && current.epoch >= epoch) return;
    const r = await this.guard('ticketKeys', () => this.store.ticketKeys(epoch, this.ticketKeyTtl()));
    if (r.ok && r.value instanceof Uint8Array && r.value.length === TICKET_KEYS_LENGTH) {
      this.install({ epoch, keys: Buffer.from(r.value), shared: true });
      return;
    }
    if (r.ok)
      this.fail('ticketKeys', new SessionStoreError('ticketKeys', 'the store returned keys of a wrong size'));
    // Keeping the previous epoch's keys keeps this instance resuming its own tickets; only when there
    // are none yet does it start with keys nobody else has.
    if (this.current === undefined)
      this.install({ epoch, keys: randomBytes(TICKET_KEYS_LENGTH), shared: false });
  }

  // Keys must outlive their epoch by a session lifetime for instances whose clocks lag behind.
  private ticketKeyTtl(): number {
    return this.ticketKeyRotation + this.sessionTimeout;
  }

  private install(next: EpochKeys): void {
    const previous = this.current;
    if (previous !== undefined && previous.epoch > next.epoch) return;
    this.current = next;
    if (previous !== undefined && previous.keys.equals(next.keys)) return;
    if (previous !== undefined) this.c.ticketKeyRotations++;
    for (const server of this.servers) server.setTicketKeys(next.keys);
    try {
      this.emit('ticketKeys', next.epoch, next.shared);
    } catch {
      // a throwing listener must not stop the rotation (or reject serverOptions())
    }
  }

  private schedule(): void {
    if (this.closed || this.servers.size === 0 || this.current === undefined) return;
    this.stopTimer();
    const now = this.clock.now();
    const current = this.current;
    const behind = !current.shared || current.epoch < this.epochAt(now);
    const delay = behind ? this.retryDelayMs : (current.epoch + 1) * this.rotationMs - now;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        const keys = this.current;
        // Woken before the boundary (a period longer than a timer can hold): just wait again.
        if (keys !== undefined && keys.shared && keys.epoch >= this.epochAt(this.clock.now()))
          this.schedule();
        else void this.refresh();
      },
      Math.min(Math.max(0, delay), MAX_TIMER_MS),
    );
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs a store call bounded by storeTimeoutMs; never rejects, counts and reports failures. */
  private async guard<T>(operation: SessionStoreOperation, call: () => Promise<T>): Promise<Outcome<T>> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const pending = Promise.resolve().then(call);
      // After a timeout the call may still fail; that must not become an unhandled rejection.
      pending.catch(() => undefined);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new SessionStoreError(operation, `no answer within ${this.storeTimeoutMs} ms`)),
          this.storeTimeoutMs,
        );
        timer.unref();
      });
      return { ok: true, value: await Promise.race([pending, timeout]) };
    } catch (error) {
      this.fail(operation, error);
      return { ok: false };
    } finally {
      clearTimeout(timer);
    }
  }

  private fail(operation: SessionStoreOperation, error: unknown): void {
    this.c.storeErrors++;
    if (this.listenerCount('storeError') === 0) return;
    try {
      this.emit('storeError', toStoreError(operation, error));
    } catch {
      // a throwing listener must not break a handshake callback
    }
  }
}
