/**
 * What the endpoint answers by itself, seen from a raw UDP socket: 405/501 with Allow, INVITE rejected
 * through an INVITE server transaction whose ACK is absorbed, CANCEL, 400/420, 500 when the handler throws;
 * retransmitted requests answered from the transaction (the RFC 4475 badbranch one matched RFC 2543-style).
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createEndpoint, parseMessage, type Endpoint, type SipMessage } from '../src';
import { ManualClock } from '../src/transaction/clock';
import { Queue } from './support/queue';

const fixture = (name: string) =>
  readFileSync(join(__dirname, 'fixtures', 'rfc4475', `${name}.dat`)).toString('latin1');

let ep: Endpoint;
let clock: ManualClock;
let raw: Socket;
let rawPort: number;
let handled: SipMessage[];
let errors: unknown[];
const datagrams = new Queue<Buffer>();
let behaviour: (req: SipMessage, respond: (s: number, r: string, h?: [string, string][]) => unknown) => void;

beforeEach(async () => {
  clock = new ManualClock();
  handled = [];
  errors = [];
  behaviour = (_req, respond) => respond(200, 'OK');
  ep = await createEndpoint({
    transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    allow: ['OPTIONS', 'MESSAGE', 'FOO'],
    clock,
    onRequest: (req, tx) => {
      handled.push(req);
      behaviour(req, (s, r, h) => tx.respond(s, r, h));
    },
    onError: (e) => errors.push(e),
  });
  raw = createSocket('udp4');
  raw.on('message', (b) => datagrams.push(b));
  await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', resolve));
  rawPort = raw.address().port;
});

afterEach(async () => {
  await ep.close();
  await new Promise<void>((resolve) => raw.close(() => resolve()));
  expect(datagrams.size).toBe(0);
});

function send(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    raw.send(Buffer.from(text, 'latin1'), ep.addresses[0]!.port, '127.0.0.1', (e) =>
      e ? reject(e) : resolve(),
    ),
  );
}

async function answer(): Promise<SipMessage> {
  const r = parseMessage(await datagrams.next());
  if (!r.ok) throw new Error(r.phrase);
  return r.message;
}

const via = (branch: string) => `SIP/2.0/UDP 127.0.0.1:${rawPort};rport;branch=${branch}`;

function request(method: string, branch: string, extra = '', cseqMethod = method): string {
  return (
    `${method} sip:ps@127.0.0.1 SIP/2.0\r\nVia: ${via(branch)}\r\nMax-Forwards: 70\r\n` +
    `To: <sip:ps@example.com>\r\nFrom: <sip:alice@example.com>;tag=f1\r\nCall-ID: ${branch}@x\r\n` +
    `CSeq: 1 ${cseqMethod}\r\n${extra}Content-Length: 0\r\n\r\n`
  );
}

/** Sends an OPTIONS and waits for its 200: every datagram sent before it has been handled by then. */
async function barrier(n: number): Promise<void> {
  await send(request('OPTIONS', `z9hG4bKbarrier${n}`));
  const r = await answer();
  expect([r.status, r.get('CSeq'), r.get('Call-ID')]).toEqual([200, '1 OPTIONS', `z9hG4bKbarrier${n}@x`]);
}

test('a known method not in allow: 405 with Allow, and onRequest is not called', async () => {
  await send(request('SUBSCRIBE', 'z9hG4bKs1', 'Event: presence\r\n'));
  const r = await answer();
  expect([r.status, r.reason, r.get('Allow')]).toEqual([
    405,
    'Method Not Allowed',
    'OPTIONS, MESSAGE, FOO, CANCEL',
  ]);
  expect(r.get('To')).toMatch(/;tag=/);
  expect(handled).toEqual([]);
});

test('a method the endpoint does not know: 501 with Allow (intmeth-like tokens included)', async () => {
  await send(request('NEWMETHOD', 'z9hG4bKn1'));
  const r = await answer();
  expect([r.status, r.reason, r.get('Allow')]).toEqual([
    501,
    'Not Implemented',
    'OPTIONS, MESSAGE, FOO, CANCEL',
  ]);
  // an unknown method in allow reaches the handler
  await send(request('FOO', 'z9hG4bKfoo'));
  expect((await answer()).status).toBe(200);
  expect(handled.map((m) => m.method)).toEqual(['FOO']);
});

test('INVITE: 405 with Allow, retransmitted by Timer G until the ACK, which is absorbed', async () => {
  const invite = request('INVITE', 'z9hG4bKinv1', 'Content-Type: application/sdp\r\n');
  await send(invite);
  const first = await datagrams.next();
  const r = parseMessage(first);
  expect(r.ok && [r.message.status, r.message.get('Allow')]).toEqual([405, 'OPTIONS, MESSAGE, FOO, CANCEL']);
  clock.advance(500);
  expect((await datagrams.next()).equals(first)).toBe(true);
  // a retransmitted INVITE gets the same response
  await send(invite);
  expect((await datagrams.next()).equals(first)).toBe(true);
  const toWithTag = r.ok ? r.message.get('To')! : '';
  await send(request('ACK', 'z9hG4bKinv1').replace('To: <sip:ps@example.com>', `To: ${toWithTag}`));
  await barrier(1);
  clock.advance(40_000);
  await barrier(2);
  expect(handled.map((m) => m.method)).toEqual(['OPTIONS', 'OPTIONS']);
});

test('an ACK that matches nothing is dropped, not passed up', async () => {
  await send(request('ACK', 'z9hG4bKstray'));
  await barrier(1);
  expect(handled.map((m) => m.method)).toEqual(['OPTIONS']);
});

test('inv2543 (no branch) is rejected with 405 and its ACK, matched RFC 2543-style, stops Timer G', async () => {
  const text = fixture('inv2543').replace(
    'Via: SIP/2.0/UDP iftgw.example.com',
    `Via: SIP/2.0/UDP 127.0.0.1:${rawPort}`,
  );
  await send(text);
  const r = await answer();
  expect(r.status).toBe(405);
  const tag = /;tag=([^;]+)$/.exec(r.get('To')!)![1];
  await send(
    'ACK sip:UserB@example.com SIP/2.0\r\n' +
      `Via: SIP/2.0/UDP 127.0.0.1:${rawPort}\r\n` +
      'From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n' +
      `To: sip:+16505552222@ss1.example.net;user=phone;tag=${tag}\r\n` +
      'Call-ID: inv2543.1717@ift.client.example.com\r\nCSeq: 56 ACK\r\nContent-Length: 0\r\n\r\n',
  );
  await barrier(1);
  clock.advance(40_000);
  await barrier(2);
});

test('a retransmitted OPTIONS gets the same response again, onRequest runs once', async () => {
  const opts = request('OPTIONS', 'z9hG4bKre1');
  await send(opts);
  const a = await datagrams.next();
  await send(opts);
  const b = await datagrams.next();
  expect(b.equals(a)).toBe(true);
  expect(handled).toHaveLength(1);
  // after Timer J (64*T1) the transaction is gone: the same request is a new one
  clock.advance(32_000);
  await send(opts);
  const c = await datagrams.next();
  expect(handled).toHaveLength(2);
  expect(c.equals(a)).toBe(false);
});

test('a completed transaction keeps the bytes of its response, not the request nor the parsed response', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let ref: WeakRef<SipMessage> | undefined;
  let sent: WeakRef<SipMessage> | undefined;
  behaviour = (req, respond) => {
    ref = new WeakRef(req);
    sent = new WeakRef(respond(200, 'OK') as SipMessage);
  };
  const opts = request('OPTIONS', 'z9hG4bKgc1');
  await send(opts);
  const a = await datagrams.next();
  handled.length = 0;
  await new Promise(setImmediate); // a WeakRef's target lives until the job that made it is over
  gc();
  expect([ref!.deref(), sent!.deref()]).toEqual([undefined, undefined]);
  // still Completed (Timer J has not fired on the manual clock): a retransmission gets the same 200
  await send(opts);
  expect((await datagrams.next()).equals(a)).toBe(true);
  expect(handled).toHaveLength(0);
});

test('badbranch (RFC 4475 3.2.1): matched RFC 2543-style, its retransmission answered from the transaction', async () => {
  const text = fixture('badbranch').replace(
    'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK',
    `Via: SIP/2.0/UDP 127.0.0.1:${rawPort};branch=z9hG4bK`,
  );
  expect(text).toContain(';branch=z9hG4bK\r\n');
  await send(text);
  const a = await datagrams.next();
  await send(text);
  const b = await datagrams.next();
  expect(b.equals(a)).toBe(true);
  expect(handled).toHaveLength(1);
  // another request with the same bare-cookie branch but another CSeq is another transaction
  await send(text.replace('CSeq: 8 OPTIONS', 'CSeq: 9 OPTIONS'));
  const c = parseMessage(await datagrams.next());
  expect(c.ok && c.message.get('CSeq')).toBe('9 OPTIONS');
  expect(handled).toHaveLength(2);
});

test('CANCEL: 200 when it matches a transaction (no other effect), 481 when not', async () => {
  await send(request('OPTIONS', 'z9hG4bKc1'));
  expect((await answer()).status).toBe(200);
  await send(request('CANCEL', 'z9hG4bKc1'));
  const ok = await answer();
  expect([ok.status, ok.get('CSeq')]).toEqual([200, '1 CANCEL']);
  await send(request('CANCEL', 'z9hG4bKnothing'));
  const none = await answer();
  expect([none.status, none.reason]).toEqual([481, 'Call/Transaction Does Not Exist']);
  expect(handled).toHaveLength(1);
  // Timer J over: the completed OPTIONS (and the CANCEL's own transaction) are gone, a CANCEL matches nothing
  clock.advance(32_000);
  await send(request('CANCEL', 'z9hG4bKc1'));
  expect((await answer()).status).toBe(481);
});

test('insuf (no From, To, Call-ID): 400, even for an INVITE', async () => {
  const text = fixture('insuf').replace('192.0.2.95;', `127.0.0.1:${rawPort};rport;`);
  await send(text);
  const r = await answer();
  expect([r.status, r.get('CSeq'), r.get('From'), r.get('Warning')]).toEqual([
    400,
    '193942 INVITE',
    undefined,
    `399 127.0.0.1:${ep.addresses[0]!.port} "missing To, From, Call-ID"`,
  ]);
});

test('Require of an unsupported option-tag: 420 with Unsupported', async () => {
  await send(request('MESSAGE', 'z9hG4bKreq', 'Require: nosuchextension, 100rel\r\n'));
  const r = await answer();
  expect([r.status, r.reason, r.get('Unsupported')]).toEqual([
    420,
    'Bad Extension',
    'nosuchextension, 100rel',
  ]);
  expect(handled).toEqual([]);
});

test('a handler that throws: 500, and onError hears of it', async () => {
  behaviour = () => {
    throw new Error('boom');
  };
  await send(request('MESSAGE', 'z9hG4bKboom'));
  const r = await answer();
  expect([r.status, r.reason]).toEqual([500, 'Server Internal Error']);
  expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
});

test('RFC 4320 through the handle: 408 and 180 are refused (500 then), a 100 on UDP is not sent early', async () => {
  const results: unknown[] = [];
  behaviour = (req, respond) => {
    if (req.method === 'MESSAGE') {
      results.push(respond(100, 'Trying'));
      respond(408, 'Request Timeout');
    } else respond(200, 'OK');
  };
  await send(request('MESSAGE', 'z9hG4bK408'));
  const r = await answer();
  expect(r.status).toBe(500);
  expect(results).toEqual([undefined]);
  expect(errors.map((e) => (e as Error).message)).toEqual(['RFC 4320 4.2: no 408 to a non-INVITE request']);
});
