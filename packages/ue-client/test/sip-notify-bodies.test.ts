/**
 * What the UA does with NOTIFYs the presence server does not send, against a scripted notifier on
 * sip-core: a body it cannot parse (400, the 'error' event, the watch and the notifier's subscription both
 * ended), a type it did not accept (415 with Accept), a NOTIFY after that (481), a winfo or RLMI version gap
 * (the view kept, a refresh, full state), a list subscription answered with plain PIDF.
 */
import { once } from 'node:events';
import { buildListNotifyBody, buildWatcherinfo, type RlmiList } from '@ut-testbed/presence-server';
import {
  createEndpoint,
  createNotifier,
  type Endpoint,
  type NotifyCause,
  type NotifyContent,
  type Notifier,
  type Subscription,
  type Termination,
} from '@ut-testbed/sip-core';
import { createUa, NotifyBodyError, SubscribeError, type Ua } from '../src/sip';
import { pidf, Queue, USER1, USER2 } from './support/presence';

const WINFO = 'application/watcherinfo+xml';
const PIDF = 'application/pidf+xml';

let ps: Endpoint;
let notifier: Notifier;
let ua: Ua;
/** what the scripted notifier sends: one entry per NOTIFY that carries state */
let script: ((cause: NotifyCause) => NotifyContent | undefined)[];
let causes: NotifyCause[];
let ended: Queue<Termination>;
let created: Subscription | undefined;

const winfo = (
  version: number,
  state: 'full' | 'partial',
  watchers: [id: string, status: 'pending' | 'active'][],
) => ({
  contentType: WINFO,
  body: buildWatcherinfo({
    version,
    state,
    lists: [
      {
        resource: USER1,
        package: 'presence',
        watchers: watchers.map(([id, status]) => ({
          id,
          uri: `sip:${id}@home1.net`,
          status,
          event: 'subscribe' as const,
        })),
      },
    ],
  }),
});

describe.each(['udp', 'tcp'] as const)('a scripted notifier over %s', (protocol) => {
  beforeEach(async () => {
    script = [];
    causes = [];
    ended = new Queue();
    ps = await createEndpoint({
      transports: [{ protocol, host: '127.0.0.1', port: 0 }],
      allow: ['SUBSCRIBE'],
      onRequest: (req, tx) => {
        notifier.handle(req, tx);
      },
    });
    notifier = createNotifier({ endpoint: ps });
    for (const event of ['presence', 'presence.winfo'])
      notifier.addPackage(event, {
        accept: [PIDF, WINFO, 'multipart/related'],
        onSubscribe: () => 'accept',
        state: (_sub, cause) => {
          causes.push(cause);
          return script.shift()?.(cause);
        },
        onCreated: (sub) => (created = sub),
        onTerminated: (_sub, why) => ended.push(why),
      });
    ua = await createUa({ identity: USER2, proxy: ps.addresses[0]! });
  });
  afterEach(async () => {
    notifier.close();
    await ua.close();
    await ps.close();
  });

  test('a body that is not PIDF: 400 with a Warning, the error, both ends drop the subscription', async () => {
    script.push(() => ({ contentType: PIDF, body: pidf(USER1, [['t', 'open']]) }));
    script.push(() => ({ contentType: PIDF, body: '<presence xmlns="urn:ietf:params:xml:ns:pidf">' }));
    const watch = await ua.subscribe(USER1);
    expect((await watch.next()).presence!.tuples[0]!.basic).toBe('open');
    const error = once(watch, 'error');
    const res = await notifier.notify(notifier.subscriptions[0]!);
    expect(res!.status).toBe(400);
    expect(res!.get('Warning')).toMatch(/^399 127\.0\.0\.1:\d+ "not a PIDF document: /);
    const [e] = (await error) as [NotifyBodyError];
    expect(e).toBeInstanceOf(NotifyBodyError);
    expect(e.status).toBe(400);
    const last = await watch.ended;
    expect([last.state, last.error, last.notification!.body.toString()]).toEqual([
      'terminated',
      e,
      '<presence xmlns="urn:ietf:params:xml:ns:pidf">',
    ]);
    // the last good state is still what the watch shows
    expect(last.presence!.tuples[0]!.basic).toBe('open');
    expect(await ended.next()).toMatchObject({ by: 'notify-failed', response: { status: 400 } });
    expect(notifier.subscriptions).toHaveLength(0);
  });

  test('a NOTIFY of that dialog after the watch ended here: 481', async () => {
    script.push(() => ({ contentType: PIDF, body: 'not xml' }));
    const watch = await ua.subscribe(USER1);
    const last = await watch.ended;
    expect(last.error).toBeInstanceOf(NotifyBodyError);
    expect(watch.error).toBe(last.error);
    expect((await ended.next()).by).toBe('notify-failed');
    // one more NOTIFY in the dialog the notifier had, as a notifier that ignored the 400 would send
    const d = created!.dialog;
    const req = d.createRequest(
      'NOTIFY',
      [
        ['Event', 'presence'],
        ['Subscription-State', 'active;expires=60'],
        ['Content-Type', PIDF],
      ],
      pidf(USER1, [['t', 'open']]),
    );
    expect((await ps.request(req, d.destination())).status).toBe(481);
  });

  test('a refresh answered 481 (the notifier forgot the subscription): the watch ends with the error', async () => {
    script.push(() => ({ contentType: PIDF, body: pidf(USER1, [['t', 'open']]) }));
    const watch = await ua.subscribe(USER1);
    await watch.next();
    notifier.close();
    const e = await watch.refresh().then(
      () => undefined,
      (x: unknown) => x as SubscribeError,
    );
    expect(e).toBeInstanceOf(SubscribeError);
    expect(e!.response.status).toBe(481);
    expect(await watch.ended).toEqual({ state: 'terminated', error: e, presence: watch.presence });
    await expect(watch.refresh()).rejects.toThrow('is terminated');
  });

  test('for await: every update in order, the terminated one last, then the loop ends', async () => {
    script.push(() => ({ contentType: PIDF, body: pidf(USER1, [['t', 'open']]) }));
    script.push(() => ({ contentType: PIDF, body: pidf(USER1, [['t', 'closed']]) }));
    const watch = await ua.subscribe(USER1);
    const sub = notifier.subscriptions[0]!;
    const done = notifier.notify(sub).then(() => notifier.terminate(sub, 'probation', 30));
    const seen: unknown[] = [];
    for await (const u of watch) seen.push([u.state, u.reason, u.retryAfter, u.presence?.tuples[0]?.basic]);
    expect(seen).toEqual([
      ['active', undefined, undefined, 'open'],
      ['active', undefined, undefined, 'closed'],
      ['terminated', 'probation', 30, 'closed'],
    ]);
    expect([watch.state, watch.reason, watch.retryAfter]).toEqual(['terminated', 'probation', 30]);
    expect((await done)!.status).toBe(200);
  });

  test('a type the subscription did not accept: 415 with the Accept of the subscription', async () => {
    script.push(() => ({
      contentType: 'multipart/related;type="application/rlmi+xml";boundary=x',
      body: '--x--',
    }));
    const watch = await ua.subscribe(USER1, { event: 'presence.winfo' });
    const last = await watch.ended;
    expect([(last.error as NotifyBodyError).status, last.notification!.contentType]).toEqual([
      415,
      'multipart/related;type="application/rlmi+xml";boundary=x',
    ]);
    const why = await ended.next();
    expect([why.by, why.response!.status, why.response!.get('Accept')]).toEqual([
      'notify-failed',
      415,
      'application/watcherinfo+xml',
    ]);
  });

  test('winfo: a version gap keeps the view and refreshes; the refresh brings full state', async () => {
    script.push(() => winfo(1, 'full', [['a', 'active']]));
    script.push(() => winfo(3, 'partial', [['b', 'pending']]));
    script.push(() =>
      winfo(4, 'full', [
        ['a', 'active'],
        ['b', 'pending'],
      ]),
    );
    script.push(() => winfo(4, 'partial', [['c', 'pending']]));
    const watch = await ua.subscribe(USER1, { event: 'presence.winfo' });
    const first = await watch.next();
    expect(first.watcherinfo!.lists[0]!.watchers.map((w) => w.id)).toEqual(['a']);

    await notifier.notify(notifier.subscriptions[0]!);
    const gap = await watch.next();
    expect([gap.resync, gap.watcherinfo]).toEqual([true, first.watcherinfo]);
    const full = await watch.next();
    expect([
      full.resync,
      full.watcherinfo!.version,
      full.watcherinfo!.lists[0]!.watchers.map((w) => w.id),
    ]).toEqual([undefined, 4, ['a', 'b']]);
    expect(causes).toEqual(['initial', 'update', 'refresh']);

    // a version not above the view's is old news
    await notifier.notify(notifier.subscriptions[0]!);
    const stale = await watch.next();
    expect(stale.watcherinfo).toBe(full.watcherinfo);
  });

  test('an event list: partial states merged by resource and instance; a gap refreshes', async () => {
    const rlmi = (version: number, fullState: boolean, resources: RlmiList['resources']) => ({
      uri: 'sip:friends@home1.net',
      version,
      fullState,
      resources,
    });
    const pidfPart = (cid: string, basic: string) => ({
      cid,
      contentType: PIDF,
      body: pidf(USER1, [['t', basic]]),
    });
    const body = (list: RlmiList, parts: ReturnType<typeof pidfPart>[]) => {
      const b = buildListNotifyBody(list, parts);
      return { contentType: b.contentType, body: b.body };
    };
    script.push(() =>
      body(
        rlmi(1, true, [
          { uri: USER1, instances: [{ id: 'i1', state: 'active', cid: 'p1@home1.net' }] },
          { uri: 'sip:u3@home1.net', instances: [{ id: 'i3', state: 'pending' }] },
        ]),
        [pidfPart('p1@home1.net', 'open')],
      ),
    );
    script.push(() =>
      body(
        rlmi(2, false, [
          { uri: 'sip:u3@home1.net', instances: [{ id: 'i3', state: 'terminated', reason: 'rejected' }] },
        ]),
        [],
      ),
    );
    script.push(() =>
      body(
        rlmi(4, false, [{ uri: USER1, instances: [{ id: 'i1', state: 'active', cid: 'p2@home1.net' }] }]),
        [pidfPart('p2@home1.net', 'closed')],
      ),
    );
    script.push(() =>
      body(rlmi(5, true, [{ uri: USER1, instances: [{ id: 'i1', state: 'active', cid: 'p3@home1.net' }] }]), [
        pidfPart('p3@home1.net', 'closed'),
      ]),
    );
    const watch = await ua.subscribe('sip:friends@home1.net', { list: true });
    const view = (u: Awaited<ReturnType<typeof watch.next>>) =>
      u.list!.resources.map((r) => [
        r.uri,
        r.instances.map((i) => [i.id, i.state, i.reason ?? i.presence?.tuples[0]?.basic]),
      ]);
    expect(view(await watch.next())).toEqual([
      [USER1, [['i1', 'active', 'open']]],
      ['sip:u3@home1.net', [['i3', 'pending', undefined]]],
    ]);
    await notifier.notify(notifier.subscriptions[0]!);
    const partial = await watch.next();
    expect([partial.changed, view(partial)]).toEqual([
      ['sip:u3@home1.net'],
      [
        [USER1, [['i1', 'active', 'open']]],
        ['sip:u3@home1.net', [['i3', 'terminated', 'rejected']]],
      ],
    ]);
    await notifier.notify(notifier.subscriptions[0]!);
    const gap = await watch.next();
    expect([gap.resync, gap.changed, gap.list!.version]).toEqual([true, undefined, 2]);
    const full = await watch.next();
    expect([full.list!.version, view(full)]).toEqual([5, [[USER1, [['i1', 'active', 'closed']]]]]);
    expect(causes).toEqual(['initial', 'update', 'update', 'refresh']);
  });

  test('a list subscription answered with PIDF (the URI is no list): the presence view', async () => {
    script.push(() => ({ contentType: PIDF, body: pidf(USER1, [['t', 'closed', 'not a list']]) }));
    const watch = await ua.subscribe(USER1, { list: true });
    const u = await watch.next();
    expect([watch.kind, u.list, u.presence!.tuples]).toEqual([
      'list',
      undefined,
      [{ id: 't', basic: 'closed', note: 'not a list' }],
    ]);
  });
});
