/**
 * The Digest AKA client against a scripted HTTPS peer, for what the real AP does not send: several
 * challenges (ims: the preferred algorithm, android: the first), a list of realms, another nextnonce, a
 * wrong rspauth or echoed count, auth-int, malformed challenges; and the SNI the client sends.
 */
import { inspect } from 'node:util';
import { parseCredentials } from '@ut-testbed/aka-crypto';
import { UtAuthError, UtClient, type UtClientOptions } from '../src/http/ut-client';
import { UsimModel } from '../src/usim/usim-model';
import { AkaIssuer, FakeAp, type FakeRequest } from './support/fake-ap';
import { USER1 } from './support/network';

const PATH = `/services/resource-lists/users/${USER1.impus[0]}/index`;

let fake: FakeAp;
beforeAll(async () => {
  fake = await FakeAp.start();
});
afterAll(() => fake.close());

let usim: UsimModel;
let issuer: AkaIssuer;
const clients: UtClient[] = [];
beforeEach(() => {
  usim = new UsimModel({ k: USER1.k, opc: USER1.opc! });
  issuer = new AkaIssuer(USER1.k, USER1.opc!);
  fake.requests.length = 0;
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function ue(o: Partial<UtClientOptions> = {}): UtClient {
  const c = new UtClient({
    ap: 'https://xcap.home1.net:8443',
    connectTo: fake.address,
    ca: fake.certificate,
    impi: USER1.impi,
    impus: [...USER1.impus],
    usim,
    ...o,
  });
  clients.push(c);
  return c;
}

const challenge = (nonce: string, o: { algorithm?: string; realm?: string; qop?: string } = {}) =>
  `Digest realm="${o.realm ?? 'home1.net'}", nonce="${nonce}", algorithm=${o.algorithm ?? 'AKAv2-MD5'}, qop="${o.qop ?? 'auth'}"`;

/** 401 with `challenges` until credentials come; then they are checked and answered by `ok`. */
function script(
  challenges: () => string[],
  ok: (
    r: FakeRequest,
    creds: ReturnType<AkaIssuer['verify']>['creds'],
  ) => { headers?: [string, string][]; body?: string },
  check: { realm?: (creds: string) => string; qop?: ('auth' | 'auth-int')[] } = {},
) {
  fake.handler = (r) => {
    const auth = r.headers.authorization as string | undefined;
    if (!auth)
      return { status: 401, headers: challenges().map((c) => ['WWW-Authenticate', c] as [string, string]) };
    const sent = parseCredentials(auth).params;
    const { verdict, creds } = issuer.verify(auth, {
      algorithm: sent.get('algorithm')!,
      realm: check.realm ? check.realm(sent.get('realm')!) : 'home1.net',
      qop: check.qop ?? ['auth'],
      method: r.method,
      body: r.body,
    });
    if (verdict.kind !== 'ok') return { status: 403, body: JSON.stringify(verdict) };
    return { status: 200, ...ok(r, creds) };
  };
}

const sentParams = (i: number) => parseCredentials(fake.requests[i]!.headers.authorization as string).params;

describe('choosing among challenges', () => {
  const three = () => [
    `Digest realm="home1.net", nonce="bm90LWFrYQ==", algorithm=MD5, qop="auth"`,
    challenge(issuer.nonce(), { algorithm: 'AKAv1-MD5' }),
    challenge(issuer.nonce(), { algorithm: 'AKAv2-MD5' }),
  ];

  it('ims: the most preferred AKA algorithm, in separate header lines', async () => {
    script(three, () => ({}));
    const r = await ue().request('GET', PATH);
    expect(r.exchanges.map((e) => e.status)).toEqual([401, 200]);
    expect(sentParams(1).get('algorithm')).toBe('AKAv2-MD5');
    const prefersV1 = await ue({ algorithmPreference: ['AKAv1-MD5'] }).request('GET', PATH);
    expect(prefersV1.status).toBe(200);
    expect(sentParams(3).get('algorithm')).toBe('AKAv1-MD5');
  });

  it('android: only the first challenge; a first one it cannot answer leaves the 401 to the caller', async () => {
    script(three, () => ({}));
    const r = await ue({ quirks: 'android' }).request('GET', PATH);
    expect(r.status).toBe(401);
    expect(r.exchanges).toHaveLength(1);
    expect(usim.state.runs).toBe(0);
    script(
      () => three().slice(1),
      () => ({}),
    );
    const v1 = await ue({ quirks: 'android' }).request('GET', PATH);
    expect(v1.status).toBe(200);
    // AKAv2 was offered too, second
    expect(sentParams(2).get('algorithm')).toBe('AKAv1-MD5');
  });

  it('a 401 with nothing Digest AKA (Basic only) is returned as it is', async () => {
    fake.handler = () => ({ status: 401, headers: [['WWW-Authenticate', 'Basic realm="x"']] });
    const r = await ue().request('GET', PATH);
    expect([r.status, r.exchanges.length, r.rspauth]).toEqual([401, 1, 'none']);
  });
});

describe('realms and qop', () => {
  it('a ";"-separated realm list: android answers with the first realm, ims with the list as offered', async () => {
    const realm = 'home1.net;ims.home1.net';
    script(
      () => [challenge(issuer.nonce(), { realm })],
      () => ({}),
      { realm: (r) => r },
    );
    expect((await ue({ quirks: 'android' }).request('GET', PATH)).status).toBe(200);
    expect(sentParams(1).get('realm')).toBe('home1.net');
    expect((await ue().request('GET', PATH)).status).toBe(200);
    expect(sentParams(3).get('realm')).toBe(realm);
  });

  it('qop "auth-int,auth": ims takes auth, android the first token', async () => {
    script(
      () => [challenge(issuer.nonce(), { qop: 'auth-int,auth' })],
      () => ({}),
      { qop: ['auth-int', 'auth'] },
    );
    await ue().request('PUT', PATH, { body: '<x/>', type: 'application/xml' });
    expect(sentParams(1).get('qop')).toBe('auth');
    await ue({ quirks: 'android' }).request('PUT', PATH, { body: '<x/>', type: 'application/xml' });
    expect(sentParams(3).get('qop')).toBe('auth-int');
  });

  it('auth-int: the request body is covered, and rspauth over the response body is checked', async () => {
    const answer = 'the answer body';
    script(
      () => [challenge(issuer.nonce(), { qop: 'auth-int' })],
      (_r, creds) => ({
        headers: [['Authentication-Info', issuer.info(creds, { responseBody: answer })]],
        body: answer,
      }),
      { qop: ['auth-int'] },
    );
    const r = await ue().request('PUT', PATH, { body: '<x/>', type: 'application/xml' });
    expect([r.status, r.rspauth]).toEqual([200, 'verified']);
    // rspauth computed over another body than the one delivered: refused
    script(
      () => [challenge(issuer.nonce(), { qop: 'auth-int' })],
      (_r, creds) => ({
        headers: [['Authentication-Info', issuer.info(creds, { responseBody: 'other' })]],
        body: answer,
      }),
      { qop: ['auth-int'] },
    );
    const e = await ue()
      .request('PUT', PATH, { body: '<x/>', type: 'application/xml' })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UtAuthError);
    expect((e as UtAuthError).code).toBe('rspauth-mismatch');
  });
});

describe('Authentication-Info', () => {
  it('a wrong rspauth is an error with the response attached', async () => {
    script(
      () => [challenge(issuer.nonce())],
      (_r, creds) => ({
        headers: [
          [
            'Authentication-Info',
            issuer.info(creds).replace(/rspauth="[0-9a-f]+"/, `rspauth="${'0'.repeat(32)}"`),
          ],
        ],
      }),
    );
    const e = await ue()
      .request('GET', PATH)
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UtAuthError);
    const err = e as UtAuthError;
    expect(err.code).toBe('rspauth-mismatch');
    expect(err.response.status).toBe(200);
    expect(err.response.exchanges.map((x) => [x.status, x.credentials])).toEqual([
      [401, 'none'],
      [200, 'answer'],
    ]);
  });

  it('an echoed nc that is not the one sent is an error', async () => {
    script(
      () => [challenge(issuer.nonce())],
      (_r, creds) => ({
        headers: [['Authentication-Info', issuer.info(creds).replace('nc=00000001', 'nc=00000002')]],
      }),
    );
    const e = await ue()
      .request('GET', PATH)
      .catch((x: unknown) => x);
    expect((e as UtAuthError).code).toBe('authentication-info-mismatch');
  });

  it('a nextnonce other than the current one is used next, with its own AKA run and counts from 1', async () => {
    const nexts: string[] = [];
    script(
      () => [challenge(issuer.nonce())],
      (_r, creds) => {
        nexts.push(issuer.nonce());
        return { headers: [['Authentication-Info', issuer.info(creds, { nextnonce: nexts.at(-1)! })]] };
      },
    );
    const http = ue();
    expect((await http.request('GET', PATH)).rspauth).toBe('verified');
    const second = await http.request('GET', PATH);
    expect(second.exchanges.map((e) => [e.status, e.credentials])).toEqual([[200, 'nextnonce']]);
    expect(second.rspauth).toBe('verified');
    const p = sentParams(2);
    expect(p.get('nonce')).toBe(nexts[0]);
    expect(p.get('nc')).toBe('00000001');
    expect(usim.state.outcomes.ok).toBe(2);
    // each answer names another nonce: each next request takes it
    const third = await http.request('GET', PATH);
    expect(third.exchanges.map((e) => e.credentials)).toEqual(['nextnonce']);
    expect(sentParams(3).get('nonce')).toBe(nexts[1]);
    expect(usim.state.outcomes.ok).toBe(3);
  });

  it('a nextnonce that is no AKA nonce is dropped: the next request waits for a challenge', async () => {
    script(
      () => [challenge(issuer.nonce())],
      (_r, creds) => ({ headers: [['Authentication-Info', issuer.info(creds, { nextnonce: 'bm9wZQ==' })]] }),
    );
    const http = ue();
    await http.request('GET', PATH);
    const next = await http.request('GET', PATH);
    expect(next.exchanges.map((e) => [e.status, e.credentials])).toEqual([
      [401, 'none'],
      [200, 'answer'],
    ]);
    expect(usim.state.runs).toBe(2);
  });

  it('keeps RES, CK and IK out of what it prints', async () => {
    script(
      () => [challenge(issuer.nonce())],
      (_r, creds) => ({ headers: [['Authentication-Info', issuer.info(creds)]] }),
    );
    const http = ue();
    await http.request('GET', PATH);
    const v = issuer.vector(sentParams(1).get('nonce')!);
    const shown = `${JSON.stringify(http)} ${inspect(http, { depth: 6 })} ${JSON.stringify(usim)}`;
    expect(shown).toContain('home1.net');
    for (const secret of [v.xres, v.ck, v.ik]) {
      expect(shown).not.toContain(secret.toString('hex'));
      expect(shown).not.toContain(secret.toString('base64'));
    }
  });
});

describe('malformed challenges and the connection', () => {
  it('an unparseable WWW-Authenticate and a nonce that is not RAND || AUTN are errors', async () => {
    fake.handler = () => ({
      status: 401,
      headers: [['WWW-Authenticate', 'Digest realm="home1.net, nonce="x']],
    });
    const e1 = await ue()
      .request('GET', PATH)
      .catch((x: unknown) => x);
    expect((e1 as UtAuthError).code).toBe('bad-challenge');
    fake.handler = () => ({ status: 401, headers: [['WWW-Authenticate', challenge('c2hvcnQ=')]] });
    const e2 = await ue()
      .request('GET', PATH)
      .catch((x: unknown) => x);
    expect((e2 as UtAuthError).code).toBe('bad-nonce');
  });

  it('sends the name it addresses as SNI while connecting to another address', async () => {
    fake.handler = () => ({ status: 200 });
    const r = await ue().request('GET', PATH);
    expect(r.status).toBe(200);
    expect(fake.requests[0]!.servername).toBe('xcap.home1.net');
    expect(fake.requests[0]!.headers.host).toBe('xcap.home1.net:8443');
  });
});
