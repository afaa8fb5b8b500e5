/**
 * Digest AKA edge cases against the real AP and HSS: resynchronisation (the USIM ahead: auts, MAR with
 * RAND || AUTS, a fresh challenge, success), a USIM that rejects the network (empty response, 403), a stale
 * nonce on a new connection (the USIM runs again), and the bound on challenges answered per request.
 */
import { makeSqn, Milenage, parseChallenges, parseCredentials, verifyAuts } from '@ut-testbed/aka-crypto';
import { DEFAULT_SQN_AHEAD } from '../src/usim/usim-model';
import { XcapError } from '../src/xcap/xcap-error';
import { EMPTY_LIST, headerOf, network, USER1, USER2, USER3, type Network } from './support/network';

const LIST = { auid: 'resource-lists', document: 'index' } as const;

const marsFor = (net: Network, impi: string) =>
  net.sink.events.filter(
    (e) => e.iface === 'Cx' && e.from.name === 'ap' && e.summary.startsWith(`MAR ${impi}`),
  );

describe('Digest AKA at the edges', () => {
  let net: Network;
  beforeAll(async () => {
    net = await network();
  });
  afterAll(() => net.close());

  it('resync: the USIM is ahead, answers with auts; the HSS resynchronises and the fresh challenge succeeds', async () => {
    const { xcap, usim } = net.ue({ user: USER3, usim: { sqnAhead: true } });
    const r = await xcap.put(LIST, EMPTY_LIST);
    expect(r.status).toBe(201);
    expect(r.response.exchanges.map((e) => [e.status, e.credentials])).toEqual([
      [401, 'none'],
      [401, 'resync'],
      [201, 'answer'],
    ]);
    expect(r.response.rspauth).toBe('verified');
    expect(usim.state.outcomes).toEqual({ ok: 1, 'sync-failure': 1, 'mac-failure': 0 });
    // what went on the wire: auts over the first nonce's RAND, carrying the USIM's SQN_MS under MAC-S
    const reqs = net.utRequests().filter((e) => e.summary.includes(USER3.impus[0]!));
    const firstChallenge = net.sink.events.find(
      (e) => e.iface === 'Ut' && e.summary.startsWith('401') && e.to.port === reqs[0]!.from.port,
    )!;
    const firstNonce = parseChallenges(headerOf(firstChallenge, 'WWW-Authenticate')!)[0]!.params.get(
      'nonce',
    )!;
    const resync = parseCredentials(headerOf(reqs[1]!, 'Authorization')!).params;
    expect(resync.get('nonce')).toBe(firstNonce);
    const check = verifyAuts(
      new Milenage(Buffer.from(USER3.k, 'hex'), Buffer.from(USER3.opc!, 'hex')),
      Buffer.from(firstNonce, 'base64').subarray(0, 16),
      Buffer.from(resync.get('auts')!, 'base64'),
    );
    expect(check).toEqual({ macSOk: true, sqnMs: makeSqn(DEFAULT_SQN_AHEAD, 0) });
    // two MARs (the second with RAND || AUTS), and the HSS moved on to SEQ_MS + 1
    expect(marsFor(net, USER3.impi)).toHaveLength(2);
    expect((await net.hss.store.get(USER3.impi))!.seqHe).toBe(DEFAULT_SQN_AHEAD + 1);
    const accepted = usim.split(usim.state.last!.sqn!);
    expect(accepted.seq).toBe(DEFAULT_SQN_AHEAD + 1);
  });

  it('a USIM that rejects the network sends an empty response without auts, and the AP answers 403', async () => {
    const { http, xcap, usim } = net.ue({ user: USER2, usim: { corruptMac: true } });
    const e = await xcap.put(LIST, EMPTY_LIST).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(XcapError);
    expect((e as XcapError).status).toBe(403);
    expect((e as XcapError).response!.exchanges.map((x) => [x.status, x.credentials])).toEqual([
      [401, 'none'],
      [403, 'mac-failure'],
    ]);
    const sent = parseCredentials(headerOf(net.utRequests().at(-1)!, 'Authorization')!).params;
    expect(sent.get('response')).toBe('');
    expect(sent.has('auts')).toBe(false);
    expect(sent.get('username')).toBe(USER2.impi);
    expect(http.nonce).toBeUndefined();
    expect(usim.state.seqMs.every((s) => s === 0)).toBe(true);
    // the same UE, its USIM repaired, starts over with a new challenge
    usim.corruptMac = false;
    const ok = await xcap.put(LIST, EMPTY_LIST);
    expect(ok.response.exchanges.map((x) => [x.status, x.credentials])).toEqual([
      [401, 'none'],
      [201, 'answer'],
    ]);
  });

  it('stale=true on a new connection: the USIM runs again for the new nonce, without a failure', async () => {
    const { http, xcap, usim } = net.ue();
    expect((await xcap.put({ ...LIST, document: 'stale' }, EMPTY_LIST)).status).toBe(201);
    const oldNonce = http.nonce!.nonce;
    await http.disconnect();
    // past the AP's 5-minute nonce lifetime, within the 10 minutes it remembers the nonce
    net.clock.advance(6 * 60_000);
    const r = await xcap.get({ ...LIST, document: 'stale' });
    expect(r.status).toBe(200);
    const ex = r.response.exchanges;
    expect(ex.map((e) => [e.status, e.credentials, e.stale ?? false])).toEqual([
      [401, 'reuse', true],
      [200, 'answer', false],
    ]);
    expect(ex[0]!.newConnection).toBe(true);
    expect(ex[0]!.tlsResumed).toBe(true);
    expect(http.nonce!.nonce).not.toBe(oldNonce);
    expect(http.nonce!.nc).toBe(1);
    expect(usim.state.outcomes.ok).toBe(2);
    expect(r.response.rspauth).toBe('verified');
  });
});

describe('the bound on challenges', () => {
  let net: Network;
  beforeAll(async () => {
    net = await network();
  });
  afterAll(() => net.close());

  it('with maxChallenges 1 a resync is not finished: the second 401 reaches the caller', async () => {
    const { xcap } = net.ue({ user: USER1, usim: { sqnAhead: true }, maxChallenges: 1 });
    const e = await xcap.get(LIST).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(XcapError);
    expect((e as XcapError).status).toBe(401);
    expect((e as XcapError).response!.exchanges.map((x) => [x.status, x.credentials])).toEqual([
      [401, 'none'],
      [401, 'resync'],
    ]);
  });
});
