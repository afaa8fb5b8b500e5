import { randomBytes } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import { checkTtl } from './memory-store';
import {
  SessionStoreError,
  TICKET_KEYS_LENGTH,
  errorCode,
  type SessionStore,
  type SessionStoreOperation,
} from './store';

export interface RedisSessionStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` for TLS. */
  url: string;
  /** Prepended to every key. Default `ut-testbed:tls:`. */
  keyPrefix?: string;
  /** A command without an answer after this long fails. Default 250. */
  commandTimeoutMs?: number;
  /** TLS options for `rediss://` (CA, client certificate, servername). */
  tls?: ConnectionOptions;
}

/**
 * Sessions and ticket keys in Redis, shared by every instance that uses the same Redis and prefix.
 * Commands are never queued while Redis is unreachable: they fail at once (or after
 * `commandTimeoutMs` when Redis accepts the connection but does not answer), because a caller
 * waiting on a handshake is better served by a fast miss than by a late hit.
 */
export class RedisSessionStore implements SessionStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly commandTimeoutMs: number;
  // Only the first connection attempt is waited for, so that a store used right after construction
  // does not fail merely because the TCP connection is still being set up.
  private firstConnect: Promise<void> | undefined;
  private closed = false;

  constructor(o: RedisSessionStoreOptions) {
    let protocol = '';
    try {
      protocol = new URL(o.url).protocol;
    } catch {
      // reported below without echoing the URL, which may hold a password
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:')
      throw new TypeError('RedisSessionStore: url must start with redis:// or rediss://');
    this.prefix = o.keyPrefix ?? 'ut-testbed:tls:';
    this.commandTimeoutMs = o.commandTimeoutMs ?? 250;
    if (!(this.commandTimeoutMs > 0)) throw new RangeError('RedisSessionStore: commandTimeoutMs must be > 0');
    this.redis = new Redis(o.url, {
      lazyConnect: true,
      // a command issued while the first connection is being made waits for it (an AP asks for its ticket
      // keys right after start); once that attempt is over, a command finding no connection fails at once
      // (see the constructor's end), so that a dead Redis costs a handshake nothing
      enableOfflineQueue: true,
      commandTimeout: this.commandTimeoutMs,
      connectTimeout: Math.max(1000, 4 * this.commandTimeoutMs),
      maxRetriesPerRequest: 0,
      // ioredis arms this timer on every disconnect, even of a socket that is already closed; its
      // default (2 s) would keep a process that is shutting down alive for that long.
      disconnectTimeout: this.commandTimeoutMs,
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      ...(o.tls ? { tls: o.tls } : {}),
    });
    // Connection errors are reported by the commands that fail because of them; without a listener
    // ioredis would print every reconnection failure to the console.
    this.redis.on('error', () => undefined);
    const first = this.redis.connect().then(
      () => undefined,
      () => undefined,
    );
    this.firstConnect = first;
    void first.then(() => {
      if (this.firstConnect === first) this.firstConnect = undefined;
      this.redis.options.enableOfflineQueue = false;
    });
  }

  /** The ioredis connection status: `ready` when commands can be sent. */
  get status(): string {
    return this.redis.status;
  }

  /** Resolves once connected (true), or false if not connected within `timeoutMs`. */
  async waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    if (this.closed) return false;
    let onReady: (() => void) | undefined;
    const ready = new Promise<boolean>((resolve) => {
      onReady = () => resolve(true);
      this.redis.once('ready', onReady);
    });
    try {
      return await withTimeout(ready, timeoutMs, false);
    } finally {
      if (onReady) this.redis.removeListener('ready', onReady);
    }
  }

  getSession(id: Buffer): Promise<Buffer | undefined> {
    return this.run('getSession', async () => (await this.redis.getBuffer(this.sessionKey(id))) ?? undefined);
  }

  async setSession(id: Buffer, data: Buffer, ttlSeconds: number): Promise<void> {
    checkTtl(ttlSeconds);
    return await this.run('setSession', async () => {
      await this.redis.set(this.sessionKey(id), data, 'PX', Math.ceil(ttlSeconds * 1000));
    });
  }

  async ticketKeys(epoch: number, ttlSeconds: number): Promise<Buffer> {
    checkTtl(ttlSeconds);
    if (!Number.isSafeInteger(epoch)) throw new RangeError('epoch must be an integer');
    const key = `${this.prefix}ticket-keys:${epoch}`;
    const ttlMs = Math.ceil(ttlSeconds * 1000);
    return await this.run('ticketKeys', async () => {
      // A GET of null after a lost NX race means the winner's key already expired: only possible with
      // a TTL shorter than a round trip, so a couple of attempts settle it.
      for (let attempt = 0; attempt < 3; attempt++) {
        const fresh = randomBytes(TICKET_KEYS_LENGTH);
        if ((await this.redis.set(key, fresh, 'PX', ttlMs, 'NX')) === 'OK') return fresh;
        const stored = await this.redis.getBuffer(key);
        if (stored === null) continue;
        if (stored.length !== TICKET_KEYS_LENGTH)
          throw new SessionStoreError('ticketKeys', `stored value is not ${TICKET_KEYS_LENGTH} bytes`);
        return stored;
      }
      throw new SessionStoreError('ticketKeys', 'keys expired while being read');
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === 'ready') {
      await withTimeout(
        this.redis.quit().then(
          () => undefined,
          () => undefined,
        ),
        this.commandTimeoutMs,
        undefined,
      );
    }
    if (this.redis.status !== 'end') this.redis.disconnect();
  }

  private sessionKey(id: Buffer): string {
    return `${this.prefix}session:${id.toString('hex')}`;
  }

  private async run<T>(operation: SessionStoreOperation, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new SessionStoreError(operation, 'store is closed');
    if (this.redis.status !== 'ready' && this.firstConnect !== undefined)
      await withTimeout(this.firstConnect, this.commandTimeoutMs, undefined);
    try {
      return await fn();
    } catch (error) {
      throw redisError(operation, error);
    }
  }
}

/**
 * ioredis errors carry the command and its arguments (`error.command.args`: session data, ticket
 * keys), and a server may quote arguments back in a reply error; only the message survives, with
 * anything quoted blanked out.
 */
function redisError(operation: SessionStoreOperation, error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const reason = message
    .replace(/(^|[\s(:,=])'[^']*'?/g, "$1'...'")
    .replace(/(^|[\s(:,=])"[^"]*"?/g, '$1"..."')
    .replace(/[\r\n]+/g, ' ')
    .slice(0, 160);
  return new SessionStoreError(operation, reason || 'unknown error', errorCode(error));
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
