/**
 * The INVITE server transaction of a UAS that rejects INVITEs (RFC 3261 17.2.1): Timer G retransmissions of
 * the final response on UDP, Timer H, the ACK absorbed and Timer I, on a ManualClock.
 */
import { parseMessage, type SipMessage } from '../src';
import { ManualClock } from '../src/transaction/clock';
import { InviteServerTransaction } from '../src/transaction/invite-server';
import { buildResponse } from '../src/transaction/response';
import { timerValues } from '../src/transaction/timers';

const INVITE =
  'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKinv1\r\nMax-Forwards: 70\r\n' +
  'To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=a\r\nCall-ID: inv-1\r\nCSeq: 1 INVITE\r\n' +
  'Content-Length: 0\r\n\r\n';

function harness(reliable: boolean) {
  const clock = new ManualClock();
  const sent: { at: number; m: SipMessage }[] = [];
  const log: string[] = [];
  const r = parseMessage(Buffer.from(INVITE));
  if (!r.ok) throw new Error(r.phrase);
  const tx = new InviteServerTransaction(
    r.message,
    {
      clock,
      timers: timerValues(),
      reliable,
      send: (m) => {
        sent.push({ at: clock.now(), m });
        return Promise.resolve();
      },
    },
    {
      timeout: () => log.push(`${clock.now()} timeout`),
      terminated: () => log.push(`${clock.now()} terminated`),
    },
  );
  const rejection = buildResponse(r.message, 405, 'Method Not Allowed', {
    tag: 'uas',
    headers: [['Allow', 'OPTIONS']],
  });
  return { clock, sent, log, tx, rejection, times: () => sent.map((s) => s.at) };
}

test('UDP: the final response is retransmitted by Timer G (T1 doubling to T2) until the ACK; Timer I = T4', () => {
  const h = harness(false);
  expect(h.tx.respond(h.rejection)).toBe(true);
  expect(h.tx.state).toBe('completed');
  h.clock.advance(4_000);
  expect(h.times()).toEqual([0, 500, 1500, 3500]);
  h.tx.receiveAck();
  expect(h.tx.state).toBe('confirmed');
  h.tx.receiveAck();
  h.clock.advance(4_999);
  expect(h.tx.state).toBe('confirmed');
  expect(h.times()).toEqual([0, 500, 1500, 3500]);
  h.clock.advance(1);
  expect(h.tx.state).toBe('terminated');
  expect(h.log).toEqual(['9000 terminated']);
  expect(h.sent.every((s) => s.m === h.rejection)).toBe(true);
  expect(h.clock.pending).toBe(0);
});

test('UDP: without an ACK, Timer H ends the transaction at 64*T1', () => {
  const h = harness(false);
  h.tx.respond(h.rejection);
  h.clock.advance(32_000);
  expect(h.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  expect(h.log).toEqual(['32000 terminated', '32000 timeout']);
  expect(h.clock.pending).toBe(0);
});

test('a retransmitted INVITE gets the final response again; after the ACK it does not', () => {
  const h = harness(false);
  h.tx.respond(h.rejection);
  h.clock.advance(100);
  h.tx.receiveRequest();
  expect(h.times()).toEqual([0, 100]);
  h.tx.receiveAck();
  h.tx.receiveRequest();
  expect(h.times()).toEqual([0, 100]);
});

test('TCP: no Timer G; the ACK ends the transaction at once (Timer I = 0); Timer H still bounds the wait', () => {
  const h = harness(true);
  h.tx.respond(h.rejection);
  h.clock.advance(31_999);
  expect(h.times()).toEqual([0]);
  h.tx.receiveAck();
  expect(h.tx.state).toBe('terminated');
  expect(h.log).toEqual(['31999 terminated']);

  const other = harness(true);
  other.tx.respond(other.rejection);
  other.clock.advance(32_000);
  expect(other.log).toEqual(['32000 terminated', '32000 timeout']);
});

test('a 2xx is refused (no dialogs here); a second final response is not sent', () => {
  const h = harness(false);
  expect(() => h.tx.respond(buildResponse(h.tx.request, 200, 'OK'))).toThrow(RangeError);
  h.tx.respond(h.rejection);
  expect(h.tx.respond(buildResponse(h.tx.request, 501, 'Not Implemented'))).toBe(false);
  expect(h.sent).toHaveLength(1);
});
