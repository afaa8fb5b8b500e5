/**
 * Two endpoints on 127.0.0.1 talking over UDP and over TCP: a request reaches onRequest once and its
 * response comes back; responses are built from the request; every message is a trace event whose bytes
 * are what the other side received.
 */
import { createTracer, MemorySink } from '@ut-testbed/trace';
import {
  createEndpoint,
  createRequest,
  parseMessage,
  type Endpoint,
  type SipMessage,
  type Target,
} from '../src';

let uas: Endpoint;
let uac: Endpoint;
let uasSink: MemorySink;
let uacSink: MemorySink;
let seen: SipMessage[];

beforeEach(async () => {
  uasSink = new MemorySink();
  uacSink = new MemorySink();
  seen = [];
  uas = await createEndpoint({
    transports: [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    allow: ['OPTIONS', 'MESSAGE'],
    tracer: createTracer({ sinks: [uasSink] }),
    iface: 'Gm',
    name: 'pcscf',
    peerName: () => 'ue',
    onRequest: async (req, tx) => {
      seen.push(req);
      if (req.method === 'MESSAGE') {
        await Promise.resolve();
        tx.respond(202, 'Accepted', [['X-Echo', req.body.toString()]]);
      } else
        tx.respond(
          200,
          'OK',
          [
            ['Accept', 'text/plain'],
            ['Allow', 'OPTIONS, MESSAGE'],
          ],
          'pong',
        );
    },
  });
  uac = await createEndpoint({
    transports: [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    allow: [],
    tracer: createTracer({ sinks: [uacSink] }),
    iface: 'Gm',
    name: 'ue',
    peerName: () => 'pcscf',
    onRequest: () => undefined,
  });
});

afterEach(async () => {
  await uac.close();
  await uas.close();
});

const target = (protocol: 'udp' | 'tcp'): Target => uas.addresses.find((a) => a.protocol === protocol)!;

test('addresses: one per transport, on 127.0.0.1 with the ports the system chose', () => {
  expect(uas.addresses.map((a) => [a.protocol, a.host])).toEqual([
    ['udp', '127.0.0.1'],
    ['tcp', '127.0.0.1'],
  ]);
  expect(uas.addresses.every((a) => a.port > 0)).toBe(true);
  expect(uas.timers).toEqual({ t1: 500, t2: 4000, t4: 5000 });
});

describe.each(['udp', 'tcp'] as const)('over %s', (protocol) => {
  test('OPTIONS: 200 built from the request, with a To tag, the extra headers and the body', async () => {
    const req = createRequest({
      method: 'OPTIONS',
      uri: `sip:pcscf@127.0.0.1:${target(protocol).port}`,
      from: '<sip:alice@example.com>',
      to: '<sip:pcscf@example.com>',
      cseq: 7,
    });
    const res = await uac.request(req, target(protocol));
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('pong');
    expect(res.get('Content-Length')).toBe('4');
    expect(res.get('Accept')).toBe('text/plain');
    expect(res.get('To')).toMatch(/^<sip:pcscf@example.com>;tag=[0-9a-f]{12}$/);
    expect(res.get('From')).toBe(req.get('From'));
    expect(res.get('Call-ID')).toBe(req.get('Call-ID'));
    expect(res.get('CSeq')).toBe('7 OPTIONS');
    expect(seen).toHaveLength(1);
    // the caller's message is not changed; what was sent has our Via with a fresh branch and rport
    expect(req.get('Via')).toBeUndefined();
    const sentVia = seen[0]!.getAll('Via');
    expect(sentVia).toHaveLength(1);
    const ua = uac.addresses.find((a) => a.protocol === protocol)!;
    expect(sentVia[0]).toMatch(
      new RegExp(
        `^SIP/2.0/${protocol.toUpperCase()} 127.0.0.1:${ua.port};branch=z9hG4bK[0-9a-f]{20};rport=\\d+;received=127.0.0.1$`,
      ),
    );
    expect(res.getAll('Via')).toEqual(sentVia);
    expect(seen[0]!.get('Max-Forwards')).toBe('70');
  });

  test('an async handler answers MESSAGE with 202; traces on both sides hold the same bytes', async () => {
    const req = createRequest({
      method: 'MESSAGE',
      uri: 'sip:bob@example.com',
      from: '<sip:alice@example.com>',
      to: '<sip:bob@example.com>',
      headers: [['Content-Type', 'text/plain']],
      body: 'hello',
    });
    const res = await uac.request(req, target(protocol));
    expect(res.status).toBe(202);
    expect(res.get('X-Echo')).toBe('hello');
    const summaries = (s: MemorySink) => s.events.map((e) => [e.transport, e.summary]);
    expect(summaries(uacSink)).toEqual([
      [protocol, 'MESSAGE sip:bob@example.com'],
      [protocol, '202 Accepted (MESSAGE)'],
    ]);
    expect(summaries(uasSink)).toEqual(summaries(uacSink));
    const [reqOut, resIn] = uacSink.events;
    const [reqIn, resOut] = uasSink.events;
    expect(Buffer.from(reqOut!.bytes).equals(Buffer.from(reqIn!.bytes))).toBe(true);
    expect(Buffer.from(resOut!.bytes).equals(Buffer.from(resIn!.bytes))).toBe(true);
    const parsed = parseMessage(Buffer.from(resIn!.bytes));
    expect(parsed.ok && parsed.message.get('X-Echo')).toBe('hello');
    // the response went back to where the request came from (over TCP: the same connection)
    expect(resOut!.to).toEqual({ name: 'ue', host: '127.0.0.1', port: reqIn!.from.port });
    expect(reqOut!).toMatchObject({ iface: 'Gm', proto: 'sip', from: { name: 'ue' }, to: { name: 'pcscf' } });
  });
});

test('over TCP the second request reuses the connection the first one opened', async () => {
  const mk = () =>
    createRequest({ method: 'OPTIONS', uri: 'sip:x@127.0.0.1', from: '<sip:a@h>', to: '<sip:x@h>' });
  await uac.request(mk(), target('tcp'));
  await uac.request(mk(), target('tcp'));
  const ports = uasSink.events.filter((e) => e.summary.startsWith('OPTIONS')).map((e) => e.from.port);
  expect(ports).toHaveLength(2);
  expect(ports[0]).toBe(ports[1]);
});

test('request() refuses INVITE, ACK, a request without the mandatory headers, a CSeq of another method', async () => {
  const invite = createRequest({ method: 'INVITE', uri: 'sip:x@h', from: '<sip:a@h>', to: '<sip:x@h>' });
  await expect(uac.request(invite, target('udp'))).rejects.toThrow(/only non-INVITE/);
  const bare = createRequest({
    method: 'OPTIONS',
    uri: 'sip:x@h',
    from: '<sip:a@h>',
    to: '<sip:x@h>',
  }).remove('To');
  await expect(uac.request(bare, target('udp'))).rejects.toThrow('the request has no To');
  const mismatch = createRequest({
    method: 'OPTIONS',
    uri: 'sip:x@h',
    from: '<sip:a@h>',
    to: '<sip:x@h>',
  }).set('CSeq', '1 MESSAGE');
  await expect(uac.request(mismatch, target('udp'))).rejects.toThrow(/CSeq method MESSAGE/);
});

test('createEndpoint refuses INVITE, ACK or CANCEL in allow', async () => {
  await expect(
    createEndpoint({ transports: [], allow: ['OPTIONS', 'INVITE'], onRequest: () => undefined }),
  ).rejects.toThrow('INVITE in allow');
});
