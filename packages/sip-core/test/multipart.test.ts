import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMultipart, multipartBoundary, parseMessage, parseMultipart, SipSyntaxError } from '../src';

describe('multipart bodies (RFC 2046 5.1)', () => {
  test('RFC 4475 mpart01: a text part and a binary part, octets kept', () => {
    const r = parseMessage(readFileSync(join(__dirname, 'fixtures', 'rfc4475', 'mpart01.dat')));
    if (!r.ok) throw new Error(r.phrase);
    const parts = parseMultipart(r.message.get('Content-Type')!, r.message.body);
    expect(parts.map((p) => p.headers.find((h) => h.name === 'Content-Type')?.value)).toEqual([
      'text/plain',
      'application/octet-stream',
    ]);
    expect(parts[0]!.body.toString()).toBe('Hello');
    expect(parts[1]!.body.length).toBeGreaterThan(300);
    expect(parts[1]!.body[0]).toBe(0x30); // a DER SEQUENCE
  });

  test('an RLMI-style multipart/related: preamble and epilogue ignored, padding after delimiters, quoted boundary', () => {
    const ct =
      'multipart/related;type="application/rlmi+xml";start="<nXYxAE@pres.vancouver.example.com>";boundary="50UBfW7LSCVLtggUPe5z"';
    expect(multipartBoundary(ct)).toBe('50UBfW7LSCVLtggUPe5z');
    const body = Buffer.from(
      'preamble\r\n--50UBfW7LSCVLtggUPe5z  \r\nContent-Transfer-Encoding: binary\r\nContent-ID: <nXYxAE@pres.vancouver.example.com>\r\n' +
        'Content-Type: application/rlmi+xml;charset="UTF-8"\r\n\r\n<list/>\r\n--50UBfW7LSCVLtggUPe5z\r\n' +
        'Content-Type: application/pidf+xml\r\n\r\n<presence/>\r\n--50UBfW7LSCVLtggUPe5z--\r\nepilogue',
    );
    const parts = parseMultipart(ct, body);
    expect(parts.map((p) => p.body.toString())).toEqual(['<list/>', '<presence/>']);
    expect(parts[0]!.headers.map((h) => h.name)).toEqual([
      'Content-Transfer-Encoding',
      'Content-ID',
      'Content-Type',
    ]);
  });

  test('build then parse gives the parts back; a boundary inside a part is refused', () => {
    const parts = [
      { headers: [{ name: 'Content-Type', value: 'application/rlmi+xml' }], body: Buffer.from('<list/>') },
      {
        headers: [{ name: 'Content-Type', value: 'application/pidf+xml' }],
        body: Buffer.from('<presence>\r\n</presence>'),
      },
    ];
    const { boundary, body } = buildMultipart(parts);
    expect(parseMultipart(`multipart/related;boundary=${boundary}`, body)).toEqual(parts);
    expect(() => buildMultipart([{ headers: [], body: Buffer.from('--b') }], 'b')).toThrow(/boundary/);
  });

  test.each([
    ['text/plain', 'x'],
    ['multipart/mixed', 'x'],
    ['multipart/mixed;boundary=b', 'no delimiter here'],
    ['multipart/mixed;boundary=b', '--b\r\nContent-Type: text/plain\r\n\r\nunterminated'],
  ])('%s with %j is refused', (ct, body) => {
    expect(() => parseMultipart(ct, Buffer.from(body))).toThrow(SipSyntaxError);
  });
});
