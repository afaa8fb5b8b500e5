/**
 * PUBLISH (RFC 3903) from the UA to a real presence server over UDP and TCP: initial, refresh, modify and
 * remove with their entity tags on the wire; a 412 after the server let the state expire; the 423 retry
 * with Min-Expires; the automatic refresh on a ManualClock, and its re-publication after a 412.
 */
import { once } from 'node:events';
import { ManualClock } from '@ut-testbed/sip-core';
import { PublishError } from '../src/sip';
import { startPresence, tracedUa, USER1, type Presence, type TracedUa } from './support/presence';

const composed = (ps: Presence) => ps.svc.composedState(USER1)?.body;

describe.each(['udp', 'tcp'] as const)('PUBLISH over %s', (protocol) => {
  let ps: Presence;
  let ue: TracedUa;

  beforeEach(async () => {
    ps = await startPresence();
    ue = await tracedUa({ identity: USER1, displayName: 'User One', proxy: ps.target(protocol) });
  });
  afterEach(async () => {
    await ue.ua.close();
    await ps.close();
  });

  test('initial, refresh, modify, remove: each 2xx a new SIP-ETag, each request naming the last one', async () => {
    const pub = await ue.ua.publish({ basic: 'open', note: 'at <work> & busy' }, { expires: 600 });
    const first = pub.etag;
    expect([pub.state, pub.expires, first.length > 0]).toEqual(['active', 600, true]);
    expect(composed(ps)).toContain('<basic>open</basic>');
    expect(composed(ps)).toContain('<note>at &lt;work&gt; &amp; busy</note>');

    await pub.refresh();
    const second = pub.etag;
    expect(second).not.toBe(first);
    await pub.modify({ basic: 'closed', note: 'gone home' });
    expect(pub.etag).not.toBe(second);
    expect(composed(ps)).toContain('<basic>closed</basic>');
    expect(composed(ps)).not.toContain('open');
    await pub.remove();
    expect(pub.state).toBe('removed');
    expect(composed(ps)).toBeUndefined();

    const sent = ue.sent('PUBLISH');
    expect(
      sent.map((m) => [
        m.get('CSeq'),
        m.get('SIP-If-Match'),
        m.get('Expires'),
        m.get('Content-Type'),
        m.body.length > 0,
      ]),
    ).toEqual([
      ['1 PUBLISH', undefined, '600', 'application/pidf+xml', true],
      ['2 PUBLISH', first, '600', undefined, false],
      ['3 PUBLISH', second, '600', 'application/pidf+xml', true],
      ['4 PUBLISH', expect.any(String), '0', undefined, false],
    ]);
    // one Call-ID per publication; the UA asserts its identity as the S-CSCF of the lab would
    expect(new Set(sent.map((m) => m.get('Call-ID'))).size).toBe(1);
    expect(sent[0]!.get('P-Asserted-Identity')).toBe('"User One" <sip:user1_public1@home1.net>');
    expect(sent[0]!.get('Event')).toBe('presence');
    expect(sent[0]!.uri).toBe(USER1);
  });

  test('a PIDF document as given; a body the server refuses is a PublishError 400, nothing kept', async () => {
    const doc =
      '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:user1_public1@home1.net">' +
      '<tuple id="own"><status><basic>open</basic></status></tuple></presence>';
    const pub = await ue.ua.publish(doc);
    expect(pub.expires).toBe(3600);
    expect(ue.sent('PUBLISH')[0]!.body.toString()).toBe(doc);
    const e = await ue.ua.publish('<presence/>').then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(PublishError);
    expect([(e as PublishError).status, (e as PublishError).operation]).toEqual([400, 'initial']);
    expect(ue.ua.publications.size).toBe(1);
  });

  test('423: retried once with Min-Expires', async () => {
    const pub = await ue.ua.publish({ basic: 'open' }, { expires: 30 });
    expect(pub.expires).toBe(60);
    expect(ue.sent('PUBLISH').map((m) => m.get('Expires'))).toEqual(['30', '60']);
    // the refresh asks for what was granted, not for the interval that was too brief
    await pub.refresh();
    expect(ue.sent('PUBLISH').map((m) => m.get('Expires'))).toEqual(['30', '60', '60']);
  });

  test('without assertIdentity the presence server refuses the PUBLISH: 403', async () => {
    const bare = await tracedUa({ identity: USER1, proxy: ps.target(protocol), assertIdentity: false });
    try {
      await expect(bare.ua.publish({ basic: 'open' })).rejects.toMatchObject({ status: 403 });
      expect(bare.sent('PUBLISH')[0]!.get('P-Asserted-Identity')).toBeUndefined();
    } finally {
      await bare.ua.close();
    }
  });
});

describe('expiry and automatic refresh on ManualClocks', () => {
  let serverClock: ManualClock;
  let ueClock: ManualClock;
  let ps: Presence;
  let ue: TracedUa;

  beforeEach(async () => {
    serverClock = new ManualClock();
    ueClock = new ManualClock();
    ps = await startPresence({ clock: serverClock });
    ue = await tracedUa({ identity: USER1, proxy: ps.target('udp'), clock: ueClock });
  });
  afterEach(async () => {
    await ue.ua.close();
    await ps.close();
  });

  test('the server let the state expire: a refresh gets 412, the publication is gone', async () => {
    const pub = await ue.ua.publish({ basic: 'open' }, { expires: 60 });
    const expired = ps.changed(USER1, 'expired');
    serverClock.advance(60_000);
    await expired;
    expect(composed(ps)).toBeUndefined();
    const e = await pub.refresh().then(
      () => undefined,
      (x: unknown) => x as PublishError,
    );
    expect([e?.status, e?.operation, pub.state]).toEqual([412, 'refresh', 'gone']);
    expect(ue.sent('PUBLISH')[1]!.get('SIP-If-Match')).toBe(pub.etag);
    await expect(pub.modify({ basic: 'closed' })).rejects.toThrow('cannot modify a publication that is gone');
  });

  test('autoRefresh: a refresh when 64*T1 is left, then again for the new interval', async () => {
    const pub = await ue.ua.publish({ basic: 'open' }, { expires: 120, autoRefresh: true });
    const etag = pub.etag;
    ueClock.advance(87_999);
    expect(ue.sent('PUBLISH')).toHaveLength(1);
    const refreshed = once(pub, 'refreshed');
    ueClock.advance(1);
    const [newTag] = (await refreshed) as [string];
    expect(newTag).toBe(pub.etag);
    expect(newTag).not.toBe(etag);
    expect(ue.sent('PUBLISH')[1]!.get('SIP-If-Match')).toBe(etag);
    expect(pub.expiresAt).toBe(88_000 + 120_000);
    const again = once(pub, 'refreshed');
    ueClock.advance(88_000);
    await again;
    expect(ue.sent('PUBLISH').map((m) => m.get('SIP-If-Match'))).toEqual([undefined, etag, newTag]);
  });

  test('autoRefresh meeting a 412 publishes the last body again as an initial PUBLISH', async () => {
    const pub = await ue.ua.publish(
      { basic: 'open', note: 'still here' },
      { expires: 120, autoRefresh: true },
    );
    await pub.modify({ basic: 'closed', note: 'modified' });
    // the server's soft state is lost (it expired there first, as after a restart)
    const expired = ps.changed(USER1, 'expired');
    serverClock.advance(120_000);
    await expired;
    expect(composed(ps)).toBeUndefined();
    const republished = once(pub, 'republished');
    ueClock.advance(88_000);
    await republished;
    expect(pub.state).toBe('active');
    expect(composed(ps)).toContain('<note>modified</note>');
    const sent = ue.sent('PUBLISH');
    expect(sent.map((m) => [m.get('SIP-If-Match') !== undefined, m.body.length > 0])).toEqual([
      [false, true],
      [true, true],
      [true, false],
      [false, true],
    ]);
  });

  test('remove stops the automatic refresh', async () => {
    const pub = await ue.ua.publish({ basic: 'open' }, { expires: 120, autoRefresh: true });
    await pub.remove();
    ueClock.advance(600_000);
    expect(ue.sent('PUBLISH')).toHaveLength(2);
  });
});
