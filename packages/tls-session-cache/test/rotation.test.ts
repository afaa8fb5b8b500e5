import { constants, createHash } from 'node:crypto';
import { once } from 'node:events';
import * as tls from 'node:tls';
import { ManualClock, MemorySessionStore, TlsSessionCache } from '../src';
import {
  FaultyStore,
  connect,
  listen,
  makeCert,
  sessionIdOf,
  startServer,
  type RunningServer,
  type TestCert,
  type TlsVersion,
} from './helpers';

const HOUR_MS = 3600_000;
const EPOCH = 480_000; // an hour-epoch in 2024
const START = EPOCH * HOUR_MS + 1000;

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

async function cluster(
  n: number,
  o: { clock: ManualClock; sessionTimeout?: number; ticketKeyRotation?: number; noTicket?: boolean },
) {
  const store = new MemorySessionStore({ clock: o.clock });
  const nodes: { cache: TlsSessionCache; server: RunningServer }[] = [];
  for (let i = 0; i < n; i++) {
    const cache = new TlsSessionCache({
      store,
      clock: o.clock,
      sessionTimeout: o.sessionTimeout ?? 300,
      ticketKeyRotation: o.ticketKeyRotation ?? 3600,
    });
    caches.push(cache);
    const server = await startServer(
      cache,
      cert,
      o.noTicket ? { secureOptions: constants.SSL_OP_NO_TICKET } : {},
    );
    running.push(server);
    nodes.push({ cache, server });
  }
  return { store, nodes };
}

/** Advances the clock to `t`, waiting for every cache to install new keys if an epoch boundary is crossed. */
async function advanceTo(clock: ManualClock, cachesToWait: TlsSessionCache[], t: number): Promise<void> {
  const first = cachesToWait[0] as TlsSessionCache;
  const crossing = first.epochAt(t) > first.epochAt(clock.now());
  const rotated = crossing ? Promise.all(cachesToWait.map((c) => once(c, 'ticketKeys'))) : undefined;
  clock.advance(t - clock.now());
  await rotated;
}

describe('ticket key rotation', () => {
  it('switches every instance to the same new keys exactly at the boundary', async () => {
    const clock = new ManualClock(START);
    const { store, nodes } = await cluster(2, { clock });
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const before = a.server.server.getTicketKeys();
    expect(b.server.server.getTicketKeys().equals(before)).toBe(true);
    expect(before.equals(await store.ticketKeys(EPOCH, 1))).toBe(true);
    const old13 = await connect(a.server.port, { version: 'TLSv1.3' });
    const old12 = await connect(a.server.port, { version: 'TLSv1.2' });

    clock.advance(HOUR_MS - 1000 - 1);
    expect(a.server.server.getTicketKeys().equals(before)).toBe(true);
    expect(a.cache.counters().ticketKeyRotations).toBe(0);

    const rotated = Promise.all([once(a.cache, 'ticketKeys'), once(b.cache, 'ticketKeys')]);
    clock.advance(1);
    expect(await rotated).toEqual([
      [EPOCH + 1, true],
      [EPOCH + 1, true],
    ]);
    const after = a.server.server.getTicketKeys();
    expect(after).toHaveLength(48);
    expect(after.equals(before)).toBe(false);
    expect(b.server.server.getTicketKeys().equals(after)).toBe(true);
    expect(after.equals(await store.ticketKeys(EPOCH + 1, 1))).toBe(true);

    // One key slot: tickets sealed with the old keys are not accepted any more, on either server.
    for (const server of [a.server, b.server]) {
      expect((await connect(server.port, { version: 'TLSv1.3', session: old13.session })).reused).toBe(false);
      expect((await connect(server.port, { version: 'TLSv1.2', session: old12.session })).reused).toBe(false);
    }
    const fresh = await connect(a.server.port, { version: 'TLSv1.3' });
    expect((await connect(b.server.port, { version: 'TLSv1.3', session: fresh.session })).reused).toBe(true);
    expect(a.cache.counters().ticketKeyRotations).toBe(1);
    expect(b.cache.counters().ticketKeyRotations).toBe(1);
  });

  it('TLS 1.2: a failed ticket does not fall back to the session id (Node does not even look it up)', async () => {
    const clock = new ManualClock(START);
    const { nodes } = await cluster(1, { clock });
    const { cache, server } = nodes[0] as (typeof nodes)[0];
    let lookups = 0;
    server.server.prependListener('resumeSession', () => lookups++);
    const first = await connect(server.port, { version: 'TLSv1.2' });
    expect(first.ticket).toBeInstanceOf(Buffer);
    // The id the client keeps next to a ticket is SHA-256 of the ticket (OpenSSL client), and the server
    // issued no id of its own: 'newSession' did not fire, nothing went into the store.
    const kept = sessionIdOf(first.session as Buffer);
    expect(
      kept.equals(
        createHash('sha256')
          .update(first.ticket as Buffer)
          .digest(),
      ),
    ).toBe(true);
    expect(cache.counters().stored).toBe(0);

    await advanceTo(clock, [cache], START + HOUR_MS);
    const again = await connect(server.port, { version: 'TLSv1.2', session: first.session });
    expect(again.reused).toBe(false);
    expect(lookups).toBe(0);
    expect(cache.counters()).toMatchObject({ hits: 0, misses: 0, fullHandshakes: 2, ticketKeyRotations: 1 });
  });

  it('TLS 1.2 session ids (no tickets) live in the store and survive a rotation', async () => {
    const clock = new ManualClock(START);
    const { nodes } = await cluster(2, { clock, noTicket: true });
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    // Made 10 s before the boundary: the store keeps it for sessionTimeout (300 s) on the same clock.
    clock.advance(HOUR_MS - 1000 - 10_000);
    const first = await connect(a.server.port, { version: 'TLSv1.2' });
    await advanceTo(clock, [a.cache, b.cache], START + HOUR_MS);
    expect((await connect(b.server.port, { version: 'TLSv1.2', session: first.session })).reused).toBe(true);
    expect(b.cache.counters()).toMatchObject({ hits: 1, resumedHandshakes: 1 });
  });

  it.each(['TLSv1.3', 'TLSv1.2'] as TlsVersion[])(
    '%s: reconnections lost to rotation are bounded by sessionTimeout / ticketKeyRotation (measured)',
    async (version) => {
      const R = 100; // seconds
      const S = 10; // seconds
      const clock = new ManualClock(START);
      const { nodes } = await cluster(2, { clock, sessionTimeout: S, ticketKeyRotation: R });
      const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
      const cacheList = [a.cache, b.cache];
      const epochStart = a.cache.epochAt(START) * R * 1000;
      // 50 clients spread over one rotation period; each comes back (to the other instance) just before
      // its session would expire: the worst case for rotation.
      const N = 50;
      const delay = S * 1000 - 1;
      const starts = Array.from({ length: N }, (_, i) => epochStart + 1000 + (i * R * 1000) / N);
      const events = starts
        .flatMap((t, i) => [
          { t, i, kind: 'first' as const },
          { t: t + delay, i, kind: 'again' as const },
        ])
        .sort((x, y) => x.t - y.t || (x.kind === 'first' ? -1 : 1));
      const sessions = new Map<number, Buffer | undefined>();
      const lost: number[] = [];
      for (const e of events) {
        await advanceTo(clock, cacheList, e.t);
        if (e.kind === 'first') {
          sessions.set(e.i, (await connect(a.server.port, { version })).session);
        } else {
          const c = await connect(b.server.port, { version, session: sessions.get(e.i) });
          if (!c.reused) lost.push(e.i);
        }
      }
      const expected = starts
        .map((t, i) => ({ t, i }))
        .filter(({ t }) => Math.floor((t + delay) / (R * 1000)) > Math.floor(t / (R * 1000)))
        .map(({ i }) => i);
      expect(lost).toEqual(expected);
      expect(lost.length).toBe(5);
      expect(lost.length / N).toBeLessThanOrEqual(S / R);
      expect(a.cache.counters().ticketKeyRotations).toBe(1);
      expect(b.cache.counters().resumedHandshakes).toBe(N - lost.length);
    },
  );

  it('keeps the current keys when the store fails at the boundary and retries after retryDelayMs', async () => {
    const clock = new ManualClock(START);
    const store = new FaultyStore(new MemorySessionStore({ clock }));
    const cache = new TlsSessionCache({ store, clock, retryDelayMs: 5000 });
    caches.push(cache);
    const server = await startServer(cache, cert);
    running.push(server);
    const before = server.server.getTicketKeys();
    const ticket = await connect(server.port, { version: 'TLSv1.3' });

    store.faults.ticketKeys = 'reject';
    const failed = once(cache, 'storeError');
    clock.advance(HOUR_MS - 1000);
    const [error] = (await failed) as [Error & { operation: string }];
    expect(error.operation).toBe('ticketKeys');
    expect(server.server.getTicketKeys().equals(before)).toBe(true);
    expect(cache.counters()).toMatchObject({ storeErrors: 1, ticketKeyRotations: 0 });
    // Still the old keys, so this instance keeps resuming its own tickets meanwhile.
    expect((await connect(server.port, { version: 'TLSv1.3', session: ticket.session })).reused).toBe(true);

    const failedAgain = once(cache, 'storeError');
    clock.advance(5000);
    await failedAgain;
    expect(store.calls.ticketKeys).toBe(3);

    store.faults.ticketKeys = 'none';
    const rotated = once(cache, 'ticketKeys');
    clock.advance(4999);
    expect(store.calls.ticketKeys).toBe(3);
    clock.advance(1);
    expect(await rotated).toEqual([EPOCH + 1, true]);
    expect(server.server.getTicketKeys().equals(await store.inner.ticketKeys(EPOCH + 1, 1))).toBe(true);
    expect(cache.counters()).toMatchObject({ storeErrors: 2, ticketKeyRotations: 1 });
  });

  it('attach() moves a server created from last epoch options onto the current keys', async () => {
    const clock = new ManualClock(START + HOUR_MS - 1001);
    const store = new MemorySessionStore({ clock });
    const cache = new TlsSessionCache({ store, clock });
    caches.push(cache);
    const options = await cache.serverOptions();
    clock.advance(1);
    const installed = once(cache, 'ticketKeys');
    const server = tls.createServer({ ...cert, ...options });
    cache.attach(server);
    running.push(await listen(server));
    expect(await installed).toEqual([EPOCH + 1, true]);
    expect(server.getTicketKeys().equals(await store.ticketKeys(EPOCH + 1, 1))).toBe(true);
    expect(server.getTicketKeys().equals(options.ticketKeys)).toBe(false);
  });

  it('never arms a timer beyond what setTimeout can hold, and close() stops it', async () => {
    const delays: number[] = [];
    class RecordingClock extends ManualClock {
      override setTimeout(fn: () => void, ms: number): unknown {
        delays.push(ms);
        return super.setTimeout(fn, ms);
      }
    }
    const clock = new RecordingClock(START);
    const cache = new TlsSessionCache({
      store: new MemorySessionStore({ clock }),
      clock,
      ticketKeyRotation: 90 * 86400,
    });
    caches.push(cache);
    const server = await startServer(cache, cert);
    running.push(server);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBe(2 ** 31 - 1);
    // Waking up early only re-arms the timer; keys change at the real boundary.
    clock.advance(2 ** 31 - 1);
    expect(delays).toHaveLength(2);
    expect(cache.counters().ticketKeyRotations).toBe(0);
    expect(clock.pendingTimers).toBe(1);
    await cache.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
