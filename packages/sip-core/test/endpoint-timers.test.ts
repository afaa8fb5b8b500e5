/**
 * The client side of the endpoint against peers that do not answer, on a ManualClock: Timer E
 * retransmissions on the wire, the 408 built locally when Timer F fires (none is sent), a 1xx then a final
 * response, TCP without retransmissions, a 503 on a transport error, close() with a request pending.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import { createEndpoint, createRequest, parseMessage, type Endpoint, type SipMessage } from '../src';
import { ManualClock } from '../src/transaction/clock';
import { buildResponse } from '../src/transaction/response';
import { Queue } from './support/queue';

let ep: Endpoint;
let clock: ManualClock;
let sink: MemorySink;
/** when (on the ManualClock) this endpoint sent something, and what */
const sentLog = () => sink.events.filter((e) => e.from.name === 'ps').map((e) => `${e.ts} ${e.summary}`);

beforeEach(async () => {
  clock = new ManualClock();
  sink = new MemorySink();
  ep = await createEndpoint({
    tracer: createTracer({ sinks: [sink], clock: () => clock.now() }),
    name: 'ps',
    transports: [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    allow: [],
    clock,
    onRequest: () => undefined,
  });
});

afterEach(() => ep.close());

const notify = () =>
  createRequest({
    method: 'NOTIFY',
    uri: 'sip:watcher@127.0.0.1',
    from: '<sip:ps@example.com>;tag=ps1',
    to: '<sip:watcher@example.com>;tag=w1',
    headers: [
      ['Event', 'presence'],
      ['Subscription-State', 'active;expires=600'],
    ],
  });

describe('over UDP to a silent peer', () => {
  let peer: Socket;
  let port: number;
  const got = new Queue<Buffer>();
  beforeEach(async () => {
    peer = createSocket('udp4');
    peer.on('message', (b) => got.push(b));
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    port = peer.address().port;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => peer.close(() => resolve()));
    expect(got.size).toBe(0);
  });

  test('11 identical sends by Timer E, then Timer F: a 408 built here, nothing more on the wire', async () => {
    let settled: SipMessage | undefined;
    const pending = ep
      .request(notify(), { protocol: 'udp', host: '127.0.0.1', port })
      .then((r) => (settled = r));
    const first = await got.next();
    const intervals = [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000];
    for (const ms of intervals) {
      clock.advance(ms);
      expect((await got.next()).equals(first)).toBe(true);
    }
    expect(clock.now()).toBe(31_500);
    clock.advance(499);
    await Promise.resolve();
    expect(settled).toBeUndefined();
    clock.advance(1);
    const res = await pending;
    expect([res.status, res.reason]).toEqual([408, 'Request Timeout']);
    const sent = parseMessage(first);
    if (!sent.ok) throw new Error(sent.phrase);
    expect(res.getAll('Via')).toEqual(sent.message.getAll('Via'));
    expect(res.get('CSeq')).toBe('1 NOTIFY');
    expect(res.get('To')).toBe('<sip:watcher@example.com>;tag=w1');
    const n = 'NOTIFY sip:watcher@127.0.0.1';
    expect(sentLog()).toEqual(
      [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500].map((t) => `${t} ${n}`),
    );
    // the 408 is not sent, and nothing follows
    clock.advance(10_000);
    expect(sentLog()).toHaveLength(11);
  });

  test('a 100 from the peer: retransmissions at T2 from the next Timer E, then the 200 ends it', async () => {
    let provisional!: (status: number) => void;
    const got100 = new Promise<number>((resolve) => (provisional = resolve));
    const pending = ep.request(
      notify(),
      { protocol: 'udp', host: '127.0.0.1', port },
      { onProvisional: (r) => provisional(r.status!) },
    );
    const first = parseMessage(await got.next());
    if (!first.ok) throw new Error(first.phrase);
    const reply = (status: number, reason: string) =>
      new Promise<void>((resolve) =>
        peer.send(
          buildResponse(first.message, status, reason, { tag: 'x' }).toBuffer(),
          ep.addresses[0]!.port,
          '127.0.0.1',
          () => resolve(),
        ),
      );
    clock.advance(500);
    await got.next();
    await reply(100, 'Trying');
    expect(await got100).toBe(100);
    // Timer E was set to 1 s at 0.5 s: it fires at 1.5 s, then every T2
    clock.advance(1000);
    await got.next();
    clock.advance(3999);
    clock.advance(1);
    await got.next();
    await reply(200, 'OK');
    const res = await pending;
    expect(res.status).toBe(200);
    clock.advance(40_000);
    const n = 'NOTIFY sip:watcher@127.0.0.1';
    expect(sentLog()).toEqual([`0 ${n}`, `500 ${n}`, `1500 ${n}`, `5500 ${n}`]);
    expect(sink.events.filter((e) => e.to.name === 'ps').map((e) => `${e.ts} ${e.summary}`)).toEqual([
      '500 100 Trying (NOTIFY)',
      '5500 200 OK (NOTIFY)',
    ]);
  });
});

describe('over TCP', () => {
  let server: Server;
  let port: number;
  const conns: TcpSocket[] = [];
  let data = '';
  let wake: (() => void) | undefined;
  beforeEach(async () => {
    data = '';
    server = createServer((s) => {
      conns.push(s);
      s.on('data', (b: Buffer) => {
        data += b.toString('latin1');
        wake?.();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterEach(async () => {
    for (const s of conns.splice(0)) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const until = async (test: () => boolean) => {
    while (!test()) await new Promise<void>((resolve) => (wake = resolve));
  };

  test('no retransmissions; Timer F still gives a local 408 at 64*T1', async () => {
    const pending = ep.request(notify(), { protocol: 'tcp', host: '127.0.0.1', port });
    await until(() => data.endsWith('\r\n\r\n'));
    const once = data;
    expect(once.startsWith('NOTIFY sip:watcher@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:')).toBe(true);
    clock.advance(32_000);
    const res = await pending;
    expect(res.status).toBe(408);
    expect(sentLog()).toEqual(['0 NOTIFY sip:watcher@127.0.0.1']);
    // one request only; a barrier: the connection still carries a later request
    const second = ep.request(notify(), { protocol: 'tcp', host: '127.0.0.1', port });
    await until(() => data.length > once.length && data.endsWith('\r\n\r\n'));
    expect(data.split('NOTIFY sip:').length - 1).toBe(2);
    clock.advance(32_000);
    expect((await second).status).toBe(408);
  });

  test('a connection refused is a transport error: a 503 built here', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const dead = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const res = await ep.request(notify(), { protocol: 'tcp', host: '127.0.0.1', port: dead });
    expect([res.status, res.reason]).toEqual([503, 'Service Unavailable']);
    expect(res.get('Warning')).toMatch(/ECONNREFUSED/);
    expect(clock.pending).toBe(0);
  });

  test('close() with a request pending rejects it', async () => {
    const pending = ep.request(notify(), { protocol: 'tcp', host: '127.0.0.1', port });
    await until(() => data.endsWith('\r\n\r\n'));
    await ep.close();
    await expect(pending).rejects.toThrow('the endpoint is closed');
    expect(clock.pending).toBe(0);
    await expect(ep.request(notify(), { protocol: 'tcp', host: '127.0.0.1', port })).rejects.toThrow(
      /closed/,
    );
  });
});
