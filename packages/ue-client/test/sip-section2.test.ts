/**
 * The section2 flow of DESIGN.md section 3, driven through the UA API over UDP and over TCP, against a real
 * presence server reading a real xcap-server (the Ut steps are the PUTs the AP would forward): B publishes,
 * B watches its watchers, A writes a list and a service and subscribes to the list, the RLMI NOTIFY shows B
 * pending, B's winfo shows A pending, B allows A over Ut, A receives B's presence in the list.
 */
import { createTracer, MemorySink } from '@ut-testbed/trace';
import { createUa, type Ua } from '../src/sip';
import {
  presRules,
  resourceLists,
  rlsServices,
  startPresence,
  startXcap,
  USER1,
  USER2,
  type Presence,
  type Xcap,
} from './support/presence';

const A = USER1;
const B = USER2;
const LIST = 'sip:user1_public1-buddies@home1.net';

describe.each(['udp', 'tcp'] as const)('section2 over %s', (protocol) => {
  let xcap: Xcap;
  let ps: Presence;
  let a: Ua;
  let b: Ua;
  let sink: MemorySink;

  beforeEach(async () => {
    xcap = await startXcap();
    ps = await startPresence({ xcapRoot: xcap.root });
    await ps.svc.xcapConnected();
    sink = new MemorySink();
    const tracer = createTracer({ sinks: [sink] });
    a = await createUa({ identity: A, displayName: 'A', proxy: ps.target(protocol), tracer, name: 'ue-a' });
    b = await createUa({ identity: B, displayName: 'B', proxy: ps.target(protocol), tracer, name: 'ue-b' });
  });
  afterEach(async () => {
    await ps.close();
    await Promise.all([a.close(), b.close()]);
    await xcap.close();
  });

  test('B publishes and watches its watchers; A subscribes to its list; B allows A; A sees B', async () => {
    // 1. B publishes its presence
    const pub = await b.publish({ basic: 'open', note: 'available' }, { expires: 600 });
    expect(pub.etag).not.toBe('');

    // 2. B subscribes to its own watcher information: nobody watches yet
    const winfo = await b.subscribe(B, { event: 'presence.winfo' });
    const none = await winfo.next();
    expect([none.state, none.watcherinfo!.state, none.watcherinfo!.lists[0]!.watchers]).toEqual([
      'active',
      'full',
      [],
    ]);

    // 3. A creates a list with B and a service for it over Ut
    expect(
      await xcap.write('resource-lists', A, resourceLists('buddies', [{ uri: B, displayName: 'Bee' }])),
    ).toBe(201);
    expect(await xcap.write('rls-services', A, rlsServices(LIST, A, 'buddies'))).toBe(201);

    // 4. A subscribes to the list URI; the RLMI NOTIFY lists B, pending (B has no rule for A)
    const list = await a.subscribe(LIST, { list: true });
    const first = await list.next();
    expect([first.state, first.list!.version, first.list!.resources.map((r) => [r.uri, r.name])]).toEqual([
      'active',
      1,
      [[B, 'Bee']],
    ]);
    expect(first.list!.resources[0]!.instances.map((i) => [i.state, i.presence])).toEqual([
      ['pending', undefined],
    ]);

    // 5. B's watcher information shows A pending (a partial document, merged into B's full view)
    const pending = await winfo.next();
    expect(pending.notification!.body.toString()).toContain('state="partial"');
    expect([
      pending.watcherinfo!.version,
      pending.watcherinfo!.lists[0]!.watchers.map((w) => [w.uri, w.displayName, w.status]),
    ]).toEqual([2, [[A, 'A', 'pending']]]);

    // 6. B allows A with a pres-rules PUT over Ut
    expect(
      await xcap.write('pres-rules', B, presRules([{ id: 'allow-a', identity: A, handling: 'allow' }])),
    ).toBe(201);
    const approved = await winfo.next();
    expect(approved.watcherinfo!.lists[0]!.watchers.map((w) => [w.uri, w.status, w.event])).toEqual([
      [A, 'active', 'approved'],
    ]);

    // 7. A receives B's presence in a partial list notification
    const seen = await list.next();
    expect([seen.list!.version, seen.changed]).toEqual([2, [B]]);
    const instance = seen.list!.resources[0]!.instances[0]!;
    expect([
      instance.state,
      instance.presence!.entity,
      instance.presence!.tuples.map((t) => [t.basic, t.note]),
    ]).toEqual(['active', B, [['open', 'available']]]);

    // and B's next change reaches A
    await pub.modify({ basic: 'closed', note: 'away' });
    const changed = await list.next();
    expect(changed.list!.resources[0]!.instances[0]!.presence!.tuples.map((t) => t.basic)).toEqual([
      'closed',
    ]);

    // every request of the UAs went over the one transport, each answered
    const sip = sink.events.filter((e) => e.from.name.startsWith('ue-'));
    expect(new Set(sip.map((e) => e.transport))).toEqual(new Set([protocol]));
    expect(sip.map((e) => `${e.from.name} ${e.summary}`).filter((s) => !s.includes('200 OK'))).toEqual([
      'ue-b PUBLISH sip:user2_public1@home1.net',
      'ue-b SUBSCRIBE sip:user2_public1@home1.net',
      'ue-a SUBSCRIBE sip:user1_public1-buddies@home1.net',
      'ue-b PUBLISH sip:user2_public1@home1.net',
    ]);
  });
});
