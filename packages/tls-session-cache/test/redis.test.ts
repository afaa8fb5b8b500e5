import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { RedisSessionStore, SessionStoreError, TlsSessionCache } from '../src';
import {
  connect,
  freePort,
  makeCert,
  startRedis,
  startServer,
  type RedisProcess,
  type RunningServer,
  type TestCert,
} from './helpers';

let cert: TestCert;
let redis: RedisProcess;
let raw: Redis;
const stores: RedisSessionStore[] = [];
const running: RunningServer[] = [];
const caches: TlsSessionCache[] = [];
let prefixCounter = 0;

beforeAll(async () => {
  [cert, redis] = await Promise.all([makeCert(), startRedis()]);
  raw = new Redis(redis.url, { lazyConnect: true });
  await raw.connect();
});

afterAll(async () => {
  raw?.disconnect();
  await redis?.stop();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await Promise.all(caches.splice(0).map((c) => c.close()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** A store with a prefix of its own, so that tests do not see each other's keys. */
function newStore(prefix: string, o: { commandTimeoutMs?: number; url?: string } = {}): RedisSessionStore {
  const store = new RedisSessionStore({ url: o.url ?? redis.url, keyPrefix: prefix, ...o });
  stores.push(store);
  return store;
}

function prefix(): string {
  return `test${++prefixCounter}:`;
}

describe('RedisSessionStore', () => {
  it('stores sessions with SET PX under the prefix and reads them back', async () => {
    const p = prefix();
    const store = newStore(p);
    const id = Buffer.from('00ff'.repeat(16), 'hex');
    const data = Buffer.from([0, 1, 2, 255, 0x80, 10, 13]);
    await store.setSession(id, data, 30);
    expect(await store.getSession(id)).toEqual(data);
    expect(await store.getSession(Buffer.alloc(32, 7))).toBeUndefined();
    const key = `${p}session:${id.toString('hex')}`;
    expect(await raw.getBuffer(key)).toEqual(data);
    const pttl = await raw.pttl(key);
    expect(pttl).toBeGreaterThan(29_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
    expect(await new RedisSessionStore({ url: redis.url }).close()).toBeUndefined();
  });

  it('defaults the prefix to ut-testbed:tls:', async () => {
    const store = new RedisSessionStore({ url: redis.url });
    stores.push(store);
    const id = Buffer.alloc(32, 0xab);
    await store.setSession(id, Buffer.from('x'), 5);
    expect(await raw.exists(`ut-testbed:tls:session:${id.toString('hex')}`)).toBe(1);
    await raw.del(`ut-testbed:tls:session:${id.toString('hex')}`);
  });

  it('gives every racing instance the same 48 ticket key bytes for an epoch (SET NX PX, then GET)', async () => {
    const p = prefix();
    const a = newStore(p);
    const b = newStore(p);
    const calls = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).ticketKeys(42, 120));
    const keys = await Promise.all(calls);
    for (const k of keys) {
      expect(k).toHaveLength(48);
      expect(k.equals(keys[0] as Buffer)).toBe(true);
    }
    expect((await raw.getBuffer(`${p}ticket-keys:42`))?.equals(keys[0] as Buffer)).toBe(true);
    const pttl = await raw.pttl(`${p}ticket-keys:42`);
    expect(pttl).toBeGreaterThan(119_000);
    expect(pttl).toBeLessThanOrEqual(120_000);
    const other = await a.ticketKeys(43, 120);
    expect(other.equals(keys[0] as Buffer)).toBe(false);
  });

  it('refuses keys of a wrong size found in Redis', async () => {
    const p = prefix();
    await raw.set(`${p}ticket-keys:7`, Buffer.alloc(47));
    await expect(newStore(p).ticketKeys(7, 60)).rejects.toThrow(/not 48 bytes/);
  });

  it('rejects a URL that is not redis:// or rediss:// without echoing it', () => {
    expect(() => new RedisSessionStore({ url: 'http://user:hunter2@localhost' })).toThrow(TypeError);
    try {
      new RedisSessionStore({ url: 'http://user:hunter2@localhost' });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('hunter2');
    }
  });

  it('fails fast while Redis is unreachable and works once it is up (no queued commands)', async () => {
    const port = await freePort();
    const store = newStore(prefix(), { url: `redis://127.0.0.1:${port}` });
    const started = Date.now();
    const secret = Buffer.from('very-secret-session-bytes');
    const error = await store.setSession(Buffer.alloc(32, 1), secret, 60).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SessionStoreError);
    expect((error as SessionStoreError).operation).toBe('setSession');
    expect(Date.now() - started).toBeLessThan(1000);
    const shown = inspect(error, { depth: 5 });
    for (const form of [secret.toString(), secret.toString('hex'), secret.toString('base64')])
      expect(shown).not.toContain(form);
    const late = await startRedis(port);
    try {
      expect(await store.waitUntilReady(10_000)).toBe(true);
      await store.setSession(Buffer.alloc(32, 1), secret, 60);
      expect(await store.getSession(Buffer.alloc(32, 1))).toEqual(secret);
    } finally {
      await store.close();
      await late.stop();
    }
  });

  it('times a command out after commandTimeoutMs when Redis stops answering', async () => {
    const store = newStore(prefix(), { commandTimeoutMs: 100 });
    await store.setSession(Buffer.alloc(32, 2), Buffer.from('x'), 60);
    redis.proc.kill('SIGSTOP');
    try {
      const started = Date.now();
      await expect(store.getSession(Buffer.alloc(32, 2))).rejects.toThrow(
        /getSession failed: Command timed out/,
      );
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      redis.proc.kill('SIGCONT');
    }
    expect(await store.getSession(Buffer.alloc(32, 2))).toEqual(Buffer.from('x'));
  });
});

describe('two servers, each with its own RedisSessionStore on one Redis', () => {
  async function pair() {
    const p = prefix();
    const nodes = [];
    for (let i = 0; i < 2; i++) {
      const cache = new TlsSessionCache({ store: newStore(p) });
      caches.push(cache);
      const server = await startServer(cache, cert);
      running.push(server);
      nodes.push({ cache, server });
    }
    return nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  }

  it('a TLS 1.2 session id made on A resumes on B', async () => {
    const [a, b] = await pair();
    const first = await connect(a.server.port, { version: 'TLSv1.2', noTicket: true });
    expect(first.reused).toBe(false);
    const onB = await connect(b.server.port, { version: 'TLSv1.2', noTicket: true, session: first.session });
    expect(onB.reused).toBe(true);
    expect(a.cache.counters()).toMatchObject({ stored: 1, fullHandshakes: 1, storeErrors: 0 });
    expect(b.cache.counters()).toMatchObject({ hits: 1, resumedHandshakes: 1, storeErrors: 0 });
  });

  it('a TLS 1.3 ticket from A resumes on B (both took the same keys from Redis)', async () => {
    const [a, b] = await pair();
    expect(a.server.server.getTicketKeys().equals(b.server.server.getTicketKeys())).toBe(true);
    const first = await connect(a.server.port, { version: 'TLSv1.3' });
    const onB = await connect(b.server.port, { version: 'TLSv1.3', session: first.session });
    expect(onB.reused).toBe(true);
    expect(b.cache.counters()).toMatchObject({ resumedHandshakes: 1, hits: 0, misses: 1, storeErrors: 0 });
  });

  it('handshakes go on while Redis does not answer, bounded by the command timeout', async () => {
    const p = prefix();
    const cache = new TlsSessionCache({ store: newStore(p, { commandTimeoutMs: 100 }) });
    caches.push(cache);
    const server = await startServer(cache, cert);
    running.push(server);
    const first = await connect(server.port, { version: 'TLSv1.2', noTicket: true });
    redis.proc.kill('SIGSTOP');
    try {
      const started = Date.now();
      const fresh = await connect(server.port, { version: 'TLSv1.2', noTicket: true });
      const again = await connect(server.port, {
        version: 'TLSv1.2',
        noTicket: true,
        session: first.session,
      });
      const elapsed = Date.now() - started;
      expect([fresh.reused, again.reused]).toEqual([false, false]);
      // Three store calls time out: the new session's SET, then the GET and SET of the second handshake.
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(1500);
    } finally {
      redis.proc.kill('SIGCONT');
    }
    expect(cache.counters()).toMatchObject({
      storeErrors: 3,
      stored: 1,
      fullHandshakes: 3,
      resumedHandshakes: 0,
    });
  });
});
