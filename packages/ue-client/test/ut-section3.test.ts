/**
 * The contribution's section 3 flow (DESIGN.md section 3) driven by this package's UE against real hss-sim,
 * xcap-server and AP instances, with AKAv2-MD5 and AKAv1-MD5: no credentials, Sh UDR, MAR, 401, the USIM's
 * answer, 201 with rspauth verified; an element PUT on the same TLS connection without a new challenge; the
 * list read back; the second IMPU with X-3GPP-Intended-Identity; a foreign IMPU refused. Then the IMS way
 * with an initial Authorization naming the IMPI.
 */
import { parseChallenges } from '@ut-testbed/aka-crypto';
import { XcapError } from '../src/xcap/xcap-error';
import { EMPTY_LIST, head, headerOf, network, USER1, USER2, type Network } from './support/network';

const IMPU1 = USER1.impus[0]!;
const IMPU2 = USER1.impus[1]!;
const LIST = { auid: 'resource-lists', document: 'index' } as const;
const friends = { name: 'list', attr: ['name', 'friends'] } as const;

describe.each(['AKAv2-MD5', 'AKAv1-MD5'] as const)('section 3 with %s', (algorithm) => {
  let net: Network;
  beforeAll(async () => {
    net = await network({ ap: { auth: { algorithm } } });
  });
  afterAll(() => net.close());

  // the AP's own record of its requests to the HSS (the HSS records them too, under the peer's Origin-Host)
  const cx = () =>
    net.sink.events
      .filter((e) => e.iface === 'Cx' && e.from.name === 'ap' && /^(UDR|MAR) /.test(e.summary))
      .map((e) => e.summary);

  it('PUT a new list, an entry, read it back, the second IMPU, a foreign one: all on one TLS connection', async () => {
    const { http, xcap, usim } = net.ue();
    const created = await xcap.put(LIST, EMPTY_LIST);
    expect(created.status).toBe(201);
    const ex = created.response.exchanges;
    expect(ex.map((e) => [e.status, e.credentials])).toEqual([
      [401, 'none'],
      [201, 'answer'],
    ]);
    expect(ex[0]!.newConnection).toBe(true);
    expect(ex[1]!.newConnection).toBe(false);
    expect(ex[1]!.connectionId).toBe(ex[0]!.connectionId);
    // the AP proved it knew XRES, and named the nonce to go on with
    expect(created.response.rspauth).toBe('verified');
    const info = created.response.headers['authentication-info'] as string;
    expect(info).toMatch(/rspauth="[0-9a-f]{32}"/);
    expect(info).toContain(`nextnonce="${http.nonce!.nonce}"`);
    expect(http.nonce).toMatchObject({ algorithm, realm: 'home1.net', nc: 1 });
    expect(usim.state.outcomes.ok).toBe(1);
    // no credentials first: the AP found the IMPI with Sh UDR, then asked for a vector
    expect(cx()).toEqual([`UDR ${IMPU1}`, `MAR ${USER1.impi} ${IMPU1}`]);
    const [first, second] = net.utRequests();
    expect(headerOf(first!, 'Authorization')).toBeUndefined();
    const challenge = net.sink.events.find((e) => e.iface === 'Ut' && e.summary.startsWith('401'))!;
    const ch = parseChallenges(headerOf(challenge, 'WWW-Authenticate')!)[0]!;
    expect(ch.params.get('algorithm')).toBe(algorithm);
    expect(Buffer.from(ch.params.get('nonce')!, 'base64')).toHaveLength(32);
    expect(headerOf(second!, 'Authorization')).toMatch(
      new RegExp(
        `^Digest username="${USER1.impi}", realm="home1.net", nonce="${ch.params.get('nonce')!.replace(/[+/]/g, '\\$&')}", uri="/services/resource-lists/users/${IMPU1}/index", response="[0-9a-f]{32}", algorithm=${algorithm}, qop=auth, nc=00000001, cnonce="[0-9a-f]{32}"$`,
      ),
    );

    // an entry, on the same connection: no challenge, no MAR, If-Match with the ETag of the 201
    const entry = await xcap.put(
      {
        ...LIST,
        node: ['resource-lists', friends, { name: 'entry', attr: ['uri', 'sip:user2_public1@home1.net'] }],
      },
      '<entry uri="sip:user2_public1@home1.net"/>',
    );
    expect(entry.status).toBe(201);
    expect(entry.response.exchanges.map((e) => [e.status, e.credentials, e.connectionId])).toEqual([
      [201, 'reuse', ex[0]!.connectionId],
    ]);
    expect(cx()).toHaveLength(2);
    const entryReq = net.utRequests()[2]!;
    expect(headerOf(entryReq, 'If-Match')).toBe(created.etag);
    expect(headerOf(entryReq, 'Content-Type')).toBe('application/xcap-el+xml');
    expect(headerOf(entryReq, 'Authorization')).toMatch(/ nc=00000002, /);
    expect(entry.etag).not.toBe(created.etag);

    // read back
    const read = await xcap.get(LIST);
    expect(read.status).toBe(200);
    expect(read.body).toContain('<list name="friends"><entry uri="sip:user2_public1@home1.net"/></list>');
    expect(read.etag).toBe(entry.etag);
    expect(read.response.connectionId).toBe(ex[0]!.connectionId);

    // the second IMPU: its XUI in the URI, X-3GPP-Intended-Identity, the same connection
    const other = await xcap.put({ ...LIST, xui: IMPU2 }, EMPTY_LIST);
    expect(other.status).toBe(201);
    expect(other.uri).toBe(`/services/resource-lists/users/${IMPU2}/index`);
    expect(other.response.connectionId).toBe(ex[0]!.connectionId);
    expect(headerOf(net.utRequests()[4]!, 'X-3GPP-Intended-Identity')).toBe(IMPU2);
    // the default identity is not named
    expect(headerOf(net.utRequests()[3]!, 'X-3GPP-Intended-Identity')).toBeUndefined();
    const toXcap = net.sink.events.filter(
      (e) => e.iface === 'AS' && e.from.name === 'ap' && e.to.name === 'xcap',
    );
    expect(headerOf(toXcap[toXcap.length - 1]!, 'X-3GPP-Asserted-Identity')).toBe(`"${IMPU2}"`);

    // somebody else's identity
    const foreign = USER2.impus[0]!;
    const refused = await xcap.get({ ...LIST, xui: foreign }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(XcapError);
    expect((refused as XcapError).status).toBe(403);
    expect((refused as XcapError).response!.connectionId).toBe(ex[0]!.connectionId);
    expect(headerOf(net.utRequests()[5]!, 'X-3GPP-Intended-Identity')).toBe(foreign);
    expect(cx()).toHaveLength(2);
    expect(http.connections).toBe(1);
    // the AP's nextnonce was the nonce in use: one AKA run for the whole flow
    expect(usim.state.runs).toBe(1);

    // the XCAP server never saw credentials
    for (const e of toXcap) expect(head(e)).not.toMatch(/^authorization:/im);
  });

  it('the IMS way: an initial Authorization names the IMPI, so the AP needs no Sh UDR', async () => {
    const before = cx().filter((s) => s.startsWith('UDR')).length;
    const { xcap } = net.ue({ initialAuthorization: true });
    const r = await xcap.put({ ...LIST, document: 'ims' }, EMPTY_LIST);
    expect(r.status).toBe(201);
    expect(r.response.exchanges.map((e) => [e.status, e.credentials])).toEqual([
      [401, 'initial'],
      [201, 'answer'],
    ]);
    expect(r.response.rspauth).toBe('verified');
    expect(cx().filter((s) => s.startsWith('UDR'))).toHaveLength(before);
    const initial = net.utRequests().find((e) => e.summary.endsWith('/ims') && /nonce=""/.test(head(e)))!;
    expect(headerOf(initial, 'Authorization')).toBe(
      `Digest username="${USER1.impi}", realm="home1.net", nonce="", uri="/services/resource-lists/users/${IMPU1}/ims", response=""`,
    );
  });
});
