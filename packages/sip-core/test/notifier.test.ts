/**
 * The notifier and the subscriber on two endpoints on 127.0.0.1, over UDP and over TCP, on a ManualClock:
 * the life cycle (200 + NOTIFY active, a state change, refresh, expiry → terminated;reason=timeout,
 * unsubscribe), pending then active, 489, 423, a rejection, 481 both ways, CSeq regressions (500), fetch.
 */
import {
  createEndpoint,
  createNotifier,
  createRequest,
  createSubscriber,
  ManualClock,
  SubscribeError,
  type ClientSubscription,
  type Endpoint,
  type Notification,
  type Notifier,
  type SipMessage,
  type SubscribeDecision,
  type Subscriber,
  type Target,
  type Termination,
} from '../src';
import { once } from 'node:events';
import * as net from 'node:net';
import { Queue } from './support/queue';

const pidf = (basic: string) =>
  `<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com"><tuple id="t"><status><basic>${basic}</basic></status></tuple></presence>`;

let clock: ManualClock;
let ps: Endpoint;
let ue: Endpoint;
let notifier: Notifier;
let subscriber: Subscriber;
let basic: string;
let decision: SubscribeDecision;
let terminations: Termination[];
let notes: Queue<Notification>;
let causes: string[];
let received: SipMessage[];

beforeEach(async () => {
  clock = new ManualClock();
  basic = 'open';
  decision = 'accept';
  terminations = [];
  causes = [];
  received = [];
  notes = new Queue();
  const transports = [
    { protocol: 'udp' as const, host: '127.0.0.1', port: 0 },
    { protocol: 'tcp' as const, host: '127.0.0.1', port: 0 },
  ];
  ps = await createEndpoint({
    transports,
    allow: ['SUBSCRIBE'],
    clock,
    onRequest: (req, tx) => {
      received.push(req);
      notifier.handle(req, tx);
    },
  });
  ue = await createEndpoint({
    transports,
    allow: ['NOTIFY'],
    supported: ['eventlist'],
    clock,
    onRequest: (req, tx) => {
      subscriber.handle(req, tx);
    },
  });
  notifier = createNotifier({ endpoint: ps, clock });
  notifier.addPackage('presence', {
    accept: ['application/pidf+xml'],
    minExpires: 60,
    maxExpires: 3600,
    defaultExpires: 600,
    onSubscribe: () => decision,
    state: (_s, cause) => {
      causes.push(cause);
      return { contentType: 'application/pidf+xml', body: pidf(basic) };
    },
    onCreated: (s) => causes.push(`created ${s.state}`),
    onRefreshed: (s) => causes.push(`refreshed ${(s.expiresAt - clock.now()) / 1000}`),
    onTerminated: (_s, why) => terminations.push(why),
  });
  subscriber = createSubscriber({ endpoint: ue });
});

afterEach(async () => {
  notifier.close();
  await ue.close();
  await ps.close();
});

const cseq = (n: Notification) => Number(n.request.get('CSeq')!.split(' ')[0]);

describe.each(['udp', 'tcp'] as const)('over %s', (protocol) => {
  const target = (): Target => ps.addresses.find((a) => a.protocol === protocol)!;
  const subscribe = (expires = 600, event = 'presence'): Promise<ClientSubscription> =>
    subscriber.subscribe({
      target: target(),
      uri: 'sip:alice@example.com',
      from: '<sip:bob@example.com>',
      event,
      expires,
      accept: ['application/pidf+xml'],
      onNotify: (n) => notes.push(n),
    });

  test('life cycle: 200 + NOTIFY active, a state change, refresh, expiry → terminated;reason=timeout', async () => {
    const sub = await subscribe(7200);
    expect(sub.expires).toBe(3600); // lowered to maxExpires
    const first = await notes.next();
    expect([first.request.get('Subscription-State'), first.contentType, first.body.toString()]).toEqual([
      'active;expires=3600',
      'application/pidf+xml',
      pidf('open'),
    ]);
    expect(first.request.get('Event')).toBe('presence');
    expect(sub.dialog!.id.remoteTag).toBe(notifier.subscriptions[0]!.dialog.id.localTag);
    expect(sub.dialog!.remoteTarget).toBe(`sip:127.0.0.1:${target().port};transport=${protocol}`);

    basic = 'closed';
    const res = await notifier.notify(notifier.subscriptions[0]!);
    expect(res!.status).toBe(200);
    const second = await notes.next();
    expect(second.body.toString()).toBe(pidf('closed'));
    expect(cseq(second)).toBe(cseq(first) + 1);

    await notifier.settled(notifier.subscriptions[0]!); // nothing in flight when the clock jumps
    clock.advance(100_000);
    const refreshed = await sub.refresh(300);
    expect([refreshed.status, refreshed.get('Expires'), refreshed.get('CSeq')]).toEqual([
      200,
      '300',
      '2 SUBSCRIBE',
    ]);
    const third = await notes.next();
    expect(third.request.get('Subscription-State')).toBe('active;expires=300');
    expect(cseq(third)).toBe(cseq(second) + 1);

    await notifier.settled(notifier.subscriptions[0]!);
    clock.advance(299_000);
    expect(notes.size).toBe(0);
    clock.advance(1_000);
    const last = await notes.next();
    expect(last.request.get('Subscription-State')).toBe('terminated;reason=timeout');
    expect(last.body.toString()).toBe(pidf('closed'));
    expect((await sub.terminated)?.reason).toBe('timeout');
    expect(sub.state).toBe('terminated');
    expect(notifier.subscriptions).toEqual([]);
    expect(terminations).toEqual([{ by: 'expired', reason: 'timeout' }]);
  });

  test('unsubscribe: 200 Expires 0, final NOTIFY terminated (no reason) with the state', async () => {
    const sub = await subscribe();
    expect((await notes.next()).request.get('Subscription-State')).toBe('active;expires=600');
    const res = await sub.unsubscribe();
    expect([res.status, res.get('Expires')]).toEqual([200, '0']);
    const last = await notes.next();
    expect([last.request.get('Subscription-State'), last.body.toString()]).toEqual([
      'terminated',
      pidf('open'),
    ]);
    await sub.terminated;
    expect(notifier.subscriptions).toEqual([]);
    expect(terminations).toEqual([{ by: 'unsubscribed' }]);
    // the dialog is gone on both sides: another refresh is refused locally, a raw one gets 481
    await expect(sub.refresh()).rejects.toThrow('the subscription is over');
    const again = sub.dialog!.createRequest('SUBSCRIBE', [
      ['Event', 'presence'],
      ['Expires', '600'],
    ]);
    expect((await ue.request(again, target())).status).toBe(481);
  });

  test('pending (no body) then active', async () => {
    decision = 'pending';
    const sub = await subscribe();
    const first = await notes.next();
    expect([first.request.get('Subscription-State'), first.body.length, first.contentType]).toEqual([
      'pending;expires=600',
      0,
      undefined,
    ]);
    expect(sub.state).toBe('pending');
    await notifier.settled(notifier.subscriptions[0]!);
    clock.advance(10_000);
    await notifier.activate(notifier.subscriptions[0]!);
    const second = await notes.next();
    expect([second.request.get('Subscription-State'), second.body.toString()]).toEqual([
      'active;expires=590',
      pidf('open'),
    ]);
    expect(sub.state).toBe('active');
  });

  test('489 Bad Event with Allow-Events; 423 with Min-Expires; a rejection', async () => {
    const e489 = await subscribe(600, 'bogus').catch((e: unknown) => e);
    expect(e489).toBeInstanceOf(SubscribeError);
    const r489 = (e489 as SubscribeError).response;
    expect([r489.status, r489.reason, r489.get('Allow-Events')]).toEqual([489, 'Bad Event', 'presence']);
    const e423 = (await subscribe(10).catch((e: unknown) => e)) as SubscribeError;
    expect([e423.response.status, e423.response.get('Min-Expires')]).toEqual([423, '60']);
    decision = { reject: 403, reason: 'Forbidden' };
    const e403 = (await subscribe().catch((e: unknown) => e)) as SubscribeError;
    expect([e403.response.status, e403.response.reason]).toEqual([403, 'Forbidden']);
    expect(notifier.subscriptions).toEqual([]);
    expect(notes.size).toBe(0);
  });

  test('a refresh below Min-Expires gets 423 and the subscription stays', async () => {
    const sub = await subscribe();
    await notes.next();
    const res = await sub.refresh(5);
    expect([res.status, res.get('Min-Expires')]).toEqual([423, '60']);
    expect(notifier.subscriptions.map((s) => s.state)).toEqual(['active']);
  });

  test('fetch (Expires 0): 200 Expires 0 and one NOTIFY terminated;reason=timeout with the state', async () => {
    const sub = await subscribe(0);
    expect(sub.expires).toBe(0);
    const n = await notes.next();
    expect([n.request.get('Subscription-State'), n.body.toString()]).toEqual([
      'terminated;reason=timeout',
      pidf('open'),
    ]);
    await sub.terminated;
    expect(terminations).toEqual([{ by: 'fetched', reason: 'timeout' }]);
  });

  test('481 for a SUBSCRIBE in an unknown dialog and for a NOTIFY matching no subscription', async () => {
    const sub = createRequest({
      method: 'SUBSCRIBE',
      uri: 'sip:alice@example.com',
      from: '<sip:bob@example.com>;tag=b1',
      to: '<sip:alice@example.com>;tag=nosuchdialog',
      headers: [
        ['Event', 'presence'],
        ['Contact', '<sip:bob@127.0.0.1>'],
      ],
    });
    const r1 = await ue.request(sub, target());
    expect([r1.status, r1.reason]).toEqual([481, 'Call/Transaction Does Not Exist']);
    const notify = createRequest({
      method: 'NOTIFY',
      uri: 'sip:bob@127.0.0.1',
      from: '<sip:alice@example.com>;tag=a1',
      to: '<sip:bob@example.com>;tag=nosuchdialog',
      headers: [
        ['Event', 'presence'],
        ['Subscription-State', 'active;expires=60'],
        ['Contact', '<sip:alice@127.0.0.1>'],
      ],
    });
    const r2 = await ps.request(
      notify,
      ue.addresses.find((a) => a.protocol === protocol)!,
    );
    expect(r2.status).toBe(481);
  });

  test('a CSeq lower than the last: 500 (RFC 3261 12.2.2), both ways', async () => {
    const sub = await subscribe();
    const first = await notes.next();
    expect((await sub.refresh()).status).toBe(200); // CSeq 2
    await notes.next();
    const old = sub.dialog!.createRequest('SUBSCRIBE', [
      ['Event', 'presence'],
      ['Expires', '600'],
    ]);
    old.set('CSeq', '1 SUBSCRIBE');
    const r1 = await ue.request(old, target());
    expect([r1.status, r1.reason]).toEqual([500, 'Server Internal Error']);

    const d = notifier.subscriptions[0]!.dialog;
    const stale = d.createRequest('NOTIFY', [
      ['Event', 'presence'],
      ['Subscription-State', 'active;expires=60'],
    ]);
    stale.set('CSeq', `${cseq(first)} NOTIFY`);
    const r2 = await ps.request(stale, d.destination());
    expect(r2.status).toBe(500);
    expect(sub.notifications).toHaveLength(2);
  });

  test('state() is told why: initial, update, refresh, final; onCreated before the first NOTIFY', async () => {
    const sub = await subscribe();
    await notes.next();
    await notifier.notify(notifier.subscriptions[0]!);
    await notes.next();
    await sub.refresh();
    await notes.next();
    await sub.unsubscribe();
    await notes.next();
    expect(causes).toEqual(['created active', 'initial', 'update', 'refreshed 600', 'refresh', 'final']);
  });

  test('pending then activate(): the first NOTIFY with state is initial', async () => {
    decision = 'pending';
    await subscribe();
    expect((await notes.next()).body.length).toBe(0);
    await notifier.activate(notifier.subscriptions[0]!);
    expect((await notes.next()).body.toString()).toBe(pidf('open'));
    expect(causes).toEqual(['created pending', 'initial']);
  });

  test('NOTIFYs of one subscription go one at a time, in order, CSeq increasing', async () => {
    const sub = await subscribe();
    await notes.next();
    const s = notifier.subscriptions[0]!;
    const sent = ['a', 'b', 'c'].map((b) => {
      basic = b;
      return notifier.notify(s);
    });
    // each NOTIFY reads the state when it is sent: all three carry the latest
    const results = await Promise.all(sent);
    expect(results.map((r) => r!.status)).toEqual([200, 200, 200]);
    const got = [await notes.next(), await notes.next(), await notes.next()];
    expect(got.map(cseq)).toEqual([2, 3, 4]);
    expect(sub.notifications).toHaveLength(4);
  });
});

describe('over TCP, the subscriber connection', () => {
  /** A raw TCP client: what it writes, and the SIP messages read back, split on Content-Length. */
  async function rawClient(port: number) {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const messages = new Queue<string>();
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/\r\nContent-Length: *(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        messages.push(buf.slice(0, end + 4 + length));
        buf = buf.slice(end + 4 + length);
      }
    });
    return { socket, messages, local: socket.localPort! };
  }

  test('NOTIFYs go back over the connection of the SUBSCRIBE, not to a Contact where nothing listens', async () => {
    const port = ps.addresses.find((a) => a.protocol === 'tcp')!.port;
    const c = await rawClient(port);
    const closed = net.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    c.socket.write(
      [
        'SUBSCRIBE sip:alice@example.com SIP/2.0',
        `Via: SIP/2.0/TCP 127.0.0.1:${c.local};branch=z9hG4bK-raw-1`,
        'Max-Forwards: 70',
        'From: <sip:bob@example.com>;tag=raw1',
        'To: <sip:alice@example.com>',
        'Call-ID: raw-flow-1',
        'CSeq: 1 SUBSCRIBE',
        `Contact: <sip:bob@127.0.0.1:${deadPort};transport=tcp>`,
        'Event: presence',
        'Expires: 600',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    const answers = [await c.messages.next(), await c.messages.next()];
    const ok = answers.find((m) => m.startsWith('SIP/2.0 '))!;
    const notify = answers.find((m) => m.startsWith('NOTIFY '))!;
    expect(ok.split('\r\n')[0]).toBe('SIP/2.0 200 OK');
    expect(notify.split('\r\n')[0]).toBe(`NOTIFY sip:bob@127.0.0.1:${deadPort};transport=tcp SIP/2.0`);
    expect(notify).toContain('\r\nSubscription-State: active;expires=600\r\n');
    const d = notifier.subscriptions[0]!.dialog;
    expect(d.destination()).toEqual({ protocol: 'tcp', host: '127.0.0.1', port: c.local });
    c.socket.destroy();
    await d.flow!.closed;
    // once the connection is gone the Contact is the target again
    expect(d.destination()).toEqual({ protocol: 'tcp', host: '127.0.0.1', port: deadPort });
  });
});

describe('package headers and rejections with headers', () => {
  const target = (): Target => ps.addresses.find((a) => a.protocol === 'udp')!;
  test('headers() go on the 200 and on every NOTIFY; a rejection carries its headers', async () => {
    notifier.addPackage('list', {
      accept: ['multipart/related'],
      onSubscribe: (_s, req) =>
        req.get('Supported')?.includes('eventlist')
          ? 'accept'
          : { reject: 421, reason: 'Extension Required', headers: [['Require', 'eventlist']] },
      headers: () => [['Require', 'eventlist']],
      state: () => ({ contentType: 'multipart/related;boundary=x', body: '--x--\r\n' }),
    });
    const req = (supported: boolean) =>
      createRequest({
        method: 'SUBSCRIBE',
        uri: 'sip:list@example.com',
        from: '<sip:bob@example.com>',
        to: '<sip:list@example.com>',
        headers: [
          ['Event', 'list'],
          ['Contact', `<sip:bob@127.0.0.1:${ue.addresses[0]!.port}>`],
          ...(supported ? [['Supported', 'eventlist'] as [string, string]] : []),
        ],
      });
    const refused = await ue.request(req(false), target());
    expect([refused.status, refused.get('Require')]).toEqual([421, 'eventlist']);
    expect(notifier.subscriptions).toEqual([]);

    const sub = await subscriber.subscribe({
      target: target(),
      uri: 'sip:list@example.com',
      from: '<sip:bob@example.com>',
      event: 'list',
      expires: 600,
      headers: [['Supported', 'eventlist']],
      onNotify: (n) => notes.push(n),
    });
    expect(sub.response!.get('Require')).toBe('eventlist');
    const n = await notes.next();
    expect(n.request.get('Require')).toBe('eventlist');
    expect((await sub.refresh()).get('Require')).toBe('eventlist');
    // the in-dialog SUBSCRIBE carried the caller's headers again
    const refreshReq = received.filter((r) => r.method === 'SUBSCRIBE').at(-1)!;
    expect([refreshReq.get('CSeq'), refreshReq.get('Supported')]).toEqual(['2 SUBSCRIBE', 'eventlist']);
  });
});

test('{ terminate }: 200, then one NOTIFY terminated;reason=rejected without a body', async () => {
  decision = { terminate: 'rejected' };
  const sub = await subscriber.subscribe({
    target: ps.addresses.find((a) => a.protocol === 'udp')!,
    uri: 'sip:alice@example.com',
    from: '<sip:bob@example.com>',
    event: 'presence',
    expires: 600,
    onNotify: (n) => notes.push(n),
  });
  expect(sub.response!.status).toBe(200);
  const n = await notes.next();
  expect([n.request.get('Subscription-State'), n.request.get('Content-Type'), n.body.length]).toEqual([
    'terminated;reason=rejected',
    undefined,
    0,
  ]);
  expect((await sub.terminated)?.reason).toBe('rejected');
  expect(notifier.subscriptions).toEqual([]);
  expect(terminations).toEqual([{ by: 'owner', reason: 'rejected' }]);
});
