/**
 * The android quirks profile against the real AP, asserted on the wire as the AP recorded it (the Ut
 * trace holds the request bytes as received inside TLS): `%08d` nonce counts, quoted
 * X-3GPP-Intended-Identity, `3gpp-gba` in User-Agent, the empty Accept-Encoding and Accept-Charset on PUT;
 * and the UE's own trace of the same requests, byte for byte.
 */
import { createTracer, MemorySink } from '@ut-testbed/trace';
import { EMPTY_LIST, head, headerOf, network, RL, USER1, type Network } from './support/network';

const LIST = { auid: 'resource-lists', document: 'index' } as const;

describe('quirks on the wire', () => {
  let net: Network;
  beforeAll(async () => {
    net = await network();
  });
  afterAll(() => net.close());

  it('android: the request as the AP received it, and the UE recorded the same bytes', async () => {
    const ueSink = new MemorySink();
    const { xcap } = net.ue({ quirks: 'android', tracer: createTracer({ sinks: [ueSink] }) });
    const r = await xcap.put({ ...LIST, document: 'android' }, EMPTY_LIST);
    expect(r.status).toBe(201);
    expect(r.response.rspauth).toBe('verified');
    const [first, answer] = net.utRequests().filter((e) => e.summary.endsWith('/android'));
    const len = Buffer.byteLength(EMPTY_LIST);
    expect(head(first!)).toBe(
      [
        `PUT /services/resource-lists/users/${USER1.impus[0]}/android HTTP/1.1`,
        'Host: xcap.home1.net:8443',
        'User-Agent: ut-testbed-ue/0.1 3gpp-gba',
        'Accept-Encoding: ',
        'Accept-Charset: utf-8',
        `Content-Type: ${RL}`,
        `Content-Length: ${len}`,
        'Connection: keep-alive',
      ].join('\r\n'),
    );
    expect(headerOf(answer!, 'Authorization')).toMatch(/, qop=auth, nc=00000001, cnonce="/);
    // what the UE says it sent is what the AP says it received
    const mine = ueSink.events.filter((e) => e.from.name === 'ue');
    expect(mine.map((e) => Buffer.from(e.bytes).toString('latin1'))).toEqual(
      [first!, answer!].map((e) => Buffer.from(e.bytes).toString('latin1')),
    );
    expect(ueSink.events.filter((e) => e.from.name === 'ap').map((e) => e.summary)).toEqual([
      '401 Unauthorized',
      '201 Created',
    ]);
  });

  it('android: other identities quoted in X-3GPP-Intended-Identity, accepted by the AP', async () => {
    const { xcap } = net.ue({ quirks: 'android' });
    for (const impu of [USER1.impus[1]!, USER1.impus[2]!]) {
      const r = await xcap.put({ ...LIST, xui: impu }, EMPTY_LIST);
      expect(r.status).toBe(201);
      const sent = net.utRequests().filter((e) => e.summary.includes(`/users/${impu}/`));
      expect(sent.length).toBeGreaterThan(0);
      for (const e of sent) expect(headerOf(e, 'X-3GPP-Intended-Identity')).toBe(`"${impu}"`);
      const forwarded = net.sink.events.filter(
        (e) => e.iface === 'AS' && e.to.name === 'xcap' && e.summary.includes(`/users/${impu}/`),
      );
      expect(headerOf(forwarded.at(-1)!, 'X-3GPP-Asserted-Identity')).toBe(`"${impu}"`);
    }
  });

  it.each([
    ['ims', '0000000a'],
    ['android', '00000010'],
  ] as const)(
    '%s: the tenth count of a nonce is nc=%s, and the AP checks it on a new connection',
    async (quirks, nc) => {
      const { http, xcap } = net.ue({ quirks });
      const doc = { ...LIST, document: `count-${quirks}` };
      await xcap.put(doc, EMPTY_LIST);
      for (let i = 2; i <= 9; i++) await xcap.get(doc);
      expect(http.nonce!.nc).toBe(9);
      // on a new connection the AP has no binding: it verifies the response over nc as written
      await http.disconnect();
      const tenth = await xcap.get(doc);
      expect(tenth.response.exchanges.map((e) => [e.status, e.credentials, e.newConnection])).toEqual([
        [200, 'reuse', true],
      ]);
      expect(tenth.response.rspauth).toBe('verified');
      expect(headerOf(net.utRequests().at(-1)!, 'Authorization')).toMatch(new RegExp(` nc=${nc}, `));
      expect(tenth.response.headers['authentication-info']).toMatch(new RegExp(`nc=${nc}`));
    },
  );

  it('ims: no 3gpp-gba token, no empty Accept-Encoding, the identity bare', async () => {
    const { xcap } = net.ue();
    await xcap.put({ ...LIST, xui: USER1.impus[1]!, document: 'plain' }, EMPTY_LIST);
    const e = net.utRequests().at(-1)!;
    expect(headerOf(e, 'User-Agent')).toBe('ut-testbed-ue/0.1');
    expect(headerOf(e, 'Accept-Encoding')).toBeUndefined();
    expect(headerOf(e, 'Accept-Charset')).toBeUndefined();
    expect(headerOf(e, 'X-3GPP-Intended-Identity')).toBe(USER1.impus[1]);
  });
});
