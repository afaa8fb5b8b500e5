/**
 * Parsing one SIP message (RFC 3261 sections 7, 18.3, 25; RFC 4475; RFC 5118), returning what a server does
 * with it instead of throwing: a message, or the status it answers a bad request with (400 with the reason,
 * 505 for another SIP version, 413 for an oversize message); a bad response is only reported (it is dropped).
 *
 * Framing: a datagram is one message, and octets after Content-Length octets of body are ignored (RFC 3261
 * 18.3); without Content-Length the body is the rest of the datagram. On a stream Content-Length is required,
 * and the octets after the message are the next one (`rest`). CRLFs before a message (keep-alives) are skipped.
 *
 * Liberal where RFC 4475 section 3.1.1 says a parser must be: folding, any case and whitespace around ":" in
 * header names, SWS around ";" "=" "/", compact forms, unknown headers kept as they are. Strict where section
 * 3.1.2 says a message is invalid: the request line (single spaces, nothing around it), Content-Length, the
 * scalar ranges, the grammar of Via, CSeq and the name-addr headers, repeated single headers.
 */
import { isToken, SipSyntaxError } from './lexer';
import { SipMessage, type HeaderField, type StartLine } from './message';
import { parseUri } from './uri';
import { validateHeaders } from './validate';

export type Framing = 'datagram' | 'stream';

export type ParseOutcome =
  | { ok: true; message: SipMessage; rest: Buffer }
  | {
      ok: false;
      kind: 'request' | 'response' | 'unknown';
      /** what a server answers a request with (a response is dropped) */
      status: number;
      reason: string;
      /** why, in a few words */
      phrase: string;
      /** stream framing: the message boundary is lost, the connection should close */
      fatal?: boolean;
    };

export interface ParseOptions {
  framing?: Framing;
  /** largest message accepted (default 65,535 octets): larger is 413 */
  maxBytes?: number;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  413: 'Request Entity Too Large',
  505: 'Version Not Supported',
};

function fail(
  kind: 'request' | 'response' | 'unknown',
  status: number,
  phrase: string,
  fatal = false,
): ParseOutcome {
  return {
    ok: false,
    kind,
    status,
    reason: REASONS[status] ?? 'Bad Request',
    phrase,
    ...(fatal ? { fatal } : {}),
  };
}

const VERSION_RE = /^SIP\/(\d+)\.(\d+)$/i;
const METHOD_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

function parseStart(line: string): StartLine | ParseOutcome {
  if (/^SIP\//i.test(line)) {
    const m = /^(SIP\/\d+\.\d+) (\d{3})(?: (.*))?$/i.exec(line);
    if (!m)
      return fail(
        'response',
        400,
        `the status line "${line.slice(0, 60)}" is not SIP/2.0 <100-699> <reason>`,
      );
    if (m[1]!.toUpperCase() !== 'SIP/2.0') return fail('response', 505, `SIP version ${m[1]} is not 2.0`);
    const status = Number(m[2]);
    if (status < 100 || status > 699) return fail('response', 400, `status ${status} is outside 100-699`);
    return { kind: 'response', status, reason: m[3] ?? '', version: m[1]! };
  }
  const parts = line.split(' ');
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    return fail(
      'request',
      400,
      'the request line must be <method> SP <Request-URI> SP SIP/2.0, single spaces, nothing else',
    );
  }
  const [method, uri, version] = parts as [string, string, string];
  if (!METHOD_RE.test(method)) return fail('request', 400, `"${method}" is not a method`);
  const v = VERSION_RE.exec(version);
  if (!v) return fail('request', 400, `"${version}" is not a SIP version`);
  if (version.toUpperCase() !== 'SIP/2.0') return fail('request', 505, `SIP version ${version} is not 2.0`);
  try {
    const u = parseUri(uri);
    if ('headers' in u && u.headers.length > 0) {
      return fail('request', 400, 'the Request-URI holds headers (?...), which only URIs in headers may');
    }
  } catch (e) {
    if (e instanceof SipSyntaxError) return fail('request', 400, `the Request-URI: ${e.message}`);
    throw e;
  }
  return { kind: 'request', method, uri, version };
}

/** Without leading and trailing LWS (spaces and tabs only: a value may start with any other character, U+FEFF too). */
function lws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Header lines as fields: folded lines joined, "name : value" split, the raw text kept. */
function parseHeaderLines(lines: string[]): HeaderField[] | string {
  const fields: HeaderField[] = [];
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = fields[fields.length - 1];
      if (!last) return 'a continuation line before any header';
      last.value = lws(last.value + ' ' + lws(line));
      last.raw += '\r\n' + line;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return `"${line.slice(0, 40)}" is not a header field`;
    const name = lws(line.slice(0, colon));
    if (!isToken(name)) return `"${name}" is not a header name`;
    fields.push({ name, value: lws(line.slice(colon + 1)), raw: line });
  }
  return fields;
}

export function parseMessage(bytes: Buffer, o: ParseOptions = {}): ParseOutcome {
  const framing = o.framing ?? 'datagram';
  const max = o.maxBytes ?? 65_535;
  let at = 0;
  while (bytes[at] === 0x0d || bytes[at] === 0x0a) at++;
  let headEnd = bytes.indexOf('\r\n\r\n', at, 'latin1');
  let bodyStart = headEnd + 4;
  if (headEnd < 0) {
    if (bytes.length - at > max)
      return fail('unknown', 413, `the header section is larger than ${max} octets`, true);
    // a datagram that ends after a header line, without the empty line: the datagram ends the headers
    if (framing === 'stream' || !bytes.subarray(-2).equals(Buffer.from('\r\n'))) {
      return fail('unknown', 400, 'the header section does not end with an empty line', framing === 'stream');
    }
    headEnd = bytes.length - 2;
    bodyStart = bytes.length;
  }
  const head = bytes.toString('utf8', at, headEnd);
  const lines = head.split('\r\n');
  const start = parseStart(lines[0]!);
  if ('ok' in start) return start;
  const kind = start.kind;
  const fields = parseHeaderLines(lines.slice(1));
  if (typeof fields === 'string') return fail(kind, 400, fields);
  const clField = fields.filter(
    (f) => f.name.toLowerCase() === 'content-length' || f.name.toLowerCase() === 'l',
  );
  let length: number;
  if (clField.length === 0) {
    if (framing === 'stream')
      return fail(kind, 400, 'Content-Length is required on a stream transport', true);
    length = bytes.length - bodyStart;
  } else {
    const v = clField[0]!.value;
    if (!/^\d+$/.test(v))
      return fail(kind, 400, `Content-Length "${v}" is not a number`, framing === 'stream');
    length = Number(v);
    if (framing === 'datagram' && length > bytes.length - bodyStart) {
      return fail(
        kind,
        400,
        `Content-Length ${length} exceeds the ${bytes.length - bodyStart} octets of body`,
      );
    }
  }
  if (bodyStart - at + length > max)
    return fail(kind, 413, `the message is larger than ${max} octets`, framing === 'stream');
  const message = new SipMessage(
    start,
    fields,
    Buffer.from(bytes.subarray(bodyStart, bodyStart + length)),
    lines[0],
  );
  try {
    validateHeaders(message);
  } catch (e) {
    if (e instanceof SipSyntaxError) return fail(kind, 400, e.message);
    throw e;
  }
  return { ok: true, message, rest: bytes.subarray(bodyStart + length) };
}
