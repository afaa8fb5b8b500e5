/**
 * name-addr and addr-spec values (RFC 3261 20.10, 25.1): From, To, Contact, Route, Record-Route, Reply-To,
 * P-Asserted-Identity. With a display name the URI is in angle brackets (then its parameters are its own);
 * without brackets everything after the first `;` is a header parameter, and a URI holding a comma, `?`
 * or `;` must be bracketed.
 */
import { isTokenChar, parseParams, quotedEnd, skipWs, SipSyntaxError, unquote, type Param } from './lexer';
import { parseUri, type Uri } from './uri';

export interface NameAddr {
  /** the display name as sent (quotes included when quoted) */
  displayName?: string;
  /** the URI as sent */
  uri: string;
  parsed: Uri;
  params: Param[];
  /** whether the URI was in angle brackets */
  bracketed: boolean;
}

/** The display name without quotes and escapes. */
export function displayText(n: NameAddr): string | undefined {
  if (n.displayName === undefined) return undefined;
  return n.displayName.startsWith('"') ? unquote(n.displayName) : n.displayName;
}

export function parseNameAddr(value: string): NameAddr {
  const v = value.replace(/^[ \t]+|[ \t]+$/g, '');
  let displayName: string | undefined;
  let lt: number;
  if (v.startsWith('"')) {
    const end = quotedEnd(v, 0);
    displayName = v.slice(0, end);
    lt = skipWs(v, end);
    if (v[lt] !== '<') throw new SipSyntaxError('a quoted display name must be followed by <URI>');
  } else {
    lt = v.indexOf('<');
    if (lt >= 0) {
      const words = v.slice(0, lt).trim();
      if (words !== '') {
        // *(token LWS): tokens separated by whitespace
        for (let k = 0; k < words.length; k++) {
          const c = words.charCodeAt(k);
          if (!isTokenChar(c) && c !== 32 && c !== 9) {
            throw new SipSyntaxError(`"${words}" is not a display name: quote it`);
          }
        }
        displayName = words;
      }
    }
  }
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) throw new SipSyntaxError('a "<" without its ">"');
    const uri = v.slice(lt + 1, gt);
    const first = uri.charCodeAt(0);
    const last = uri.charCodeAt(uri.length - 1);
    if (first === 32 || first === 9 || last === 32 || last === 9) {
      throw new SipSyntaxError('no whitespace is allowed inside <...> around the URI');
    }
    const n: NameAddr = { uri, parsed: parseUri(uri), params: parseParams(v, gt + 1), bracketed: true };
    if (displayName !== undefined) n.displayName = displayName;
    return n;
  }
  // addr-spec: the URI runs to the first ";" or whitespace; what follows are header parameters
  let end = 0;
  while (end < v.length && v[end] !== ';' && v[end] !== ' ' && v[end] !== '\t') end++;
  const uri = v.slice(0, end);
  if (/[?,]/.test(uri)) throw new SipSyntaxError(`"${uri}" holds "?" or ",": it must be in <...>`);
  return { uri, parsed: parseUri(uri), params: parseParams(v, end), bracketed: false };
}
