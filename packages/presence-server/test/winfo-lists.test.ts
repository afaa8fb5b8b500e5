/**
 * presence.winfo (RFC 3857/3858) and event lists (RFC 4662 with RFC 4826 lists) over real sockets against a
 * real xcap-server: who may watch the watchers, full then partial state with stable ids and real events,
 * anonymous watchers; a list subscription's 421, 403, RLMI full and partial state, the list changing over Ut.
 */
import type { Endpoint, Notification, SubscribeError } from '@ut-testbed/sip-core';
import { parseListNotifyBody } from '../src/rls/rlmi';
import { parseWatcherinfo, type WatcherinfoDocument } from '../src/winfo/document';
import { client, pidf, publishRequest, startServer, USER1, USER2, type Server } from './support';
import { presRules, startXcap, watcherUe, type WatcherUe, type Xcap } from './support-xcap';

const USER3 = 'sip:user3_public1@home1.net';
const LIST_URI = 'sip:user2_public1-friends@home1.net';
const USER2_AS_SENT = 'sip:user2_public1@HOME1.NET';

let xcap: Xcap;
let server: Server;
let ue: Endpoint;
let a: WatcherUe;
let b: WatcherUe;

beforeEach(async () => {
  xcap = await startXcap();
  server = await startServer({ xcapRoot: xcap.root });
  await server.svc.xcapConnected();
  ue = await client();
  a = await watcherUe();
  b = await watcherUe();
});

afterEach(async () => {
  await server.svc.close();
  await Promise.all([a.close(), b.close(), ue.close()]);
  await xcap.close();
});

const winfo = (n: Notification): WatcherinfoDocument => parseWatcherinfo(n.body.toString());
const watchers = (n: Notification) =>
  winfo(n).lists[0]!.watchers.map((w) => ({ uri: w.uri, status: w.status, event: w.event }));

function subscribeWinfo(ue: WatcherUe, identity: string, uri = identity) {
  return ue.subscribe({
    target: server.target('udp'),
    uri,
    identity,
    event: 'presence.winfo',
    accept: ['application/watcherinfo+xml'],
  });
}

describe('presence.winfo', () => {
  test('only the presentity may watch its watchers: another identity gets 403', async () => {
    await expect(subscribeWinfo(a, USER2, USER1)).rejects.toMatchObject({ response: { status: 403 } });
  });

  test('full state first; a new watcher pending, approved by a pres-rules PUT, then gone: partial states', async () => {
    const own = await subscribeWinfo(b, USER1);
    expect(own.response!.status).toBe(200);
    const first = await b.notes.next();
    expect(first.request.get('Subscription-State')).toBe('active;expires=600');
    expect(first.contentType).toBe('application/watcherinfo+xml');
    expect(winfo(first)).toEqual({
      version: 1,
      state: 'full',
      lists: [{ resource: USER1, package: 'presence', watchers: [] }],
    });

    const sub = await a.subscribe({ target: server.target('udp'), uri: USER1, identity: USER2 });
    expect((await a.notes.next()).request.get('Subscription-State')).toBe('pending;expires=600');
    const pending = await b.notes.next();
    expect([winfo(pending).version, winfo(pending).state, watchers(pending)]).toEqual([
      2,
      'partial',
      [{ uri: USER2, status: 'pending', event: 'subscribe' }],
    ]);
    const id = winfo(pending).lists[0]!.watchers[0]!.id;

    await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }]));
    const approved = await b.notes.next();
    expect([winfo(approved).version, watchers(approved)]).toEqual([
      3,
      [{ uri: USER2, status: 'active', event: 'approved' }],
    ]);
    expect(winfo(approved).lists[0]!.watchers[0]!.id).toBe(id);
    expect((await a.notes.next()).request.get('Subscription-State')).toBe('active;expires=600');

    // a refresh of the winfo subscription: full state, the same id
    await own.refresh();
    const full = await b.notes.next();
    expect([winfo(full).state, winfo(full).lists[0]!.watchers.map((w) => [w.id, w.status])]).toEqual([
      'full',
      [[id, 'active']],
    ]);

    await sub.unsubscribe();
    const gone = await b.notes.next();
    expect([winfo(gone).state, watchers(gone)]).toEqual([
      'partial',
      [{ uri: USER2, status: 'terminated', event: 'timeout' }],
    ]);
  });

  test('a watcher that left while pending is waiting; the rules then decide it (approved, rejected) by any identity asserted', async () => {
    await subscribeWinfo(b, USER1);
    await b.notes.next();
    // asserted with the host in capitals: the rules name the AOR, watcher information shows it as received
    const two = await a.subscribe({ target: server.target('udp'), uri: USER1, identity: USER2_AS_SENT });
    await a.notes.next();
    await b.notes.next();
    // a second asserted identity, which the rules below name
    const three = await a.subscribe({
      target: server.target('udp'),
      uri: USER1,
      identity: USER3,
      headers: [['P-Asserted-Identity', '<sip:user3_alias@home1.net>']],
    });
    await a.notes.next();
    const pending = await b.notes.next();
    const id3 = winfo(pending).lists[0]!.watchers[0]!.id;
    await two.unsubscribe();
    expect(watchers(await b.notes.next())).toEqual([
      { uri: USER2_AS_SENT, status: 'waiting', event: 'timeout' },
    ]);
    await three.unsubscribe();
    expect(watchers(await b.notes.next())).toEqual([{ uri: USER3, status: 'waiting', event: 'timeout' }]);

    await xcap.write(
      'pres-rules',
      USER1,
      presRules([
        { id: 'a', identity: USER2, handling: 'allow' },
        { id: 'b', identity: 'sip:user3_alias@home1.net', handling: 'block' },
      ]),
    );
    const decided = [await b.notes.next(), await b.notes.next()].flatMap((n) => winfo(n).lists[0]!.watchers);
    expect(decided.map((w) => [w.uri, w.status, w.event])).toEqual([
      [USER2_AS_SENT, 'terminated', 'approved'],
      [USER3, 'terminated', 'rejected'],
    ]);
    expect(decided[1]!.id).toBe(id3);
  });

  test('an active watcher whose permission is withdrawn is listed terminated (deactivated)', async () => {
    await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }]));
    await subscribeWinfo(b, USER1);
    await b.notes.next();
    await a.subscribe({ target: server.target('udp'), uri: USER1, identity: USER2 });
    expect((await a.notes.next()).request.get('Subscription-State')).toBe('active;expires=600');
    expect(watchers(await b.notes.next())).toEqual([{ uri: USER2, status: 'active', event: 'subscribe' }]);

    await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'confirm' }]));
    expect((await a.notes.next()).request.get('Subscription-State')).toBe('terminated;reason=deactivated');
    expect(watchers(await b.notes.next())).toEqual([
      { uri: USER2, status: 'terminated', event: 'deactivated' },
    ]);
  });

  test('a blocked watcher is listed terminated (rejected); a Privacy: id watcher is anonymous', async () => {
    await xcap.write('pres-rules', USER1, presRules([{ id: 'b', identity: USER3, handling: 'block' }]));
    await subscribeWinfo(b, USER1);
    await b.notes.next();
    await a.subscribe({ target: server.target('udp'), uri: USER1, identity: USER3 });
    const rejected = await b.notes.next();
    expect(watchers(rejected)).toEqual([{ uri: USER3, status: 'terminated', event: 'rejected' }]);

    await a.subscribe({
      target: server.target('udp'),
      uri: USER1,
      identity: USER2,
      headers: [['Privacy', 'id']],
    });
    const anon = await b.notes.next();
    expect(watchers(anon)).toEqual([
      { uri: 'sip:anonymous@anonymous.invalid', status: 'pending', event: 'subscribe' },
    ]);
    expect(anon.body.toString()).not.toContain('user2');
  });
});

const LISTS =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n' +
  '  <list name="friends"><display-name>Friends</display-name>\n' +
  `    <entry uri="${USER1}"><display-name>User One</display-name></entry>\n` +
  `    <entry uri="${USER3}"/>\n` +
  '    <entry uri="sip:carol@example.com"/>\n' +
  '  </list>\n' +
  '</resource-lists>\n';

const services = (listUri: string, pkg = 'presence') =>
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<rls-services xmlns="urn:ietf:params:xml:ns:rls-services">\n' +
  `  <service uri="${LIST_URI}"><resource-list>${listUri}</resource-list>` +
  `<packages><package>${pkg}</package></packages></service>\n` +
  '</rls-services>\n';

describe('event lists', () => {
  // the public XCAP root (an alias of xcapRoot), as a phone writes it
  const listNode = `https://xcap.home1.net:8443/services/resource-lists/users/${USER2}/index/~~/resource-lists/list%5b@name=%22friends%22%5d`;

  beforeEach(async () => {
    expect(await xcap.write('resource-lists', USER2, LISTS)).toBe(201);
    expect(await xcap.write('rls-services', USER2, services(listNode))).toBe(201);
    expect(
      await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }])),
    ).toBe(201);
    const r = await ue.request(publishRequest({ body: pidf(USER1, [['t1', 'open']]) }), server.target('udp'));
    expect(r.status).toBe(200);
  });

  const subscribeList = (identity = USER2, eventlist = true) =>
    a.subscribe({
      target: server.target('udp'),
      uri: LIST_URI,
      identity,
      accept: ['application/pidf+xml', 'application/rlmi+xml', 'multipart/related'],
      headers: eventlist ? [['Supported', 'eventlist']] : [],
    });

  const list = (n: Notification) => parseListNotifyBody(n.contentType!, n.body);

  test('without Supported: eventlist: 421 with Require: eventlist', async () => {
    const e = await subscribeList(USER2, false).then(
      () => undefined,
      (x: SubscribeError) => x,
    );
    expect([e?.response.status, e?.response.get('Require')]).toEqual([421, 'eventlist']);
  });

  test('eventlist in a second Supported header field counts (RFC 3261 7.3.1)', async () => {
    const sub = await a.subscribe({
      target: server.target('udp'),
      uri: LIST_URI,
      identity: USER2,
      accept: ['application/pidf+xml', 'application/rlmi+xml', 'multipart/related'],
      headers: [
        ['Supported', 'timer'],
        ['Supported', 'eventlist'],
      ],
    });
    expect([sub.response!.status, sub.response!.get('Require')]).toEqual([200, 'eventlist']);
  });

  test('a service for another package only: 489 with the packages this server serves', async () => {
    expect(await xcap.write('rls-services', USER2, services(listNode, 'dialog'))).toBe(200);
    const e = await subscribeList().then(
      () => undefined,
      (x: SubscribeError) => x,
    );
    expect([e?.response.status, e?.response.get('Allow-Events')]).toEqual([489, 'presence, presence.winfo']);
  });

  test('only the owner of the service may subscribe to it: 403', async () => {
    await expect(subscribeList(USER3)).rejects.toMatchObject({ response: { status: 403 } });
  });

  test('200 with Require: eventlist, RLMI full state with a PIDF per active resource, then partial state', async () => {
    const sub = await subscribeList();
    expect([sub.response!.status, sub.response!.get('Require')]).toEqual([200, 'eventlist']);
    const n = await a.notes.next();
    expect(n.request.get('Require')).toBe('eventlist');
    expect(n.contentType).toMatch(/^multipart\/related;.*type="application\/rlmi\+xml"/);
    const full = list(n);
    expect([full.list.uri, full.list.version, full.list.fullState, full.list.name]).toEqual([
      LIST_URI,
      1,
      true,
      'Friends',
    ]);
    const states = full.list.resources.map((r) => [
      r.uri,
      r.name,
      r.instances[0]!.state,
      r.instances[0]!.reason,
    ]);
    expect(states).toEqual([
      [USER1, 'User One', 'active', undefined],
      [USER3, undefined, 'pending', undefined],
      ['sip:carol@example.com', undefined, 'terminated', 'noresource'],
    ]);
    const cid = full.list.resources[0]!.instances[0]!.cid!;
    expect(full.parts.get(cid)!.contentType).toBe('application/pidf+xml');
    expect(full.parts.get(cid)!.body.toString()).toContain('<basic>open</basic>');
    expect(full.parts.size).toBe(1);
    const instance = full.list.resources[0]!.instances[0]!.id;

    const r = await ue.request(
      publishRequest({ body: pidf(USER1, [['t1', 'closed']]) }),
      server.target('udp'),
    );
    expect(r.status).toBe(200);
    const partial = list(await a.notes.next());
    expect([partial.list.version, partial.list.fullState, partial.list.resources.map((x) => x.uri)]).toEqual([
      2,
      false,
      [USER1],
    ]);
    const inst = partial.list.resources[0]!.instances[0]!;
    expect(inst.id).toBe(instance);
    expect(partial.parts.get(inst.cid!)!.body.toString()).toContain('<basic>closed</basic>');
  });

  test("the list's subscriber is the watcher in the member's watcher information", async () => {
    await subscribeWinfo(b, USER3);
    await b.notes.next();
    await subscribeList();
    await a.notes.next();
    const n = await b.notes.next();
    expect(watchers(n)).toEqual([{ uri: USER2, status: 'pending', event: 'subscribe' }]);
  });

  test('a member allowing the subscriber later: partial state with the instance active', async () => {
    await subscribeList();
    await a.notes.next();
    await xcap.write('pres-rules', USER3, presRules([{ id: 'a', identity: USER2, handling: 'allow' }]));
    const partial = list(await a.notes.next());
    expect(partial.list.fullState).toBe(false);
    expect(partial.list.resources.map((r) => [r.uri, r.instances[0]!.state])).toEqual([[USER3, 'active']]);
    expect(partial.parts.size).toBe(1);
  });

  test('the list changed over Ut: full state again with the new members', async () => {
    await subscribeList();
    await a.notes.next();
    const shorter = LISTS.replace(`    <entry uri="${USER3}"/>\n`, '').replace(
      '<entry uri="sip:carol@example.com"/>',
      '<entry uri="sip:user4_public1@home1.net"/>',
    );
    expect(await xcap.write('resource-lists', USER2, shorter)).toBe(200);
    const full = list(await a.notes.next());
    expect([full.list.fullState, full.list.version]).toEqual([true, 2]);
    expect(full.list.resources.map((r) => [r.uri, r.instances[0]!.state])).toEqual([
      [USER1, 'active'],
      ['sip:user4_public1@home1.net', 'pending'],
    ]);
  });

  test('the service removed over Ut: the list subscription ends with reason=noresource', async () => {
    await subscribeList();
    await a.notes.next();
    expect(await xcap.write('rls-services', USER2, undefined)).toBe(200);
    const n = await a.notes.next();
    expect(n.request.get('Subscription-State')).toBe('terminated;reason=noresource');
  });

  test('close(): the list and the winfo subscriptions end with NOTIFY terminated;reason=noresource', async () => {
    await subscribeList();
    await a.notes.next();
    await subscribeWinfo(b, USER1);
    await b.notes.next();
    await server.svc.close();
    const [list, winfoFinal] = [await a.notes.next(), await b.notes.next()];
    expect([list.request.get('Event'), list.request.get('Subscription-State')]).toEqual([
      'presence',
      'terminated;reason=noresource',
    ]);
    expect([winfoFinal.request.get('Event'), winfoFinal.request.get('Subscription-State')]).toEqual([
      'presence.winfo',
      'terminated;reason=noresource',
    ]);
  });
});
