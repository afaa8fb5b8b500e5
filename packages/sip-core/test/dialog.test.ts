/**
 * Dialog state (RFC 3261 12, RFC 6665 4): UAS from a SUBSCRIBE, UAC from its 2xx or from an early NOTIFY,
 * route sets (Record-Route in order for the UAS and for a NOTIFY, reversed for the UAC), in-dialog requests
 * (Request-URI, Route, tags, CSeq), strict routing, remote CSeq checks, the table.
 */
import { Dialog, DialogTable, parseMessage, uriTarget, type SipMessage } from '../src';

const msg = (text: string): SipMessage => {
  const r = parseMessage(Buffer.from(text.replace(/\n/g, '\r\n')));
  if (!r.ok) throw new Error(r.phrase);
  return r.message;
};

const clone = (m: SipMessage): SipMessage => {
  const r = parseMessage(m.toBuffer());
  if (!r.ok) throw new Error(r.phrase);
  return r.message;
};

const subscribe = msg(`SUBSCRIBE sip:alice@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1
Max-Forwards: 70
From: "Bob" <sip:bob@example.com>;tag=b1
To: <sip:alice@example.com>
Call-ID: c1@192.0.2.1
CSeq: 7 SUBSCRIBE
Record-Route: <sip:p1.example.com;lr>
Record-Route: <sip:p2.example.com;lr>
Contact: <sip:bob@192.0.2.1:5070;transport=tcp>
Event: presence
Content-Length: 0

`);

const ok = msg(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1
From: "Bob" <sip:bob@example.com>;tag=b1
To: <sip:alice@example.com>;tag=a1
Call-ID: c1@192.0.2.1
CSeq: 7 SUBSCRIBE
Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
Contact: <sip:ps@192.0.2.9:5080>
Expires: 600
Content-Length: 0

`);

test('UAS: route set in order, remote target = Contact, remote CSeq from the request, local CSeq empty', () => {
  const d = Dialog.fromRequest(subscribe, 'a1', 'udp');
  expect(d.id).toEqual({ callId: 'c1@192.0.2.1', localTag: 'a1', remoteTag: 'b1' });
  expect([d.localUri, d.remoteUri, d.remoteTarget]).toEqual([
    '<sip:alice@example.com>',
    '"Bob" <sip:bob@example.com>',
    'sip:bob@192.0.2.1:5070;transport=tcp',
  ]);
  expect(d.routeSet).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  expect([d.localSeq, d.remoteSeq, d.secure]).toEqual([0, 7, false]);
  const n = d.createRequest('NOTIFY', [['Event', 'presence']]);
  expect([n.uri, n.getAll('Route'), n.get('From'), n.get('To'), n.get('Call-ID'), n.get('CSeq')]).toEqual([
    'sip:bob@192.0.2.1:5070;transport=tcp',
    ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'],
    '<sip:alice@example.com>;tag=a1',
    '"Bob" <sip:bob@example.com>;tag=b1',
    'c1@192.0.2.1',
    '1 NOTIFY',
  ]);
  expect(d.destination()).toEqual({ protocol: 'udp', host: 'p1.example.com', port: 5060 });
});

test('UAC: from the 2xx, route set reversed, local CSeq = the SUBSCRIBE, CSeq increasing', () => {
  const d = Dialog.fromResponse(subscribe, ok, 'udp');
  expect(d.id).toEqual({ callId: 'c1@192.0.2.1', localTag: 'b1', remoteTag: 'a1' });
  expect(d.routeSet).toEqual(['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
  expect([d.remoteTarget, d.localSeq, d.remoteSeq]).toEqual(['sip:ps@192.0.2.9:5080', 7, undefined]);
  const seqs = [1, 2, 3].map(() => d.createRequest('SUBSCRIBE').get('CSeq'));
  expect(seqs).toEqual(['8 SUBSCRIBE', '9 SUBSCRIBE', '10 SUBSCRIBE']);
  const r = d.createRequest('SUBSCRIBE');
  expect([r.get('From'), r.get('To')]).toEqual([
    '"Bob" <sip:bob@example.com>;tag=b1',
    '<sip:alice@example.com>;tag=a1',
  ]);
});

test('from a NOTIFY before the 2xx: remote tag and target from the NOTIFY, its Record-Route in order', () => {
  const notify = msg(`NOTIFY sip:bob@192.0.2.1:5070 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.9:5080;branch=z9hG4bK9
From: <sip:alice@example.com>;tag=a7
To: "Bob" <sip:bob@example.com>;tag=b1
Call-ID: c1@192.0.2.1
CSeq: 1 NOTIFY
Record-Route: <sip:p2.example.com;lr>
Record-Route: <sip:p1.example.com;lr>
Contact: <sip:ps@192.0.2.9:5080>
Event: presence
Subscription-State: active;expires=600
Content-Length: 0

`);
  const d = Dialog.fromNotify(subscribe, notify, 'udp');
  expect(d.id).toEqual({ callId: 'c1@192.0.2.1', localTag: 'b1', remoteTag: 'a7' });
  expect([d.routeSet, d.remoteTarget, d.localSeq, d.remoteSeq]).toEqual([
    ['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>'],
    'sip:ps@192.0.2.9:5080',
    7,
    1,
  ]);
});

test('a strict router first: it becomes the Request-URI and the remote target the last Route', () => {
  const d = new Dialog({
    id: { callId: 'c', localTag: 'l', remoteTag: 'r' },
    localUri: '<sip:a@x>',
    remoteUri: '<sip:b@y>',
    remoteTarget: 'sip:b@192.0.2.5',
    routeSet: ['<sip:strict.example.com>', '<sip:p2.example.com;lr>'],
    localSeq: 4,
    remoteSeq: undefined,
    secure: false,
    protocol: 'tcp',
  });
  const r = d.createRequest('NOTIFY');
  expect([r.uri, r.getAll('Route'), r.get('CSeq')]).toEqual([
    'sip:strict.example.com',
    ['<sip:p2.example.com;lr>', '<sip:b@192.0.2.5>'],
    '5 NOTIFY',
  ]);
});

test('remote CSeq: lower → 500, equal or higher accepted and remembered; Contact refreshes the target', () => {
  const d = Dialog.fromRequest(subscribe, 'a1', 'udp');
  const at = (n: number) => {
    const m = clone(subscribe);
    m.set('CSeq', `${n} SUBSCRIBE`);
    return m;
  };
  expect(d.checkRemoteSeq(at(6))).toEqual({ ok: false, status: 500, reason: 'Server Internal Error' });
  expect(d.checkRemoteSeq(at(9))).toEqual({ ok: true });
  expect(d.remoteSeq).toBe(9);
  expect(d.checkRemoteSeq(at(8)).ok).toBe(false);
  const moved = at(10).set('Contact', '<sip:bob@192.0.2.2>');
  d.refreshTarget(moved);
  expect(d.remoteTarget).toBe('sip:bob@192.0.2.2');
});

test('uriTarget: host, port (5060), transport parameter, IPv6', () => {
  expect(uriTarget('sip:a@192.0.2.1:5070;transport=TCP', 'udp')).toEqual({
    protocol: 'tcp',
    host: '192.0.2.1',
    port: 5070,
  });
  expect(uriTarget('sip:[2001:db8::1]', 'udp')).toEqual({ protocol: 'udp', host: '2001:db8::1', port: 5060 });
  expect(() => uriTarget('tel:+123', 'udp')).toThrow('not a SIP URI');
});

test('DialogTable: by id, and the dialog of a received request', () => {
  const t = new DialogTable();
  const d = Dialog.fromRequest(subscribe, 'a1', 'udp');
  t.add(d);
  const inDialog = clone(subscribe);
  inDialog.set('To', '<sip:alice@example.com>;tag=a1');
  expect(t.forRequest(inDialog)).toBe(d);
  expect(t.get({ callId: 'c1@192.0.2.1', localTag: 'a1', remoteTag: 'other' })).toBeUndefined();
  expect([t.size, t.delete(d.id), t.size]).toEqual([1, true, 0]);
});
