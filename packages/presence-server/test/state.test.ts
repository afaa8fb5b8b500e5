/**
 * Publication state over real sockets: expiry on a ManualClock, composition of several publications of one
 * presentity, and publications of one presentity taking effect one at a time in arrival order.
 */
import { ManualClock, type Endpoint } from '@ut-testbed/sip-core';
import { parsePidf } from '../src';
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

let ue: Endpoint;
beforeEach(async () => {
  ue = await client();
});
afterEach(() => ue.close());

const tick = () => new Promise((r) => setImmediate(r));

describe('expiry on the clock', () => {
  let clock: ManualClock;
  let server: Server;
  beforeEach(async () => {
    clock = new ManualClock();
    server = await startServer({}, { clock });
  });
  afterEach(() => server.svc.close());
  const send = (p: Publish) => ue.request(publishRequest(p), server.target('tcp'));

  test('a publication ends when its granted Expires passes; its tag is then unknown (412)', async () => {
    const r = await send({ body: pidf(USER1, [['t', 'open']]), expires: 120 });
    expect(r.get('Expires')).toBe('120');
    clock.advance(119_999);
    await tick();
    expect(server.svc.composedState(USER1)).toBeDefined();
    clock.advance(1);
    await tick();
    expect(server.svc.composedState(USER1)).toBeUndefined();
    expect((await send({ etag: r.get('SIP-ETag')! })).status).toBe(412);
  });

  test('a refresh restarts the time; the old timer does not end the refreshed publication', async () => {
    const r = await send({ body: pidf(USER1, [['t', 'open']]), expires: 120 });
    clock.advance(100_000);
    const refreshed = await send({ etag: r.get('SIP-ETag')!, expires: 120 });
    expect(refreshed.status).toBe(200);
    clock.advance(100_000);
    await tick();
    expect(server.svc.composedState(USER1)).toBeDefined();
    clock.advance(20_000);
    await tick();
    expect(server.svc.composedState(USER1)).toBeUndefined();
  });

  test('a granted maximum of 3600 s ends after 3600 s', async () => {
    await send({ body: pidf(USER1, [['t', 'open']]), expires: 100_000 });
    clock.advance(3_599_999);
    await tick();
    expect(server.svc.composedState(USER1)).toBeDefined();
    clock.advance(1);
    await tick();
    expect(server.svc.composedState(USER1)).toBeUndefined();
  });
});

describe('composition', () => {
  let server: Server;
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(() => server.svc.close());
  const send = (p: Publish) => ue.request(publishRequest(p), server.target('udp'));

  test('tuples by id from every publication, the newest publication winning a shared id', async () => {
    const a = await send({
      body: pidf(
        USER1,
        [
          ['phone', 'open'],
          ['pc', 'closed'],
        ],
        '<note>at work</note>\n',
      ),
    });
    await send({
      body: pidf(
        USER1,
        [
          ['pc', 'open'],
          ['tablet', 'closed'],
        ],
        '<note>at work</note>\n',
      ),
    });
    const s = server.svc.composedState(USER1)!;
    expect(s.contentType).toBe('application/pidf+xml');
    const doc = parsePidf(s.body);
    expect(doc.entity).toBe(USER1);
    expect(
      doc.children.map((c) => [c.local, c.attrs.get('id') ?? '', /<basic>(\w+)/.exec(c.text)?.[1] ?? '']),
    ).toEqual([
      ['tuple', 'pc', 'open'],
      ['tuple', 'tablet', 'closed'],
      ['tuple', 'phone', 'open'],
      ['note', '', ''],
    ]);
    // modifying the older one makes it the newest
    await send({ etag: a.get('SIP-ETag')!, body: pidf(USER1, [['pc', 'busy']]) });
    const after = parsePidf(server.svc.composedState(USER1)!.body);
    expect(after.children.map((c) => [c.local, c.attrs.get('id'), /<basic>(\w+)/.exec(c.text)?.[1]])).toEqual(
      [
        ['tuple', 'pc', 'busy'],
        ['tuple', 'tablet', 'closed'],
        ['note', undefined, undefined],
      ],
    );
    expect(server.svc.composedState(USER2)).toBeUndefined();
  });

  test('elements keep their namespaces when moved: prefixed PIDF, RFC 4479 person, extensions', async () => {
    const body =
      '<p:presence xmlns:p="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" ' +
      'xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:user1_public1@home1.net">' +
      '<p:tuple id="t1"><p:status><p:basic>open</p:basic></p:status></p:tuple>' +
      '<dm:person id="me"><rpid:activities><rpid:busy/></rpid:activities></dm:person>' +
      '</p:presence>';
    expect((await send({ body })).status).toBe(200);
    await send({ body: pidf(USER1, [['t2', 'closed']]) });
    const doc = parsePidf(server.svc.composedState(USER1)!.body);
    expect(doc.children.map((c) => [c.ns, c.local, c.attrs.get('id')])).toEqual([
      ['urn:ietf:params:xml:ns:pidf', 'tuple', 't2'],
      ['urn:ietf:params:xml:ns:pidf', 'tuple', 't1'],
      ['urn:ietf:params:xml:ns:pidf:data-model', 'person', 'me'],
    ]);
    expect(doc.children[2]!.text).toContain('xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"');
  });
});

describe('arrival order', () => {
  test('the next PUBLISH of a presentity waits for the previous one and its state change', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const server = await startServer(
      {},
      {
        onStateChange: async (presentity, reason) => {
          log.push(`${presentity} ${reason}`);
          if (log.length === 1) await gate;
        },
      },
    );
    try {
      const first = ue.request(publishRequest({ body: pidf(USER1, [['a', 'open']]) }), server.target('tcp'));
      const firstRes = await first;
      expect(firstRes.status).toBe(200);
      // the first change is held: the second PUBLISH of USER1 waits, USER2's does not
      const second = ue.request(
        publishRequest({ etag: firstRes.get('SIP-ETag')!, body: pidf(USER1, [['a', 'closed']]) }),
        server.target('tcp'),
      );
      const other = await ue.request(
        publishRequest({ uri: USER2, pai: USER2, from: USER2, body: pidf(USER2, [['b', 'open']]) }),
        server.target('tcp'),
      );
      expect(other.status).toBe(200);
      expect(log).toEqual([`${USER1} published`, `${USER2} published`]);
      release();
      expect((await second).status).toBe(200);
      expect(log).toEqual([`${USER1} published`, `${USER2} published`, `${USER1} modified`]);
    } finally {
      await server.svc.close();
    }
  });

  test('two PUBLISHes with the same SIP-If-Match back to back: the first wins, the second gets 412', async () => {
    const server = await startServer();
    try {
      const r = await ue.request(
        publishRequest({ body: pidf(USER1, [['a', 'open']]) }),
        server.target('tcp'),
      );
      const etag = r.get('SIP-ETag')!;
      const [x, y] = await Promise.all([
        ue.request(publishRequest({ etag, body: pidf(USER1, [['a', 'first']]) }), server.target('tcp')),
        ue.request(publishRequest({ etag, body: pidf(USER1, [['a', 'second']]) }), server.target('tcp')),
      ]);
      expect([x.status, y.status]).toEqual([200, 412]);
      expect(server.svc.composedState(USER1)!.body).toContain('<basic>first</basic>');
    } finally {
      await server.svc.close();
    }
  });
});
