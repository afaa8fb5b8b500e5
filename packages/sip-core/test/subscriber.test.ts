/**
 * The subscriber against peers that do what a notifier may: a NOTIFY before the 200 (RFC 6665 4.1.2.4: the
 * NOTIFY creates the dialog), over UDP and TCP; and a Record-Route through a relay on 127.0.0.1 (UDP) that
 * passes every datagram between the two endpoints: the 200 carries the Record-Route back, the NOTIFYs and
 * the refresh go through the relay with a Route header, the Request-URI being the remote target.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  createEndpoint,
  createNotifier,
  createRequest,
  createSubscriber,
  parseMessage,
  type Endpoint,
  type Notification,
  type Notifier,
  type ServerTransactionHandle,
  type SipMessage,
  type Subscriber,
} from '../src';
import { Queue } from './support/queue';

const transports = [
  { protocol: 'udp' as const, host: '127.0.0.1', port: 0 },
  { protocol: 'tcp' as const, host: '127.0.0.1', port: 0 },
];

describe.each(['udp', 'tcp'] as const)('a NOTIFY before the 200, over %s', (protocol) => {
  let ps: Endpoint;
  let ue: Endpoint;
  let subscriber: Subscriber;
  let got: Queue<{ req: SipMessage; tx: ServerTransactionHandle }>;

  beforeEach(async () => {
    got = new Queue();
    ps = await createEndpoint({
      transports,
      allow: ['SUBSCRIBE'],
      onRequest: (req, tx) => got.push({ req, tx }),
    });
    ue = await createEndpoint({
      transports,
      allow: ['NOTIFY'],
      onRequest: (req, tx) => {
        subscriber.handle(req, tx);
      },
    });
    subscriber = createSubscriber({ endpoint: ue });
  });
  afterEach(async () => {
    await ue.close();
    await ps.close();
  });

  test('creates the dialog; the 200 then completes the subscription; a refresh follows its route set', async () => {
    const psAddr = ps.addresses.find((a) => a.protocol === protocol)!;
    const ueAddr = ue.addresses.find((a) => a.protocol === protocol)!;
    const seen: { n: Notification; resolved: boolean }[] = [];
    let resolved = false;
    const pending = subscriber.subscribe({
      target: psAddr,
      uri: 'sip:alice@example.com',
      from: '<sip:bob@example.com>',
      event: 'presence',
      expires: 600,
      onNotify: (n) => seen.push({ n, resolved }),
    });
    const { req, tx } = await got.next();
    const rr = `<sip:127.0.0.1:${psAddr.port};transport=${protocol};lr>`;
    const notify = createRequest({
      method: 'NOTIFY',
      uri: `sip:127.0.0.1:${ueAddr.port};transport=${protocol}`,
      from: `${req.get('To')};tag=${tx.tag}`,
      to: req.get('From')!,
      callId: req.get('Call-ID')!,
      cseq: 1,
      headers: [
        ['Event', 'presence'],
        ['Subscription-State', 'pending;expires=600'],
        ['Record-Route', rr],
        ['Contact', `<sip:ps@127.0.0.1:${psAddr.port};transport=${protocol}>`],
      ],
    });
    expect((await ps.request(notify, ueAddr)).status).toBe(200);
    tx.respond(200, 'OK', [
      ['Expires', '600'],
      ['Contact', `<sip:ps@127.0.0.1:${psAddr.port};transport=${protocol}>`],
    ]);
    const sub = await pending;
    resolved = true;
    expect(seen.map((s) => [s.n.state, s.n.expires, s.resolved])).toEqual([['pending', 600, false]]);
    expect(sub.dialog!.id).toEqual({
      callId: req.get('Call-ID'),
      localTag: /tag=([^;]+)/.exec(req.get('From')!)![1],
      remoteTag: tx.tag,
    });
    expect([sub.dialog!.routeSet, sub.dialog!.remoteSeq, sub.state, sub.expires]).toEqual([
      [rr],
      1,
      'pending',
      600,
    ]);

    const refreshing = sub.refresh(300);
    const refresh = await got.next();
    expect([refresh.req.uri, refresh.req.getAll('Route'), refresh.req.get('CSeq')]).toEqual([
      `sip:ps@127.0.0.1:${psAddr.port};transport=${protocol}`,
      [rr],
      '2 SUBSCRIBE',
    ]);
    expect(refresh.req.get('To')).toContain(`;tag=${tx.tag}`);
    refresh.tx.respond(200, 'OK', [['Expires', '300']]);
    expect((await refreshing).status).toBe(200);
    expect(sub.expires).toBe(300);
  });
});

describe('Record-Route through a relay (UDP)', () => {
  let ps: Endpoint;
  let ue: Endpoint;
  let relay: Socket;
  let notifier: Notifier;
  let subscriber: Subscriber;
  let relayed: SipMessage[];

  beforeEach(async () => {
    relayed = [];
    ps = await createEndpoint({
      transports: [transports[0]!],
      allow: ['SUBSCRIBE'],
      onRequest: (req, tx) => {
        notifier.handle(req, tx);
      },
    });
    ue = await createEndpoint({
      transports: [transports[0]!],
      allow: ['NOTIFY'],
      onRequest: (req, tx) => {
        subscriber.handle(req, tx);
      },
    });
    notifier = createNotifier({ endpoint: ps });
    notifier.addPackage('presence', {
      accept: ['application/pidf+xml'],
      onSubscribe: () => 'accept',
      state: () => ({ contentType: 'application/pidf+xml', body: '<presence/>' }),
    });
    subscriber = createSubscriber({ endpoint: ue });
    relay = createSocket('udp4');
    // everything from one endpoint goes to the other, as it is
    relay.on('message', (b, rinfo) => {
      const r = parseMessage(b);
      if (r.ok) relayed.push(r.message);
      const to = rinfo.port === ps.addresses[0]!.port ? ue.addresses[0]! : ps.addresses[0]!;
      relay.send(b, to.port, to.host);
    });
    await new Promise<void>((resolve) => relay.bind(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    notifier.close();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
    await ue.close();
    await ps.close();
  });

  test('the 200 echoes the Record-Route; NOTIFYs and the refresh carry it as Route', async () => {
    const port = relay.address().port;
    const rr = `<sip:127.0.0.1:${port};lr>`;
    const notes = new Queue<Notification>();
    const sub = await subscriber.subscribe({
      target: { protocol: 'udp', host: '127.0.0.1', port },
      uri: 'sip:alice@example.com',
      from: '<sip:bob@example.com>',
      event: 'presence',
      expires: 600,
      headers: [['Record-Route', rr]], // as the relay would have added it
      onNotify: (n) => notes.push(n),
    });
    expect(sub.dialog!.routeSet).toEqual([rr]);
    const first = await notes.next();
    expect([first.state, first.request.getAll('Route'), first.request.uri]).toEqual([
      'active',
      [rr],
      `sip:127.0.0.1:${ue.addresses[0]!.port};transport=udp`,
    ]);
    expect(notifier.subscriptions[0]!.dialog.routeSet).toEqual([rr]);
    expect((await sub.refresh()).status).toBe(200);
    await notes.next();
    const requests = relayed.filter((m) => m.kind === 'request').map((m) => [m.method, m.getAll('Route')]);
    expect(requests).toEqual([
      ['SUBSCRIBE', []],
      ['NOTIFY', [rr]],
      ['SUBSCRIBE', [rr]],
      ['NOTIFY', [rr]],
    ]);
    const ok = relayed.find((m) => m.status === 200 && m.get('CSeq') === '1 SUBSCRIBE')!;
    expect(ok.getAll('Record-Route')).toEqual([rr]);
  });
});
