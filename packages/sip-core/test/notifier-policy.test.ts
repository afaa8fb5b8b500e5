/**
 * The NOTIFY failure policy (RFC 6665 4.2.2 and NOTIFY_POLICY): a notifier endpoint and a scripted watcher
 * endpoint on 127.0.0.1 over UDP, on a ManualClock. 481 and a Timer F timeout (local 408) end the
 * subscription without another NOTIFY; so does a 404 (and any non-retryable status); 503 with Retry-After
 * keeps it and resends the state after that delay; 500 three times in a row (two retries) ends it.
 */
import {
  createEndpoint,
  createNotifier,
  createRequest,
  ManualClock,
  NOTIFY_POLICY,
  type Endpoint,
  type Notifier,
  type ServerTransactionHandle,
  type SipMessage,
  type Subscription,
  type Termination,
} from '../src';
import { Queue } from './support/queue';

interface Got {
  req: SipMessage;
  tx: ServerTransactionHandle;
}

let clock: ManualClock;
let ps: Endpoint;
let watcher: Endpoint;
let notifier: Notifier;
let got: Queue<Got>;
let terminations: Termination[];
let causes: string[];

beforeEach(async () => {
  clock = new ManualClock();
  got = new Queue();
  terminations = [];
  causes = [];
  ps = await createEndpoint({
    transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    allow: ['SUBSCRIBE'],
    clock,
    onRequest: (req, tx) => {
      notifier.handle(req, tx);
    },
  });
  watcher = await createEndpoint({
    transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    allow: ['NOTIFY'],
    clock,
    onRequest: (req, tx) => got.push({ req, tx }),
  });
  notifier = createNotifier({ endpoint: ps, clock, retryMs: 5000, maxRetries: 2 });
  notifier.addPackage('presence', {
    accept: ['application/pidf+xml'],
    onSubscribe: () => 'accept',
    state: (_s, cause) => {
      causes.push(cause);
      return { contentType: 'application/pidf+xml', body: '<presence/>' };
    },
    onTerminated: (_s, why) => terminations.push(why),
  });
});

afterEach(async () => {
  notifier.close();
  await watcher.close();
  await ps.close();
});

/** A subscription whose first NOTIFY was answered 200. */
async function subscribed(): Promise<Subscription> {
  const w = watcher.addresses[0]!;
  const res = await watcher.request(
    createRequest({
      method: 'SUBSCRIBE',
      uri: 'sip:alice@example.com',
      from: '<sip:bob@example.com>',
      to: '<sip:alice@example.com>',
      headers: [
        ['Event', 'presence'],
        ['Expires', '600'],
        ['Contact', `<sip:bob@127.0.0.1:${w.port}>`],
      ],
    }),
    ps.addresses[0]!,
  );
  expect(res.status).toBe(200);
  const first = await got.next();
  expect(first.req.get('Subscription-State')).toBe('active;expires=600');
  first.tx.respond(200, 'OK');
  const sub = notifier.subscriptions[0]!;
  await notifier.settled(sub);
  return sub;
}

const cseqOf = (m: SipMessage) => Number(m.get('CSeq')!.split(' ')[0]);

test('the policy table', () => {
  expect([200, 202, 481, 408, 404, 410, 480, 489, 501, 603, 500, 503, 504].map(NOTIFY_POLICY)).toEqual([
    'ok',
    'ok',
    'terminate',
    'terminate',
    'terminate',
    'terminate',
    'terminate',
    'terminate',
    'terminate',
    'terminate',
    'retry',
    'retry',
    'retry',
  ]);
});

test.each([
  [481, 'Call/Transaction Does Not Exist'],
  [404, 'Not Found'],
])('a NOTIFY answered %i ends the subscription, without another NOTIFY', async (status, reason) => {
  const sub = await subscribed();
  const sent = notifier.notify(sub);
  const n = await got.next();
  n.tx.respond(status, reason);
  expect((await sent)!.status).toBe(status);
  expect(sub.state).toBe('terminated');
  expect(notifier.subscriptions).toEqual([]);
  expect(terminations.map((t) => [t.by, t.response?.status])).toEqual([['notify-failed', status]]);
  expect(await notifier.notify(sub)).toBeUndefined();
  expect(await notifier.terminate(sub, 'noresource')).toBeUndefined();
});

test('a NOTIFY that times out (Timer F, local 408) ends the subscription', async () => {
  const sub = await subscribed();
  const sent = notifier.notify(sub);
  const n = await got.next(); // never answered
  expect(n.req.method).toBe('NOTIFY');
  clock.advance(31_999);
  expect(sub.state).toBe('active');
  clock.advance(1);
  expect((await sent)!.status).toBe(408);
  expect(sub.state).toBe('terminated');
  expect(terminations.map((t) => [t.by, t.response?.status])).toEqual([['notify-failed', 408]]);
});

test('503 with Retry-After keeps the subscription and resends the state after that delay', async () => {
  const sub = await subscribed();
  const sent = notifier.notify(sub);
  const n = await got.next();
  n.tx.respond(503, 'Service Unavailable', [['Retry-After', '10']]);
  expect((await sent)!.status).toBe(503);
  expect(sub.state).toBe('active');
  clock.advance(9_999);
  clock.advance(1);
  const retry = await got.next();
  expect(cseqOf(retry.req)).toBe(cseqOf(n.req) + 1);
  expect(retry.req.get('Subscription-State')).toBe('active;expires=590');
  retry.tx.respond(200, 'OK');
  await notifier.settled(sub);
  expect([sub.state, terminations]).toEqual(['active', []]);
  expect(causes).toEqual(['initial', 'update', 'retry']); // a package with partial state sends full state again
});

test('500 three times in a row (two retries, retryMs apart) ends the subscription', async () => {
  const sub = await subscribed();
  const sent = notifier.notify(sub);
  let n = await got.next();
  n.tx.respond(500, 'Server Internal Error');
  expect((await sent)!.status).toBe(500);
  for (let i = 0; i < 2; i++) {
    expect(sub.state).toBe('active');
    clock.advance(5_000);
    n = await got.next();
    n.tx.respond(500, 'Server Internal Error');
    await notifier.settled(sub);
  }
  expect(sub.state).toBe('terminated');
  expect(terminations.map((t) => [t.by, t.response?.status])).toEqual([['notify-failed', 500]]);
});

test('NOTIFYs queued behind one that failed are dropped: the subscription is over', async () => {
  const sub = await subscribed();
  const a = notifier.notify(sub);
  const b = notifier.notify(sub);
  const n = await got.next();
  n.tx.respond(481, 'Call/Transaction Does Not Exist');
  expect((await a)!.status).toBe(481);
  expect(await b).toBeUndefined(); // queued behind, dropped: the subscription is over
});
