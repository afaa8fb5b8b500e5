/**
 * The failure flows (DESIGN.md section 3) over real sockets: wrong RES until the retry budget is spent,
 * a replayed nonce count, a stale nonce, resynchronisation, a UE that rejects the network, an unknown
 * public identity, and the HSS and the application server away.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { parseChallenges } from '@ut-testbed/aka-crypto';
import { EMPTY_LIST, listDoc, network, USER1, type Network } from './support/network';
import { TestUe } from './support/ue';

const ueOf = (ap: { endpoints: { https: string }; certificate: string }) =>
  new TestUe({ ap: ap.endpoints.https, ca: ap.certificate, impi: USER1.impi, k: USER1.k, opc: USER1.opc! });

const RL = 'application/resource-lists+xml';
const IMPU1 = USER1.impus[0]!;

/** A TCP port nobody listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('authentication failures', () => {
  let net: Network;
  let clock = Date.now();
  beforeAll(async () => {
    net = await network({ apOptions: { now: () => clock, nonceLifetimeMs: 60_000, maxFailures: 3 } });
  });
  afterAll(() => net.close());

  it('a wrong RES is challenged again, and after three wrong answers refused with 403', async () => {
    const ue = net.ue();
    const path = listDoc(IMPU1, 'wrong');
    const statuses: number[] = [];
    let r = await ue.send('PUT', path, { body: EMPTY_LIST, type: RL });
    statuses.push(r.status);
    for (let i = 0; i < 3 && r.status === 401; i++) {
      const ch = parseChallenges(String(r.headers['www-authenticate']))[0]!;
      const auth = ue.authorization('PUT', path, EMPTY_LIST, { ch, wrongRes: true });
      r = await ue.send('PUT', path, { body: EMPTY_LIST, type: RL, headers: { Authorization: auth.header } });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([401, 401, 401, 403]);
    // nothing reached the XCAP server
    expect((await net.ue().call('GET', path)).final.status).toBe(404);
  });

  it('a nonce count used before is not accepted: a fresh challenge instead', async () => {
    const ue = net.ue();
    const path = listDoc(IMPU1, 'replay');
    const first = await ue.call('PUT', path, { body: EMPTY_LIST, type: RL });
    expect(first.final.status).toBe(201);
    // another connection, the same nonce and a higher count: accepted without a challenge
    const other = net.ue();
    other.challenge = ue.challenge;
    const ok = other.authorization('GET', path, undefined, { nc: 2 });
    expect((await other.send('GET', path, { headers: { Authorization: ok.header } })).status).toBe(200);
    // the same count again, on a third connection: replay
    const third = net.ue();
    third.challenge = ue.challenge;
    const replay = third.authorization('GET', path, undefined, { nc: 2 });
    const r = await third.send('GET', path, { headers: { Authorization: replay.header } });
    expect(r.status).toBe(401);
    expect(parseChallenges(String(r.headers['www-authenticate']))[0]!.params.get('nonce')).not.toBe(
      ue.challenge!.params.get('nonce'),
    );
  });

  it('an expired nonce with a good response: 401 stale=true with a new nonce', async () => {
    const ue = net.ue();
    const path = listDoc(IMPU1, 'stale');
    expect((await ue.call('PUT', path, { body: EMPTY_LIST, type: RL })).final.status).toBe(201);
    clock += 61_000;
    const fresh = net.ue();
    fresh.challenge = ue.challenge;
    const auth = fresh.authorization('GET', path, undefined, { nc: 5 });
    const r = await fresh.send('GET', path, { headers: { Authorization: auth.header } });
    expect(r.status).toBe(401);
    const ch = parseChallenges(String(r.headers['www-authenticate']))[0]!;
    expect(ch.params.get('stale')).toBe('true');
    expect(ch.params.get('nonce')).not.toBe(ue.challenge!.params.get('nonce'));
  });

  it('resync: the USIM is ahead, answers with auts; the AP resynchronises through the HSS and succeeds', async () => {
    const ue = net.ue();
    // the USIM has accepted a sequence number far beyond the HSS's
    ue.usim.sqnArray.accept(0x0000_ffff_ff00);
    const path = listDoc(IMPU1, 'resync');
    const first = await ue.send('PUT', path, { body: EMPTY_LIST, type: RL });
    expect(first.status).toBe(401);
    const ch = parseChallenges(String(first.headers['www-authenticate']))[0]!;
    const sync = ue.authorization('PUT', path, EMPTY_LIST, { ch });
    expect(sync.outcome).toBe('sync-failure');
    expect(sync.header).toMatch(/auts="/);
    const second = await ue.send('PUT', path, {
      body: EMPTY_LIST,
      type: RL,
      headers: { Authorization: sync.header },
    });
    expect(second.status).toBe(401);
    ue.challenge = parseChallenges(String(second.headers['www-authenticate']))[0]!;
    const ok = ue.authorization('PUT', path, EMPTY_LIST);
    expect(ok.outcome).toBe('ok');
    const done = await ue.send('PUT', path, {
      body: EMPTY_LIST,
      type: RL,
      headers: { Authorization: ok.header },
    });
    expect(done.status).toBe(201);
    // the MAR that resynchronised carried RAND || AUTS
    expect(net.sink.events.some((e) => e.iface === 'Cx' && e.summary.startsWith('MAR'))).toBe(true);
  });

  it('a UE that does not accept the network (empty response, no auts): 403', async () => {
    const ue = net.ue();
    const path = listDoc(IMPU1, 'mac');
    const first = await ue.send('PUT', path, { body: EMPTY_LIST, type: RL });
    const ch = parseChallenges(String(first.headers['www-authenticate']))[0]!;
    const auth = ue.authorization('PUT', path, EMPTY_LIST, { ch, emptyResponse: true });
    const r = await ue.send('PUT', path, {
      body: EMPTY_LIST,
      type: RL,
      headers: { Authorization: auth.header },
    });
    expect(r.status).toBe(403);
  });

  it('a public identity the HSS does not know: 403 without a challenge', async () => {
    const r = await net.ue().send('GET', listDoc('sip:nobody@home1.net'));
    expect(r.status).toBe(403);
  });

  it('limits: a body over 1 MiB gets 413 and the connection closed; headers over 16 KiB get 400', async () => {
    const big = net.ue();
    const r = await big.send('PUT', listDoc(IMPU1, 'big'), { body: 'x'.repeat(1024 * 1024 + 1), type: RL });
    expect(r.status).toBe(413);
    await new Promise<void>((resolve) =>
      r.socket.readableEnded ? resolve() : r.socket.once('end', () => resolve()),
    );
    const heavy = net.ue();
    const h = await heavy.send('GET', listDoc(IMPU1), { headers: { 'X-Padding': 'p'.repeat(17 * 1024) } });
    expect(h.status).toBe(400);
  });

  it('a malformed X-3GPP-Intended-Identity: 400', async () => {
    const r = await net
      .ue()
      .send('GET', listDoc(IMPU1), { headers: { 'X-3GPP-Intended-Identity': 'not a uri' } });
    expect(r.status).toBe(400);
  });
});

describe('peers away', () => {
  let net: Network;
  let silentServer: Server;
  const silentSockets = new Set<Socket>();
  beforeAll(async () => {
    net = await network();
    // accepts and never answers; its connections are destroyed at the end, since it never ends them itself
    silentServer = createServer((s) => void silentSockets.add(s));
    await new Promise<void>((r) => silentServer.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    await net.close();
    for (const s of silentSockets) s.destroy();
    await new Promise<void>((r) => silentServer.close(() => r()));
  });

  it('HSS unreachable: 503 with Retry-After, within seconds', async () => {
    const ap = await net.startAp({
      ap: { hss: { host: '127.0.0.1', port: await closedPort() } },
      hssTimeoutMs: 500,
    });
    const ue = ueOf(ap);
    const t0 = Date.now();
    const r = await ue.send('GET', listDoc(IMPU1));
    ue.close();
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('application server unreachable: 502; not answering: 504', async () => {
    for (const [port, status] of [
      [await closedPort(), 502],
      [(silentServer.address() as { port: number }).port, 504],
    ] as const) {
      const ap = await net.startAp({
        ap: { routes: [{ pathPrefix: '/services', upstream: `http://127.0.0.1:${port}` }] },
        upstreamTimeoutMs: 500,
      });
      const ue = ueOf(ap);
      const r = await ue.call('GET', listDoc(IMPU1));
      ue.close();
      expect(r.exchanges.map((e) => e.status)).toEqual([401, status]);
    }
  });
});
