/**
 * SUBSCRIBE from the UA to a real presence server reading a real xcap-server, over UDP and TCP: a presence
 * watch pending until a pres-rules PUT allows it, then the PIDF of each publication; presence.winfo full then
 * partial; an event list (RLMI full state, then partial when a member publishes); unsubscribe; 423; a
 * blocked watcher; the server closing; the automatic refresh on a ManualClock.
 */
import { ManualClock } from '@ut-testbed/sip-core';
import { WatchEndedError, type Ua } from '../src/sip';
import {
  presRules,
  resourceLists,
  rlsServices,
  startPresence,
  startXcap,
  tracedUa,
  USER1,
  USER2,
  USER3,
  type Presence,
  type TracedUa,
  type Xcap,
} from './support/presence';

const LIST_URI = 'sip:user2_public1-friends@home1.net';

describe.each(['udp', 'tcp'] as const)('watches over %s', (protocol) => {
  let xcap: Xcap;
  let ps: Presence;
  let one: Ua;
  let two: Ua;

  beforeEach(async () => {
    xcap = await startXcap();
    ps = await startPresence({ xcapRoot: xcap.root });
    await ps.svc.xcapConnected();
    one = (await tracedUa({ identity: USER1, displayName: 'User One', proxy: ps.target(protocol) })).ua;
    two = (await tracedUa({ identity: USER2, displayName: 'User Two', proxy: ps.target(protocol) })).ua;
  });
  afterEach(async () => {
    // the server first: its final NOTIFYs are answered, instead of waited for until its shutdown bound
    await ps.close();
    await Promise.all([one.close(), two.close()]);
    await xcap.close();
  });

  test('presence: pending, active once a pres-rules PUT allows the watcher, the PIDF after a modify', async () => {
    const pub = await one.publish({ basic: 'open', note: 'in a meeting' });
    const watch = await two.subscribe(USER1, { expires: 600 });
    expect([watch.kind, watch.expires]).toEqual(['presence', 600]);
    const pending = await watch.next();
    expect([pending.state, pending.presence, watch.state]).toEqual(['pending', undefined, 'pending']);

    expect(
      await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }])),
    ).toBe(201);
    const active = await watch.next();
    expect(active.state).toBe('active');
    expect(active.expires).toBeLessThanOrEqual(600);
    expect(active.presence!.entity).toBe(USER1);
    expect(active.presence!.tuples).toEqual([
      { id: expect.any(String), basic: 'open', note: 'in a meeting' },
    ]);

    await pub.modify({ basic: 'closed', note: 'gone home' });
    const modified = await watch.next();
    expect(modified.presence!.tuples.map((t) => [t.basic, t.note])).toEqual([['closed', 'gone home']]);
    expect(watch.presence).toBe(modified.presence);

    await pub.remove();
    const removed = await watch.next();
    expect([removed.state, removed.presence!.tuples]).toEqual(['active', []]);

    const last = await watch.unsubscribe();
    expect([last.state, last.reason, watch.state]).toEqual(['terminated', undefined, 'terminated']);
    expect(last.notification!.request.get('Subscription-State')).toBe('terminated');
    // the queue holds every update, the last one included; then it is over
    expect(await watch.next()).toBe(last);
    await expect(watch.next()).rejects.toBeInstanceOf(WatchEndedError);
    expect(two.watches.size).toBe(0);
  });

  test('presence.winfo: full state, a new watcher pending (partial), approved; a refresh gives full state', async () => {
    const winfo = await one.subscribe(USER1, { event: 'presence.winfo' });
    const full = await winfo.next();
    expect([full.state, full.watcherinfo]).toEqual([
      'active',
      { version: 1, state: 'full', lists: [{ resource: USER1, package: 'presence', watchers: [] }] },
    ]);

    await two.subscribe(USER1);
    const partial = await winfo.next();
    expect(partial.watcherinfo!.version).toBe(2);
    expect(partial.watcherinfo!.lists[0]!.watchers).toEqual([
      expect.objectContaining({ uri: USER2, displayName: 'User Two', status: 'pending', event: 'subscribe' }),
    ]);
    const id = partial.watcherinfo!.lists[0]!.watchers[0]!.id;

    await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }]));
    const approved = await winfo.next();
    expect(approved.watcherinfo!.lists[0]!.watchers.map((w) => [w.id, w.status, w.event])).toEqual([
      [id, 'active', 'approved'],
    ]);

    await winfo.refresh();
    const again = await winfo.next();
    expect(again.notification!.body.toString()).toContain('state="full"');
    expect(again.watcherinfo!.lists[0]!.watchers.map((w) => [w.id, w.status])).toEqual([[id, 'active']]);
  });

  test('an event list: RLMI full state with each resource and its PIDF, then partial when a member publishes', async () => {
    const members = [
      { uri: USER1, displayName: 'User One' },
      { uri: USER3 },
      { uri: 'sip:carol@example.com' },
    ];
    expect(await xcap.write('resource-lists', USER2, resourceLists('friends', members))).toBe(201);
    expect(await xcap.write('rls-services', USER2, rlsServices(LIST_URI, USER2, 'friends'))).toBe(201);
    await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }]));
    const pub = await one.publish({ basic: 'open', note: 'here' });

    const watch = await two.subscribe(LIST_URI, { list: true });
    expect(watch.subscription!.response!.get('Require')).toBe('eventlist');
    const full = await watch.next();
    expect(full.state).toBe('active');
    expect([full.list!.uri, full.list!.version]).toEqual([LIST_URI, 1]);
    expect(
      full.list!.resources.map((r) => [
        r.uri,
        r.name,
        r.instances.map((i) => [i.state, i.reason, i.presence?.tuples.map((t) => t.basic)]),
      ]),
    ).toEqual([
      [USER1, 'User One', [['active', undefined, ['open']]]],
      [USER3, undefined, [['pending', undefined, undefined]]],
      ['sip:carol@example.com', undefined, [['terminated', 'noresource', undefined]]],
    ]);
    expect(full.changed).toEqual([USER1, USER3, 'sip:carol@example.com']);
    const instance = full.list!.resources[0]!.instances[0]!.id;

    await pub.modify({ basic: 'closed', note: 'away' });
    const partial = await watch.next();
    expect(partial.notification!.body.toString()).toContain('fullState="false"');
    expect([partial.list!.version, partial.changed]).toEqual([2, [USER1]]);
    // merged: the member that published changed, the others are as the full state left them
    expect(
      partial.list!.resources.map((r) => [
        r.uri,
        r.instances.map((i) => [i.id === instance || i.state, i.presence?.tuples[0]?.note]),
      ]),
    ).toEqual([
      [USER1, [[true, 'away']]],
      [USER3, [['pending', undefined]]],
      ['sip:carol@example.com', [['terminated', undefined]]],
    ]);

    await xcap.write('pres-rules', USER3, presRules([{ id: 'a', identity: USER2, handling: 'allow' }]));
    const allowed = await watch.next();
    expect(allowed.changed).toEqual([USER3]);
    expect(allowed.list!.resources[1]!.instances.map((i) => [i.state, i.presence?.tuples])).toEqual([
      ['active', []],
    ]);
    expect(allowed.list!.resources[0]!.instances[0]!.presence!.tuples[0]!.note).toBe('away');

    // a refresh: full state, the next version, the instance ids kept
    await watch.refresh();
    const again = await watch.next();
    expect(again.notification!.body.toString()).toContain('fullState="true"');
    expect([again.list!.version, again.list!.resources[0]!.instances[0]!.id]).toEqual([4, instance]);

    const last = await watch.unsubscribe();
    expect(last.state).toBe('terminated');
  });

  test('a blocked watcher: terminated, reason rejected', async () => {
    await xcap.write('pres-rules', USER1, presRules([{ id: 'b', identity: USER2, handling: 'block' }]));
    const watch = await two.subscribe(USER1);
    const end = await watch.ended;
    expect([end.state, end.reason, watch.reason]).toEqual(['terminated', 'rejected', 'rejected']);
  });

  test('423: the SUBSCRIBE is retried once with Min-Expires', async () => {
    const watch = await two.subscribe(USER1, { expires: 10 });
    expect(watch.expires).toBe(60);
    expect((await watch.next()).expires).toBe(60);
  });

  test('the server closing: terminated with reason noresource', async () => {
    const watch = await one.subscribe(USER1, { event: 'presence.winfo' });
    await watch.next();
    await ps.svc.close();
    expect(await watch.ended).toMatchObject({ state: 'terminated', reason: 'noresource' });
  });
});

describe('subscriptions on a ManualClock', () => {
  let ps: Presence;
  let ue: TracedUa;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    ps = await startPresence();
    // TCP: once a UA closed, the server's final NOTIFY fails at once instead of waiting for an answer
    ue = await tracedUa({ identity: USER1, proxy: ps.target('tcp'), clock });
  });
  afterEach(async () => {
    await ps.close();
    await ue.ua.close();
  });

  test('autoRefresh: a refresh SUBSCRIBE in the dialog when 64*T1 is left; its NOTIFY carries full state', async () => {
    const watch = await ue.ua.subscribe(USER1, { event: 'presence.winfo', expires: 120, autoRefresh: true });
    expect((await watch.next()).watcherinfo!.version).toBe(1);
    clock.advance(87_999);
    expect(ue.sent('SUBSCRIBE')).toHaveLength(1);
    clock.advance(1);
    const refreshed = await watch.next();
    expect([refreshed.watcherinfo!.version, refreshed.watcherinfo!.state]).toEqual([2, 'full']);
    const [first, second] = ue.sent('SUBSCRIBE');
    expect([second!.get('Call-ID'), second!.get('Expires'), second!.get('To')]).toEqual([
      first!.get('Call-ID'),
      '120',
      expect.stringMatching(/;tag=/),
    ]);
    expect(watch.expiresAt).toBe(88_000 + 120_000);
  });

  test('close() stops the refresh; the watch ends with no word on the wire', async () => {
    const watch = await ue.ua.subscribe(USER1, { event: 'presence.winfo', expires: 120, autoRefresh: true });
    await watch.next();
    await ue.ua.close();
    expect(await watch.ended).toEqual(expect.objectContaining({ state: 'terminated' }));
    expect(watch.state).toBe('terminated');
    clock.advance(600_000);
    expect(ue.sent('SUBSCRIBE')).toHaveLength(1);
  });

  test('close({ clean: true }) unsubscribes and removes first, and takes the final NOTIFY', async () => {
    await ue.ua.publish({ basic: 'open' });
    const watch = await ue.ua.subscribe(USER1, { event: 'presence.winfo' });
    await watch.next();
    await ue.ua.close({ clean: true });
    // the watch ended with the server's NOTIFY, not locally: it was received before the endpoint closed
    expect((await watch.ended).notification?.request.get('Subscription-State')).toMatch(/^terminated/);
    expect(ue.sent('SUBSCRIBE').map((m) => m.get('Expires'))).toEqual(['3600', '0']);
    expect(ue.sent('PUBLISH').map((m) => m.get('Expires'))).toEqual(['3600', '0']);
    expect(ps.svc.composedState(USER1)).toBeUndefined();
  });
});
