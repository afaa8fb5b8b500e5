import { constants } from 'node:crypto';
import { once } from 'node:events';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import {
  MemorySessionStore,
  ManualClock,
  TLS1_2_VERSION,
  TLS1_3_VERSION,
  TlsSessionCache,
  sessionProtocolVersion,
  type SessionCounters,
} from '../src';
import { connect, listen, makeCert, startServer, type RunningServer, type TestCert } from './helpers';

const NO_TICKET = { secureOptions: constants.SSL_OP_NO_TICKET };

let cert: TestCert;
const running: RunningServer[] = [];
const caches: TlsSessionCache[] = [];

beforeAll(async () => {
  cert = await makeCert();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

function newCache(store: MemorySessionStore, o: { sessionIdContext?: string; clock?: ManualClock } = {}) {
  const cache = new TlsSessionCache({ store, ...o });
  caches.push(cache);
  return cache;
}

async function serve(cache: TlsSessionCache, extra: tls.TlsOptions = {}): Promise<RunningServer> {
  const s = await startServer(cache, cert, extra);
  running.push(s);
  return s;
}

function zero(): SessionCounters {
  return {
    fullHandshakes: 0,
    resumedHandshakes: 0,
    hits: 0,
    misses: 0,
    evictions: 0,
    stored: 0,
    ticketKeyRotations: 0,
    storeErrors: 0,
    tls13Handshakes: 0,
    tls13SessionsSkipped: 0,
  };
}

describe('TLS 1.2 session ids through the store', () => {
  it('resumes on the same server when the server disables tickets', async () => {
    const cache = newCache(new MemorySessionStore());
    const { port } = await serve(cache, NO_TICKET);
    const first = await connect(port, { version: 'TLSv1.2' });
    expect(first.reused).toBe(false);
    expect(first.ticket).toBeUndefined();
    const second = await connect(port, { version: 'TLSv1.2', session: first.session });
    expect(second.reused).toBe(true);
    // A TLS 1.2-only client sends no session id in its first ClientHello, so there is no lookup.
    expect(cache.counters()).toEqual({
      ...zero(),
      fullHandshakes: 1,
      resumedHandshakes: 1,
      hits: 1,
      stored: 1,
    });
  });

  it('resumes when only the client refuses tickets (the server still has them on)', async () => {
    const cache = newCache(new MemorySessionStore());
    const { port } = await serve(cache);
    const first = await connect(port, { version: 'TLSv1.2', noTicket: true });
    const second = await connect(port, { version: 'TLSv1.2', noTicket: true, session: first.session });
    expect([first.reused, second.reused]).toEqual([false, true]);
    expect(cache.counters()).toMatchObject({ fullHandshakes: 1, resumedHandshakes: 1, hits: 1, stored: 1 });
  });

  it('resumes on another server whose cache shares the store', async () => {
    const store = new MemorySessionStore();
    const a = newCache(store);
    const b = newCache(store);
    const serverA = await serve(a, NO_TICKET);
    const serverB = await serve(b, NO_TICKET);
    const first = await connect(serverA.port, { version: 'TLSv1.2' });
    const onB = await connect(serverB.port, { version: 'TLSv1.2', session: first.session });
    expect(onB.reused).toBe(true);
    expect(a.counters()).toMatchObject({ fullHandshakes: 1, stored: 1, hits: 0 });
    expect(b.counters()).toMatchObject({ resumedHandshakes: 1, hits: 1, misses: 0, stored: 0 });
  });

  it('misses for an id the store does not have, and the handshake is full', async () => {
    const a = newCache(new MemorySessionStore());
    const b = newCache(new MemorySessionStore());
    const serverA = await serve(a, NO_TICKET);
    const serverB = await serve(b, NO_TICKET);
    const first = await connect(serverA.port, { version: 'TLSv1.2' });
    const onB = await connect(serverB.port, { version: 'TLSv1.2', session: first.session });
    expect(onB.reused).toBe(false);
    expect(b.counters()).toMatchObject({
      fullHandshakes: 1,
      resumedHandshakes: 0,
      hits: 0,
      misses: 1,
      stored: 1,
    });
  });

  it('drops the least recently used session at the bound: its client gets a full handshake', async () => {
    const store = new MemorySessionStore({ maxSessions: 2 });
    const cache = newCache(store);
    const { port } = await serve(cache, NO_TICKET);
    const x = await connect(port, { version: 'TLSv1.2' });
    const y = await connect(port, { version: 'TLSv1.2' });
    // Resuming x makes y the least recently used: a FIFO bound would drop x for z instead.
    expect((await connect(port, { version: 'TLSv1.2', session: x.session })).reused).toBe(true);
    const z = await connect(port, { version: 'TLSv1.2' });
    expect(store.evictions).toBe(1);
    const again = [];
    for (const c of [x, z, y])
      again.push((await connect(port, { version: 'TLSv1.2', session: c.session })).reused);
    expect(again).toEqual([true, true, false]);
    // y's new session (its second full handshake) pushed out x, now the least recently used.
    expect(cache.counters()).toMatchObject({
      stored: 4,
      hits: 3,
      misses: 1,
      evictions: 2,
      fullHandshakes: 4,
    });
    expect(store.size).toBe(2);
  });

  it('treats a session past sessionTimeout as a miss (store TTL on the injected clock)', async () => {
    const clock = new ManualClock(Date.now());
    const store = new MemorySessionStore({ clock });
    const cache = new TlsSessionCache({ store, clock, sessionTimeout: 60 });
    caches.push(cache);
    const { port } = await serve(cache, NO_TICKET);
    const first = await connect(port, { version: 'TLSv1.2' });
    clock.advance(59_999);
    expect((await connect(port, { version: 'TLSv1.2', session: first.session })).reused).toBe(true);
    clock.advance(1);
    expect((await connect(port, { version: 'TLSv1.2', session: first.session })).reused).toBe(false);
    expect(cache.counters()).toMatchObject({ hits: 1, misses: 1, evictions: 0 });
  });
});

describe('tickets across servers sharing one MemorySessionStore', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)('a %s ticket from A resumes on B', async (version) => {
    const store = new MemorySessionStore();
    const a = newCache(store);
    const b = newCache(store);
    const serverA = await serve(a);
    const serverB = await serve(b);
    expect(serverA.server.getTicketKeys().equals(serverB.server.getTicketKeys())).toBe(true);
    const first = await connect(serverA.port, { version });
    expect(first.protocol).toBe(version);
    expect(first.reused).toBe(false);
    const onB = await connect(serverB.port, { version, session: first.session });
    expect(onB.reused).toBe(true);
    expect(b.counters()).toMatchObject({ resumedHandshakes: 1, fullHandshakes: 0, hits: 0, stored: 0 });
    if (version === 'TLSv1.2') {
      // Ticket-bearing ClientHellos never reach resumeSession, and no session id was issued.
      expect(a.counters()).toMatchObject({ stored: 0, misses: 0, tls13Handshakes: 0 });
      expect(b.counters().misses).toBe(0);
    } else {
      // Two tickets per full TLS 1.3 handshake, not stored; the random legacy_session_id counts a miss.
      expect(a.counters()).toMatchObject({
        stored: 0,
        tls13SessionsSkipped: 2,
        misses: 1,
        tls13Handshakes: 1,
      });
      // No ticket (so no 'newSession') for a resumed TLS 1.3 handshake.
      expect(b.counters()).toMatchObject({ misses: 1, tls13Handshakes: 1, tls13SessionsSkipped: 0 });
    }
  });

  it('does not resume when the sessionIdContext differs, although the keys are the same', async () => {
    const store = new MemorySessionStore();
    const a = newCache(store, { sessionIdContext: 'instance-a' });
    const b = newCache(store, { sessionIdContext: 'instance-b' });
    const cases: { version: 'TLSv1.2' | 'TLSv1.3'; noTicket?: boolean }[] = [
      { version: 'TLSv1.2', noTicket: true },
      { version: 'TLSv1.2' },
      { version: 'TLSv1.3' },
    ];
    const serverA = await serve(a);
    const serverB = await serve(b);
    expect(serverA.server.getTicketKeys().equals(serverB.server.getTicketKeys())).toBe(true);
    for (const c of cases) {
      const first = await connect(serverA.port, c);
      const sameServer = await connect(serverA.port, { ...c, session: first.session });
      const onB = await connect(serverB.port, { ...c, session: first.session });
      expect({ ...c, sameServer: sameServer.reused, onB: onB.reused }).toEqual({
        ...c,
        sameServer: true,
        onB: false,
      });
    }
    // The session-id case found the session in the store and OpenSSL refused it for its context.
    expect(b.counters()).toMatchObject({ hits: 1, resumedHandshakes: 0, fullHandshakes: 3 });
  });
});

describe('attach and serverOptions', () => {
  it('gives 48-byte ticket keys, the server uses them, and the options carry context and timeout', async () => {
    const store = new MemorySessionStore();
    const cache = newCache(store, { sessionIdContext: 'ctx-1' });
    const options = await cache.serverOptions();
    expect(options.ticketKeys).toHaveLength(48);
    expect(options).toMatchObject({ sessionIdContext: 'ctx-1', sessionTimeout: 300 });
    const { server } = await serve(cache);
    expect(server.getTicketKeys()).toHaveLength(48);
    expect(server.getTicketKeys().equals(options.ticketKeys)).toBe(true);
    const epoch = cache.epochAt(Date.now());
    expect((await store.ticketKeys(epoch, 10)).equals(options.ticketKeys)).toBe(true);
  });

  it('refuses a server that was not created with the cache sessionIdContext', () => {
    const cache = newCache(new MemorySessionStore());
    const server = tls.createServer({ ...cert });
    expect(() => cache.attach(server)).toThrow(/sessionIdContext/);
    expect(server.listenerCount('resumeSession')).toBe(0);
  });

  it('puts the shared keys on a server created without them', async () => {
    const store = new MemorySessionStore();
    const cache = newCache(store);
    const keys = (await cache.serverOptions()).ticketKeys;
    const server = tls.createServer({ ...cert, sessionIdContext: cache.sessionIdContext });
    expect(server.getTicketKeys().equals(keys)).toBe(false);
    cache.attach(server);
    expect(server.getTicketKeys().equals(keys)).toBe(true);
    running.push(await listen(server));
  });

  it('works for an https.Server: an https.Agent resumes its cached session', async () => {
    const cache = newCache(new MemorySessionStore());
    const server = https.createServer({ ...cert, ...(await cache.serverOptions()) }, (_req, res) =>
      res.end('ok'),
    );
    cache.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const agent = new https.Agent({ keepAlive: false, rejectUnauthorized: false });
    const get = () =>
      new Promise<{ body: string; reused: boolean }>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
            const reused = (res.socket as tls.TLSSocket).isSessionReused();
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ body, reused }));
          })
          .on('error', reject);
      });
    try {
      // The agent stores the session on the client 'session' event; for TLS 1.3 that is after the
      // handshake, so the first request's response has been read before the second starts.
      const first = await get();
      const second = await get();
      expect([first, second]).toEqual([
        { body: 'ok', reused: false },
        { body: 'ok', reused: true },
      ]);
      expect(cache.counters()).toMatchObject({ fullHandshakes: 1, resumedHandshakes: 1 });
    } finally {
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('sessionProtocolVersion', () => {
  it('reads TLS 1.2 and 1.3 from the sessions Node hands out, and rejects other bytes', async () => {
    const seen: number[] = [];
    const cache = newCache(new MemorySessionStore());
    const { port, server } = await serve(cache);
    server.prependListener('newSession', (_id: Buffer, data: Buffer) => {
      seen.push(sessionProtocolVersion(data) ?? -1);
    });
    const v13 = await connect(port, { version: 'TLSv1.3' });
    await connect(port, { version: 'TLSv1.2', noTicket: true });
    expect(sessionProtocolVersion(v13.session as Buffer)).toBe(TLS1_3_VERSION);
    expect(seen).toEqual([TLS1_3_VERSION, TLS1_3_VERSION, TLS1_2_VERSION]);
    expect(sessionProtocolVersion(Buffer.from('300602010102020304', 'hex'))).toBe(TLS1_3_VERSION);
    expect(sessionProtocolVersion(Buffer.from('300602010202020304', 'hex'))).toBeUndefined();
    expect(sessionProtocolVersion(Buffer.alloc(0))).toBeUndefined();
    expect(sessionProtocolVersion(Buffer.from('3081', 'hex'))).toBeUndefined();
  });
});
