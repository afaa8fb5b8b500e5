/**
 * TLS on Ut against the real AP: one kept-alive connection for many requests; a new connection resumes the
 * session (TLS 1.3 and TLS 1.2, seen by the client's socket and counted by the AP's session cache) and
 * authenticates with the nonce it has; forgetting sessions means a full handshake; the AP's certificate is
 * checked against the name the UE addresses, not the address it connects to.
 */
import { HttpsExchangeError } from '../src/http/https-connection';
import { UtClient } from '../src/http/ut-client';
import { UsimModel } from '../src/usim/usim-model';
import { EMPTY_LIST, headerOf, network, USER1, type Network } from './support/network';

const LIST = { auid: 'resource-lists', document: 'index' } as const;

describe('TLS sessions and connections', () => {
  let net: Network;
  beforeAll(async () => {
    net = await network();
  });
  afterAll(() => net.close());

  const mars = () =>
    net.sink.events.filter((e) => e.iface === 'Cx' && e.from.name === 'ap' && e.summary.startsWith('MAR'))
      .length;

  it.each(['TLSv1.3', 'TLSv1.2'] as const)(
    '%s: a new connection resumes the session and reuses the nonce with the next count',
    async (version) => {
      const { http, xcap } = net.ue({ tls: { minVersion: version, maxVersion: version } });
      const doc = { ...LIST, document: `resume-${version}` };
      const first = await xcap.put(doc, EMPTY_LIST);
      expect(first.response.tlsProtocol).toBe(version);
      expect(first.response.tlsResumed).toBe(false);
      const marsBefore = mars();
      const before = net.ap.sessionCache.counters();
      await http.disconnect();
      const again = await xcap.get(doc);
      expect(again.status).toBe(200);
      expect(again.response.exchanges).toEqual([
        { status: 200, credentials: 'reuse', newConnection: true, tlsResumed: true, connectionId: 2 },
      ]);
      expect(again.response.tlsProtocol).toBe(version);
      // the AP saw the resumption too, and checked the reused nonce (no new vector)
      expect(net.ap.sessionCache.counters().resumedHandshakes).toBe(before.resumedHandshakes + 1);
      expect(mars()).toBe(marsBefore);
      expect(again.response.rspauth).toBe('verified');
      expect(headerOf(net.utRequests().at(-1)!, 'Authorization')).toMatch(/ nc=00000002, /);
      // without the cached session the next connection is a full handshake
      await http.forgetSessions();
      const full = await xcap.get(doc);
      expect(full.response.newConnection).toBe(true);
      expect(full.response.tlsResumed).toBe(false);
      expect(http.connections).toBe(3);
    },
  );

  it('keeps one connection for a run of requests', async () => {
    const { http, xcap } = net.ue();
    await xcap.put({ ...LIST, document: 'run' }, EMPTY_LIST);
    const ids = new Set<number>();
    for (let i = 0; i < 5; i++) ids.add((await xcap.get({ ...LIST, document: 'run' })).response.connectionId);
    expect([...ids]).toEqual([1]);
    expect(http.connections).toBe(1);
    // parallel requests are sent one after the other on that connection
    const all = await Promise.all([0, 1, 2].map(() => xcap.get({ ...LIST, document: 'run' })));
    expect(all.map((r) => r.response.connectionId)).toEqual([1, 1, 1]);
    expect(http.nonce!.nc).toBe(9);
  });

  it('reuseNonce new-connection: no credentials on the authenticated connection, the nonce on a new one', async () => {
    const { http, xcap } = net.ue({ reuseNonce: 'new-connection' });
    await xcap.put({ ...LIST, document: 'bound' }, EMPTY_LIST);
    const same = await xcap.get({ ...LIST, document: 'bound' });
    expect(same.response.exchanges.map((e) => e.credentials)).toEqual(['none']);
    expect(headerOf(net.utRequests().at(-1)!, 'Authorization')).toBeUndefined();
    await http.disconnect();
    const fresh = await xcap.get({ ...LIST, document: 'bound' });
    expect(fresh.response.exchanges.map((e) => [e.status, e.credentials, e.newConnection])).toEqual([
      [200, 'reuse', true],
    ]);
  });

  it("checks the AP's certificate: unknown without its CA, refused for a name it does not carry", async () => {
    const usim = new UsimModel({ k: USER1.k, opc: USER1.opc! });
    const base = { connectTo: net.ap.endpoints.https, impi: USER1.impi, impus: [...USER1.impus], usim };
    const untrusted = new UtClient({ ...base, ap: 'https://xcap.home1.net:8443' });
    const e1 = await untrusted.request('GET', '/services/xcap-caps/global/index').catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(HttpsExchangeError);
    expect(((e1 as Error).cause as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    const wrongName = new UtClient({ ...base, ap: 'https://xcap.home2.net:8443', ca: net.ap.certificate });
    const e2 = await wrongName.request('GET', '/services/xcap-caps/global/index').catch((e: unknown) => e);
    expect(((e2 as Error).cause as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    // the address itself is in the certificate too: no SNI then, and the check is against the address
    const byAddress = new UtClient({
      ...base,
      ap: `https://${net.ap.endpoints.https}`,
      ca: net.ap.certificate,
    });
    const r = await byAddress.request('GET', `/services/resource-lists/users/${USER1.impus[0]}/index`);
    expect(r.exchanges.map((x) => x.status)).toEqual([401, 404]);
    for (const c of [untrusted, wrongName, byAddress]) c.close();
  });
});
