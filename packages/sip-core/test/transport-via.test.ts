/**
 * The transport's Via rules: received/rport on a received request (RFC 3261 18.2.1, RFC 3581 4), response
 * destinations (18.2.2), our-Via check for responses (18.1.2), and the stateless answer to a bad request.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage, parseVia, type SipMessage } from '../src';
import { statelessAnswer } from '../src/transport/bad-request';
import { receive } from '../src/transport/receive';
import { isOurVia, responseDestination, stampTopVia, stampViaValue } from '../src/transport/via';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', 'rfc4475', `${name}.dat`));
const src = { host: '198.51.100.7', port: 40123 };

function parsed(text: string): SipMessage {
  const r = parseMessage(Buffer.from(text));
  if (!r.ok) throw new Error(r.phrase);
  return r.message;
}

describe('received and rport (RFC 3261 18.2.1, RFC 3581)', () => {
  test('received is added when the sent-by host is not the source address', () => {
    expect(stampViaValue('SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776', src)).toBe(
      'SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776;received=198.51.100.7',
    );
    expect(stampViaValue('SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1', src)).toBe(
      'SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1;received=198.51.100.7',
    );
  });

  test('nothing is added when the sent-by host is the source address and there is no rport', () => {
    const v = 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK1';
    expect(stampViaValue(v, src)).toBe(v);
  });

  test('an empty rport gets the source port, and received is added even when it equals sent-by', () => {
    expect(stampViaValue('SIP/2.0/UDP 198.51.100.7:5060;rport;branch=z9hG4bK1', src)).toBe(
      'SIP/2.0/UDP 198.51.100.7:5060;rport=40123;branch=z9hG4bK1;received=198.51.100.7',
    );
  });

  test('an rport with a value is left alone; a received sent by the client is replaced', () => {
    expect(stampViaValue('SIP/2.0/UDP h.example.com;rport=9;received=10.0.0.1;branch=z9hG4bK1', src)).toBe(
      'SIP/2.0/UDP h.example.com;rport=9;received=198.51.100.7;branch=z9hG4bK1',
    );
  });

  test('IPv6: a bracketed sent-by equal to the source is the same host; received has no brackets', () => {
    const six = { host: '2001:db8::9', port: 5060 };
    const same = 'SIP/2.0/UDP [2001:db8:0:0:0:0:0:9]:5060;branch=z9hG4bK1';
    expect(stampViaValue(same, six)).toBe(same);
    expect(stampViaValue('SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1', six)).toBe(
      'SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1;received=2001:db8::9',
    );
  });

  test('only the top Via of a request is stamped, other fields keep their bytes', () => {
    const m = parsed(
      'OPTIONS sip:a@example.com SIP/2.0\r\n' +
        'Via: SIP/2.0/UDP client.example.com;rport;branch=z9hG4bKa, SIP/2.0/UDP proxy.example.com;rport;branch=z9hG4bKb\r\n' +
        'v: SIP/2.0/UDP far.example.com;branch=z9hG4bKc\r\n' +
        'To: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n',
    );
    stampTopVia(m, src);
    expect(m.getAll('Via')).toEqual([
      'SIP/2.0/UDP client.example.com;rport=40123;branch=z9hG4bKa;received=198.51.100.7',
      'SIP/2.0/UDP proxy.example.com;rport;branch=z9hG4bKb',
      'SIP/2.0/UDP far.example.com;branch=z9hG4bKc',
    ]);
    expect(m.toBuffer().toString()).toContain('\r\nv: SIP/2.0/UDP far.example.com;branch=z9hG4bKc\r\n');
  });
});

describe('response destination (RFC 3261 18.2.2, RFC 3581)', () => {
  const dest = (v: string, reliable = false) => responseDestination(parseVia(v), reliable);
  test('UDP: received host at rport', () => {
    expect(dest('SIP/2.0/UDP h.example.com:5070;rport=40123;received=198.51.100.7')).toEqual({
      host: '198.51.100.7',
      port: 40123,
    });
  });
  test('UDP without rport: received host at the sent-by port, 5060 by default', () => {
    expect(dest('SIP/2.0/UDP h.example.com:5070;received=198.51.100.7')).toEqual({
      host: '198.51.100.7',
      port: 5070,
    });
    expect(dest('SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK1')).toEqual({ host: '192.0.2.4', port: 5060 });
  });
  test('an empty rport (not stamped) falls back to the sent-by port', () => {
    expect(dest('SIP/2.0/UDP 192.0.2.4:5080;rport')).toEqual({ host: '192.0.2.4', port: 5080 });
  });
  test('maddr wins, at the sent-by port', () => {
    expect(dest('SIP/2.0/UDP h.example.com:5070;maddr=239.255.255.1;received=198.51.100.7')).toEqual({
      host: '239.255.255.1',
      port: 5070,
    });
  });
  test('reliable (a closed connection): received host at the sent-by port, rport ignored', () => {
    expect(dest('SIP/2.0/TCP [2001:db8::1]:5070;rport=40123;received=198.51.100.7', true)).toEqual({
      host: '198.51.100.7',
      port: 5070,
    });
    expect(dest('SIP/2.0/TCP [2001:db8::1]', true)).toEqual({ host: '2001:db8::1', port: 5060 });
  });
});

test('a response is ours when its top Via sent-by is the transport address (port 5060 by default)', () => {
  expect(
    isOurVia(parseVia('SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1'), { host: '127.0.0.1', port: 5062 }),
  ).toBe(true);
  expect(isOurVia(parseVia('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1'), { host: '127.0.0.1', port: 5060 })).toBe(
    true,
  );
  expect(isOurVia(parseVia('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1'), { host: '127.0.0.1', port: 5062 })).toBe(
    false,
  );
  expect(isOurVia(parseVia('SIP/2.0/UDP 127.0.0.2:5062'), { host: '127.0.0.1', port: 5062 })).toBe(false);
});

describe('the stateless answer to a request that does not parse', () => {
  const lines = (b: Buffer) => b.toString().split('\r\n');

  test('badvers: 505 with Via (stamped), From, To with a tag, Call-ID, CSeq and a Warning', () => {
    const a = statelessAnswer(
      fixture('badvers'),
      505,
      'Version Not Supported',
      'SIP/7.0',
      src,
      '127.0.0.1:5060',
    );
    expect(a).toBeDefined();
    const l = lines(a!.bytes);
    expect(l[0]).toBe('SIP/2.0 505 Version Not Supported');
    expect(l[1]).toBe('Via: SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw;received=198.51.100.7');
    expect(l[2]).toBe('From: A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe');
    expect(l[3]).toMatch(/^To: T. Watson <sip:t.watson@example.org>;tag=[0-9a-f]{12}$/);
    expect(l.slice(4)).toEqual([
      'Call-ID: badvers.31417@c.example.com',
      'CSeq: 1 OPTIONS',
      'Warning: 399 127.0.0.1:5060 "SIP/7.0"',
      'Content-Length: 0',
      '',
      '',
    ]);
    expect(a!.via?.host).toBe('c.example.com');
    expect(a!.summary).toBe('505 Version Not Supported (OPTIONS)');
  });

  test('through receive(): clerr gets its 400, a bad response is dropped', () => {
    const r = receive(fixture('clerr'), 'datagram', src, { host: '127.0.0.1', port: 5060 }, 65_535);
    expect(r.kind).toBe('answer');
    expect(r.kind === 'answer' && lines(r.answer.bytes)[0]).toBe('SIP/2.0 400 Bad Request');
    expect(r.summary).toMatch(/^INVITE sip:user@example.com SIP\/2.0 \[400 Bad Request: Content-Length/);
    const bad = receive(fixture('bigcode'), 'datagram', src, { host: '127.0.0.1', port: 5060 }, 65_535);
    expect(bad.kind).toBe('drop');
  });

  test('without a CSeq or without a Via there is no answer', () => {
    const noCseq = Buffer.from(
      'OPTIONS sip:a SIP/3.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x\r\n\r\n',
    );
    expect(statelessAnswer(noCseq, 505, 'Version Not Supported', 'x', src, 'me')).toBeUndefined();
    const noVia = Buffer.from('OPTIONS sip:a SIP/3.0\r\nCSeq: 1 OPTIONS\r\n\r\n');
    expect(statelessAnswer(noVia, 505, 'Version Not Supported', 'x', src, 'me')).toBeUndefined();
  });

  test('badinv01: an unreadable Via is copied as it is and the answer goes to the source', () => {
    const a = statelessAnswer(fixture('badinv01'), 400, 'Bad Request', 'an empty parameter', src, 'me');
    expect(a).toBeDefined();
    expect(a!.via).toBeUndefined();
    expect(lines(a!.bytes)[1]).toBe('Via: SIP/2.0/UDP 192.0.2.15;;,;,,');
  });
});
