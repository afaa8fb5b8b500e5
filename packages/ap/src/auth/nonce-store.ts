/**
 * What the AP remembers of each nonce it issued: whose it is, the vector's expected values, and the highest
 * nonce count accepted so far (RFC 7616 3.4: a count not above it is a replay). In memory by default; in
 * Redis when several AP instances share the load (DESIGN.md section 8), so that a nonce issued by one is
 * accepted by another, with the count checked and raised in one atomic step.
 */
import { Redis } from 'ioredis';

export interface NonceRecord {
  impi: string;
  /** the public identity the vector was asked for */
  impu: string;
  algorithm: string;
  /** hex: the vector's XRES, CK and IK, and RAND (for a resynchronisation) */
  xres: string;
  ck: string;
  ik: string;
  rand: string;
  /** ms since the epoch: after it the nonce is stale */
  expiresAt: number;
  /** wrong responses so far, carried from one challenge to the next */
  failures: number;
  /** the user's public identities, from the MAA's IMPU-List */
  impus: string[];
}

/** The shared nonce store cannot be reached: the request is answered 503, as when the HSS is away. */
export class NonceStoreUnavailable extends Error {
  override name = 'NonceStoreUnavailable';
}

export interface NonceStore {
  put(nonce: string, rec: NonceRecord, keepMs: number): Promise<void>;
  get(nonce: string): Promise<NonceRecord | undefined>;
  /** accepts `nc` when it is above every count accepted for the nonce before (and records it) */
  acceptCount(nonce: string, nc: number): Promise<boolean>;
  delete(nonce: string): Promise<void>;
  close(): Promise<void>;
}

export class MemoryNonceStore implements NonceStore {
  private readonly entries = new Map<string, { rec: NonceRecord; nc: number; until: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = 100_000,
  ) {}

  private live(nonce: string) {
    const e = this.entries.get(nonce);
    if (e && e.until <= this.now()) {
      this.entries.delete(nonce);
      return undefined;
    }
    return e;
  }

  async put(nonce: string, rec: NonceRecord, keepMs: number): Promise<void> {
    this.entries.delete(nonce);
    this.entries.set(nonce, { rec, nc: 0, until: this.now() + keepMs });
    // insertion order is age: the oldest nonces go first when the bound is reached
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(k);
    }
  }

  async get(nonce: string): Promise<NonceRecord | undefined> {
    return this.live(nonce)?.rec;
  }

  async acceptCount(nonce: string, nc: number): Promise<boolean> {
    const e = this.live(nonce);
    if (!e || nc <= e.nc) return false;
    e.nc = nc;
    return true;
  }

  async delete(nonce: string): Promise<void> {
    this.entries.delete(nonce);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}

// the count is raised only when the new one is higher, atomically (one script, one key)
const ACCEPT_COUNT = `
local last = tonumber(redis.call('HGET', KEYS[1], 'nc') or '-1')
if last < 0 then return 0 end
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('HSET', KEYS[1], 'nc', ARGV[1])
return 1`;

export class RedisNonceStore implements NonceStore {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(o: { url: string; keyPrefix?: string; commandTimeoutMs?: number }) {
    this.prefix = o.keyPrefix ?? 'ut-testbed:ap:nonce:';
    this.redis = new Redis(o.url, {
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      commandTimeout: o.commandTimeoutMs ?? 500,
    });
    this.redis.on('error', () => undefined); // failures surface as rejected commands
    this.redis.connect().catch(() => undefined);
  }

  /** Runs a command; a failure says which operation failed and never repeats the command's arguments (secrets). */
  private async run<T>(operation: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch {
      throw new NonceStoreUnavailable(`the nonce store (Redis) failed: ${operation}`);
    }
  }

  put(nonce: string, rec: NonceRecord, keepMs: number): Promise<void> {
    const key = this.prefix + nonce;
    return this.run('put', async () => {
      await this.redis
        .multi()
        .hset(key, { rec: JSON.stringify(rec), nc: '0' })
        .pexpire(key, keepMs)
        .exec();
    });
  }

  get(nonce: string): Promise<NonceRecord | undefined> {
    return this.run('get', async () => {
      const v = await this.redis.hget(this.prefix + nonce, 'rec');
      return v ? (JSON.parse(v) as NonceRecord) : undefined;
    });
  }

  acceptCount(nonce: string, nc: number): Promise<boolean> {
    return this.run('acceptCount', async () => {
      return (await this.redis.eval(ACCEPT_COUNT, 1, this.prefix + nonce, String(nc))) === 1;
    });
  }

  delete(nonce: string): Promise<void> {
    return this.run('delete', async () => {
      await this.redis.del(this.prefix + nonce);
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
