/**
 * The contribution's section 3 flow over real sockets: UE -> AP (HTTPS) -> HSS (Diameter Cx/Sh) and
 * -> XCAP server (HTTP), with AKAv2-MD5 (the default) and AKAv1-MD5, the IMS-style initial Authorization,
 * the second public identity on the same connection, and a foreign one.
 */
import {
  akaPassword,
  decodeAkaNonce,
  digestRspauth,
  parseAlgorithm,
  parseAuthenticationInfo,
  parseChallenges,
  Usim,
} from '@ut-testbed/aka-crypto';
import { EMPTY_LIST, listDoc, network, USER1, type Network } from './support/network';

const RL = 'application/resource-lists+xml';
const EL = 'application/xcap-el+xml';
const IMPU1 = USER1.impus[0]!;
const IMPU2 = USER1.impus[1]!;

describe.each(['AKAv2-MD5', 'AKAv1-MD5'] as const)('section 3 with %s', (algorithm) => {
  let net: Network;
  beforeAll(async () => {
    net = await network({ ap: { auth: { algorithm } } });
  });
  afterAll(() => net.close());

  it('PUT a new list: 401, answer, 201 with Authentication-Info; then an element PUT, a GET, the second IMPU, a foreign one', async () => {
    const ue = net.ue();
    const { final, exchanges } = await ue.call('PUT', listDoc(IMPU1), { body: EMPTY_LIST, type: RL });
    // the first request carries no Authorization (as phones send it): the AP finds the IMPI by Sh UDR
    expect(exchanges.map((e) => e.status)).toEqual([401, 201]);
    const ch = parseChallenges(String(exchanges[0]!.headers['www-authenticate']))[0]!;
    expect(ch.scheme).toBe('Digest');
    expect(ch.params.get('algorithm')).toBe(algorithm);
    expect(ch.params.get('realm')).toBe('home1.net');
    expect(ch.params.get('qop')).toBe('auth,auth-int');
    expect(Buffer.from(ch.params.get('nonce')!, 'base64').length).toBe(32);
    // both answers on one TLS connection, kept open after the 401
    expect(exchanges[1]!.socket).toBe(exchanges[0]!.socket);

    // rspauth proves the AP knew XRES (RFC 3310 3.5): the UE checks it with its RES
    const info = parseAuthenticationInfo(String(final.headers['authentication-info']));
    expect(info.get('nextnonce')).toBe(ch.params.get('nonce'));
    const { rand, autn } = decodeAkaNonce(ch.params.get('nonce')!);
    const again = new Usim(Buffer.from(USER1.k, 'hex'), Buffer.from(USER1.opc!, 'hex')).authenticate(
      rand,
      autn,
    );
    if (again.result !== 'ok') throw new Error('the nonce does not authenticate with the subscriber keys');
    const expected = digestRspauth({
      algorithm: parseAlgorithm(algorithm),
      username: USER1.impi,
      realm: 'home1.net',
      password: akaPassword(parseAlgorithm(algorithm), again),
      nonce: ch.params.get('nonce')!,
      uri: listDoc(IMPU1),
      qop: 'auth',
      nc: info.get('nc'),
      cnonce: info.get('cnonce'),
    });
    expect(info.get('rspauth')).toBe(expected);

    // the same connection: no new challenge, also when the UE repeats its Authorization as it was
    const repeated = await ue.send('GET', listDoc(IMPU1), {
      headers: { Authorization: ue.lastAuthorization! },
    });
    expect(repeated.status).toBe(200);
    expect(repeated.socket).toBe(exchanges[0]!.socket);
    const el = await ue.send('PUT', `${listDoc(IMPU1)}/~~/resource-lists/list/entry`, {
      body: '<entry uri="sip:user2_public1@home1.net"/>',
      type: EL,
    });
    expect(el.status).toBe(201);
    expect(el.socket).toBe(exchanges[0]!.socket);
    const read = await ue.send('GET', listDoc(IMPU1));
    expect(read.status).toBe(200);
    expect(read.body).toContain('<entry uri="sip:user2_public1@home1.net"/>');

    // the second public identity of the same user, on the same connection
    const second = await ue.send('PUT', listDoc(IMPU2), {
      body: EMPTY_LIST,
      type: RL,
      headers: { 'X-3GPP-Intended-Identity': `"${IMPU2}"` },
    });
    expect(second.status).toBe(201);
    // a public identity that is not the user's
    const foreign = await ue.send('GET', listDoc('sip:user2_public1@home1.net'), {
      headers: { 'X-3GPP-Intended-Identity': '"sip:user2_public1@home1.net"' },
    });
    expect(foreign.status).toBe(403);
  });

  it('the XCAP server sees the asserted identity and never the credentials', async () => {
    const toXcap = net.sink.events.filter((e) => e.iface === 'AS' && e.from.name === 'ap');
    expect(toXcap.length).toBeGreaterThan(0);
    for (const e of toXcap) {
      const head = Buffer.from(e.bytes).toString('latin1').split('\r\n\r\n')[0]!;
      expect(head).not.toMatch(/^authorization:/im);
      expect(head).toMatch(/^X-3GPP-Asserted-Identity: "sip:user1_public[12]@home1\.net"$/m);
    }
    // the Cx leg carried an MAR answered with the user's IMPUs
    const cx = net.sink.events.filter((e) => e.iface === 'Cx').map((e) => e.summary);
    expect(cx.some((s) => s.startsWith('MAR'))).toBe(true);
  });

  it('the IMS way: an initial Authorization naming the IMPI, with an empty nonce and response', async () => {
    const udrs = () => net.sink.events.filter((e) => e.iface === 'Cx' && e.summary.startsWith('UDR')).length;
    const before = udrs();
    const ue = net.ue();
    const path = listDoc(IMPU1, 'ims');
    const initial = `Digest username="${USER1.impi}", realm="home1.net", nonce="", uri="${path}", response=""`;
    const { exchanges } = await ue.call('PUT', path, {
      body: EMPTY_LIST,
      type: RL,
      headers: { Authorization: initial },
    });
    expect(exchanges.map((e) => e.status)).toEqual([401, 201]);
    // the UE named its IMPI: no Sh UDR was needed
    expect(before).toBeGreaterThan(0);
    expect(udrs()).toBe(before);
  });
});
