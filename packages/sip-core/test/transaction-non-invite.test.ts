/**
 * The non-INVITE client and server transactions (RFC 3261 17.1.2, 17.2.2; RFC 4320) on a ManualClock with a
 * recording transport: exact retransmission times, Timers E, F, J, K, UDP against TCP, RFC 4320 rules.
 */
import { parseMessage, type SipMessage } from '../src';
import { ManualClock } from '../src/transaction/clock';
import { NonInviteClientTransaction } from '../src/transaction/non-invite-client';
import { NonInviteServerTransaction } from '../src/transaction/non-invite-server';
import { buildResponse } from '../src/transaction/response';
import { timerValues, timeToReachT2, type TransactionContext } from '../src/transaction/timers';

function message(text: string): SipMessage {
  const r = parseMessage(Buffer.from(text));
  if (!r.ok) throw new Error(r.phrase);
  return r.message;
}

const REQUEST =
  'NOTIFY sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnit;rport\r\n' +
  'Max-Forwards: 70\r\nTo: <sip:bob@example.com>;tag=b\r\nFrom: <sip:ps@example.com>;tag=a\r\n' +
  'Call-ID: nit-1\r\nCSeq: 2 NOTIFY\r\nEvent: presence\r\nSubscription-State: active\r\nContent-Length: 0\r\n\r\n';

interface Harness {
  clock: ManualClock;
  sent: { at: number; m: SipMessage }[];
  ctx: TransactionContext;
}

function harness(
  reliable: boolean,
  t: { t1?: number; t2?: number; t4?: number } = {},
  fail = false,
): Harness {
  const clock = new ManualClock();
  const sent: { at: number; m: SipMessage }[] = [];
  return {
    clock,
    sent,
    ctx: {
      clock,
      timers: timerValues(t),
      reliable,
      send: (m) => {
        sent.push({ at: clock.now(), m });
        return fail ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve();
      },
    },
  };
}

function client(h: Harness) {
  const log: string[] = [];
  const tx = new NonInviteClientTransaction(message(REQUEST), h.ctx, {
    provisional: (r) => log.push(`${h.clock.now()} ${r.status}`),
    final: (r) => log.push(`${h.clock.now()} ${r.status}`),
    timeout: () => log.push(`${h.clock.now()} timeout`),
    transportError: (e) => log.push(`${h.clock.now()} error ${(e as Error).message}`),
    terminated: () => log.push(`${h.clock.now()} terminated`),
  });
  return { tx, log };
}

const response = (status: number, reason: string) => buildResponse(message(REQUEST), status, reason);
const times = (h: Harness) => h.sent.map((s) => s.at);

describe('non-INVITE client transaction', () => {
  test('UDP: Timer E at 0.5, 1, 2, 4, 4, 4 s... until Timer F at 32 s ends it with a timeout', () => {
    const h = harness(false);
    const { tx, log } = client(h);
    tx.start();
    expect(tx.state).toBe('trying');
    h.clock.advance(31_999);
    expect(times(h)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(log).toEqual([]);
    h.clock.advance(1);
    expect(log).toEqual(['32000 terminated', '32000 timeout']);
    expect(tx.state).toBe('terminated');
    expect(h.clock.pending).toBe(0);
    expect(h.sent.every((s) => s.m === tx.request)).toBe(true);
  });

  test('UDP: after a 1xx the next Timer E fires as set, then every T2; Timer F still fires at 32 s', () => {
    const h = harness(false);
    const { tx, log } = client(h);
    tx.start();
    h.clock.advance(700);
    tx.receive(response(100, 'Trying'));
    expect(tx.state).toBe('proceeding');
    h.clock.advance(32_000 - 700);
    expect(times(h)).toEqual([0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]);
    expect(log).toEqual(['700 100', '32000 terminated', '32000 timeout']);
  });

  test('UDP: a final response stops retransmissions; Completed absorbs repeats for Timer K = T4', () => {
    const h = harness(false);
    const { tx, log } = client(h);
    tx.start();
    h.clock.advance(600);
    tx.receive(response(200, 'OK'));
    expect(tx.state).toBe('completed');
    tx.receive(response(200, 'OK'));
    tx.receive(response(100, 'Trying'));
    h.clock.advance(4_999);
    expect(tx.state).toBe('completed');
    h.clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(times(h)).toEqual([0, 500]);
    expect(log).toEqual(['600 200', '5600 terminated']);
    expect(h.clock.pending).toBe(0);
  });

  test('TCP: one send, no Timer E; Timer F at 64*T1; Timer K is 0', () => {
    const h = harness(true);
    const a = client(h);
    a.tx.start();
    h.clock.advance(32_000);
    expect(times(h)).toEqual([0]);
    expect(a.log).toEqual(['32000 terminated', '32000 timeout']);

    const b = client(h);
    b.tx.start();
    h.clock.advance(10);
    b.tx.receive(response(202, 'Accepted'));
    expect(b.tx.state).toBe('terminated');
    expect(b.log).toEqual(['32010 202', '32010 terminated']);
    expect(h.clock.pending).toBe(0);
  });

  test('T1 and T2 are configurable: E doubles from T1 to T2, F at 64*T1', () => {
    const h = harness(false, { t1: 100, t2: 400 });
    const { tx, log } = client(h);
    tx.start();
    h.clock.advance(6_400);
    expect(times(h)).toEqual([
      0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300,
    ]);
    expect(log).toEqual(['6400 terminated', '6400 timeout']);
  });

  test('a transport error ends the transaction and is reported', async () => {
    const h = harness(true, {}, true);
    const { tx, log } = client(h);
    tx.start();
    await Promise.resolve();
    expect(log).toEqual(['0 terminated', '0 error ECONNREFUSED']);
    expect(h.clock.pending).toBe(0);
  });
});

describe('non-INVITE server transaction', () => {
  const server = (h: Harness) => {
    const ends: number[] = [];
    const tx = new NonInviteServerTransaction(h.ctx, () => ends.push(h.clock.now()));
    return { tx, ends };
  };

  test('UDP: retransmissions in Trying are absorbed, in Completed get the final response again; Timer J = 64*T1', () => {
    const h = harness(false);
    const { tx, ends } = server(h);
    tx.receiveRequest();
    expect(h.sent).toHaveLength(0);
    h.clock.advance(100);
    const ok = response(200, 'OK');
    expect(tx.respond(ok)).toBe(true);
    expect(tx.state).toBe('completed');
    h.clock.advance(400);
    tx.receiveRequest();
    expect(h.sent.map((s) => [s.at, s.m])).toEqual([
      [100, ok],
      [500, ok],
    ]);
    expect(tx.respond(response(500, 'Server Internal Error'))).toBe(false);
    h.clock.advance(31_999 - 400);
    expect(tx.state).toBe('completed');
    h.clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(ends).toEqual([32_100]);
    tx.receiveRequest();
    expect(h.sent).toHaveLength(2);
  });

  test('TCP: Timer J is 0, the transaction ends with the final response', () => {
    const h = harness(true);
    const { tx, ends } = server(h);
    tx.respond(response(200, 'OK'));
    expect(tx.state).toBe('terminated');
    expect(ends).toEqual([0]);
    expect(h.clock.pending).toBe(0);
  });

  test('RFC 4320: no 101-199 and no 408; over UDP a 100 only once Timer E would have reached T2', () => {
    const h = harness(false);
    const { tx } = server(h);
    expect(() => tx.respond(response(180, 'Ringing'))).toThrow(RangeError);
    expect(() => tx.respond(response(408, 'Request Timeout'))).toThrow(/RFC 4320/);
    expect(timeToReachT2(h.ctx.timers)).toBe(3500);
    h.clock.advance(3_499);
    expect(tx.respond(response(100, 'Trying'))).toBe(false);
    expect(tx.state).toBe('trying');
    h.clock.advance(1);
    const trying = response(100, 'Trying');
    expect(tx.respond(trying)).toBe(true);
    expect(tx.state).toBe('proceeding');
    tx.receiveRequest();
    expect(h.sent.map((s) => s.m)).toEqual([trying, trying]);
    const ok = response(200, 'OK');
    tx.respond(ok);
    tx.receiveRequest();
    expect(h.sent.map((s) => s.m)).toEqual([trying, trying, ok, ok]);
  });

  test('TCP: a 100 may be sent at once', () => {
    const h = harness(true);
    const { tx } = server(h);
    expect(tx.respond(response(100, 'Trying'))).toBe(true);
    expect(tx.state).toBe('proceeding');
  });

  test('a TU that has not answered within 64*T1 is too late: the transaction ends without a response', () => {
    const h = harness(false);
    const { tx, ends } = server(h);
    h.clock.advance(32_000);
    expect(ends).toEqual([32_000]);
    expect(tx.respond(response(200, 'OK'))).toBe(false);
    expect(h.sent).toHaveLength(0);
  });
});
