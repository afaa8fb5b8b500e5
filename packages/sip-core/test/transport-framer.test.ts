/** The stream framer (RFC 3261 18.3, RFC 5626 3.5.1): boundaries by Content-Length, keep-alives, limits. */
import { StreamFramer, type FramerOutput } from '../src/transport/stream-framer';

function msg(n: number, body = ''): string {
  return (
    `OPTIONS sip:u${n}@example.com SIP/2.0\r\n` +
    `Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK${n}\r\n` +
    `CSeq: ${n} OPTIONS\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function texts(out: FramerOutput[]): string[] {
  return out.map((o) =>
    o.kind === 'message' ? o.bytes.toString() : o.kind === 'ping' ? 'PING' : `ERR ${o.status}`,
  );
}

test('a message fed one octet at a time comes out once, whole, at its last octet', () => {
  const f = new StreamFramer();
  const wire = Buffer.from(msg(1, 'héllo body'));
  const out: FramerOutput[] = [];
  for (let i = 0; i < wire.length; i++) {
    const got = f.push(wire.subarray(i, i + 1));
    if (i < wire.length - 1) expect(got).toEqual([]);
    out.push(...got);
  }
  expect(texts(out)).toEqual([msg(1, 'héllo body')]);
  expect(f.buffered).toBe(0);
});

test('several messages in one chunk, the last one cut, are split by Content-Length', () => {
  const f = new StreamFramer();
  const all = msg(1, 'abc') + msg(2) + msg(3, 'xyz');
  const cut = all.length - 2;
  expect(texts(f.push(Buffer.from(all.slice(0, cut))))).toEqual([msg(1, 'abc'), msg(2)]);
  expect(f.buffered).toBe(msg(3, 'xyz').length - 2);
  expect(texts(f.push(Buffer.from(all.slice(cut))))).toEqual([msg(3, 'xyz')]);
});

test('a body holding CRLFCRLF and a start line is not split', () => {
  const f = new StreamFramer();
  const body = '\r\n\r\nOPTIONS sip:x SIP/2.0\r\n\r\n';
  expect(texts(f.push(Buffer.from(msg(1, body) + msg(2))))).toEqual([msg(1, body), msg(2)]);
});

test('CRLFCRLF between messages is a ping; a lone CRLF (a pong) is skipped', () => {
  const f = new StreamFramer();
  expect(texts(f.push(Buffer.from('\r\n\r\n')))).toEqual(['PING']);
  expect(texts(f.push(Buffer.from('\r\n' + msg(1) + '\r\n\r\n\r\n\r\n' + msg(2))))).toEqual([
    msg(1),
    'PING',
    'PING',
    msg(2),
  ]);
  // a ping arriving in two halves
  expect(f.push(Buffer.from('\r\n'))).toEqual([]);
  expect(texts(f.push(Buffer.from('\r\n')))).toEqual(['PING']);
});

test('a missing Content-Length is a 400 and ends the stream', () => {
  const f = new StreamFramer();
  const noLength =
    'OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n\r\n';
  const out = f.push(Buffer.from(msg(1) + noLength + msg(2)));
  expect(texts(out)).toEqual([msg(1), 'ERR 400']);
  const err = out[1]!;
  expect(err.kind === 'error' && err.phrase).toBe('Content-Length is required on a stream transport');
  expect(err.kind === 'error' && err.head.toString()).toBe(noLength);
  expect(f.closed).toBe(true);
  expect(f.push(Buffer.from(msg(3)))).toEqual([]);
});

test('a Content-Length that is not a number, or two that differ, is a 400', () => {
  const bad = new StreamFramer().push(Buffer.from(msg(1).replace('Content-Length: 0', 'l: zero')));
  expect(bad).toMatchObject([
    { kind: 'error', status: 400, phrase: 'Content-Length "zero" is not a number' },
  ]);
  const two = new StreamFramer().push(
    Buffer.from(msg(1, 'ab').replace('\r\n\r\n', '\r\ncontent-length : 1\r\n\r\n')),
  );
  expect(two).toMatchObject([
    { kind: 'error', status: 400, phrase: 'Content-Length appears with different values' },
  ]);
});

test('a compact, lower-case or folded Content-Length frames the body', () => {
  const wire = msg(1, 'abcd').replace('Content-Length: 4', 'l:\r\n 4');
  expect(texts(new StreamFramer().push(Buffer.from(wire)))).toEqual([wire]);
});

test('a header section over the limit is a 413, found before its end arrives', () => {
  const f = new StreamFramer({ maxHeaderBytes: 100 });
  expect(f.push(Buffer.from('OPTIONS sip:a@example.com SIP/2.0\r\n'))).toEqual([]);
  const out = f.push(Buffer.from(`X-Long: ${'a'.repeat(80)}\r\n`));
  expect(out).toMatchObject([{ kind: 'error', status: 413, reason: 'Request Entity Too Large' }]);
  expect(f.closed).toBe(true);
});

test('a message whose Content-Length exceeds the limit is a 413 before its body is read', () => {
  const f = new StreamFramer({ maxMessageBytes: 500 });
  const head = msg(1).replace('Content-Length: 0', 'Content-Length: 1000');
  const out = f.push(Buffer.from(head));
  expect(out).toMatchObject([
    { kind: 'error', status: 413, phrase: 'the message is larger than 500 octets' },
  ]);
  expect(out[0]!.kind === 'error' && out[0]!.head.toString()).toBe(head);
});
