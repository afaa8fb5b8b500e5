/**
 * UdpTransport on 127.0.0.1 against a raw UDP socket: one message per datagram, received/rport on requests,
 * responses routed by their top Via, bad requests answered statelessly, bad and foreign responses dropped,
 * and a trace event with the exact bytes for every message.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import { parseMessage, SipMessage } from '../src';
import type { Inbound } from '../src/transport/types';
import { DEFAULT_UDP_BUFFER_BYTES, UdpTransport } from '../src/transport/udp';
import { Queue } from './support/queue';

let transport: UdpTransport;
let client: Socket;
let clientPort: number;
let sink: MemorySink;
const inbox = new Queue<Inbound>();
const datagrams = new Queue<Buffer>();

beforeEach(async () => {
  sink = new MemorySink();
  transport = await UdpTransport.listen({
    host: '127.0.0.1',
    port: 0,
    onMessage: (m) => inbox.push(m),
    tracer: createTracer({ sinks: [sink] }),
    iface: 'Gm',
    name: 'pcscf',
    peerName: () => 'ue',
  });
  client = createSocket('udp4');
  client.on('message', (b) => datagrams.push(b));
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  clientPort = client.address().port;
});

afterEach(async () => {
  await transport.close();
  await new Promise<void>((resolve) => client.close(() => resolve()));
  expect(inbox.size).toBe(0);
  expect(datagrams.size).toBe(0);
});

function toServer(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    client.send(Buffer.from(text), transport.address.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
  );
}

function options(via: string, n = 1): string {
  return (
    `OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\n` +
    `To: <sip:bob@127.0.0.1>\r\nFrom: <sip:alice@127.0.0.1>;tag=a${n}\r\nCall-ID: call-${n}\r\n` +
    `CSeq: ${n} OPTIONS\r\nContent-Length: 0\r\n\r\n`
  );
}

function okFor(req: SipMessage): SipMessage {
  const h = (name: string) => ({ name, value: req.get(name)! });
  return new SipMessage(
    { kind: 'response', status: 200, reason: 'OK', version: 'SIP/2.0' },
    [
      ...req.getAll('Via').map((value) => ({ name: 'Via', value })),
      h('From'),
      h('To'),
      h('Call-ID'),
      h('CSeq'),
    ],
    Buffer.alloc(0),
  ).set('Content-Length', '0');
}

test('the bound address is 127.0.0.1 with the port the system chose', () => {
  expect(transport.address.host).toBe('127.0.0.1');
  expect(transport.address.port).toBeGreaterThan(0);
  expect(transport.reliable).toBe(false);
});

test('an empty rport is filled and received added; the response goes to received:rport', async () => {
  const wire = options(`SIP/2.0/UDP 192.0.2.99:5999;rport;branch=z9hG4bKr1`);
  await toServer(wire);
  const inbound = await inbox.next();
  expect(inbound.source).toEqual({ host: '127.0.0.1', port: clientPort });
  expect(inbound.message.getAll('Via')[0]).toBe(
    `SIP/2.0/UDP 192.0.2.99:5999;rport=${clientPort};branch=z9hG4bKr1;received=127.0.0.1`,
  );
  const ok = okFor(inbound.message);
  await transport.respond(ok, inbound);
  const got = await datagrams.next();
  expect(got.equals(ok.toBuffer())).toBe(true);

  const events = sink.events;
  expect(events.map((e) => e.summary)).toEqual(['OPTIONS sip:bob@127.0.0.1', '200 OK (OPTIONS)']);
  expect(Buffer.from(events[0]!.bytes).toString()).toBe(wire);
  expect(Buffer.from(events[1]!.bytes).equals(got)).toBe(true);
  expect(events[0]).toMatchObject({
    iface: 'Gm',
    proto: 'sip',
    transport: 'udp',
    from: { name: 'ue', host: '127.0.0.1', port: clientPort },
    to: { name: 'pcscf', host: '127.0.0.1', port: transport.address.port },
  });
  expect(events[1]).toMatchObject({
    from: { name: 'pcscf', port: transport.address.port },
    to: { name: 'ue', host: '127.0.0.1', port: clientPort },
  });
});

test('without rport the response goes to received at the sent-by port', async () => {
  await toServer(options(`SIP/2.0/UDP localhost:${clientPort};branch=z9hG4bKr2`));
  const inbound = await inbox.next();
  expect(inbound.message.getAll('Via')[0]).toBe(
    `SIP/2.0/UDP localhost:${clientPort};branch=z9hG4bKr2;received=127.0.0.1`,
  );
  await transport.respond(okFor(inbound.message), inbound);
  const got = parseMessage(await datagrams.next());
  expect(got.ok && got.message.status).toBe(200);
});

test('a request in another SIP version is answered 505 statelessly and not passed up', async () => {
  const bad = options(`SIP/2.0/UDP 127.0.0.1:${clientPort};rport;branch=z9hG4bKv7`).replace(
    'SIP/2.0\r\n',
    'SIP/7.0\r\n',
  );
  await toServer(bad);
  const answer = (await datagrams.next()).toString();
  expect(answer.split('\r\n').slice(0, 2)).toEqual([
    'SIP/2.0 505 Version Not Supported',
    `Via: SIP/2.0/UDP 127.0.0.1:${clientPort};rport=${clientPort};branch=z9hG4bKv7;received=127.0.0.1`,
  ]);
  expect(answer).toContain('\r\nCSeq: 1 OPTIONS\r\n');
  // the next good request is the first message passed up
  await toServer(options(`SIP/2.0/UDP 127.0.0.1:${clientPort};branch=z9hG4bKok`, 2));
  expect((await inbox.next()).message.get('Call-ID')).toBe('call-2');
  expect(sink.events.map((e) => e.summary)).toEqual([
    'OPTIONS sip:bob@127.0.0.1 SIP/7.0 [505 Version Not Supported: SIP version SIP/7.0 is not 2.0]',
    '505 Version Not Supported (OPTIONS)',
    'OPTIONS sip:bob@127.0.0.1',
  ]);
});

test('a malformed response and a response with a foreign top Via are dropped; ours is passed up', async () => {
  const ours = `SIP/2.0/UDP 127.0.0.1:${transport.address.port};branch=z9hG4bKc1`;
  const resp = (via: string, status = '200') =>
    `SIP/2.0 ${status} OK\r\nVia: ${via}\r\nTo: <sip:b@h>;tag=1\r\nFrom: <sip:a@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
  await toServer(resp(ours, '999'));
  await toServer(resp('SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKc1'));
  await toServer(resp(ours));
  const inbound = await inbox.next();
  expect(inbound.message.status).toBe(200);
  expect(inbound.message.getAll('Via')).toEqual([ours]);
  expect(sink.events.map((e) => e.summary)).toEqual([
    'SIP/2.0 999 OK [400 Bad Request: status 999 is outside 100-699]',
    '200 OK (OPTIONS) [not our Via]',
    '200 OK (OPTIONS)',
  ]);
});

test('send() puts one message in one datagram to the target; CRLF datagrams are ignored', async () => {
  await toServer('\r\n\r\n');
  await toServer(options(`SIP/2.0/UDP 127.0.0.1:${clientPort};branch=z9hG4bKk`, 3));
  expect((await inbox.next()).message.get('Call-ID')).toBe('call-3');
  const req = parseMessage(
    Buffer.from(options(`SIP/2.0/UDP 127.0.0.1:${transport.address.port};branch=z9hG4bKs`)),
  );
  if (!req.ok) throw new Error(req.phrase);
  await transport.send(req.message, { host: '127.0.0.1', port: clientPort });
  expect((await datagrams.next()).equals(req.message.toBuffer())).toBe(true);
  expect(sink.events.map((e) => e.summary)).toEqual([
    'OPTIONS sip:bob@127.0.0.1',
    'OPTIONS sip:bob@127.0.0.1',
  ]);
  expect(sink.events.map((e) => e.to.port)).toEqual([transport.address.port, clientPort]);
});

test('the trace interface can depend on the other end (ISC from a trusted peer, Gm from others)', async () => {
  const own = new MemorySink();
  const t = await UdpTransport.listen({
    host: '127.0.0.1',
    port: 0,
    onMessage: (m) => inbox.push(m),
    tracer: createTracer({ sinks: [own] }),
    iface: (peer) => (peer.port === clientPort ? 'ISC' : 'Gm'),
  });
  const other = createSocket('udp4');
  await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', resolve));
  try {
    for (const [sock, n] of [
      [client, 1],
      [other, 2],
    ] as const) {
      await new Promise<void>((resolve, reject) =>
        sock.send(
          Buffer.from(options(`SIP/2.0/UDP 127.0.0.1:${sock.address().port};branch=z9hG4bKi${n}`, n)),
          t.address.port,
          '127.0.0.1',
          (e) => (e ? reject(e) : resolve()),
        ),
      );
      await inbox.next();
    }
    expect(own.events.map((e) => [e.iface, e.from.port])).toEqual([
      ['ISC', clientPort],
      ['Gm', other.address().port],
    ]);
  } finally {
    await t.close();
    await new Promise<void>((resolve) => other.close(() => resolve()));
  }
});

test('the socket asks the kernel for 4 MiB buffers by default, and takes a size given', async () => {
  // the kernel caps at net.core.rmem_max and Linux reports twice what it grants (socket(7) SO_RCVBUF)
  const max = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
  expect(transport.receiveBufferBytes).toBe(2 * Math.min(max, DEFAULT_UDP_BUFFER_BYTES));
  const small = await UdpTransport.listen({
    host: '127.0.0.1',
    port: 0,
    onMessage: () => undefined,
    socketBufferBytes: 65_536,
  });
  try {
    expect(small.receiveBufferBytes).toBe(2 * 65_536);
  } finally {
    await small.close();
  }
});
