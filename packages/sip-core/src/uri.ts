/**
 * SIP, SIPS and TEL URIs (RFC 3261 19.1 and 25.1, RFC 3966), and any other absoluteURI kept opaque (RFC 3261
 * allows other schemes in headers; a UAS answers 416 to one it does not support in the Request-URI).
 * Escapes are checked (`%` and two hex digits) and kept as received: comparison decodes them, the text does
 * not change. IPv6 references follow RFC 5118 (brackets required when a port or parameter follows).
 */
import { SipSyntaxError } from './lexer';

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: { name: string; value?: string }[];
  headers: { name: string; value: string }[];
}

export interface TelUri {
  scheme: 'tel';
  number: string;
  params: { name: string; value?: string }[];
}

export interface OtherUri {
  scheme: string;
  opaque: string;
}

export type Uri = SipUri | TelUri | OtherUri;

const ESCAPE_OK = /%(?![0-9A-Fa-f]{2})/;
// RFC 3261 25.1: unreserved / escaped / user-unreserved ( & = + $ , ; ? / )
const USER_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
// unreserved / escaped / & = + $ ,
const PASSWORD_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;
const HOSTNAME_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;
const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// paramchar: param-unreserved ( [ ] / : & + $ ) / unreserved / escaped
const PARAMCHAR_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
// hname / hvalue: hnv-unreserved ( [ ] / ? : + $ ) / unreserved / escaped
const HCHAR_RE = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$]|%[0-9A-Fa-f]{2})*$/;
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+\-.]*$/;

/** An IPv6 address in brackets (RFC 3261 25.1 IPv6reference; RFC 5118 section 4). */
export function isIpv6Reference(h: string): boolean {
  if (!h.startsWith('[') || !h.endsWith(']')) return false;
  const a = h.slice(1, -1);
  if (!/^[0-9A-Fa-f:.]+$/.test(a)) return false;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4 && !IPV4_RE.test(v4[1]!)) return false;
  // RFC 5118 4.10: RFC 3261's ABNF lets "::" be followed by one more ":" before an IPv4 tail; such references
  // are taken as meaning "::" (robustness), as that section suggests
  const head = v4 ? a.slice(0, -v4[1]!.length).replace(/:::$/, '::') : a;
  const hex = v4 ? head + '0:0' : a;
  const groups = hex.split('::');
  if (groups.length > 2) return false;
  const parts = groups.flatMap((g) => (g === '' ? [] : g.split(':')));
  if (parts.some((p) => !/^[0-9A-Fa-f]{1,4}$/.test(p))) return false;
  return groups.length === 2 ? parts.length < 8 : parts.length === 8;
}

function hostOk(h: string): boolean {
  return IPV4_RE.test(h) || isIpv6Reference(h) || HOSTNAME_RE.test(h);
}

/** host[:port] of a URI or a Via sent-by. */
export function parseHostPort(s: string): { host: string; port?: number } {
  let host = s;
  let port: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) throw new SipSyntaxError(`unterminated IPv6 reference in "${s}"`);
    host = s.slice(0, end + 1);
    const rest = s.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new SipSyntaxError(`junk after the IPv6 reference in "${s}"`);
      port = rest.slice(1);
    }
  } else {
    const colon = s.indexOf(':');
    if (colon >= 0) {
      host = s.slice(0, colon);
      port = s.slice(colon + 1);
    }
  }
  if (!hostOk(host)) throw new SipSyntaxError(`"${host}" is not a host name or address`);
  if (port === undefined) return { host };
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new SipSyntaxError(`"${port}" is not a port`);
  return { host, port: Number(port) };
}

function parseSip(scheme: 'sip' | 'sips', rest: string): SipUri {
  // no unescaped "@" may follow the host (params and headers escape it), so the last one ends the userinfo
  const at = rest.lastIndexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  let after = rest;
  if (at >= 0) {
    const info = rest.slice(0, at);
    after = rest.slice(at + 1);
    const colon = info.indexOf(':');
    user = colon < 0 ? info : info.slice(0, colon);
    if (colon >= 0) password = info.slice(colon + 1);
    if (!USER_RE.test(user)) throw new SipSyntaxError(`"${user}" is not a valid user part`);
    if (password !== undefined && !PASSWORD_RE.test(password))
      throw new SipSyntaxError('invalid password part');
  }
  const q = after.indexOf('?');
  const headersText = q < 0 ? undefined : after.slice(q + 1);
  const beforeHeaders = q < 0 ? after : after.slice(0, q);
  const semi = beforeHeaders.indexOf(';');
  const { host, port } = parseHostPort(semi < 0 ? beforeHeaders : beforeHeaders.slice(0, semi));
  const uri: SipUri = { scheme, host, params: [], headers: [] };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  if (semi >= 0) {
    for (const p of beforeHeaders.slice(semi + 1).split(';')) {
      const eq = p.indexOf('=');
      const name = eq < 0 ? p : p.slice(0, eq);
      if (!PARAMCHAR_RE.test(name)) throw new SipSyntaxError(`invalid URI parameter "${p}"`);
      if (eq < 0) uri.params.push({ name });
      else {
        const value = p.slice(eq + 1);
        if (value !== '' && !PARAMCHAR_RE.test(value))
          throw new SipSyntaxError(`invalid URI parameter "${p}"`);
        uri.params.push({ name, value });
      }
    }
  }
  if (headersText !== undefined) {
    for (const h of headersText.split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw new SipSyntaxError(`invalid URI header "${h}"`);
      const name = h.slice(0, eq);
      const value = h.slice(eq + 1);
      if (!HCHAR_RE.test(name) || !HCHAR_RE.test(value))
        throw new SipSyntaxError(`invalid URI header "${h}"`);
      uri.headers.push({ name, value });
    }
  }
  return uri;
}

function parseTel(rest: string): TelUri {
  const [number, ...paramTexts] = rest.split(';');
  if (
    !number ||
    !/^(?:\+[0-9\-.()]*[0-9][0-9\-.()]*|[0-9A-Fa-f*#\-.()]*[0-9A-Fa-f*#][0-9A-Fa-f*#\-.()]*)$/.test(number)
  ) {
    throw new SipSyntaxError(`"${number}" is not a telephone number`);
  }
  return {
    scheme: 'tel',
    number,
    params: paramTexts.map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? { name: p } : { name: p.slice(0, eq), value: p.slice(eq + 1) };
    }),
  };
}

/** Parses a URI; throws SipSyntaxError for one that is not well-formed. */
export function parseUri(text: string): Uri {
  if (text === '' || /[\s<>"]/.test(text)) throw new SipSyntaxError(`"${text}" is not a URI`);
  if (ESCAPE_OK.test(text)) throw new SipSyntaxError(`a "%" not followed by two hex digits in "${text}"`);
  const colon = text.indexOf(':');
  if (colon <= 0) throw new SipSyntaxError(`"${text}" has no scheme`);
  const scheme = text.slice(0, colon);
  if (!SCHEME_RE.test(scheme)) throw new SipSyntaxError(`"${scheme}" is not a URI scheme`);
  const rest = text.slice(colon + 1);
  const s = scheme.toLowerCase();
  if (s === 'sip' || s === 'sips') return parseSip(s, rest);
  if (s === 'tel') return parseTel(rest);
  if (rest === '') throw new SipSyntaxError(`"${text}" is empty after its scheme`);
  return { scheme: s, opaque: rest };
}
