import {
  akaPassword,
  answerChallenge,
  authenticationInfo,
  decodeAkaNonce,
  digestResponse,
  encodeAkaNonce,
  parseAlgorithm,
  parseChallenges,
  parseCredentials,
  verifyCredentials,
  AuthHeaderError,
  formatParam,
} from '../src/digest';
import { h, sets } from './vectors';

const [, set1] = sets[0]!;
// The self-derived Digest AKA inputs of the reference note (aka-gba-ap.md 2.4)
const AKA = {
  username: '001010000000001@ims.mnc001.mcc001.3gppnetwork.org',
  realm: 'ims.mnc001.mcc001.3gppnetwork.org',
  method: 'GET',
  uri: '/simservs.ngn.etsi.org/users/sip:+15551234567@ims.mnc001.mcc001.3gppnetwork.org/simservs.xml',
  nonce: 'I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=',
  nc: '00000001',
  cnonce: '0a4f113b',
  qop: 'auth' as const,
};

describe('Digest response: published examples', () => {
  it('RFC 2617 section 3.5 (MD5, qop=auth)', () => {
    expect(
      digestResponse({
        algorithm: 'MD5',
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        method: 'GET',
        uri: '/dir/index.html',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  const rfc7616 = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    method: 'GET',
    uri: '/dir/index.html',
    qop: 'auth' as const,
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };

  it('RFC 7616 section 3.9.1 with MD5', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 7616 section 3.9.1 with SHA-256', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });
});

describe('Digest AKA (RFC 3310, RFC 4169) on TS 35.208 set 1', () => {
  it('the nonce is base64(RAND || AUTN)', () => {
    expect(encodeAkaNonce(h(set1.RAND), h(set1.AUTN_computed))).toBe(AKA.nonce);
    const d = decodeAkaNonce(AKA.nonce);
    expect(d.rand.toString('hex')).toBe(set1.RAND);
    expect(d.autn.toString('hex')).toBe(set1.AUTN_computed);
    expect(d.serverData.length).toBe(0);
    const withData = encodeAkaNonce(h(set1.RAND), h(set1.AUTN_computed), Buffer.from('srv'));
    expect(decodeAkaNonce(withData).serverData.toString()).toBe('srv');
  });

  it('rejects nonces that are not base64 of at least 32 octets', () => {
    expect(() => decodeAkaNonce('not base64!')).toThrow(/base64/);
    expect(() => decodeAkaNonce(Buffer.alloc(31).toString('base64'))).toThrow(/31 octets/);
  });

  it('AKAv1-MD5: password is the raw RES octets', () => {
    const alg = parseAlgorithm('AKAv1-MD5');
    const password = akaPassword(alg, { res: h(set1.f2_RES) });
    expect(digestResponse({ ...AKA, algorithm: alg, password })).toBe('ec82bc9d00663c41cfd82a447d6d5973');
  });

  it('AKAv1-MD5 with RES as ASCII hex gives a different (wrong) response', () => {
    expect(digestResponse({ ...AKA, algorithm: 'AKAv1-MD5', password: set1.f2_RES })).toBe(
      'c4e740f8febdf22037ab599edc437fc3',
    );
  });

  it('AKAv2-MD5: password = base64(HMAC-MD5(RES||IK||CK, "http-digest-akav2-password"))', () => {
    const alg = parseAlgorithm('AKAv2-MD5');
    const password = akaPassword(alg, { res: h(set1.f2_RES), ik: h(set1.f4_IK), ck: h(set1.f3_CK) });
    expect(password.toString()).toBe('shzt3q8CWaZnCAWqs3WmEQ==');
    expect(digestResponse({ ...AKA, algorithm: alg, password })).toBe('e851ef358b34bc483dd58606929160bc');
  });

  it('AKAv2 needs IK and CK', () => {
    expect(() => akaPassword(parseAlgorithm('AKAv2-MD5'), { res: h(set1.f2_RES) })).toThrow(/IK and CK/);
  });

  it('resync: response computed with an empty password, auts in the credentials', () => {
    const auts = h('451e8beca53b8506fa82045c245c');
    const ch = parseChallenges(
      `Digest realm="${AKA.realm}", nonce="${AKA.nonce}", algorithm=AKAv1-MD5, qop="auth"`,
    )[0]!;
    const a = answerChallenge(ch, { ...AKA, auts, cnonce: AKA.cnonce, nc: 1 });
    expect(a.response).toBe('0bed063b9a9345ea95411edeec6c3663');
    expect(a.params.get('auts')).toBe('RR6L7KU7hQb6ggRcJFw=');
    expect(a.header).toContain('auts="RR6L7KU7hQb6ggRcJFw="');
  });
});

describe('algorithm names', () => {
  it.each([
    ['MD5', 'MD5', 'md5', false, undefined],
    ['md5-SESS', 'MD5-sess', 'md5', true, undefined],
    ['SHA-256', 'SHA-256', 'sha256', false, undefined],
    ['SHA-512-256-sess', 'SHA-512-256-sess', 'sha512-256', true, undefined],
    ['akav1-md5', 'AKAv1-MD5', 'md5', false, 1],
    ['AKAv2-MD5', 'AKAv2-MD5', 'md5', false, 2],
    ['AKAv1-SHA-256', 'AKAv1-SHA-256', 'sha256', false, 1],
  ])('%s', (input, name, hash, sess, aka) => {
    expect(parseAlgorithm(input)).toEqual(aka ? { name, hash, sess, aka } : { name, hash, sess });
  });

  it('absent means MD5; unknown names and AKA versions are refused', () => {
    expect(parseAlgorithm(undefined).name).toBe('MD5');
    expect(() => parseAlgorithm('SHA-1')).toThrow(/unsupported digest algorithm/);
    expect(() => parseAlgorithm('AKAv3-MD5')).toThrow(/AKA version/);
  });

  it('-sess folds the nonce and cnonce into HA1 (RFC 7616 3.4.2)', () => {
    const base = {
      username: 'u',
      realm: 'r',
      password: 'p',
      nonce: 'n',
      method: 'GET',
      uri: '/',
      qop: 'auth' as const,
      nc: '00000001',
      cnonce: 'c',
    };
    expect(digestResponse({ ...base, algorithm: 'MD5-sess' })).not.toBe(
      digestResponse({ ...base, algorithm: 'MD5' }),
    );
    expect(() => digestResponse({ ...base, cnonce: undefined, algorithm: 'MD5-sess' })).toThrow(/cnonce/);
  });
});

describe('header parsing', () => {
  it('reads a challenge with quoted strings, escaped quotes, commas inside quotes and any order/case', () => {
    const [c] = parseChallenges(
      'digest QOP="auth,auth-int", Realm="a \\"quoted\\" realm, with comma", nonce="abc==",ALGORITHM=AKAv2-MD5 , opaque="5ccc", x-vendor=keep',
    );
    expect(c!.scheme).toBe('digest');
    expect(c!.params.get('realm')).toBe('a "quoted" realm, with comma');
    expect(c!.params.get('qop')).toBe('auth,auth-int');
    expect(c!.params.get('algorithm')).toBe('AKAv2-MD5');
    expect(c!.params.get('nonce')).toBe('abc==');
    expect(c!.params.get('X-VENDOR')).toBe('keep');
    expect(c!.params.list.map((p) => p.name)).toEqual([
      'QOP',
      'Realm',
      'nonce',
      'ALGORITHM',
      'opaque',
      'x-vendor',
    ]);
  });

  it('splits several challenges in one header value, including token68 ones', () => {
    const list = parseChallenges(
      'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", Digest nonce="x", realm="r"',
    );
    expect(list.map((c) => c.scheme)).toEqual(['Newauth', 'Basic', 'Digest']);
    expect(list[0]!.params.get('title')).toBe('Login to "apps"');
    expect(list[2]!.params.get('realm')).toBe('r');
    const cred = parseCredentials('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(cred.token68).toBe('QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });

  it('keeps empty quoted values (the IMS initial Authorization has response="")', () => {
    const c = parseCredentials(
      'Digest username="user1_private@home1.net", realm="home1.net", nonce="", uri="/services", response=""',
    );
    expect(c.params.get('nonce')).toBe('');
    expect(c.params.get('response')).toBe('');
  });

  it.each([
    ['unterminated quote', 'Digest realm="abc'],
    ['duplicate parameter', 'Digest realm="a", REALM="b"'],
    ['missing value', 'Digest realm=, nonce="x"'],
    ['garbage after value', 'Digest realm="a" nonce="b"'],
    ['control character', 'Digest realm="a\u0001"'],
    ['empty', '   '],
    ['token68 of padding only', 'Basic ='],
  ])('refuses %s', (_name, value) => {
    expect(() => parseChallenges(value)).toThrow(AuthHeaderError);
  });

  it('refuses oversized headers instead of scanning them', () => {
    expect(() => parseChallenges('Digest realm="' + 'a'.repeat(9000) + '"')).toThrow(/longer than/);
  });

  it('writes parameters with the quoting the header needs and round-trips', () => {
    const [c] = parseChallenges('Digest realm="home1.net", nonce="a\\"b", algorithm=AKAv1-MD5, qop="auth"');
    const again = parseChallenges(`Digest ${c!.params.toString()}`)[0]!;
    expect(again.params.toObject()).toEqual(c!.params.toObject());
    expect(c!.params.toString()).toBe('realm="home1.net", nonce="a\\"b", algorithm=AKAv1-MD5, qop="auth"');
  });
});

describe('header writing refuses what cannot be written', () => {
  it('control characters in values and non-token names', () => {
    expect(() => formatParam({ name: 'realm', value: 'a\r\nX-Evil: 1', quoted: true })).toThrow(
      AuthHeaderError,
    );
    expect(() => formatParam({ name: 'bad name', value: 'x', quoted: true })).toThrow(
      /not a valid parameter name/,
    );
    expect(formatParam({ name: 'realm', value: 'tab\there', quoted: true })).toBe('realm="tab\there"');
  });
});

describe('a whole exchange: client answers, server verifies and writes Authentication-Info', () => {
  const res = h(set1.f2_RES);
  const ik = h(set1.f4_IK);
  const ck = h(set1.f3_CK);
  const aka = { res, ik, ck };
  const challenge = `Digest realm="home1.net", nonce="${AKA.nonce}", algorithm=AKAv2-MD5, qop="auth,auth-int", opaque="op1"`;
  const issued = {
    algorithm: 'AKAv2-MD5',
    qop: ['auth', 'auth-int'] as const,
    realm: 'home1.net',
    nonce: AKA.nonce,
  };
  const body = '<?xml version="1.0"?><resource-lists/>';
  const answer = (o: Partial<Parameters<typeof answerChallenge>[1]> = {}, ch = challenge) =>
    answerChallenge(parseChallenges(ch)[0]!, {
      username: 'user1_private@home1.net',
      aka,
      method: 'PUT',
      uri: '/services/x',
      body,
      nc: 1,
      ...o,
    });
  const verify = (header: string, o: Partial<Parameters<typeof verifyCredentials>[1]> = {}) =>
    verifyCredentials(parseCredentials(header).params, { issued, aka, method: 'PUT', body, ...o });

  it.each(['auth', 'auth-int'] as const)(
    'qop=%s: the server accepts the right answer and only that',
    (qop) => {
      const a = answer({ qop });
      const creds = parseCredentials(a.header).params;
      expect(creds.get('opaque')).toBe('op1');
      expect(creds.get('algorithm')).toBe('AKAv2-MD5');
      expect(creds.get('nc')).toBe('00000001');
      expect(creds.get('qop')).toBe(qop);
      expect(a.header).toMatch(/, qop=auth(-int)?, nc=00000001, /);
      expect(verify(a.header)).toEqual({ kind: 'ok' });
      expect(verify(a.header, { aka: { res: Buffer.alloc(8), ik, ck } })).toEqual({
        kind: 'failed',
        reason: 'response does not match',
      });
      expect(verify(a.header, { method: 'GET' }).kind).toBe('failed');
      expect(verify(a.header, { body: body + ' ' }).kind).toBe(qop === 'auth-int' ? 'failed' : 'ok');
    },
  );

  it('refuses downgrades: another algorithm, no qop, a qop not offered, another nonce or realm', () => {
    // an AKAv1 answer (RES as password) to an AKAv2 challenge
    const v1 = answer({ qop: 'auth' }, challenge.replace('AKAv2-MD5', 'AKAv1-MD5'));
    expect(verify(v1.header)).toEqual({ kind: 'failed', reason: 'algorithm AKAv1-MD5 was not offered' });
    // the RFC 2069 form, without qop and nc
    const noQop = answer({}, challenge.replace(', qop="auth,auth-int"', ''));
    expect(verify(noQop.header)).toEqual({ kind: 'failed', reason: 'qop (none) was not offered' });
    const intOnly = { ...issued, qop: ['auth-int'] as const };
    expect(verify(answer({ qop: 'auth' }).header, { issued: intOnly })).toEqual({
      kind: 'failed',
      reason: 'qop auth was not offered',
    });
    expect(verify(answer().header, { issued: { ...issued, nonce: 'other' } }).kind).toBe('failed');
    expect(verify(answer().header, { issued: { ...issued, realm: 'other.net' } }).kind).toBe('failed');
  });

  it('malformed credentials throw AuthHeaderError (an HTTP 400), not a generic error', () => {
    const a = answer({ qop: 'auth' });
    const noNc = a.header.replace(/, nc=00000001/, '');
    expect(() => verify(noNc)).toThrow(AuthHeaderError);
    expect(() => verify(a.header.replace(/, response="[0-9a-f]+"/, ''))).toThrow(/lack "response"/);
    expect(() => verify(a.header + ', auts="AAAA"')).toThrow(/auts holds 3 octets/);
  });

  it('a sync failure (auts, empty password) is recognised as resync, and gets no Authentication-Info', () => {
    const auts = h('451e8beca53b8506fa82045c245c');
    const a = answer({ auts, qop: 'auth' });
    const v = verify(a.header);
    expect(v.kind).toBe('resync');
    if (v.kind === 'resync') expect(v.auts.toString('hex')).toBe('451e8beca53b8506fa82045c245c');
    const forged = a.header.replace(/response="[0-9a-f]+"/, `response="${'0'.repeat(32)}"`);
    expect(verify(forged).kind).toBe('failed');
    expect(() => authenticationInfo(parseCredentials(a.header).params, { aka })).toThrow(
      /synchronisation failure/,
    );
  });

  it('rspauth with auth-int covers the response body (independent MD5 value)', () => {
    const a = answer({ qop: 'auth-int', cnonce: 'c0ffee' });
    const info = authenticationInfo(parseCredentials(a.header).params, {
      aka,
      responseBody: '<ok/>',
      nextnonce: 'nn',
    });
    // MD5(HA1:nonce:00000001:c0ffee:auth-int:MD5(":/services/x:" MD5("<ok/>"))), HA1 with the AKAv2 password
    expect(info.get('rspauth')).toBe('4e836640110af35ab369729ae38b54ea');
    expect(info.toString()).toBe(
      'nextnonce="nn", qop=auth-int, rspauth="4e836640110af35ab369729ae38b54ea", cnonce="c0ffee", nc=00000001',
    );
  });

  it('hashes nc exactly as received: "0000000A" is not normalised to lower case', () => {
    const ch = parseChallenges('Digest realm="r", nonce="n", algorithm=AKAv1-MD5, qop="auth"')[0]!;
    const a = answerChallenge(ch, {
      username: 'u',
      aka: { res },
      method: 'GET',
      uri: '/',
      nc: '0000000A',
      cnonce: 'c',
    });
    expect(a.params.get('nc')).toBe('0000000A');
    expect(a.response).toBe('e89b6ebf57beafa650f7f19b4aaa8aa2');
    const v = verifyCredentials(parseCredentials(a.header).params, {
      issued: { algorithm: 'AKAv1-MD5', qop: ['auth'], realm: 'r', nonce: 'n' },
      aka: { res },
      method: 'GET',
    });
    expect(v).toEqual({ kind: 'ok' });
    expect(
      answerChallenge(ch, { username: 'u', aka: { res }, method: 'GET', uri: '/', nc: 9 }).params.get('nc'),
    ).toBe('00000009');
    expect(() =>
      answerChallenge(ch, { username: 'u', aka: { res }, method: 'GET', uri: '/', nc: 2 ** 33 }),
    ).toThrow(/nonce count/);
  });

  it('plain MD5 without qop uses the RFC 2069 form', () => {
    const ch = parseChallenges('Digest realm="r", nonce="n"')[0]!;
    const a = answerChallenge(ch, { username: 'u', password: 'p', method: 'GET', uri: '/' });
    expect(a.params.has('qop')).toBe(false);
    expect(a.params.has('nc')).toBe(false);
    const plain = { issued: { algorithm: 'MD5', qop: [], realm: 'r', nonce: 'n' }, method: 'GET' };
    expect(verifyCredentials(a.params, { ...plain, password: 'p' })).toEqual({ kind: 'ok' });
    expect(verifyCredentials(a.params, { ...plain, password: 'q' }).kind).toBe('failed');
  });

  it('accepts qop tokens in any case', () => {
    const ch = parseChallenges('Digest realm="r", nonce="n", qop="AUTH"')[0]!;
    expect(
      answerChallenge(ch, { username: 'u', password: 'p', method: 'GET', uri: '/' }).params.get('qop'),
    ).toBe('auth');
  });

  it('refuses a qop the server did not offer, and AKA challenges without secrets', () => {
    const ch = parseChallenges('Digest realm="r", nonce="n", qop="auth"')[0]!;
    expect(() =>
      answerChallenge(ch, { username: 'u', password: 'p', method: 'GET', uri: '/', qop: 'auth-int' }),
    ).toThrow(/does not offer/);
    const akaCh = parseChallenges('Digest realm="r", nonce="n", algorithm=AKAv1-MD5')[0]!;
    expect(() => answerChallenge(akaCh, { username: 'u', password: 'p', method: 'GET', uri: '/' })).toThrow(
      /AKA secrets/,
    );
  });
});
