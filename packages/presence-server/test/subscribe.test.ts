/**
 * SUBSCRIBE presence over real sockets against a real xcap-server: authorization by the presentity's
 * pres-rules (allow, confirm/none, block, polite-block, the presentity itself), the transformations,
 * re-evaluation when a pres-rules PUT arrives on the change stream, refresh, unsubscribe, expiry on the
 * clock, and the final NOTIFYs on close.
 */
import { ManualClock, type Endpoint, type Notification } from '@ut-testbed/sip-core';
import { parseWatcherinfo } from '../src/winfo/document';
import { parseXml, children } from '../src/xml/dom';
import { client, pidf, publishRequest, startServer, USER1, USER2, type Server } from './support';
import { presRules, startXcap, watcherUe, type WatcherUe, type Xcap } from './support-xcap';

const PIDF = 'urn:ietf:params:xml:ns:pidf';
const DM = 'urn:ietf:params:xml:ns:pidf:data-model';
const USER3 = 'sip:user3_public1@home1.net';

let xcap: Xcap;
let server: Server;
let ue: Endpoint;
let watcher: WatcherUe;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock();
  xcap = await startXcap();
  server = await startServer({ xcapRoot: xcap.root }, { clock });
  await server.svc.xcapConnected();
  ue = await client();
  watcher = await watcherUe();
});

afterEach(async () => {
  await server.svc.close();
  await watcher.close();
  await ue.close();
  await xcap.close();
});

const withPerson = (basic: string) =>
  pidf(
    USER1,
    [['t1', basic]],
    `<dm:person xmlns:dm="${DM}" id="p1"><dm:note>at work</dm:note></dm:person>\n`,
  );

async function publish(body: string): Promise<void> {
  const r = await ue.request(publishRequest({ body }), server.target('udp'));
  expect(r.status).toBe(200);
}

function subscribe(identity = USER2, protocol: 'udp' | 'tcp' = 'udp', uri = USER1) {
  return watcher.subscribe({ target: server.target(protocol), uri, identity });
}

/** Resolves once the server has received `n` answers to its NOTIFYs. */
function notifiesAnswered(n: number) {
  const answers = () => server.sink.events.filter((e) => e.summary === '200 OK (NOTIFY)').length;
  return server.sink.waitFor(() => answers() >= n);
}

function body(n: Notification) {
  const root = parseXml(n.body.toString()).documentElement!;
  const basics = children(root, PIDF, 'tuple').map((t) => t.textContent!.trim());
  return { entity: root.getAttribute('entity'), basics, persons: children(root, DM, 'person').length };
}

test('no rules: pending without a body; a pres-rules PUT allowing the watcher: active with the PIDF', async () => {
  await publish(withPerson('open'));
  const sub = await subscribe();
  expect([sub.response!.status, sub.response!.get('Expires')]).toEqual([200, '600']);
  const n1 = await watcher.notes.next();
  expect([n1.request.get('Subscription-State'), n1.body.length]).toEqual(['pending;expires=600', 0]);

  expect(
    await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }])),
  ).toBe(201);
  const n2 = await watcher.notes.next();
  expect(n2.request.get('Subscription-State')).toBe('active;expires=600');
  expect(n2.contentType).toBe('application/pidf+xml');
  expect(body(n2)).toEqual({ entity: USER1, basics: ['open'], persons: 1 });

  await publish(withPerson('closed'));
  expect(body(await watcher.notes.next()).basics).toEqual(['closed']);
});

test('allow: active at once; confirm: pending; block: 200 then terminated;reason=rejected', async () => {
  await publish(withPerson('open'));
  await xcap.write(
    'pres-rules',
    USER1,
    presRules([
      { id: 'a', identity: USER2, handling: 'allow' },
      { id: 'c', identity: USER3, handling: 'confirm' },
      { id: 'b', identity: 'sip:blocked@home1.net', handling: 'block' },
    ]),
  );
  await subscribe(USER2);
  const active = await watcher.notes.next();
  expect([active.request.get('Subscription-State'), body(active).basics]).toEqual([
    'active;expires=600',
    ['open'],
  ]);
  await subscribe(USER3);
  expect((await watcher.notes.next()).request.get('Subscription-State')).toBe('pending;expires=600');
  const blocked = await subscribe('sip:blocked@home1.net');
  expect(blocked.response!.status).toBe(200);
  const n = await watcher.notes.next();
  expect([n.request.get('Subscription-State'), n.body.length]).toEqual(['terminated;reason=rejected', 0]);
});

test('a refresh PUBLISH notifies nobody; the modify after it is the next NOTIFY', async () => {
  const first = await ue.request(publishRequest({ body: withPerson('open') }), server.target('udp'));
  await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }]));
  await subscribe();
  expect(body(await watcher.notes.next()).basics).toEqual(['open']);

  const refresh = await ue.request(
    publishRequest({ etag: first.get('SIP-ETag')!, expires: 600 }),
    server.target('udp'),
  );
  expect(refresh.status).toBe(200);
  const modify = await ue.request(
    publishRequest({ etag: refresh.get('SIP-ETag')!, body: withPerson('closed') }),
    server.target('udp'),
  );
  expect(modify.status).toBe(200);
  // NOTIFYs of one subscription go in order: had the refresh notified, its 'open' would come first
  const next = await watcher.notes.next();
  expect([next.request.get('CSeq'), body(next).basics]).toEqual(['2 NOTIFY', ['closed']]);
});

test('<validity> is checked at the time of day: a window around now allows, one in 1970 does not', async () => {
  await publish(withPerson('open'));
  const day = 24 * 3600 * 1000;
  const rules = (from: number, until: number) =>
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">' +
    `<cr:rule id="v"><cr:conditions><cr:identity><cr:one id="${USER2}"/></cr:identity>` +
    `<cr:validity><cr:from>${new Date(from).toISOString()}</cr:from><cr:until>${new Date(until).toISOString()}</cr:until></cr:validity>` +
    '</cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>' +
    '<cr:transformations><pr:provide-all-attributes/></cr:transformations></cr:rule></cr:ruleset>\n';
  // the timers' ManualClock is at 0: the rules must not be read on it
  expect(await xcap.write('pres-rules', USER1, rules(Date.now() - day, Date.now() + day))).toBe(201);
  await subscribe();
  expect((await watcher.notes.next()).request.get('Subscription-State')).toBe('active;expires=600');

  expect(await xcap.write('pres-rules', USER1, rules(0, day))).toBe(200);
  // the active watch is re-evaluated: out of the window, no rule allows it any more
  expect((await watcher.notes.next()).request.get('Subscription-State')).toBe(
    'terminated;reason=deactivated',
  );
});

test('<validity> at an injected time of day (PresenceOptions.now)', async () => {
  await server.svc.close();
  server = await startServer(
    { xcapRoot: xcap.root },
    { clock, now: () => Date.parse('2031-06-01T00:00:00Z') },
  );
  await server.svc.xcapConnected();
  await publish(withPerson('open'));
  const rules =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">' +
    `<cr:rule id="v"><cr:conditions><cr:identity><cr:one id="${USER2}"/></cr:identity>` +
    '<cr:validity><cr:from>2031-01-01T00:00:00Z</cr:from><cr:until>2032-01-01T00:00:00Z</cr:until></cr:validity>' +
    '</cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>' +
    '<cr:transformations><pr:provide-all-attributes/></cr:transformations></cr:rule></cr:ruleset>\n';
  expect(await xcap.write('pres-rules', USER1, rules)).toBe(201);
  await subscribe();
  expect((await watcher.notes.next()).request.get('Subscription-State')).toBe('active;expires=600');
});

test('polite-block: active with a neutral document that shows nothing published', async () => {
  await publish(withPerson('open'));
  await xcap.write('pres-rules', USER1, presRules([{ id: 'p', identity: USER2, handling: 'polite-block' }]));
  await subscribe();
  const n = await watcher.notes.next();
  expect(n.request.get('Subscription-State')).toBe('active;expires=600');
  const b = body(n);
  expect(b.entity).toBe(USER1);
  expect(b.persons).toBe(0);
  expect(n.body.toString()).not.toContain('t1');
  expect(b.basics).toEqual(['closed']);
});

test('the presentity may always watch itself, whatever its rules say', async () => {
  await publish(withPerson('open'));
  await xcap.write('pres-rules', USER1, presRules([{ id: 'b', identity: '*', handling: 'block' }]));
  await subscribe(USER1);
  const n = await watcher.notes.next();
  expect([n.request.get('Subscription-State'), body(n)]).toEqual([
    'active;expires=600',
    { entity: USER1, basics: ['open'], persons: 1 },
  ]);
});

test('the transformations: services only, without persons', async () => {
  await publish(withPerson('open'));
  await xcap.write(
    'pres-rules',
    USER1,
    presRules([
      {
        id: 'a',
        identity: USER2,
        handling: 'allow',
        provide: '<pr:provide-services><pr:all-services/></pr:provide-services>',
      },
    ]),
  );
  await subscribe();
  const n = await watcher.notes.next();
  expect(body(n)).toEqual({ entity: USER1, basics: ['open'], persons: 0 });
  expect(n.body.toString()).not.toContain('at work');
});

test('rules changed under an active subscription: block ends it rejected; confirm ends it deactivated', async () => {
  await xcap.write(
    'pres-rules',
    USER1,
    presRules([
      { id: 'a', identity: USER2, handling: 'allow' },
      { id: 'b', identity: USER3, handling: 'allow' },
    ]),
  );
  await subscribe(USER2);
  await subscribe(USER3);
  const first = [await watcher.notes.next(), await watcher.notes.next()];
  expect(first.map((n) => n.request.get('Subscription-State'))).toEqual([
    'active;expires=600',
    'active;expires=600',
  ]);
  await xcap.write(
    'pres-rules',
    USER1,
    presRules([
      { id: 'a', identity: USER2, handling: 'block' },
      { id: 'b', identity: USER3, handling: 'confirm' },
    ]),
  );
  const ends = [await watcher.notes.next(), await watcher.notes.next()];
  const byWatcher = new Map(ends.map((n) => [n.request.get('To'), n.request.get('Subscription-State')]));
  expect([...byWatcher.entries()].map(([to, s]) => [to!.split(';')[0], s]).sort()).toEqual([
    [`<${USER2}>`, 'terminated;reason=rejected'],
    [`<${USER3}>`, 'terminated;reason=deactivated'],
  ]);
});

test('refresh, unsubscribe, and expiry on the clock (terminated;reason=timeout)', async () => {
  await publish(withPerson('open'));
  await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: '*', handling: 'allow' }]));
  const sub = await subscribe();
  await watcher.notes.next();
  await notifiesAnswered(1); // no NOTIFY transaction is open when the clock jumps
  clock.advance(100_000);
  const r = await sub.refresh(300);
  expect([r.status, r.get('Expires')]).toEqual([200, '300']);
  expect((await watcher.notes.next()).request.get('Subscription-State')).toBe('active;expires=300');
  const u = await sub.unsubscribe();
  expect(u.get('Expires')).toBe('0');
  const last = await watcher.notes.next();
  expect([last.request.get('Subscription-State'), body(last).basics]).toEqual(['terminated', ['open']]);

  await subscribe(USER3);
  await watcher.notes.next();
  await notifiesAnswered(4);
  clock.advance(600_000);
  const expired = await watcher.notes.next();
  expect(expired.request.get('Subscription-State')).toBe('terminated;reason=timeout');
});

test('over TCP: 200 and the NOTIFYs on the subscriber connection', async () => {
  await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }]));
  const sub = await subscribe(USER2, 'tcp');
  expect(sub.response!.get('Contact')).toMatch(/transport=tcp/);
  const n = await watcher.notes.next();
  expect(n.request.get('Via')).toMatch(/^SIP\/2\.0\/TCP /);
  expect(n.request.get('Subscription-State')).toBe('active;expires=600');
});

test('a Request-URI of another domain: 404; no asserted identity from an untrusted peer: 403', async () => {
  await expect(subscribe(USER2, 'udp', 'sip:alice@example.com')).rejects.toMatchObject({
    response: { status: 404 },
  });
  const outsider = await watcherUe('127.0.0.2');
  try {
    await expect(
      outsider.subscribe({ target: server.target('udp'), uri: USER1, identity: USER2 }),
    ).rejects.toMatchObject({ response: { status: 403 } });
  } finally {
    await outsider.close();
  }
});

test('a watcher left waiting for waitingSeconds ends with giveup in watcher information', async () => {
  await server.svc.close();
  server = await startServer({ xcapRoot: xcap.root }, { clock, waitingSeconds: 60 });
  await server.svc.xcapConnected();
  const owner = await watcherUe();
  const rows = (n: Notification) =>
    parseWatcherinfo(n.body.toString()).lists[0]!.watchers.map((w) => [w.uri, w.status, w.event]);
  try {
    await owner.subscribe({
      target: server.target('udp'),
      uri: USER1,
      identity: USER1,
      event: 'presence.winfo',
      accept: ['application/watcherinfo+xml'],
    });
    await owner.notes.next();
    const sub = await subscribe(); // no rules: pending
    await watcher.notes.next();
    expect(rows(await owner.notes.next())).toEqual([[USER2, 'pending', 'subscribe']]);
    await sub.unsubscribe();
    expect(rows(await owner.notes.next())).toEqual([[USER2, 'waiting', 'timeout']]);
    // every NOTIFY answered first (owner: full, pending, waiting; watcher: pending, terminated), or the jump of
    // the clock would fire their Timer F
    await notifiesAnswered(5);
    clock.advance(60_000);
    expect(rows(await owner.notes.next())).toEqual([[USER2, 'terminated', 'giveup']]);
  } finally {
    // the server first: its final NOTIFYs must find the owner's port open (its wait runs on the manual clock)
    await server.svc.close();
    await owner.close();
  }
});

test('close(): every subscription ends with NOTIFY terminated;reason=noresource', async () => {
  await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }]));
  await subscribe(USER2);
  await subscribe(USER3);
  await watcher.notes.next();
  await watcher.notes.next();
  await server.svc.close();
  const finals = [await watcher.notes.next(), await watcher.notes.next()];
  expect(finals.map((n) => n.request.get('Subscription-State'))).toEqual([
    'terminated;reason=noresource',
    'terminated;reason=noresource',
  ]);
});
