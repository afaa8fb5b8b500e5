/** The message model: lookups by long and compact names, comma lists, and serialisation that keeps untouched fields byte for byte. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage, type SipMessage } from '../src';

const file = (name: string) => readFileSync(join(__dirname, 'fixtures', 'rfc4475', `${name}.dat`));

function parsed(bytes: Buffer | string): SipMessage {
  const r = parseMessage(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
  if (!r.ok) throw new Error(`${r.status} ${r.phrase}`);
  return r.message;
}

const OPTIONS =
  'OPTIONS sip:user@example.com SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2\r\n' +
  'v:   SIP/2.0/UDP   c.example.com  ;branch=z9hG4bK3\r\n' +
  'To: <sip:user@example.com>\r\n' +
  'f: "A, B" <sip:a@example.com>;tag=1\r\n' +
  'i: abc@host\r\n' +
  'CSeq: 1 OPTIONS\r\n' +
  'Max-Forwards: 70\r\n' +
  'X-Folded: one\r\n   two\r\n' +
  'l: 4\r\n\r\nbody';

describe('lookups', () => {
  test('compact forms and case do not matter; list headers split at commas outside quotes', () => {
    const m = parsed(OPTIONS);
    expect(m.get('call-id')).toBe('abc@host');
    expect(m.get('FROM')).toBe('"A, B" <sip:a@example.com>;tag=1');
    expect(m.getAll('Via')).toEqual([
      'SIP/2.0/UDP a.example.com;branch=z9hG4bK1',
      'SIP/2.0/TCP b.example.com;branch=z9hG4bK2',
      'SIP/2.0/UDP   c.example.com  ;branch=z9hG4bK3',
    ]);
    expect(m.getAll('From')).toEqual(['"A, B" <sip:a@example.com>;tag=1']);
    expect(m.get('X-Folded')).toBe('one two');
    expect(m.body.toString()).toBe('body');
  });
});

describe('serialisation', () => {
  test('an unchanged message comes out byte for byte (RFC 4475 wsinv, with its folding and odd spacing)', () => {
    const bytes = file('wsinv');
    expect(parsed(bytes).toBuffer().equals(bytes)).toBe(true);
  });

  test.each([
    'esc01',
    'intmeth',
    'longreq',
    'semiuri',
    'transports',
    'mpart01',
    'unreason',
    'noreason',
    'escnull',
  ])('%s comes out byte for byte', (name) => {
    const bytes = file(name);
    expect(parsed(bytes).toBuffer().equals(bytes)).toBe(true);
  });

  test('a proxy-like change touches only its field; a new body rewrites Content-Length', () => {
    const m = parsed(OPTIONS);
    m.prepend('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp');
    m.set('Max-Forwards', '69');
    const out = m.toBuffer().toString();
    expect(out).toBe(
      OPTIONS.replace(
        'Via: SIP/2.0/UDP a.',
        'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp\r\nVia: SIP/2.0/UDP a.',
      ).replace('Max-Forwards: 70', 'Max-Forwards: 69'),
    );
    m.body = Buffer.from('longer body');
    expect(m.toBuffer().toString()).toContain('\r\nl: 11\r\n\r\nlonger body');
  });

  test('serialise then parse gives the same message, for every valid torture message', () => {
    for (const name of [
      'wsinv',
      'intmeth',
      'esc01',
      'escnull',
      'esc02',
      'lwsdisp',
      'longreq',
      'semiuri',
      'transports',
      'mpart01',
      'unreason',
      'noreason',
    ]) {
      const m = parsed(file(name));
      const again = parsed(m.toBuffer());
      expect({
        start: again.start,
        headers: again.headers.map((h) => [h.name, h.value]),
        body: again.body,
      }).toEqual({
        start: m.start,
        headers: m.headers.map((h) => [h.name, h.value]),
        body: m.body,
      });
    }
  });
});
