/**
 * RFC 4475 (SIP torture test messages) and RFC 5118 (the IPv6 ones) against parseMessage and checkRequest.
 *
 * fixtures/expected.json holds the outcome of every fixture with the RFC's own words ("why"); the generic
 * tests below check that outcome, the per-file tests check what the RFC text singles out in each message.
 * Every message is parsed as one UDP datagram, as the RFCs present them (clerr, ncl, dblreq, mcl01 and
 * inv2543 say so); dblreq is parsed as a stream as well.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRequest, parseMessage } from '../src';
import type { ParseOutcome, SipMessage } from '../src';

type SetName = 'rfc4475' | 'rfc5118';

interface Expected {
  set: SetName;
  file: string;
  section: string;
  title: string;
  kind: 'request' | 'response';
  verdict: 'valid' | 'invalid';
  /** what a UAS answers to the invalid request (absent for a valid message and for a bad response) */
  status?: number;
  why: string;
  /** other statuses the RFC accepts for the same request */
  alsoAcceptable?: number[];
  /** the RFC lets a liberal receiver accept this invalid request */
  liberal?: boolean;
  /** the error may be found by checkRequest instead of the parser */
  layer?: 'application';
  /** kinds the parser may report for the rejected message (test.dat) */
  acceptKinds?: string[];
  /** the RFC's answer to a well-formed message, from the role in serverRole */
  serverStatus?: number;
  serverRole?: 'uas' | 'endpoint' | 'registrar';
  unsupported?: string[];
  proxyStatus?: number;
  /** what checkRequest (a UAS with no extensions, serving sip, sips and tel) must return */
  checkRequest?: { ok: true } | { ok: false; status: number; unsupported?: string[] };
  /** RFC 5118 4.6: the verdict the RFC states, where the printed Content-Length contradicts it */
  rfcVerdict?: 'valid' | 'invalid';
  /** the real length of the printed body, where the printed Content-Length is wrong */
  correctedContentLength?: number;
  /** the body length a datagram receiver keeps (Content-Length shorter than the printed body) */
  bodyLength?: number;
  note?: string;
}

const FIXTURES = join(__dirname, 'fixtures');
const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected[];

const load = (set: SetName, file: string): Buffer => readFileSync(join(FIXTURES, set, file));
const datagram = (bytes: Buffer): ParseOutcome => parseMessage(bytes, { framing: 'datagram' });
const name = (e: Expected): string => `${e.file} (${e.set} ${e.section})`;

function entry(set: SetName, file: string): Expected {
  const e = EXPECTED.find((x) => x.set === set && x.file === file);
  if (!e) throw new Error(`${set}/${file} is not in expected.json`);
  return e;
}

/** The message, or a failure that says why the parser refused it. */
function accepted(out: ParseOutcome): { message: SipMessage; rest: Buffer } {
  if (!out.ok) throw new Error(`rejected as ${out.kind}: ${out.status} ${out.reason} (${out.phrase})`);
  return out;
}

const parse = (set: SetName, file: string): SipMessage => accepted(datagram(load(set, file))).message;

/**
 * SP/HTAB runs collapsed and the ends trimmed: unfolding turns CRLF and the following whitespace into one SP
 * (RFC 3261 7.3.1), so values with folds are compared token by token.
 */
const ws = (s: string | undefined): string | undefined => s?.replace(/[ \t]+/g, ' ').trim();

/** Offset of the body: just after the empty line that ends the header section. */
function bodyStart(bytes: Buffer): number {
  const i = bytes.indexOf('\r\n\r\n');
  if (i < 0) throw new Error('no empty line');
  return i + 4;
}

/** The same octets with the Content-Length value replaced by the length of the body that follows. */
function withTrueContentLength(bytes: Buffer): Buffer {
  const start = bodyStart(bytes);
  const head = bytes.subarray(0, start).toString('latin1');
  const fixed = head.replace(/^(Content-Length:[ \t]*)\d+/im, `$1${bytes.length - start}`);
  expect(fixed).not.toBe(head);
  return Buffer.concat([Buffer.from(fixed, 'latin1'), bytes.subarray(start)]);
}

const firstLine = (bytes: Buffer): string => bytes.subarray(0, bytes.indexOf('\r\n')).toString('latin1');

describe('expected.json', () => {
  it.each(['rfc4475', 'rfc5118'] as const)('has exactly one entry for each %s fixture', (set) => {
    const files = readdirSync(join(FIXTURES, set))
      .filter((f) => f.endsWith('.dat'))
      .sort();
    const listed = EXPECTED.filter((e) => e.set === set)
      .map((e) => e.file)
      .sort();
    expect(listed).toEqual(files);
  });

  it('counts 50 RFC 4475 files (27 valid, 23 invalid) and 12 RFC 5118 files (10 valid, 2 invalid)', () => {
    const count = (set: SetName, verdict: Expected['verdict']): number =>
      EXPECTED.filter((e) => e.set === set && e.verdict === verdict).length;
    expect([count('rfc4475', 'valid'), count('rfc4475', 'invalid')]).toEqual([27, 23]);
    expect([count('rfc5118', 'valid'), count('rfc5118', 'invalid')]).toEqual([10, 2]);
  });

  it('gives a status to every invalid request and to nothing else', () => {
    for (const e of EXPECTED) {
      const needsStatus = e.verdict === 'invalid' && e.kind === 'request';
      expect([name(e), e.status !== undefined]).toEqual([name(e), needsStatus]);
    }
  });
});

describe('valid messages are accepted (one datagram each)', () => {
  const valid = EXPECTED.filter((e) => e.verdict === 'valid');
  it.each(valid.map((e) => [name(e), e] as const))('%s', (_n, e) => {
    const bytes = load(e.set, e.file);
    const m = accepted(datagram(bytes)).message;
    expect(m.kind).toBe(e.kind);
    expect(m.version).toBe('SIP/2.0');
    const start = firstLine(bytes).split(' ');
    if (e.kind === 'request') {
      expect(m.method).toBe(start[0]);
    } else {
      expect(m.status).toBe(Number(start[1]));
    }
    // The body is Content-Length octets (the rest of a datagram is discarded, RFC 3261 18.3), or without a
    // Content-Length all octets of the datagram after the empty line (RFC 4475 3.4.1).
    const at = bodyStart(bytes);
    const cl = m.get('Content-Length');
    const length = cl === undefined ? bytes.length - at : Number(cl);
    expect(m.body.equals(bytes.subarray(at, at + length))).toBe(true);
    if (e.bodyLength !== undefined) expect(m.body.length).toBe(e.bodyLength);
  });
});

describe('invalid requests are refused with the status the RFC gives', () => {
  const strict = EXPECTED.filter(
    (e) => e.verdict === 'invalid' && e.kind === 'request' && !e.liberal && e.layer === undefined,
  );
  it.each(strict.map((e) => [name(e), e] as const))('%s', (_n, e) => {
    const out = datagram(load(e.set, e.file));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(e.acceptKinds ?? [e.kind]).toContain(out.kind);
    expect([e.status, ...(e.alsoAcceptable ?? [])]).toContain(out.status);
  });
});

describe('invalid requests that RFC 4475 lets a liberal receiver accept: refused with 400, or accepted', () => {
  // What a receiver that accepts the message must have understood, per the RFC's own description of it.
  const ifAccepted: Record<string, (m: SipMessage) => void> = {
    'quotbal.dat': (m) => expect(m.get('To')).toBe('"Mr. J. User <sip:j.user@example.com>'),
    // "Elements attempting to be liberal with what they accept may choose to ignore the brackets."
    'ltgtruri.dat': (m) => expect(m.uri).toBe('sip:user@example.com'),
    // "ignore the embedded LWS for those schemes (like SIP) where doing so would not introduce ambiguity"
    'lwsruri.dat': (m) => expect(m.uri).toBe('sip:user@example.com;lr'),
    // "may ignore these extra SP characters"
    'lwsstart.dat': (m) => expect([m.method, m.uri]).toEqual(['INVITE', 'sip:user@example.com']),
    'trws.dat': (m) => expect([m.method, m.uri]).toEqual(['OPTIONS', 'sip:remote-target@example.com']),
    // "ignore the escaped headers": kept as received or dropped, never turned into header fields
    'escruri.dat': (m) => {
      expect(['sip:user@example.com?Route=%3Csip:example.com%3E', 'sip:user@example.com']).toContain(m.uri);
      expect(m.getAll('Route')).toEqual([]);
    },
    'baddate.dat': (m) => expect(m.get('Date')).toBe('Fri, 01 Jan 2010 16:00:00 EST'),
    'regbadct.dat': (m) =>
      expect(m.get('Contact')).toBe('sip:user@example.com?Route=%3Csip:sip.example.com%3E'),
    'badaspec.dat': (m) => expect(m.get('To')).toBe('"Watson, Thomas" < sip:t.watson@example.org >'),
    'baddn.dat': (m) => {
      expect(m.get('From')).toBe('Bell, Alexander <sip:a.g.bell@example.com>;tag=43');
      expect(m.get('To')).toBe('Watson, Thomas <sip:t.watson@example.org>');
    },
  };
  const liberal = EXPECTED.filter((e) => e.liberal === true);

  it('covers every liberal case', () => {
    expect(liberal.map((e) => e.file).sort()).toEqual(Object.keys(ifAccepted).sort());
  });

  it.each(liberal.map((e) => [name(e), e] as const))('%s (RFC 4475 allows either outcome)', (_n, e) => {
    const out = datagram(load(e.set, e.file));
    if (out.ok) {
      expect(out.message.kind).toBe('request');
      ifAccepted[e.file]!(out.message);
    } else {
      expect(out.kind).toBe('request');
      expect(out.status).toBe(e.status);
    }
  });
});

describe('invalid requests the parser or the UAS checks refuse (RFC 4475 3.3)', () => {
  const app = EXPECTED.filter((e) => e.layer === 'application');
  it.each(app.map((e) => [name(e), e] as const))('%s', (_n, e) => {
    const out = datagram(load(e.set, e.file));
    const refusal = out.ok ? checkRequest(out.message) : out;
    expect(refusal.ok).toBe(false);
    if (!refusal.ok) expect(refusal.status).toBe(e.status);
  });
});

describe('bad responses are dropped', () => {
  const bad = EXPECTED.filter((e) => e.verdict === 'invalid' && e.kind === 'response');
  it.each(bad.map((e) => [name(e), e] as const))('%s', (_n, e) => {
    const out = datagram(load(e.set, e.file));
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.kind).toBe('response');
  });
});

describe('checkRequest answers well-formed requests as the RFC says a UAS does', () => {
  const checked = EXPECTED.filter((e) => e.checkRequest !== undefined);
  it.each(checked.map((e) => [name(e), e] as const))('%s', (_n, e) => {
    const want = e.checkRequest!;
    const got = checkRequest(parse(e.set, e.file));
    expect(got.ok).toBe(want.ok);
    if (!want.ok && !got.ok) {
      expect(got.status).toBe(want.status);
      if (want.unsupported) expect(got.unsupported).toEqual(want.unsupported);
    }
  });
});

describe('RFC 4475 3.1.1: what each valid message exercises', () => {
  const R = 'rfc4475';

  it('wsinv: folding, LWS around separators, compact and long forms, unknown header fields', () => {
    const m = parse(R, 'wsinv.dat');
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
    // To carries no display name; the display name of From is the quoted-string with \\ and \" in it
    expect(ws(m.get('to'))).toBe('sip:vivekg@chair-dnrc.example.com ; tag = 1918181833n');
    expect(ws(m.get('From'))).toBe('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ; tag = 98asjd8');
    expect(m.get('Max-Forwards')).toBe('0068');
    expect(ws(m.get('CSeq'))).toBe('0009 INVITE');
    expect(m.get('Call-ID')).toBe('wsinv.ndaksdj@192.0.2.1');
    expect(m.get('Subject')).toBe('');
    expect(ws(m.get('NewFangledHeader'))).toBe('newfangled value continued newfangled value');
    expect(m.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(ws(m.get('Route'))).toBe('<sip:services.example.com;lr;unknownwith=value;unknown-no-value>');
    expect(m.getAll('Via').map(ws)).toEqual([
      'SIP / 2.0 /UDP 192.0.2.2;branch=390skdjuw',
      'SIP / 2.0 / TCP spindle.example.com ; branch = z9hG4bK9ikj8',
      'SIP / 2.0 / UDP 192.168.255.111 ; branch= z9hG4bK30239',
    ]);
    expect(m.getAll('Contact').map(ws)).toEqual([
      '"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33',
    ]);
    expect(m.headers).toHaveLength(14);
    expect(m.body).toHaveLength(150);
  });

  it('intmeth: non-alphanumeric token characters, quoted NUL, BEL and DEL, UTF-8 values', () => {
    const m = parse(R, 'intmeth.dat');
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(m.uri).toBe(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
    );
    expect(m.get('Via')).toBe("SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~");
    expect(m.get('To')).toBe(
      '"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*@example.com>',
    );
    expect(m.get('From')).toBe(
      "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"работающий\";tag=_token~1'+`*%!-.",
    );
    // % is no escape in a word: the Call-ID is taken as it is
    expect(m.get('Call-ID')).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(m.get('CSeq')).toBe("139122385 !interesting-Method0123456789_*+`.%indeed'~");
    expect(m.get('Max-Forwards')).toBe('255');
    // the value starts with U+FEFF, which String.prototype.trim() would strip
    const ext = m.get("extensionHeader-!.%*+_`'~");
    expect(ext).toBeDefined();
    expect(Buffer.from(ext!, 'utf8').toString('hex')).toBe('efbbbfe5a4a7e5819ce99bbb');
  });

  it('esc01: the URIs are kept as received, % HEX HEX not expanded by the parser', () => {
    const m = parse(R, 'esc01.dat');
    expect(m.uri).toBe('sip:sips%3Auser%40example.com@example.net');
    expect(m.get('To')).toBe('sip:%75se%72@example.com');
    expect(m.get('From')).toBe('<sip:I%20have%20spaces@example.net>;tag=938');
    expect(m.get('Call-ID')).toBe('esc01.239409asdfakjkn23onasd0-3234');
    expect(m.get('Content-Type')).toBe('application/sdp');
    expect(ws(m.get('Contact'))).toBe('<sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>');
  });

  it('escnull: escaped NULs in user parts are kept, two distinct Contacts', () => {
    const m = parse(R, 'escnull.dat');
    expect(m.uri).toBe('sip:example.com');
    expect(m.get('To')).toBe('sip:null-%00-null@example.com');
    expect(m.get('From')).toBe('sip:null-%00-null@example.com;tag=839923423');
    expect(m.getAll('Contact')).toEqual(['<sip:%00@host5.example.com>', '<sip:%00%00@host5.example.com>']);
    expect(m.get('Content-Length')).toBe('0');
  });

  it('esc02: % is no escape in a method, a display name or a header field name', () => {
    const m = parse(R, 'esc02.dat');
    expect(m.method).toBe('RE%47IST%45R');
    expect(m.uri).toBe('sip:registrar.example.com');
    expect(m.get('CSeq')).toBe('29344 RE%47IST%45R');
    expect(m.get('To')).toBe('"%Z%45" <sip:resource@example.com>');
    expect(m.get('Via')).toBe('SIP/2.0/TCP host.example.com;branch=z9hG4bK209%fzsnel234');
    // "This message has two Contact header field values, not three."
    expect(m.getAll('Contact')).toEqual(['<sip:alias1@host1.example.com>', '<sip:alias3@host3.example.com>']);
    expect(m.get('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
  });

  it('lwsdisp: no LWS between the display name and <', () => {
    const m = parse(R, 'lwsdisp.dat');
    expect(m.get('From')).toBe('caller<sip:caller@example.com>;tag=323');
  });

  it('longreq: the long header field values are kept whole', () => {
    const m = parse(R, 'longreq.dat');
    expect(m.get('To')).toBe(
      `"I have a user name of ${'extreme'.repeat(10)} proportion"<sip:user@example.com:6000;unknownparam1=very` +
        `${'long'.repeat(20)}value;longparam${'name'.repeat(25)}=shortvalue;very${'long'.repeat(25)}` +
        'ParameterNameWithNoValue>',
    );
    expect(m.get('From')).toBe(
      `sip:${'amazinglylongcallername'.repeat(5)}@example.net;tag=1${'298'.repeat(50)}2424;unknownheaderparam` +
        `${'name'.repeat(20)}=unknowheaderparam${'value'.repeat(15)};unknownValueless${'paramname'.repeat(10)}`,
    );
    expect(m.get('Call-ID')).toBe(`longreq.one${'really'.repeat(20)}longcallid`);
    expect(m.get(`Unknown-${'Long'.repeat(20)}-Name`)).toBe(
      `unknown-${'long'.repeat(20)}-value; unknown-${'long'.repeat(20)}-parameter-name = ` +
        `unknown-${'long'.repeat(20)}-parameter-value`,
    );
    const vias = Array.from({ length: 33 }, (_, i) => `SIP/2.0/TCP sip${33 - i}.example.com`);
    vias.push(`SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=very${'long'.repeat(50)}branchvalue`);
    expect(m.getAll('Via')).toEqual(vias);
    expect(m.get('Contact')).toBe(`<sip:${'amazinglylongcallername'.repeat(5)}@host5.example.net>`);
    expect(m.get('Content-Length')).toBe('150');
    expect(m.headers).toHaveLength(43);
  });

  it('dblreq as a datagram: only the REGISTER, the octets after its empty body are ignored', () => {
    const m = parse(R, 'dblreq.dat');
    expect(m.method).toBe('REGISTER');
    expect(m.uri).toBe('sip:example.com');
    expect(m.get('Call-ID')).toBe('dblreq.0ha0isndaksdj99sdfafnl3lk233412');
    expect(m.body).toHaveLength(0);
  });

  it('dblreq as a stream: the REGISTER, and rest holds the INVITE that follows it', () => {
    const bytes = load(R, 'dblreq.dat');
    const { message, rest } = accepted(parseMessage(bytes, { framing: 'stream' }));
    expect(message.method).toBe('REGISTER');
    expect(message.body).toHaveLength(0);
    // rest is what follows the message; CRLFs before the next start line may be skipped (RFC 3261 7.5)
    const next = bytes.subarray(bodyStart(bytes) + 2);
    expect(next.subarray(0, 36).toString('latin1')).toBe('INVITE sip:joe@example.com SIP/2.0\r\n');
    expect(rest.subarray(rest.length - next.length).equals(next)).toBe(true);
    expect(rest.subarray(0, rest.length - next.length).toString('latin1')).toMatch(/^(\r\n)*$/);
  });

  it('semiuri: a ;-parameter inside the user part, an Accept list folded over three lines', () => {
    const m = parse(R, 'semiuri.dat');
    expect(m.uri).toBe('sip:user;par=u%40example.net@example.com');
    expect(m.getAll('Accept')).toEqual([
      'application/sdp',
      'application/pkcs7-mime',
      'multipart/mixed',
      'multipart/signed',
      'message/sip',
      'message/sipfrag',
    ]);
  });

  it('transports: Via values with every known transport and an unknown one', () => {
    const m = parse(R, 'transports.dat');
    expect(m.getAll('Via').map((v) => v.split(' ')[0])).toEqual([
      'SIP/2.0/UDP',
      'SIP/2.0/SCTP',
      'SIP/2.0/TLS',
      'SIP/2.0/UNKNOWN',
      'SIP/2.0/TCP',
    ]);
    expect(m.get('Call-ID')).toBe('transports.kijh4akdnaqjkwendsasfdj');
  });

  it('mpart01: the body is exactly Content-Length octets, binary part and NULs included', () => {
    const bytes = load(R, 'mpart01.dat');
    const m = parse(R, 'mpart01.dat');
    expect(m.method).toBe('MESSAGE');
    expect(m.get('Content-Type')).toBe('multipart/mixed;boundary=7a9cbec02ceef655');
    expect(m.get('Content-Length')).toBe('553');
    expect(m.body).toHaveLength(553);
    expect(m.body.equals(bytes.subarray(bytes.length - 553))).toBe(true);
    expect(m.body.includes(0x00)).toBe(true);
  });

  it('unreason: a 200 whose reason phrase has non-ASCII UTF-8 characters', () => {
    const bytes = load(R, 'unreason.dat');
    const m = parse(R, 'unreason.dat');
    expect(m.kind).toBe('response');
    expect(m.status).toBe(200);
    const reason = bytes.subarray('SIP/2.0 200 '.length, bytes.indexOf('\r\n')).toString('utf8');
    expect(reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    expect(m.reason).toBe(reason);
    expect(m.get('Call-ID')).toBe('unreason.1234ksdfak3j2erwedfsASdf');
  });

  it('noreason: a 100 with an empty reason phrase', () => {
    const m = parse(R, 'noreason.dat');
    expect(m.kind).toBe('response');
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
    expect(m.get('Call-ID')).toBe('noreason.asndj203insdf99223ndf');
  });
});

describe('RFC 4475 3.2-3.4: well-formed messages with transaction- or application-level issues', () => {
  const R = 'rfc4475';

  it('badbranch: a branch that is only the magic cookie parses', () => {
    expect(parse(R, 'badbranch.dat').get('Via')).toBe('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK');
  });

  it('unkscm and novelsc: Request-URIs of unknown and atypical schemes are kept opaque', () => {
    expect(parse(R, 'unkscm.dat').uri).toBe('nobodyKnowsThisScheme:totallyopaquecontent');
    expect(parse(R, 'novelsc.dat').uri).toBe('soap.beep://192.0.2.103:3002');
  });

  it('novelsc: a UAS that serves soap.beep does not answer 416', () => {
    expect(
      checkRequest(parse(R, 'novelsc.dat'), { uriSchemes: ['sip', 'sips', 'tel', 'soap.beep'] }),
    ).toEqual({
      ok: true,
    });
  });

  it('unksm2: To, From and Contact with non-SIP schemes parse', () => {
    const m = parse(R, 'unksm2.dat');
    expect(m.get('To')).toBe('isbn:2983792873');
    expect(m.get('From')).toBe('<http://www.example.com>;tag=3234233');
    expect(m.get('Contact')).toBe('<name:John_Smith>');
  });

  it('bext01: Require and Proxy-Require lists; a UAS supporting the options accepts the request', () => {
    const m = parse(R, 'bext01.dat');
    expect(m.getAll('Require')).toEqual(entry(R, 'bext01.dat').unsupported);
    expect(m.getAll('Proxy-Require')).toEqual(['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
    const supportedOptions = ['nothingSupportsThis', 'nothingSupportsThisEither'];
    expect(checkRequest(m, { supportedOptions })).toEqual({ ok: true });
  });

  it('invut: a body of unknown type is framed by Content-Length', () => {
    const m = parse(R, 'invut.dat');
    expect(m.get('Content-Type')).toBe('application/unknownformat');
    expect(m.body.toString('latin1')).toBe('<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n');
  });

  it('regaut01: an Authorization header field of unknown scheme parses', () => {
    const m = parse(R, 'regaut01.dat');
    expect(m.get('Authorization')).toBe('NoOneKnowsThisScheme opaque-data=here');
    expect(m.get('Content-Length')).toBe('0');
  });

  it('bcast: a 200 whose second Via is the broadcast address parses (the application drops it)', () => {
    const m = parse(R, 'bcast.dat');
    expect(m.status).toBe(200);
    expect(m.getAll('Via')).toEqual([
      'SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923',
      'SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23',
    ]);
  });

  it('zeromf: Max-Forwards 0 parses and a UAS handles the request', () => {
    const m = parse(R, 'zeromf.dat');
    expect(m.get('Max-Forwards')).toBe('0');
    expect(checkRequest(m)).toEqual({ ok: true });
  });

  it('cparam01, cparam02, regescrt: Contact parameters and escaped headers as received', () => {
    expect(parse(R, 'cparam01.dat').get('Contact')).toBe('sip:+19725552222@gw1.example.net;unknownparam');
    expect(parse(R, 'cparam02.dat').get('Contact')).toBe('<sip:+19725552222@gw1.example.net;unknownparam>');
    expect(parse(R, 'regescrt.dat').get('Contact')).toBe(
      '<sip:user@example.com?Route=%3Csip:sip.example.com%3E>',
    );
  });

  it('sdp01: an Accept that excludes application/sdp parses', () => {
    const m = parse(R, 'sdp01.dat');
    expect(m.get('Accept')).toBe('text/nobodyKnowsThis');
    expect(m.get('Content-Type')).toBe('application/sdp');
  });

  it('inv2543: no branch, no From tag, no Max-Forwards, no Content-Length', () => {
    const bytes = load(R, 'inv2543.dat');
    const m = parse(R, 'inv2543.dat');
    expect(m.get('Via')).toBe('SIP/2.0/UDP iftgw.example.com');
    expect(m.get('From')).toBe('<sip:+13035551111@ift.client.example.net;user=phone>');
    expect(m.get('Max-Forwards')).toBeUndefined();
    expect(m.get('Content-Length')).toBeUndefined();
    expect(m.body.equals(bytes.subarray(bodyStart(bytes)))).toBe(true);
    expect(m.body).toHaveLength(105);
  });
});

describe('RFC 5118: IPv6 references', () => {
  const S = 'rfc5118';

  it('4.1 ipv6-good: IPv6 references in the Request-URI, Via and Contact', () => {
    const m = parse(S, 'ipv6-good.dat');
    expect(m.method).toBe('REGISTER');
    expect(m.uri).toBe('sip:[2001:db8::10]');
    expect(m.get('Via')).toBe('SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111');
    expect(m.get('Contact')).toBe('"Caller" <sip:caller@[2001:db8::1]>');
  });

  it('4.3 port-ambiguous: the port inside the brackets is part of the address', () => {
    expect(parse(S, 'port-ambiguous.dat').uri).toBe('sip:[2001:db8::10:5070]');
  });

  it('4.4 port-unambiguous: the port after the brackets', () => {
    expect(parse(S, 'port-unambiguous.dat').uri).toBe('sip:[2001:db8::10]:5070');
  });

  it('4.5 via-received-param-with-delim: received=[...] is accepted (robustness)', () => {
    const m = parse(S, 'via-received-param-with-delim.dat');
    expect(m.method).toBe('BYE');
    expect(m.get('Via')).toBe('SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111');
  });

  it('4.5 via-received-param-no-delim: received= without brackets', () => {
    const m = parse(S, 'via-received-param-no-delim.dat');
    expect(m.method).toBe('OPTIONS');
    expect(m.get('Via')).toBe('SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3');
    expect(m.get('Call-ID')).toBe('SSG95523997077@hlau_4100');
    expect(m.get('Contact')).toBe('"Caller" <sip:caller@[2001:db8::9:1]>');
  });

  it('4.6 ipv6-in-sdp: as printed, Content-Length 268 over 251 octets is a 400 datagram', () => {
    const e = entry(S, 'ipv6-in-sdp.dat');
    const bytes = load(S, 'ipv6-in-sdp.dat');
    expect(bytes.length - bodyStart(bytes)).toBe(e.correctedContentLength);
    const out = datagram(bytes);
    expect(out.ok).toBe(false);
    if (!out.ok) expect([out.kind, out.status]).toEqual(['request', 400]);
  });

  it('4.6 ipv6-in-sdp: with its Content-Length corrected the request is valid, as the RFC intends', () => {
    const bytes = withTrueContentLength(load(S, 'ipv6-in-sdp.dat'));
    const m = accepted(datagram(bytes)).message;
    expect(m.uri).toBe('sip:user@[2001:db8::10]');
    expect(m.get('To')).toBe('sip:user@[2001:db8::10]');
    expect(m.get('Via')).toBe('SIP/2.0/UDP [2001:db8::20];branch=z9hG4bKas3-111');
    expect(m.get('Contact')).toBe('"Caller" <sip:caller@[2001:db8::20]>');
    expect(m.body).toHaveLength(251);
    expect(m.body.toString('latin1')).toContain('\r\nc=IN IP6 2001:db8::20\r\n');
  });

  it('4.7 mult-ip-in-header: IPv4 and IPv6 Via values, a port after ], a received IPv4 address', () => {
    const m = parse(S, 'mult-ip-in-header.dat');
    expect(m.uri).toBe('sip:user@host.example.net');
    expect(m.getAll('Via')).toEqual([
      'SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111',
      'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKjhja8781hjuaij65144',
      'SIP/2.0/TCP [2001:db8::9:255];branch=z9hG4bK451jj;received=192.0.2.200',
    ]);
  });

  it('4.8 mult-ip-in-sdp: the body is the 181 octets Content-Length gives, the rest discarded', () => {
    const bytes = load(S, 'mult-ip-in-sdp.dat');
    const m = parse(S, 'mult-ip-in-sdp.dat');
    const at = bodyStart(bytes);
    expect(bytes.length - at).toBe(entry(S, 'mult-ip-in-sdp.dat').correctedContentLength);
    expect(m.body.equals(bytes.subarray(at, at + 181))).toBe(true);
    const full = accepted(datagram(withTrueContentLength(bytes))).message;
    expect(full.body.equals(bytes.subarray(at))).toBe(true);
    expect(full.body.toString('latin1')).toContain(
      '\r\nc=IN IP4 192.0.2.1\r\nm=video 6024 RTP/AVP 107\r\nc=IN IP6 2001:db8::1\r\n',
    );
  });

  it('4.9 ipv4-mapped-ipv6: IPv4-mapped addresses in Via and Contact; body of 236 octets', () => {
    const bytes = load(S, 'ipv4-mapped-ipv6.dat');
    const m = parse(S, 'ipv4-mapped-ipv6.dat');
    expect(m.getAll('Via')).toEqual([
      'SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbh19',
      'SIP/2.0/UDP [::ffff:192.0.2.2];branch=z9hG4bKas3-111',
    ]);
    expect(m.get('Contact')).toBe('"T. desk phone" <sip:ted@[::ffff:192.0.2.2]>');
    const at = bodyStart(bytes);
    expect(bytes.length - at).toBe(entry(S, 'ipv4-mapped-ipv6.dat').correctedContentLength);
    expect(m.body.equals(bytes.subarray(at, at + 236))).toBe(true);
    const full = accepted(datagram(withTrueContentLength(bytes))).message;
    expect(full.body.equals(bytes.subarray(at))).toBe(true);
    expect(full.body.toString('latin1')).toContain('\r\nc=IN IP6 ::ffff:192.0.2.2\r\n');
  });

  it('4.10 ipv6-bug-abnf-3-colons: the extra colon that RFC 3261 ABNF allows is tolerated', () => {
    const m = parse(S, 'ipv6-bug-abnf-3-colons.dat');
    expect(m.uri).toBe('sip:user@[2001:db8:::192.0.2.1]');
    expect(m.get('To')).toBe('sip:user@[2001:db8:::192.0.2.1]');
  });

  it('4.10 ipv6-correct-abnf-2-colons: an IPv6 reference ending in an IPv4 address', () => {
    const m = parse(S, 'ipv6-correct-abnf-2-colons.dat');
    expect(m.uri).toBe('sip:user@[2001:db8::192.0.2.1]');
    expect(m.get('To')).toBe('sip:user@[2001:db8::192.0.2.1]');
  });
});
