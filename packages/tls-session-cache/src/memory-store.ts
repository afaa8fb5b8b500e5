import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from './clock';
import { TICKET_KEYS_LENGTH, type SessionStore } from './store';

export interface MemorySessionStoreOptions {
  /** Upper bound on stored sessions; the least recently used one goes first. Default 20480. */
  maxSessions?: number;
  clock?: Clock;
}

interface Entry {
  data: Buffer;
  expiresAt: number;
}

/**
 * Sessions and ticket keys in this process only. Enough for one instance, or for several `tls.Server`s
 * (or caches) in one process; instances on other hosts need a shared store such as Redis.
 */
export class MemorySessionStore implements SessionStore {
  private readonly maxSessions: number;
  private readonly clock: Clock;
  // A Map iterates in insertion order; re-inserting on every hit makes the first key the LRU one.
  private readonly sessions = new Map<string, Entry>();
  private readonly keys = new Map<number, Entry>();
  private evicted = 0;

  constructor(o: MemorySessionStoreOptions = {}) {
    const max = o.maxSessions ?? 20480;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxSessions must be a positive integer');
    this.maxSessions = max;
    this.clock = o.clock ?? systemClock;
  }

  /** Sessions dropped for the bound (not for expiry). */
  get evictions(): number {
    return this.evicted;
  }

  /** Sessions held, expired ones not yet dropped included. */
  get size(): number {
    return this.sessions.size;
  }

  async getSession(id: Buffer): Promise<Buffer | undefined> {
    const key = id.toString('hex');
    const entry = this.sessions.get(key);
    if (entry === undefined) return undefined;
    this.sessions.delete(key);
    if (entry.expiresAt <= this.clock.now()) return undefined;
    this.sessions.set(key, entry);
    return Buffer.from(entry.data);
  }

  async setSession(id: Buffer, data: Buffer, ttlSeconds: number): Promise<void> {
    checkTtl(ttlSeconds);
    const key = id.toString('hex');
    const now = this.clock.now();
    this.sessions.delete(key);
    this.sessions.set(key, { data: Buffer.from(data), expiresAt: now + ttlSeconds * 1000 });
    while (this.sessions.size > this.maxSessions) {
      const [oldestKey, oldest] = this.sessions.entries().next().value as [string, Entry];
      this.sessions.delete(oldestKey);
      if (oldest.expiresAt > now) this.evicted++;
    }
  }

  async ticketKeys(epoch: number, ttlSeconds: number): Promise<Buffer> {
    checkTtl(ttlSeconds);
    const now = this.clock.now();
    for (const [e, entry] of this.keys) if (entry.expiresAt <= now) this.keys.delete(e);
    let entry = this.keys.get(epoch);
    if (entry === undefined) {
      entry = { data: randomBytes(TICKET_KEYS_LENGTH), expiresAt: now + ttlSeconds * 1000 };
      this.keys.set(epoch, entry);
    }
    return Buffer.from(entry.data);
  }

  async close(): Promise<void> {
    this.sessions.clear();
    this.keys.clear();
  }
}

export function checkTtl(ttlSeconds: number): void {
  if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) throw new RangeError('ttlSeconds must be > 0');
}
