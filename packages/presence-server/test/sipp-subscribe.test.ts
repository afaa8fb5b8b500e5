/**
 * Interop with SIPp 3.6.1 (Debian sip-tester, /usr/bin/sipp; set SIPP to use another binary) as the UEs, on
 * 127.0.0.1, against the presence server and a real xcap-server (its rules, lists and services written over
 * HTTP as the AP forwards a UE's Ut request, with X-3GPP-Asserted-Identity):
 * - `sipp/subscribe-presence.xml` over UDP and TCP: SUBSCRIBE presence allowed by pres-rules, NOTIFY active
 *   with the PIDF, refresh, unsubscribe and NOTIFY terminated;
 * - `sipp/subscribe-pending.xml`: no rules → NOTIFY pending without a body; a pres-rules PUT → NOTIFY active;
 * - `sipp/winfo-own.xml`: presence.winfo of one's own presence, full state, then a partial state with a new
 *   pending watcher (a sip-core UE);
 * - `sipp/eventlist-subscribe.xml` and `sipp/eventlist-421.xml`: an event list with RLMI, and 421 without
 *   `Supported: eventlist`;
 * - `sipp/section2-a.xml` and `sipp/section2-b.xml`: the section2 flow of DESIGN.md section 3, UE A and UE B
 *   two SIPp processes at the same time; B then changes its presence (which A sees) before A unsubscribes,
 *   so that no change of B's watchers races with B's own unsubscribe.
 * Each SIPp run is a foreground child process bounded by -timeout with -timeout_error; its exit code (0:
 * every call succeeded), its counts and the server's trace (what it sent, in order) are asserted.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseMessage,
  runSipp,
  SIPP_BINARY,
  SIPP_BOUNDED,
  sippPorts,
  sippProblems,
  type SipMessage,
  type SippRun,
} from '@ut-testbed/sip-core';
import type { TraceEvent } from '@ut-testbed/trace';
import { parseListNotifyBody } from '../src/rls/rlmi';
import { parseWatcherinfo, type WatcherinfoDocument as WinfoDocument } from '../src/winfo/document';
import { client, pidf, publishRequest, startServer, USER1, USER2, type Server } from './support';
import { presRules, startXcap, watcherUe, type WatcherUe, type Xcap } from './support-xcap';

const scenario = (name: string) => join(__dirname, 'sipp', name);

function expectSuccess(run: SippRun): void {
  expect({ code: run.code, stderr: sippProblems(run) }).toEqual({ code: 0, stderr: [] });
  expect(run.stdout).toMatch(/Successful call\s+\|\s+\d+\s+\|\s+1\s/);
  expect(run.stdout).toMatch(/Failed call\s+\|\s+\d+\s+\|\s+0\s/);
}

/** One SIPp run of `file` against the server over `protocol`, on its own free ports. */
async function sipp(file: string, protocol: 'udp' | 'tcp' = 'udp'): Promise<SippRun> {
  const t = server.target(protocol);
  return runSipp([
    `${t.host}:${t.port}`,
    '-sf',
    scenario(file),
    '-t',
    protocol === 'udp' ? 'u1' : 't1',
    ...(await sippPorts()).args,
    ...SIPP_BOUNDED,
  ]);
}

const parse = (e: TraceEvent): SipMessage => {
  const r = parseMessage(Buffer.from(e.bytes));
  if (!r.ok) throw new Error(`the trace holds a message that does not parse: ${e.summary}`);
  return r.message;
};
const uriOf = (nameAddr: string | undefined) => /<([^>]+)>/.exec(nameAddr ?? '')?.[1];

/**
 * The messages the server sent (`ps` the sender) or received, in order, optionally only those matching; a UDP
 * retransmission (the same bytes again) once.
 */
function messages(direction: 'sent' | 'received', match: (m: SipMessage) => boolean): SipMessage[] {
  const seen = new Set<string>();
  return server.sink.events
    .filter((e) => e.proto === 'sip' && (direction === 'sent' ? e.from : e.to).name === 'ps')
    .filter((e) => {
      if (e.transport !== 'udp') return true;
      const key = `${e.from.port} ${e.to.port} ${Buffer.from(e.bytes).toString('latin1')}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map(parse)
    .filter(match);
}
const sent = (match: (m: SipMessage) => boolean = () => true) => messages('sent', match);
const received = (match: (m: SipMessage) => boolean = () => true) => messages('received', match);

/** The NOTIFYs the server sent to `watcher` (their To) for `event`. */
const notifies = (watcher: string, event = 'presence') =>
  sent((m) => m.method === 'NOTIFY' && uriOf(m.get('To')) === watcher && m.get('Event') === event);

const states = (ns: SipMessage[]) => ns.map((n) => n.get('Subscription-State'));

/** Resolves once the server has received a 200 to a NOTIFY it sent that matches. */
function notifyAnswered(match: (n: SipMessage) => boolean): Promise<TraceEvent> {
  const key = (m: SipMessage) => `${m.get('Call-ID')} ${m.get('CSeq')}`;
  return server.sink.waitFor((e) => {
    if (e.to.name !== 'ps' || e.summary !== '200 OK (NOTIFY)') return false;
    const k = key(parse(e));
    return sent((m) => m.method === 'NOTIFY' && match(m)).some((n) => key(n) === k);
  }, 8000);
}

const body = (m: SipMessage) => m.body.toString();

/** A Subscription-State `active` or `pending` with `expires=N`, 590 < N <= 600, as just its state; else as is. */
const withoutExpiry = (s: string | undefined) => {
  const m = /^(active|pending);expires=(\d+)$/.exec(s ?? '');
  return m && Number(m[2]) <= 600 && Number(m[2]) > 590 ? m[1] : s;
};

const watchersOf = (d: WinfoDocument) => d.lists[0]!.watchers.map((w) => [w.uri, w.status, w.event]);

let xcap: Xcap;
let server: Server;
/** a sip-core watcher UE, closed after the server (whose final NOTIFYs it answers) */
let watcher: WatcherUe | undefined;

beforeAll(() => {
  if (!existsSync(SIPP_BINARY))
    throw new Error(`SIPp not found at ${SIPP_BINARY} (Debian package sip-tester; or set SIPP)`);
});
beforeEach(async () => {
  xcap = await startXcap();
  server = await startServer({ xcapRoot: xcap.root });
  await server.svc.xcapConnected();
});
afterEach(async () => {
  await server.svc.close();
  await watcher?.close();
  watcher = undefined;
  await xcap.close();
});

async function publish(presentity: string, basic: string): Promise<void> {
  const ue = await client();
  try {
    const r = await ue.request(
      publishRequest({
        uri: presentity,
        from: presentity,
        pai: presentity,
        body: pidf(presentity, [['t1', basic]]),
      }),
      server.target('udp'),
    );
    expect(r.status).toBe(200);
  } finally {
    await ue.close();
  }
}

describe.each(['udp', 'tcp'] as const)('SIPp SUBSCRIBE presence over %s', (protocol) => {
  test('allowed: 200 + NOTIFY active with the PIDF, refresh 300, unsubscribe: NOTIFY terminated', async () => {
    expect(
      await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }])),
    ).toBe(201);
    await publish(USER1, 'open');
    const run = await sipp('subscribe-presence.xml', protocol);
    expectSuccess(run);
    const ns = notifies(USER2);
    expect(states(ns)).toEqual(['active;expires=600', 'active;expires=300', 'terminated']);
    expect(ns.map((n) => n.get('Via')!.split(' ')[0])).toEqual(
      Array(3).fill(`SIP/2.0/${protocol.toUpperCase()}`),
    );
    for (const n of ns) {
      expect(n.get('Content-Type')).toBe('application/pidf+xml');
      expect(body(n)).toContain(`entity="${USER1}"`);
      expect(body(n)).toContain('<basic>open</basic>');
    }
    const answers = sent((m) => m.status === 200 && m.get('CSeq')!.endsWith('SUBSCRIBE'));
    expect(answers.map((r) => r.get('Expires'))).toEqual(['600', '300', '0']);
    // the refresh and the unsubscribe went to the Contact of the 200, in the dialog
    const subscribes = received((m) => m.method === 'SUBSCRIBE');
    const contact = uriOf(answers[0]!.get('Contact'));
    expect(subscribes.map((m) => m.uri)).toEqual([USER1, contact, contact]);
    expect(subscribes.slice(1).map((m) => m.get('To'))).toEqual(Array(2).fill(answers[0]!.get('To')));
  });
});

test('SIPp: no rules, NOTIFY pending without a body; a pres-rules PUT on the xcap-server: NOTIFY active', async () => {
  await publish(USER1, 'open');
  const running = sipp('subscribe-pending.xml');
  await notifyAnswered((n) => n.get('Subscription-State') === 'pending;expires=600');
  expect(
    await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }])),
  ).toBe(201);
  expectSuccess(await running);
  const ns = notifies(USER2);
  expect(states(ns)[0]).toBe('pending;expires=600');
  expect(states(ns).map(withoutExpiry)).toEqual(['pending', 'active', 'terminated']);
  expect([ns[0]!.get('Content-Type'), ns[0]!.body.length]).toEqual([undefined, 0]);
  expect([ns[1]!.get('Content-Type'), body(ns[1]!)]).toEqual([
    'application/pidf+xml',
    expect.stringContaining('<basic>open</basic>'),
  ]);
});

test('SIPp presence.winfo: full state, then partial with a new watcher pending (event subscribe)', async () => {
  const running = sipp('winfo-own.xml');
  await notifyAnswered((n) => n.get('Event') === 'presence.winfo');
  watcher = await watcherUe();
  await watcher.subscribe({ target: server.target('udp'), uri: USER1, identity: USER2 });
  expect((await watcher.notes.next()).request.get('Subscription-State')).toBe('pending;expires=600');
  expectSuccess(await running);
  const ns = notifies(USER1, 'presence.winfo');
  expect(states(ns)[0]).toBe('active;expires=600');
  expect(states(ns).map(withoutExpiry)).toEqual(['active', 'active', 'terminated']);
  const docs = ns.map((n) => parseWatcherinfo(body(n)));
  // the final NOTIFY (unsubscribe) carries the full state
  expect(docs.map((d) => [d.version, d.state, watchersOf(d)])).toEqual([
    [1, 'full', []],
    [2, 'partial', [[USER2, 'pending', 'subscribe']]],
    [3, 'full', [[USER2, 'pending', 'subscribe']]],
  ]);
});

const LIST_URI = 'sip:user2_public1-friends@home1.net';
const USER3 = 'sip:user3_public1@home1.net';
// the public XCAP root (an alias of xcapRoot), as a phone writes it
const listNode = (name: string) =>
  `https://xcap.home1.net:8443/services/resource-lists/users/${USER2}/index/~~/resource-lists/list%5b@name=%22${name}%22%5d`;
const resourceLists = (name: string, entries: string) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n' +
  `  <list name="${name}"><display-name>Friends</display-name>\n${entries}  </list>\n</resource-lists>\n`;
const rlsServices = (node: string) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<rls-services xmlns="urn:ietf:params:xml:ns:rls-services">\n' +
  `  <service uri="${LIST_URI}"><resource-list>${node}</resource-list>` +
  '<packages><package>presence</package></packages></service>\n' +
  '</rls-services>\n';

describe('SIPp event list', () => {
  beforeEach(async () => {
    const entries =
      `    <entry uri="${USER1}"><display-name>User One</display-name></entry>\n` +
      `    <entry uri="${USER3}"/>\n    <entry uri="sip:carol@example.com"/>\n`;
    expect(await xcap.write('resource-lists', USER2, resourceLists('friends', entries))).toBe(201);
    expect(await xcap.write('rls-services', USER2, rlsServices(listNode('friends')))).toBe(201);
    expect(
      await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }])),
    ).toBe(201);
    await publish(USER1, 'open');
  });

  test('Supported: eventlist: 200 + Require: eventlist, NOTIFY multipart/related RLMI full state', async () => {
    expectSuccess(await sipp('eventlist-subscribe.xml'));
    const ok = sent((m) => m.status === 200 && m.get('CSeq') === '1 SUBSCRIBE');
    expect(ok.map((r) => r.get('Require'))).toEqual(['eventlist']);
    const ns = notifies(USER2);
    expect(states(ns)).toEqual(['active;expires=600', 'terminated']);
    expect(ns.map((n) => n.get('Require'))).toEqual(['eventlist', 'eventlist']);
    const full = parseListNotifyBody(ns[0]!.get('Content-Type')!, ns[0]!.body);
    expect([full.list.uri, full.list.version, full.list.fullState]).toEqual([LIST_URI, 1, true]);
    expect(full.list.resources.map((r) => [r.uri, r.instances[0]!.state, r.instances[0]!.reason])).toEqual([
      [USER1, 'active', undefined],
      [USER3, 'pending', undefined],
      ['sip:carol@example.com', 'terminated', 'noresource'],
    ]);
    const cid = full.list.resources[0]!.instances[0]!.cid!;
    expect(full.parts.get(cid)!.body.toString()).toContain('<basic>open</basic>');
  });

  test('without Supported: eventlist: 421 with Require: eventlist, no NOTIFY', async () => {
    expectSuccess(await sipp('eventlist-421.xml'));
    const answers = sent((m) => m.status !== undefined && m.get('CSeq') === '1 SUBSCRIBE');
    expect(answers.map((r) => [r.status, r.get('Require')])).toEqual([[421, 'eventlist']]);
    expect(sent((m) => m.method === 'NOTIFY')).toEqual([]);
  });
});

test('section2: B publishes, watches its watchers; A subscribes to its list; B allows A over Ut; B changes', async () => {
  const runB = sipp('section2-b.xml');
  await notifyAnswered((n) => n.get('Event') === 'presence.winfo');
  // A creates its list and its rls-services entry over Ut
  expect(
    await xcap.write('resource-lists', USER2, resourceLists('section2', `    <entry uri="${USER1}"/>\n`)),
  ).toBe(201);
  expect(await xcap.write('rls-services', USER2, rlsServices(listNode('section2')))).toBe(201);
  // UE A runs while UE B waits for its next NOTIFY: B's run cannot end before A has subscribed
  const runA = sipp('section2-a.xml');
  // B's winfo shows A pending, and A has its list's first NOTIFY: B allows A over Ut
  await notifyAnswered((n) => n.get('Event') === 'presence.winfo' && body(n).includes('status="pending"'));
  await notifyAnswered((n) => n.get('Event') === 'presence' && uriOf(n.get('To')) === USER2);
  expect(
    await xcap.write('pres-rules', USER1, presRules([{ id: 'a', identity: USER2, handling: 'allow' }])),
  ).toBe(201);
  const [a, b] = await Promise.all([runA, runB]);
  expectSuccess(b);
  expectSuccess(a);

  const toB = notifies(USER1, 'presence.winfo');
  expect(states(toB)[0]).toBe('active;expires=600');
  expect(states(toB).map(withoutExpiry)).toEqual(['active', 'active', 'active', 'terminated']);
  expect(
    toB.slice(0, 3).map((n) => {
      const d = parseWatcherinfo(body(n));
      return [d.version, d.state, watchersOf(d)];
    }),
  ).toEqual([
    [1, 'full', []],
    [2, 'partial', [[USER2, 'pending', 'subscribe']]],
    [3, 'partial', [[USER2, 'active', 'approved']]],
  ]);

  const toA = notifies(USER2);
  expect(states(toA)[0]).toBe('active;expires=600');
  expect(states(toA).map(withoutExpiry)).toEqual(['active', 'active', 'active', 'terminated']);
  const lists = toA.map((n) => parseListNotifyBody(n.get('Content-Type')!, n.body));
  const pidfOfB = (l: (typeof lists)[number]) => {
    const instance = l.list.resources[0]!.instances[0]!;
    if (instance.cid === undefined) return undefined;
    const part = l.parts.get(instance.cid)!;
    expect([part.contentType, part.body.toString()]).toEqual([
      'application/pidf+xml',
      expect.stringContaining(`entity="${USER1}"`),
    ]);
    return /<tuple [^>]*id="ue-b"><status><basic>(\w+)<\/basic><\/status><\/tuple>/.exec(
      part.body.toString(),
    )?.[1];
  };
  expect(
    lists.map((l) => [
      l.list.version,
      l.list.fullState,
      l.list.resources.map((r) => [r.uri, r.instances[0]!.state]),
      l.parts.size,
      pidfOfB(l),
    ]),
  ).toEqual([
    [1, true, [[USER1, 'pending']], 0, undefined],
    [2, false, [[USER1, 'active']], 1, 'open'],
    [3, false, [[USER1, 'active']], 1, 'closed'],
    // A's last NOTIFY (the unsubscribe's): full state with B's presence
    [4, true, [[USER1, 'active']], 1, 'closed'],
  ]);
  expect(server.svc.composedState(USER1)!.body.toString()).toContain('<basic>closed</basic>');
});
