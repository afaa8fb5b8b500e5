/**
 * Property test over messages from a small seeded generator (mulberry32): requests and responses with
 * random methods, statuses, header names (long, compact, any case, whitespace before the colon) and values
 * drawn from the grammar (Via, From/To with tags, CSeq, Call-ID, Max-Forwards, Contact, Event, lists and
 * free text), random folding and whitespace around values, bodies with Content-Length. For each: the parse of
 * the wire text equals the model field by field, serialising the untouched parse is byte-identical to the
 * input, and parse(serialise(model)) equals the model.
 */
import { headerKey, parseMessage, SipMessage, type StartLine } from '../src';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Model {
  start: StartLine;
  headers: { name: string; value: string }[];
  body: Buffer;
}

class Gen {
  constructor(readonly rnd: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  word(alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789', lo = 1, hi = 8): string {
    let s = '';
    for (let i = this.int(lo, hi); i > 0; i--) s += this.pick([...alphabet]);
    return s;
  }
  token(): string {
    return this.word("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~");
  }
  host(): string {
    return this.chance(0.5)
      ? `${this.int(1, 254)}.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`
      : `${this.word('abcdefghij')}.example.${this.pick(['com', 'org', 'net'])}`;
  }
  uri(): string {
    const port = this.chance(0.5) ? `:${this.int(1, 65535)}` : '';
    const param = this.chance(0.4)
      ? `;${this.pick(['transport=tcp', 'lr', 'user=phone', 'x=' + this.word()])}`
      : '';
    return `${this.pick(['sip', 'sips'])}:${this.word()}@${this.host()}${port}${param}`;
  }
  nameAddr(tag: boolean): string {
    const display = this.pick(['', `"${this.word()} ${this.word()}" `, `${this.word()} `]);
    return `${display}<${this.uri()}>${tag ? `;tag=${this.word()}` : ''}`;
  }
  /** a name as it may be sent: long or compact form, any case */
  name(long: string, compact?: string): string {
    const n = compact !== undefined && this.chance(0.3) ? compact : long;
    return this.pick([n, n.toLowerCase(), n.toUpperCase()]);
  }
  text(): string {
    const words: string[] = [];
    for (let i = this.int(1, 5); i > 0; i--)
      words.push(this.word('abcdefghijklmnopqrstuvwxyz,;=/()0123456789'));
    return words.join(' ');
  }
}

const METHODS = ['OPTIONS', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'MESSAGE', 'INFO', 'REGISTER', 'BYE'];

function model(g: Gen): Model {
  const request = g.chance(0.6);
  const method = g.chance(0.85) ? g.pick(METHODS) : g.word('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 3, 9);
  const start: StartLine = request
    ? { kind: 'request', method, uri: g.uri(), version: 'SIP/2.0' }
    : {
        kind: 'response',
        status: g.int(100, 699),
        reason: g.pick(['OK', 'Not Found', '', 'Bad Event', 'Très bien']),
        version: 'SIP/2.0',
      };
  const headers: { name: string; value: string }[] = [];
  for (let i = g.int(1, 3); i > 0; i--)
    headers.push({
      name: g.name('Via', 'v'),
      value: `SIP/2.0/${g.pick(['UDP', 'TCP', 'TLS'])} ${g.host()}${g.chance(0.5) ? ':' + g.int(1, 65535) : ''};branch=z9hG4bK${g.word()}${g.chance(0.3) ? ';rport' : ''}`,
    });
  headers.push({ name: g.name('From', 'f'), value: g.nameAddr(true) });
  headers.push({ name: g.name('To', 't'), value: g.nameAddr(g.chance(0.5)) });
  headers.push({ name: g.name('Call-ID', 'i'), value: `${g.word()}${g.chance(0.5) ? '@' + g.host() : ''}` });
  headers.push({ name: g.name('CSeq'), value: `${g.int(0, 2 ** 31 - 1)} ${method}` });
  if (g.chance(0.7)) headers.push({ name: g.name('Max-Forwards'), value: String(g.int(0, 255)) });
  const extras: (() => { name: string; value: string })[] = [
    () => ({ name: g.name('Contact', 'm'), value: g.nameAddr(false) }),
    () => ({
      name: g.name('Event', 'o'),
      value: g.pick(['presence', 'presence.winfo', 'reg;id=' + g.word()]),
    }),
    () => ({ name: g.name('Allow-Events', 'u'), value: 'presence, presence.winfo' }),
    () => ({ name: g.name('Supported', 'k'), value: [g.token(), g.token()].join(', ') }),
    () => ({ name: g.name('Subject', 's'), value: g.text() }),
    () => ({ name: g.name('Expires'), value: String(g.int(0, 2 ** 32 - 1)) }),
    () => ({ name: `X-${g.token()}`, value: g.text() }),
    () => ({ name: g.name('User-Agent'), value: g.text() }),
  ];
  const once = new Set<string>();
  for (let i = g.int(0, 6); i > 0; i--) {
    const h = g.pick(extras)();
    const key = headerKey(h.name);
    if (key === 'event' || key === 'expires') {
      if (once.has(key)) continue; // single-valued (RFC 3261 7.3): twice would be a 400
      once.add(key);
    }
    headers.push(h);
  }
  const body = Buffer.from(g.chance(0.5) ? '' : g.text() + (g.chance(0.5) ? '\r\n' + g.text() : ''), 'utf8');
  if (body.length > 0) headers.push({ name: g.name('Content-Type', 'c'), value: 'text/plain' });
  headers.push({ name: g.name('Content-Length', 'l'), value: String(body.length) });
  return { start, headers, body };
}

/** The wire text of a model with random whitespace before the colon and around values, and folding. */
function wire(g: Gen, m: Model): Buffer {
  const s = m.start;
  let text =
    s.kind === 'request'
      ? `${s.method} ${s.uri} ${s.version}\r\n`
      : `${s.version} ${s.status}${s.reason === '' && g.chance(0.5) ? '' : ' ' + s.reason}\r\n`;
  const ws = () => g.pick(['', ' ', '  ', '\t', ' \t']);
  for (const h of m.headers) {
    let value = h.value;
    // fold at a space between words of free text (the parser turns the fold back into one space)
    const spaces = [...value.matchAll(/ /g)].map((x) => x.index);
    if (spaces.length > 0 && g.chance(0.4) && !/^(Via|v|From|f|To|t|CSeq|Contact|m)$/i.test(h.name)) {
      const at = g.pick(spaces);
      value = `${value.slice(0, at)}\r\n${g.pick([' ', '\t', '   '])}${value.slice(at + 1)}`;
    }
    text += `${h.name}${g.pick(['', '', ' ', '\t'])}:${ws()}${value}${ws()}\r\n`;
  }
  return Buffer.concat([Buffer.from(text + '\r\n', 'utf8'), m.body]);
}

function fields(m: SipMessage): Model {
  return { start: m.start, headers: m.headers.map((h) => ({ name: h.name, value: h.value })), body: m.body };
}

const RUNS = 500;

test(`${RUNS} generated messages: parse(wire) equals the model, untouched serialisation is byte-identical`, () => {
  const g = new Gen(mulberry32(0x5eed));
  for (let i = 0; i < RUNS; i++) {
    const m = model(g);
    const bytes = wire(g, m);
    const r = parseMessage(bytes);
    if (!r.ok) throw new Error(`run ${i}: ${r.phrase}\n${bytes.toString()}`);
    expect(fields(r.message)).toEqual(m);
    expect(r.message.toBuffer().equals(bytes)).toBe(true);
    const stream = parseMessage(bytes, { framing: 'stream' });
    expect(stream.ok && stream.rest.length === 0 && fields(stream.message)).toEqual(m);
  }
});

test(`${RUNS} generated models: parse(serialise(model)) equals the model`, () => {
  const g = new Gen(mulberry32(0xc0ffee));
  for (let i = 0; i < RUNS; i++) {
    const m = model(g);
    const built = new SipMessage(
      m.start,
      m.headers.map((h) => ({ ...h })),
      m.body,
    );
    const r = parseMessage(built.toBuffer());
    if (!r.ok) throw new Error(`run ${i}: ${r.phrase}`);
    expect(fields(r.message)).toEqual(m);
  }
});
