/**
 * The header values a server checks before it acts on a message (RFC 3261 25.1 grammar, ranges of 7.3.1,
 * 8.2, 20): Via, CSeq (and its method against the request's), Max-Forwards, Content-Length, Expires,
 * Retry-After, Date (rfc1123 in GMT), Call-ID, Content-Type, and every name-addr header. A value that does not
 * match is a SipSyntaxError naming the header: a request gets 400, a response is dropped.
 */
import { headerKey, LISTS, SINGLE } from './headers';
import { isToken, parseParams, SipSyntaxError, splitList } from './lexer';
import type { SipMessage } from './message';
import { parseNameAddr } from './name-addr';
import { parseHostPort } from './uri';

const MAX_CSEQ = 2 ** 31 - 1;
const MAX_DELTA = 2 ** 32 - 1;
const DIGITS = /^\d+$/;

export interface Via {
  protocol: string;
  version: string;
  transport: string;
  host: string;
  port?: number;
  params: { name: string; value?: string }[];
}

/** One Via value (RFC 3261 20.42): SIP / 2.0 / transport sent-by *( ; via-params ), whitespace allowed around "/". */
export function parseVia(v: string): Via {
  const m =
    /^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+(\[[^\]]*\](?::\d+)?|[^\s;:]+(?:[ \t]*:[ \t]*\d+)?)(.*)$/.exec(
      v,
    );
  if (!m) throw new SipSyntaxError(`Via "${v}" is not "SIP/2.0/<transport> <host>[:port]"`);
  const { host, port } = parseHostPort(m[4]!.replace(/[ \t]/g, ''));
  return {
    protocol: m[1]!,
    version: m[2]!,
    transport: m[3]!,
    host,
    ...(port !== undefined ? { port } : {}),
    params: parseParams(m[5]!, 0),
  };
}

function delta(name: string, v: string): number {
  if (!DIGITS.test(v)) throw new SipSyntaxError(`${name} "${v}" is not a number of seconds`);
  const n = Number(v);
  if (n > MAX_DELTA) throw new SipSyntaxError(`${name} ${v} is above 2^32-1`);
  return n;
}

/** CSeq: the sequence number and method (RFC 3261 20.16: the number below 2^31). */
export function parseCSeq(v: string): { seq: number; method: string } {
  const m = /^(\d+)[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(v);
  if (!m) throw new SipSyntaxError(`CSeq "${v}" is not "<number> <method>"`);
  const seq = Number(m[1]);
  if (seq > MAX_CSEQ) throw new SipSyntaxError(`CSeq number ${m[1]} is above 2^31-1`);
  return { seq, method: m[2]! };
}

const DATE_RE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
// word of RFC 3261 25.1: alphanum and - . ! % * _ + ` ' ~ ( ) < > : \ " / [ ] ? { }
const CALLID_RE = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+)?$/;

const NAME_ADDR = new Set([
  'from',
  'to',
  'contact',
  'route',
  'record-route',
  'reply-to',
  'p-asserted-identity',
  'p-preferred-identity',
]);

function checkValue(key: string, value: string, m: SipMessage): void {
  switch (key) {
    case 'via':
      for (const v of splitList(value)) parseVia(v);
      return;
    case 'cseq': {
      const c = parseCSeq(value);
      if (m.kind === 'request' && c.method !== m.method) {
        throw new SipSyntaxError(`the CSeq method ${c.method} is not the request's ${m.method}`);
      }
      return;
    }
    case 'max-forwards':
      if (!DIGITS.test(value) || Number(value) > 255)
        throw new SipSyntaxError(`Max-Forwards "${value}" is not 0-255`);
      return;
    case 'content-length':
      if (!DIGITS.test(value)) throw new SipSyntaxError(`Content-Length "${value}" is not a number`);
      return;
    case 'expires':
    case 'min-expires':
      delta(key === 'expires' ? 'Expires' : 'Min-Expires', value);
      return;
    case 'retry-after': {
      const r = /^(\d+)(?:[ \t]*\([^)]*\))?(.*)$/.exec(value);
      if (!r) throw new SipSyntaxError(`Retry-After "${value}" is not a number of seconds`);
      delta('Retry-After', r[1]!);
      parseParams(r[2]!, 0);
      return;
    }
    case 'date':
      if (!DATE_RE.test(value)) throw new SipSyntaxError(`Date "${value}" is not an RFC 1123 date in GMT`);
      return;
    case 'call-id':
      if (!CALLID_RE.test(value)) throw new SipSyntaxError(`Call-ID "${value}" is not word[@word]`);
      return;
    case 'content-type': {
      const t = /^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)(.*)$/.exec(value);
      if (!t) throw new SipSyntaxError(`Content-Type "${value}" is not type/subtype`);
      parseParams(t[3]!, 0);
      return;
    }
  }
  if (NAME_ADDR.has(key)) {
    const values = LISTS.has(key) ? splitList(value) : [value];
    for (const v of values) {
      if (v === '') throw new SipSyntaxError(`an empty element in ${key}`);
      if (key === 'contact' && v === '*') continue;
      const n = parseNameAddr(v);
      const exp = n.params.find((p) => p.name.toLowerCase() === 'expires')?.value;
      if (exp !== undefined) delta('the expires parameter', exp);
    }
  }
}

/** Checks the header fields of a parsed message; throws SipSyntaxError for the first that is wrong. */
export function validateHeaders(m: SipMessage): void {
  const seen = new Set<string>();
  for (const h of m.headers) {
    const key = headerKey(h.name);
    if (SINGLE.has(key)) {
      if (seen.has(key)) throw new SipSyntaxError(`${h.name} appears more than once`);
      seen.add(key);
    }
    checkValue(key, h.value, m);
  }
}

export { isToken };
