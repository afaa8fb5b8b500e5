/**
 * TcpTransport on 127.0.0.1 against raw TCP sockets: framing across writes, responses over the request's
 * connection (or a new one to received:sent-by port once it is closed), CRLF keep-alives, a 400 or 413 then
 * close after a framing error, the connection table (reuse, idle timeout on a ManualClock), traces.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import { parseMessage, SipMessage } from '../src';
import { ManualClock } from '../src/transaction/clock';
import { TcpTransport, type TcpTransportOptions } from '../src/transport/tcp';
import type { Inbound } from '../src/transport/types';
import { Queue } from './support/queue';

/** A raw client socket that collects what it reads until it has `n` octets or the text ends with `until`. */
class RawClient {
  data = '';
  private wake?: () => void;
  readonly ended: Promise<void>;
  constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.data += b.toString('latin1');
      this.wake?.();
    });
    this.ended = new Promise((resolve) => socket.on('close', () => resolve()));
  }
  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  async until(test: (data: string) => boolean): Promise<string> {
    while (!test(this.data)) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.data;
  }
  write(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(text, (e) => (e ? reject(e) : resolve())));
  }
}

let transport: TcpTransport;
let sink: MemorySink;
let clock: ManualClock;
const inbox = new Queue<Inbound>();
const cleanup: (() => unknown)[] = [];

async function start(o: Partial<TcpTransportOptions> = {}): Promise<void> {
  sink = new MemorySink();
  clock = new ManualClock();
  transport = await TcpTransport.listen({
    host: '127.0.0.1',
    port: 0,
    onMessage: (m) => inbox.push(m),
    tracer: createTracer({ sinks: [sink] }),
    iface: 'Gm',
    name: 'scscf',
    clock,
    ...o,
  });
}

async function client(): Promise<RawClient> {
  const c = await RawClient.open(transport.address.port);
  cleanup.push(() => c.socket.destroy());
  return c;
}

afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
  await transport.close();
  expect(inbox.size).toBe(0);
});

function request(via: string, n = 1, body = ''): string {
  return (
    `MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\n` +
    `To: <sip:bob@127.0.0.1>\r\nFrom: <sip:alice@127.0.0.1>;tag=a${n}\r\nCall-ID: tcp-${n}\r\n` +
    `CSeq: ${n} MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
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

const complete = (n: number) => (d: string) => d.split('Content-Length: 0\r\n\r\n').length > n;

test('a request written in pieces is one message; the response comes back on its connection', async () => {
  await start();
  const c = await client();
  const wire = request('SIP/2.0/TCP 192.0.2.1:5060;rport;branch=z9hG4bKt1', 1, 'hello, bob');
  await c.write(wire.slice(0, 30));
  await c.write(wire.slice(30, 200));
  await c.write(wire.slice(200));
  const inbound = await inbox.next();
  expect(inbound.message.body.toString()).toBe('hello, bob');
  expect(inbound.connection?.open).toBe(true);
  expect(inbound.message.getAll('Via')[0]).toBe(
    `SIP/2.0/TCP 192.0.2.1:5060;rport=${c.socket.localPort};branch=z9hG4bKt1;received=127.0.0.1`,
  );
  const ok = okFor(inbound.message);
  await transport.respond(ok, inbound);
  expect(await c.until(complete(1))).toBe(ok.toBuffer().toString('latin1'));
  expect(sink.events.map((e) => [e.transport, e.summary, Buffer.from(e.bytes).toString()])).toEqual([
    ['tcp', 'MESSAGE sip:bob@127.0.0.1', wire],
    ['tcp', '200 OK (MESSAGE)', ok.toBuffer().toString()],
  ]);
  expect(sink.events[1]!.to).toMatchObject({ host: '127.0.0.1', port: c.socket.localPort });
});

test('two messages in one write are two messages, in order', async () => {
  await start();
  const c = await client();
  await c.write(
    request('SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKa', 1, 'one') +
      request('SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKb', 2),
  );
  expect((await inbox.next()).message.get('Call-ID')).toBe('tcp-1');
  expect((await inbox.next()).message.get('Call-ID')).toBe('tcp-2');
});

test('a CRLFCRLF ping is answered with a CRLF pong and is not traced', async () => {
  await start();
  const c = await client();
  await c.write('\r\n\r\n');
  expect(await c.until((d) => d.length >= 2)).toBe('\r\n');
  await c.write(request('SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKp'));
  await inbox.next();
  expect(c.data).toBe('\r\n');
  expect(sink.events.map((e) => e.summary)).toEqual(['MESSAGE sip:bob@127.0.0.1']);
});

test('a request without Content-Length gets a 400 and the connection is closed', async () => {
  await start();
  const c = await client();
  await c.write(request('SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKn').replace('Content-Length: 0\r\n', ''));
  await c.ended;
  expect(c.data.split('\r\n')[0]).toBe('SIP/2.0 400 Bad Request');
  expect(c.data).toContain(
    'Warning: 399 127.0.0.1:' +
      transport.address.port +
      ' "Content-Length is required on a stream transport"',
  );
  expect(transport.connections).toHaveLength(0);
  expect(sink.events.map((e) => e.summary)).toEqual([
    'MESSAGE sip:bob@127.0.0.1 SIP/2.0 [400 Bad Request: Content-Length is required on a stream transport]',
    '400 Bad Request (MESSAGE)',
  ]);
  expect(Buffer.from(sink.events[1]!.bytes).toString('latin1')).toBe(c.data);
});

test('a message over the size limit gets a 413 and the connection is closed', async () => {
  await start({ maxMessageBytes: 1000 });
  const c = await client();
  await c.write(request('SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKbig', 1, 'x'.repeat(1000)));
  await c.ended;
  expect(c.data.split('\r\n')[0]).toBe('SIP/2.0 413 Request Entity Too Large');
});

test('a well-framed but malformed request gets a 400 and the connection stays open', async () => {
  await start();
  const c = await client();
  await c.write(
    request('SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKm').replace('CSeq: 1 MESSAGE', 'CSeq: 1 OPTIONS'),
  );
  const answer = await c.until(complete(1));
  expect(answer.split('\r\n')[0]).toBe('SIP/2.0 400 Bad Request');
  await c.write(request('SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKm2', 2));
  expect((await inbox.next()).message.get('Call-ID')).toBe('tcp-2');
});

test('a connection without traffic closes after the idle timeout (ManualClock)', async () => {
  await start({ idleTimeoutMs: 10_000 });
  const c = await client();
  await c.write(request('SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKi'));
  const inbound = await inbox.next();
  clock.advance(9_999);
  expect(inbound.connection?.open).toBe(true);
  expect(transport.connections).toHaveLength(1);
  clock.advance(1);
  await c.ended;
  await inbound.connection?.closed;
  expect(transport.connections).toHaveLength(0);
});

test('send() to a port nobody listens on rejects', async () => {
  await start();
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const r = parseMessage(
    Buffer.from(request(`SIP/2.0/TCP 127.0.0.1:${transport.address.port};branch=z9hG4bKx`)),
  );
  if (!r.ok) throw new Error('fixture');
  await expect(transport.send(r.message, { host: '127.0.0.1', port })).rejects.toThrow(/ECONNREFUSED/);
  expect(transport.connections).toHaveLength(0);
});

describe('outgoing connections', () => {
  let server: Server;
  let accepted: Queue<RawClient>;
  const all: RawClient[] = [];
  let port: number;
  beforeEach(async () => {
    accepted = new Queue();
    server = createServer((s) => {
      const c = new RawClient(s);
      all.push(c);
      accepted.push(c);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterEach(async () => {
    for (const a of all.splice(0)) a.socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('send() opens one connection and reuses it; a response on it is passed up', async () => {
    await start();
    const ours = `SIP/2.0/TCP 127.0.0.1:${transport.address.port};branch=z9hG4bKo`;
    const r1 = parseMessage(Buffer.from(request(ours + '1', 1)));
    const r2 = parseMessage(Buffer.from(request(ours + '2', 2)));
    if (!r1.ok || !r2.ok) throw new Error('fixture');
    await Promise.all([
      transport.send(r1.message, { host: '127.0.0.1', port }),
      transport.send(r2.message, { host: '127.0.0.1', port }),
    ]);
    const peer = await accepted.next();
    // both on the first connection (a second one would leave this waiting)
    await peer.until(complete(2));
    expect(accepted.size).toBe(0);
    expect(peer.data).toBe(
      r1.message.toBuffer().toString('latin1') + r2.message.toBuffer().toString('latin1'),
    );
    expect(transport.connections).toHaveLength(1);
    await new Promise<void>((resolve) => peer.socket.write(okFor(r1.message).toBuffer(), () => resolve()));
    const inbound = await inbox.next();
    expect(inbound.message.status).toBe(200);
    expect(inbound.message.get('Call-ID')).toBe('tcp-1');
  });

  test('once the request connection is closed the response goes over a new one to received:sent-by port', async () => {
    await start();
    const c = await client();
    await c.write(request(`SIP/2.0/TCP 127.0.0.1:${port};branch=z9hG4bKgone`));
    const inbound = await inbox.next();
    c.socket.end();
    await inbound.connection!.closed;
    const ok = okFor(inbound.message);
    await transport.respond(ok, inbound);
    const peer = await accepted.next();
    expect(await peer.until(complete(1))).toBe(ok.toBuffer().toString('latin1'));
    expect(peer.socket.remotePort).not.toBe(c.socket.remotePort);
  });
});
