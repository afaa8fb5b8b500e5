/**
 * PUBLISH over real sockets (RFC 3903 section 6 answers), OPTIONS, 405 for the rest, the identity rules
 * (P-Asserted-Identity only from trusted peers; 127.0.0.2 is an untrusted source), and the trace.
 */
import { createRequest, type Endpoint } from '@ut-testbed/sip-core';
import {
  client,
  pidf,
  publishRequest,
  startServer,
  USER1,
  USER2,
  type Publish,
  type Server,
} from './support';

let server: Server;
let ue: Endpoint;

beforeEach(async () => {
  server = await startServer();
  ue = await client();
});
afterEach(async () => {
  await ue.close();
  await server.svc.close();
});

const open = pidf(USER1, [['t1', 'open']]);
const closed = pidf(USER1, [['t1', 'closed']]);

describe.each(['udp', 'tcp'] as const)('over %s', (protocol) => {
  const send = (p: Publish) => ue.request(publishRequest(p), server.target(protocol));

  test('initial, refresh, modify, remove: 200 with a new SIP-ETag each time', async () => {
    const initial = await send({ body: open, expires: 600 });
    expect([initial.status, initial.get('Expires')]).toEqual([200, '600']);
    const e1 = initial.get('SIP-ETag')!;
    expect(e1).toMatch(/^[0-9a-f]+\.[0-9a-z]+$/);
    expect(server.svc.composedState(USER1)?.body).toContain('<basic>open</basic>');

    const refresh = await send({ etag: e1, expires: 600 });
    const e2 = refresh.get('SIP-ETag')!;
    expect([refresh.status, refresh.get('Expires')]).toEqual([200, '600']);
    expect(e2).not.toBe(e1);
    expect((await send({ etag: e1 })).status).toBe(412);

    const modify = await send({ etag: e2, body: closed });
    const e3 = modify.get('SIP-ETag')!;
    expect([modify.status, modify.get('Expires')]).toEqual([200, '3600']);
    expect(new Set([e1, e2, e3]).size).toBe(3);
    expect(server.svc.composedState(USER1)?.body).toContain('<basic>closed</basic>');

    const remove = await send({ etag: e3, expires: 0 });
    expect([remove.status, remove.get('Expires'), remove.get('SIP-ETag') !== undefined]).toEqual([
      200,
      '0',
      true,
    ]);
    expect(server.svc.composedState(USER1)).toBeUndefined();
    expect((await send({ etag: e3 })).status).toBe(412);
  });

  test('an unknown SIP-If-Match, or one of another presentity: 412', async () => {
    const other = await send({ uri: USER2, pai: USER2, from: USER2, body: pidf(USER2, [['x', 'open']]) });
    expect(other.status).toBe(200);
    const r1 = await send({ etag: 'nosuchtag', body: open });
    expect([r1.status, r1.reason]).toEqual([412, 'Conditional Request Failed']);
    expect((await send({ etag: other.get('SIP-ETag')! })).status).toBe(412);
  });

  test('no SIP-If-Match and no body: 400', async () => {
    const r = await send({});
    expect(r.status).toBe(400);
    expect(r.get('Warning')).toMatch(/needs a body/);
  });

  test('Expires: below 60 is 423 with Min-Expires, above 3600 is lowered, absent is 3600', async () => {
    const brief = await send({ body: open, expires: 59 });
    expect([brief.status, brief.reason, brief.get('Min-Expires')]).toEqual([423, 'Interval Too Brief', '60']);
    expect((await send({ body: open, expires: 60 })).get('Expires')).toBe('60');
    expect((await send({ body: open, expires: 86400 })).get('Expires')).toBe('3600');
    expect((await send({ body: open })).get('Expires')).toBe('3600');
    expect((await send({ body: open, expires: 'soon' })).status).toBe(400);
  });

  test('Event other than presence, or none: 489 with Allow-Events', async () => {
    for (const event of ['bogus', 'presence.winfo', null]) {
      const r = await send({ body: open, event });
      expect([r.status, r.reason, r.get('Allow-Events')]).toEqual([489, 'Bad Event', 'presence']);
    }
  });

  test('a body other than application/pidf+xml: 415 with Accept', async () => {
    for (const contentType of ['text/plain', 'application/xml', null]) {
      const r = await send({ body: open, contentType });
      expect([r.status, r.get('Accept')]).toEqual([415, 'application/pidf+xml']);
    }
    const charset = await send({ body: open, contentType: 'Application/PIDF+XML; charset=UTF-8' });
    expect(charset.status).toBe(200);
  });

  test.each([
    ['not well formed', '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="x"><tuple id="a"></presence>'],
    ['not XML', 'open'],
    ['another root', '<foo xmlns="urn:ietf:params:xml:ns:pidf" entity="x"/>'],
    ['another namespace', '<presence xmlns="urn:example" entity="x"/>'],
    ['no namespace', '<presence entity="x"/>'],
    ['no entity', '<presence xmlns="urn:ietf:params:xml:ns:pidf"/>'],
    ['a tuple without id', '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="x"><tuple/></presence>'],
    [
      'a DOCTYPE',
      '<!DOCTYPE presence [<!ENTITY a "b">]><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="x"/>',
    ],
  ])('a body that is %s: 400 with the reason', async (_what, body) => {
    const r = await send({ body });
    expect(r.status).toBe(400);
    expect(r.get('Warning')).toMatch(/^399 127\.0\.0\.1:\d+ "not a PIDF document: .+"$/);
    expect(server.svc.composedState(USER1)).toBeUndefined();
  });

  test('a Request-URI outside presence.domain, or without a user: 404', async () => {
    for (const uri of ['sip:user1_public1@other.net', 'sip:home1.net', 'tel:+12125551111']) {
      const r = await send({ uri, body: open });
      expect(r.status).toBe(404);
    }
  });

  test('P-Asserted-Identity of another user from a trusted peer: 403', async () => {
    const r = await send({ pai: USER2, body: open });
    expect(r.status).toBe(403);
    expect(r.get('Warning')).toMatch(/sip:user2_public1@home1.net may not publish/);
  });

  test('several P-Asserted-Identity values (SIP and tel): the presentity among them is enough', async () => {
    const r = await send({
      pai: null,
      headers: [['P-Asserted-Identity', `<tel:+12125551111>, <${USER1}>`]],
      body: open,
    });
    expect(r.status).toBe(200);
  });

  test('from a trusted peer without P-Asserted-Identity: 403', async () => {
    expect((await send({ pai: null, body: open })).status).toBe(403);
  });

  test('OPTIONS: 200 with Allow, Accept, Allow-Events, Supported; MESSAGE: 405 with Allow', async () => {
    const mk = (method: string) =>
      createRequest({ method, uri: 'sip:ps@home1.net', from: `<${USER1}>`, to: '<sip:ps@home1.net>' });
    const o = await ue.request(mk('OPTIONS'), server.target(protocol));
    expect([o.status, o.get('Allow'), o.get('Accept'), o.get('Allow-Events'), o.get('Supported')]).toEqual([
      200,
      'PUBLISH, SUBSCRIBE, OPTIONS, CANCEL',
      'application/pidf+xml, application/watcherinfo+xml, multipart/related, application/rlmi+xml',
      'presence, presence.winfo',
      'eventlist',
    ]);
    const r = await ue.request(mk('MESSAGE'), server.target(protocol));
    expect([r.status, r.get('Allow')]).toEqual([405, 'PUBLISH, SUBSCRIBE, OPTIONS, CANCEL']);
  });
});

describe('identity from an untrusted source (127.0.0.2)', () => {
  let outsider: Endpoint;
  beforeEach(async () => {
    outsider = await client('127.0.0.2');
  });
  afterEach(() => outsider.close());

  test('P-Asserted-Identity is not believed: 403; the same request from 127.0.0.1 is 200', async () => {
    const r = await outsider.request(publishRequest({ body: open }), server.target('udp'));
    expect(r.status).toBe(403);
    expect(r.get('Warning')).toMatch(/untrusted peer/);
    expect(
      (await outsider.request(publishRequest({ pai: null, body: open }), server.target('tcp'))).status,
    ).toBe(403);
    expect((await ue.request(publishRequest({ body: open }), server.target('udp'))).status).toBe(200);
  });

  test('with trustFrom (lab switch) the From URI stands for the sender, and must be the presentity', async () => {
    const lab = await startServer({}, { trustFrom: true });
    try {
      const ok = await outsider.request(publishRequest({ body: open }), lab.target('udp'));
      expect(ok.status).toBe(200);
      const foreign = await outsider.request(publishRequest({ from: USER2, body: open }), lab.target('udp'));
      expect(foreign.status).toBe(403);
    } finally {
      await lab.svc.close();
    }
  });

  test('presence.trustedPeers decides: 127.0.0.2 listed is believed', async () => {
    const s = await startServer({ trustedPeers: ['127.0.0.2'] });
    try {
      expect((await outsider.request(publishRequest({ body: open }), s.target('udp'))).status).toBe(200);
      expect((await ue.request(publishRequest({ body: open }), s.target('udp'))).status).toBe(403);
    } finally {
      await s.svc.close();
    }
  });
});

test('every message is a trace event: ISC with a trusted peer (the S-CSCF), Gm with anyone else', async () => {
  await ue.request(publishRequest({ body: open }), server.target('udp'));
  const outsider = await client('127.0.0.2');
  try {
    await outsider.request(publishRequest({ body: open }), server.target('udp'));
  } finally {
    await outsider.close();
  }
  expect(server.sink.events.map((e) => [e.iface, e.proto, e.transport, e.from.host, e.summary])).toEqual([
    ['ISC', 'sip', 'udp', '127.0.0.1', `PUBLISH ${USER1}`],
    ['ISC', 'sip', 'udp', '127.0.0.1', '200 OK (PUBLISH)'],
    ['Gm', 'sip', 'udp', '127.0.0.2', `PUBLISH ${USER1}`],
    ['Gm', 'sip', 'udp', '127.0.0.1', '403 Forbidden (PUBLISH)'],
  ]);
});

test('a config with only UDP listens only on UDP', async () => {
  const s = await startServer({ listen: { transports: ['udp'] } });
  try {
    expect(Object.keys(s.svc.endpoints)).toEqual(['udp']);
  } finally {
    await s.svc.close();
  }
});
