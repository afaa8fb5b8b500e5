import { once } from 'node:events';
import {
  ManualClock,
  MemorySessionStore,
  RedisSessionStore,
  SessionStoreError,
  TlsSessionCache,
  type SessionStore,
} from '../src';
import {
  FaultyStore,
  connect,
  freePort,
  makeCert,
  startServer,
  type RunningServer,
  type TestCert,
} from './helpers';

let cert: TestCert;
const running: RunningServer[] = [];
const caches: TlsSessionCache[] = [];
const stores: SessionStore[] = [];

beforeAll(async () => {
  cert = await makeCert();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await Promise.all(caches.splice(0).map((c) => c.close()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function serve(cache: TlsSessionCache): Promise<RunningServer> {
  caches.push(cache);
  const server = await startServer(cache, cert);
  running.push(server);
  return server;
}

function collectErrors(cache: TlsSessionCache): SessionStoreError[] {
  const errors: SessionStoreError[] = [];
  cache.on('storeError', (e) => errors.push(e));
  return errors;
}

describe('a store that fails', () => {
  it('Redis down (closed port): handshakes complete, storeErrors counted, and it is fast', async () => {
    const started = Date.now();
    const port = await freePort();
    const store = new RedisSessionStore({ url: `redis://127.0.0.1:${port}` });
    stores.push(store);
    // no retry of the key fetch during the test (a slow machine would otherwise see one more error)
    const cache = new TlsSessionCache({ store, retryDelayMs: 60_000 });
    const errors = collectErrors(cache);
    const installed = once(cache, 'ticketKeys');
    const options = await cache.serverOptions();
    expect(await installed).toEqual([cache.epochAt(Date.now()), false]);
    expect(options.ticketKeys).toHaveLength(48);
    const server = await serve(cache);
    const v12 = await connect(server.port, { version: 'TLSv1.2', noTicket: true });
    const v12again = await connect(server.port, { version: 'TLSv1.2', noTicket: true, session: v12.session });
    const v13 = await connect(server.port, { version: 'TLSv1.3' });
    const v13again = await connect(server.port, { version: 'TLSv1.3', session: v13.session });
    // Session ids need the store; tickets with this instance's local keys still work on this instance.
    expect([v12.reused, v12again.reused, v13.reused, v13again.reused]).toEqual([false, false, false, true]);
    const c = cache.counters();
    // serverOptions() ran twice (here and in startServer): with only local keys, each asks the store again.
    expect(errors.map((e) => e.operation)).toEqual([
      'ticketKeys',
      'ticketKeys',
      'setSession',
      'getSession', // the second TLS 1.2 hello carries the session id
      'setSession',
      'getSession', // TLS 1.3 hellos carry a random legacy_session_id
      'getSession',
    ]);
    expect(c.storeErrors).toBe(7);
    // the first connection attempt to a closed port fails at once: a command issued during it waited and
    // failed with it, one issued after it fails without waiting
    expect(errors[0]?.message).toMatch(
      /^session store ticketKeys failed: (?:Reached the max retries per request limit|Stream isn't writeable)/,
    );
    expect(c).toMatchObject({ fullHandshakes: 3, resumedHandshakes: 1, hits: 0, misses: 0, stored: 0 });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a store that never answers: each call gives up after storeTimeoutMs, handshakes complete', async () => {
    const clock = new ManualClock(Date.now());
    const store = new FaultyStore(new MemorySessionStore({ clock }));
    store.faults = { getSession: 'hang', setSession: 'hang', ticketKeys: 'hang' };
    const cache = new TlsSessionCache({ store, clock, storeTimeoutMs: 50, retryDelayMs: 1000 });
    const errors = collectErrors(cache);
    const server = await serve(cache);
    const local = server.server.getTicketKeys();
    const first = await connect(server.port, { version: 'TLSv1.2', noTicket: true });
    const again = await connect(server.port, { version: 'TLSv1.2', noTicket: true, session: first.session });
    expect([first.reused, again.reused]).toEqual([false, false]);
    expect(errors.map((e) => e.operation)).toEqual(['ticketKeys', 'setSession', 'getSession', 'setSession']);
    expect(errors[0]?.message).toBe('session store ticketKeys failed: no answer within 50 ms');

    // When the store answers again, the retry replaces the local keys with the shared ones.
    store.faults.ticketKeys = 'none';
    const shared = once(cache, 'ticketKeys');
    clock.advance(1000);
    expect((await shared)[1]).toBe(true);
    expect(server.server.getTicketKeys().equals(local)).toBe(false);
    expect(
      server.server.getTicketKeys().equals(await store.inner.ticketKeys(cache.epochAt(clock.now()), 1)),
    ).toBe(true);
    expect(cache.counters()).toMatchObject({ storeErrors: 4, ticketKeyRotations: 1 });
  });

  it.each(['reject', 'throw'] as const)(
    'a store that %ss: the handshake completes and no error carries the session bytes',
    async (fault) => {
      const store = new FaultyStore();
      const cache = new TlsSessionCache({ store });
      const errors = collectErrors(cache);
      const server = await serve(cache);
      store.faults = { getSession: fault, setSession: fault, ticketKeys: fault };
      const first = await connect(server.port, { version: 'TLSv1.2', noTicket: true });
      const again = await connect(server.port, {
        version: 'TLSv1.2',
        noTicket: true,
        session: first.session,
      });
      expect([first.reused, again.reused]).toEqual([false, false]);
      expect(store.secretInMessage).toMatch(/^[0-9a-f]{100,}$/);
      expect(errors).toHaveLength(3);
      for (const e of errors) {
        expect(e).toBeInstanceOf(SessionStoreError);
        expect(e.message).not.toContain(store.secretInMessage);
        expect(e.message).not.toContain('boom');
        expect(e.code).toBe(fault === 'reject' ? 'EFAULTY' : undefined);
      }
      expect(errors[0]?.message).toBe('session store setSession failed: Error');
    },
  );

  it('a store that returns garbage: a full handshake, not a broken connection', async () => {
    const store = new MemorySessionStore();
    store.getSession = () => Promise.resolve(Buffer.from('not a session'));
    const cache = new TlsSessionCache({ store });
    const server = await serve(cache);
    const first = await connect(server.port, { version: 'TLSv1.2', noTicket: true });
    const again = await connect(server.port, { version: 'TLSv1.2', noTicket: true, session: first.session });
    expect(again.reused).toBe(false);
    // The store answered, so it is a hit; OpenSSL could not use it, so the handshake was full.
    expect(cache.counters()).toMatchObject({ hits: 1, fullHandshakes: 2, resumedHandshakes: 0 });
  });

  it('ticket keys of a wrong size from the store are refused and counted', async () => {
    const store = new MemorySessionStore();
    store.ticketKeys = () => Promise.resolve(Buffer.alloc(32));
    const cache = new TlsSessionCache({ store });
    caches.push(cache);
    const errors = collectErrors(cache);
    expect((await cache.serverOptions()).ticketKeys).toHaveLength(48);
    expect(errors.map((e) => e.message)).toEqual([
      'session store ticketKeys failed: the store returned keys of a wrong size',
    ]);
  });

  it('a throwing storeError listener does not break the handshake', async () => {
    const store = new FaultyStore();
    const cache = new TlsSessionCache({ store });
    cache.on('storeError', () => {
      throw new Error('listener bug');
    });
    const server = await serve(cache);
    store.faults.setSession = 'reject';
    const first = await connect(server.port, { version: 'TLSv1.2', noTicket: true });
    expect(first.reused).toBe(false);
    expect(cache.counters().storeErrors).toBe(1);
  });
});

describe('options', () => {
  it('validates what would break resumption or Node', () => {
    const store = new MemorySessionStore();
    expect(() => new TlsSessionCache({ store, sessionIdContext: 'x'.repeat(33) })).toThrow(RangeError);
    expect(() => new TlsSessionCache({ store, sessionIdContext: '' })).toThrow(RangeError);
    expect(() => new TlsSessionCache({ store, sessionTimeout: 1.5 })).toThrow(RangeError);
    expect(() => new TlsSessionCache({ store, ticketKeyRotation: 0 })).toThrow(RangeError);
    expect(() => new TlsSessionCache({ store, storeTimeoutMs: 0 })).toThrow(RangeError);
    const cache = new TlsSessionCache({ store });
    expect([cache.sessionIdContext, cache.sessionTimeout, cache.ticketKeyRotation]).toEqual([
      'ut-testbed',
      300,
      3600,
    ]);
    expect(cache.epochAt(3600_000 * 5 - 1)).toBe(4);
    expect(cache.epochAt(3600_000 * 5)).toBe(5);
  });
});
