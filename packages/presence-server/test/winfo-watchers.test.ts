/** The watcher registry: the RFC 3857 subscription state machine on a manual clock, ids, anonymity. */
import { ManualClock } from '@ut-testbed/sip-core';
import type { WatcherEntry, WatcherEvent } from '../src/winfo/document';
import {
  ANONYMOUS_URI,
  DEFAULT_WAITING_SECONDS,
  WatcherRegistry,
  type NewWatcher,
  type WatcherKey,
} from '../src/winfo/watchers';

const P = 'sip:carol@home1.net';
const WAITING_S = 300;

let clock: ManualClock;
let changes: { presentity: string; pkg: string; changed: WatcherEntry[] }[];
let registry: WatcherRegistry;

beforeEach(() => {
  clock = new ManualClock(1_000_000);
  changes = [];
  registry = new WatcherRegistry({
    clock,
    waitingSeconds: WAITING_S,
    onChange: (presentity, pkg, changed) => changes.push({ presentity, pkg, changed }),
  });
});

afterEach(() => registry.close());

const key = (subscription: string, presentity = P, pkg = 'presence'): WatcherKey => ({
  presentity,
  package: pkg,
  subscription,
});

const alice = (status: 'pending' | 'active', over: Partial<NewWatcher> = {}): NewWatcher => ({
  uri: 'sip:alice@home1.net',
  displayName: 'Alice',
  anonymous: false,
  status,
  expiresAt: clock.now() + 3_600_000,
  ...over,
});

/** the status and event of each entry of the last notification */
const lastChange = () => changes.at(-1)!.changed.map((e) => [e.status, e.event]);

describe('subscribe (init to pending or active)', () => {
  test('a subscription no policy decides yet is pending, by the subscribe event, and is notified', () => {
    const e = registry.subscribed(key('d1'), alice('pending'));
    expect(e).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
      uri: 'sip:alice@home1.net',
      displayName: 'Alice',
      status: 'pending',
      event: 'subscribe',
      durationSubscribed: 0,
      expiration: 3600,
    });
    expect(changes).toEqual([{ presentity: P, pkg: 'presence', changed: [e] }]);
    expect(registry.list(P, 'presence')).toEqual([e]);
  });

  test('a subscription the policy accepts is active at once, still by the subscribe event', () => {
    const e = registry.subscribed(key('d1'), alice('active'));
    expect([e.status, e.event]).toEqual(['active', 'subscribe']);
  });

  test('the same subscription key twice is an error', () => {
    registry.subscribed(key('d1'), alice('pending'));
    expect(() => registry.subscribed(key('d1'), alice('active'))).toThrow(/exists already/);
  });

  test('watchers are kept per presentity and per package', () => {
    registry.subscribed(key('d1'), alice('pending'));
    registry.subscribed(key('d2', 'sip:dave@home1.net'), alice('pending'));
    registry.subscribed(key('d3', P, 'dialog'), alice('pending'));
    expect(registry.list(P, 'presence')).toHaveLength(1);
    expect(registry.list('sip:dave@home1.net', 'presence')).toHaveLength(1);
    expect(changes.map((c) => [c.presentity, c.pkg])).toEqual([
      [P, 'presence'],
      ['sip:dave@home1.net', 'presence'],
      [P, 'dialog'],
    ]);
  });
});

describe('transitions of RFC 3857 section 4.7.1', () => {
  test('pending to active on approved', () => {
    const first = registry.subscribed(key('d1'), alice('pending'));
    clock.advance(10_000);
    const e = registry.transition(key('d1'), 'active', 'approved');
    expect(e).toEqual({
      ...first,
      status: 'active',
      event: 'approved',
      durationSubscribed: 10,
      expiration: 3590,
    });
    expect(lastChange()).toEqual([['active', 'approved']]);
  });

  test.each<WatcherEvent>(['rejected', 'giveup', 'noresource', 'deactivated', 'probation'])(
    'pending to terminated on %s: reported once, then forgotten',
    (event) => {
      registry.subscribed(key('d1'), alice('pending'));
      const e = registry.transition(key('d1'), 'terminated', event)!;
      expect([e.status, e.event, e.expiration]).toEqual(['terminated', event, undefined]);
      expect(lastChange()).toEqual([['terminated', event]]);
      expect(registry.list(P, 'presence')).toEqual([]);
      expect(registry.transition(key('d1'), 'terminated', event)).toBeUndefined();
      expect(changes).toHaveLength(2);
    },
  );

  test.each<WatcherEvent>(['timeout', 'deactivated', 'probation', 'rejected', 'noresource'])(
    'active to terminated on %s',
    (event) => {
      registry.subscribed(key('d1'), alice('active'));
      clock.advance(42_000);
      const e = registry.transition(key('d1'), 'terminated', event)!;
      expect([e.status, e.event, e.durationSubscribed]).toEqual(['terminated', event, 42]);
      expect(registry.list(P, 'presence')).toEqual([]);
    },
  );

  test.each<[string, 'pending' | 'active', 'active' | 'pending' | 'terminated', WatcherEvent]>([
    ['active on giveup', 'active', 'terminated', 'giveup'],
    ['active back to pending', 'active', 'pending', 'subscribe'],
    ['pending to active without approval', 'pending', 'active', 'rejected'],
    ['pending to terminated on approved', 'pending', 'terminated', 'approved'],
    ['a subscribe event after the subscription exists', 'pending', 'terminated', 'subscribe'],
  ])('the state machine has no %s', (_what, status, to, event) => {
    registry.subscribed(key('d1'), alice(status));
    expect(() => registry.transition(key('d1'), to, event)).toThrow(/no transition/);
    expect(changes).toHaveLength(1);
    expect(registry.list(P, 'presence')[0]!.status).toBe(status);
  });

  test('moving to the state the subscription is in changes and notifies nothing', () => {
    registry.subscribed(key('d1'), alice('active'));
    expect(registry.transition(key('d1'), 'active', 'approved')).toMatchObject({
      status: 'active',
      event: 'subscribe',
    });
    expect(changes).toHaveLength(1);
  });

  test('an unknown subscription is undefined', () => {
    expect(registry.transition(key('nope'), 'active', 'approved')).toBeUndefined();
  });
});

describe('waiting: a pending subscription that timed out', () => {
  test('stays waiting for waitingSeconds, then terminates with giveup and is forgotten', () => {
    registry.subscribed(key('d1'), alice('pending'));
    clock.advance(30_000);
    const w = registry.transition(key('d1'), 'terminated', 'timeout')!;
    expect(w).toMatchObject({ status: 'waiting', event: 'timeout', durationSubscribed: 30 });
    expect(w.expiration).toBeUndefined();
    expect(registry.list(P, 'presence')).toEqual([w]);
    expect(registry.waiting(P, 'presence')).toEqual([
      {
        key: key('d1'),
        uri: 'sip:alice@home1.net',
        identities: ['sip:alice@home1.net'],
        anonymous: false,
        entry: w,
      },
    ]);

    clock.advance(WAITING_S * 1000 - 1);
    expect(registry.list(P, 'presence')[0]).toMatchObject({ status: 'waiting', durationSubscribed: 30 });
    expect(changes).toHaveLength(2);

    clock.advance(1);
    expect(changes).toHaveLength(3);
    expect(changes[2]!.changed).toEqual([{ ...w, status: 'terminated', event: 'giveup' }]);
    expect(registry.list(P, 'presence')).toEqual([]);
    expect(registry.waiting(P, 'presence')).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  test('waiting to terminated on approved: the presentity decided after the subscription ended', () => {
    registry.subscribed(key('d1'), alice('pending'));
    registry.transition(key('d1'), 'terminated', 'timeout');
    const k = registry.waiting(P, 'presence')[0]!.key;
    expect(registry.transition(k, 'active', 'approved')).toMatchObject({
      status: 'terminated',
      event: 'approved',
    });
    expect(clock.pending).toBe(0);
    expect(registry.list(P, 'presence')).toEqual([]);
  });

  test.each<WatcherEvent>(['rejected', 'noresource'])('waiting to terminated on %s', (event) => {
    registry.subscribed(key('d1'), alice('pending'));
    registry.transition(key('d1'), 'terminated', 'timeout');
    expect(registry.transition(key('d1'), 'terminated', event)).toMatchObject({
      status: 'terminated',
      event,
    });
    clock.advance(WAITING_S * 1000);
    expect(changes).toHaveLength(3);
  });

  test.each<['active' | 'terminated', WatcherEvent]>([
    ['terminated', 'timeout'],
    ['terminated', 'probation'],
    ['active', 'subscribe'],
  ])('waiting has no move to %s on %s', (to, event) => {
    registry.subscribed(key('d1'), alice('pending'));
    registry.transition(key('d1'), 'terminated', 'timeout');
    expect(() => registry.transition(key('d1'), to, event)).toThrow(/no transition from waiting/);
  });

  test('the same watcher subscribing again takes the waiting row over: same id, pending again', () => {
    const first = registry.subscribed(key('d1'), alice('pending'));
    registry.transition(key('d1'), 'terminated', 'timeout');
    clock.advance(60_000);
    const again = registry.subscribed(key('d2'), alice('pending', { displayName: 'Alice B.' }));
    expect(again).toEqual({ ...first, displayName: 'Alice B.' });
    expect(lastChange()).toEqual([['pending', 'subscribe']]);
    expect(clock.pending).toBe(0);
    expect(registry.list(P, 'presence')).toEqual([again]);
    // the old key is gone, the new one drives the row
    expect(registry.transition(key('d1'), 'active', 'approved')).toBeUndefined();
    expect(registry.transition(key('d2'), 'active', 'approved')).toMatchObject({
      id: first.id,
      status: 'active',
    });
  });

  test('an active subscription of a waiting watcher ends the waiting row as approved', () => {
    const first = registry.subscribed(key('d1'), alice('pending'));
    registry.transition(key('d1'), 'terminated', 'timeout');
    const now = registry.subscribed(key('d2'), alice('active'));
    expect(changes.at(-1)!.changed).toEqual([
      { ...first, status: 'terminated', event: 'approved', expiration: undefined },
      now,
    ]);
    expect(now.id).not.toBe(first.id);
    expect(registry.list(P, 'presence')).toEqual([now]);
    expect(clock.pending).toBe(0);
  });

  test('another watcher does not take a waiting row over', () => {
    registry.subscribed(key('d1'), alice('pending'));
    registry.transition(key('d1'), 'terminated', 'timeout');
    registry.subscribed(key('d2'), alice('pending', { uri: 'sip:bob@home1.net' }));
    expect(registry.list(P, 'presence').map((e) => [e.uri, e.status])).toEqual([
      ['sip:alice@home1.net', 'waiting'],
      ['sip:bob@home1.net', 'pending'],
    ]);
  });
});

describe('ids, expiration and anonymity', () => {
  test('a subscription keeps its id through every change, and ids differ between subscriptions', () => {
    // dialog keys long enough that a random id cannot hold one by chance
    const [d1, d2] = ['dialog-call-one', 'dialog-call-two'];
    const a = registry.subscribed(key(d1), alice('pending'));
    const b = registry.subscribed(key(d2), alice('pending'));
    registry.transition(key(d1), 'active', 'approved');
    registry.transition(key(d2), 'terminated', 'timeout');
    expect(a.id).not.toBe(b.id);
    expect(registry.list(P, 'presence').map((e) => e.id)).toEqual([a.id, b.id]);
    expect(changes.map((c) => c.changed[0]!.id)).toEqual([a.id, b.id, a.id, b.id]);
    // nothing of the dialog, the URI or a count shows in an id
    for (const id of [a.id, b.id]) expect(id).not.toMatch(/dialog-call|alice|^w?\d+$/);
  });

  test('a refresh changes the expiration only and notifies nothing', () => {
    registry.subscribed(key('d1'), alice('active'));
    clock.advance(1_000_000);
    expect(registry.list(P, 'presence')[0]).toMatchObject({ expiration: 2600, durationSubscribed: 1000 });
    expect(registry.refreshed(key('d1'), clock.now() + 3_600_000)).toBe(true);
    expect(registry.list(P, 'presence')[0]).toMatchObject({ expiration: 3600, durationSubscribed: 1000 });
    expect(changes).toHaveLength(1);
    expect(registry.refreshed(key('nope'), 0)).toBe(false);
    registry.transition(key('d1'), 'terminated', 'timeout');
    expect(registry.refreshed(key('d1'), 0)).toBe(false);
  });

  test('expiration does not go below zero when the caller is late to report the timeout', () => {
    registry.subscribed(key('d1'), alice('active', { expiresAt: clock.now() + 1_500 }));
    expect(registry.list(P, 'presence')[0]!.expiration).toBe(2);
    clock.advance(5_000);
    expect(registry.list(P, 'presence')[0]!.expiration).toBe(0);
  });

  test('an anonymous watcher shows as the anonymous URI without display name; the server keeps who it is', () => {
    const e = registry.subscribed(key('d1'), alice('pending', { anonymous: true }));
    expect(e.uri).toBe(ANONYMOUS_URI);
    expect(e).not.toHaveProperty('displayName');
    expect(JSON.stringify(changes)).not.toMatch(/alice/i);
    registry.transition(key('d1'), 'terminated', 'timeout');
    expect(registry.waiting(P, 'presence')[0]).toMatchObject({ uri: 'sip:alice@home1.net', anonymous: true });
  });

  test('anonymous subscriptions are never merged: the same person asking again gets a new row', () => {
    const first = registry.subscribed(key('d1'), alice('pending', { anonymous: true }));
    registry.transition(key('d1'), 'terminated', 'timeout');
    const again = registry.subscribed(key('d2'), alice('pending', { anonymous: true }));
    expect(again.id).not.toBe(first.id);
    expect(registry.list(P, 'presence').map((e) => e.status)).toEqual(['waiting', 'pending']);
  });
});

describe('configuration and close', () => {
  test('waitingSeconds defaults to a day and must fit a timer', () => {
    expect(DEFAULT_WAITING_SECONDS).toBe(86_400);
    const r = new WatcherRegistry({ clock, onChange: () => undefined });
    r.subscribed(key('d1'), alice('pending'));
    r.transition(key('d1'), 'terminated', 'timeout');
    clock.advance(86_400_000 - 1);
    expect(r.list(P, 'presence')).toHaveLength(1);
    clock.advance(1);
    expect(r.list(P, 'presence')).toHaveLength(0);
    for (const waitingSeconds of [-1, Number.NaN, 30 * 86_400])
      expect(() => new WatcherRegistry({ clock, waitingSeconds, onChange: () => undefined })).toThrow(
        RangeError,
      );
  });

  test('close stops the waiting timers and forgets everything without notifying', () => {
    registry.subscribed(key('d1'), alice('pending'));
    registry.transition(key('d1'), 'terminated', 'timeout');
    registry.close();
    expect(clock.pending).toBe(0);
    clock.advance(WAITING_S * 1000);
    expect(changes).toHaveLength(2);
    expect(registry.list(P, 'presence')).toEqual([]);
  });
});
