/**
 * Transaction matching (RFC 3261 17.1.3, 17.2.3, 9.2): magic-cookie branches by branch + sent-by + method
 * (ACK to its INVITE, CANCEL apart), and the RFC 2543 fallback, which RFC 4475 badbranch and inv2543 need.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage, type SipMessage } from '../src';
import {
  ack2543Key,
  cancelKey,
  clientKey,
  hasMagicCookie,
  responseKey,
  serverKey,
} from '../src/transaction/match';
import { buildResponse } from '../src/transaction/response';

const fixture = (name: string) =>
  readFileSync(join(__dirname, 'fixtures', 'rfc4475', `${name}.dat`)).toString('latin1');

function message(text: string): SipMessage {
  const r = parseMessage(Buffer.from(text, 'latin1'));
  if (!r.ok) throw new Error(r.phrase);
  return r.message;
}

const INVITE =
  'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bK776asdhds\r\n' +
  'Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=1928301774\r\n' +
  'Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n';

const withMethod = (text: string, method: string) =>
  text.replace(/^INVITE /, `${method} `).replace('CSeq: 314159 INVITE', `CSeq: 314159 ${method}`);

test('the magic cookie needs something after it', () => {
  expect(hasMagicCookie('z9hG4bK776asdhds')).toBe(true);
  expect(hasMagicCookie('z9hG4bK')).toBe(false);
  expect(hasMagicCookie('776asdhds')).toBe(false);
  expect(hasMagicCookie(undefined)).toBe(false);
});

describe('RFC 3261 matching (magic cookie)', () => {
  const invite = message(INVITE);
  test('a retransmission matches; the branch, the sent-by and the method each make another transaction', () => {
    expect(serverKey(message(INVITE))).toBe(serverKey(invite));
    // fields outside the key do not matter
    expect(serverKey(message(INVITE.replace('Call-ID: a84b4c76e66710', 'Call-ID: other')))).toBe(
      serverKey(invite),
    );
    expect(serverKey(message(INVITE.replace('776asdhds', '776asdhdX')))).not.toBe(serverKey(invite));
    expect(serverKey(message(INVITE.replace('pc33.example.com:5060', 'pc34.example.com:5060')))).not.toBe(
      serverKey(invite),
    );
    expect(serverKey(message(INVITE.replace('pc33.example.com:5060', 'pc33.example.com:5070')))).not.toBe(
      serverKey(invite),
    );
    // the default port is 5060, host names compare case-insensitively
    expect(serverKey(message(INVITE.replace('pc33.example.com:5060', 'PC33.example.com')))).toBe(
      serverKey(invite),
    );
    expect(serverKey(message(withMethod(INVITE, 'OPTIONS')))).not.toBe(serverKey(invite));
  });

  test('an ACK matches its INVITE; a CANCEL has its own transaction but the same cancel key', () => {
    const ack = message(
      withMethod(INVITE, 'ACK').replace('To: <sip:bob@example.com>', 'To: <sip:bob@example.com>;tag=x'),
    );
    expect(serverKey(ack)).toBe(serverKey(invite));
    const cancel = message(withMethod(INVITE, 'CANCEL'));
    expect(serverKey(cancel)).not.toBe(serverKey(invite));
    expect(cancelKey(cancel)).toBe(cancelKey(invite));
    expect(ack2543Key(invite, 'x')).toBeUndefined();
  });

  test('client side: a response matches by top Via branch and CSeq method', () => {
    const ok = buildResponse(invite, 200, 'OK', { tag: 't' });
    expect(responseKey(ok)).toBe(clientKey('z9hG4bK776asdhds', 'INVITE'));
    const cancelOk = buildResponse(message(withMethod(INVITE, 'CANCEL')), 200, 'OK');
    expect(responseKey(cancelOk)).toBe(clientKey('z9hG4bK776asdhds', 'CANCEL'));
  });
});

describe('RFC 2543 fallback', () => {
  const bad = fixture('badbranch');
  const badbranch = message(bad);

  test('badbranch (branch=z9hG4bK and nothing more) is matched by the RFC 2543 fields', () => {
    expect(serverKey(badbranch).startsWith('2543')).toBe(true);
    expect(serverKey(message(bad))).toBe(serverKey(badbranch));
    const changed = (from: string, to: string) => {
      expect(bad).toContain(from);
      return serverKey(message(bad.replace(from, to)));
    };
    // each field of the key makes another transaction
    expect(changed('OPTIONS sip:user@example.com', 'OPTIONS sip:user2@example.com')).not.toBe(
      serverKey(badbranch),
    );
    expect(changed('To: sip:user@example.com', 'To: sip:user@example.com;tag=1')).not.toBe(
      serverKey(badbranch),
    );
    expect(changed('tag=33242', 'tag=33243')).not.toBe(serverKey(badbranch));
    expect(changed('Call-ID: badbranch.', 'Call-ID: goodbranch.')).not.toBe(serverKey(badbranch));
    expect(changed('CSeq: 8 OPTIONS', 'CSeq: 9 OPTIONS')).not.toBe(serverKey(badbranch));
    expect(changed('Via: SIP/2.0/UDP 192.0.2.1;', 'Via: SIP/2.0/UDP 192.0.2.2;')).not.toBe(
      serverKey(badbranch),
    );
    // fields outside the key do not
    expect(changed('Max-Forwards: 3', 'Max-Forwards: 2')).toBe(serverKey(badbranch));
    expect(changed('Accept: application/sdp', 'Accept: text/plain')).toBe(serverKey(badbranch));
  });

  test('inv2543 (no branch): its ACK matches with the To tag of the response sent, not another', () => {
    const invite = message(fixture('inv2543'));
    expect(serverKey(invite).startsWith('2543')).toBe(true);
    const ackText = (tag: string) =>
      'ACK sip:UserB@example.com SIP/2.0\r\nVia: SIP/2.0/UDP iftgw.example.com\r\n' +
      'From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n' +
      `To: sip:+16505552222@ss1.example.net;user=phone;tag=${tag}\r\n` +
      'Call-ID: inv2543.1717@ift.client.example.com\r\nCSeq: 56 ACK\r\nContent-Length: 0\r\n\r\n';
    expect(serverKey(message(ackText('srv1')))).toBe(ack2543Key(invite, 'srv1'));
    expect(serverKey(message(ackText('other')))).not.toBe(ack2543Key(invite, 'srv1'));
    expect(serverKey(message(ackText('srv1').replace('CSeq: 56', 'CSeq: 57')))).not.toBe(
      ack2543Key(invite, 'srv1'),
    );
    // a CANCEL of it shares the cancel key
    const cancel = message(
      fixture('inv2543')
        .replace(/^INVITE/, 'CANCEL')
        .replace('CSeq: 56 INVITE', 'CSeq: 56 CANCEL'),
    );
    expect(cancelKey(cancel)).toBe(cancelKey(invite));
    expect(serverKey(cancel)).not.toBe(serverKey(invite));
  });
});
