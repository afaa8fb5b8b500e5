/**
 * The lexical rules of RFC 3261 section 25.1 that every header shares: tokens, quoted strings with their
 * escapes, separators with optional whitespace around them (SWS), comma lists that ignore commas inside
 * quotes and angle brackets, and generic parameters (`;name[=value]`).
 */

export class SipSyntaxError extends Error {
  override name = 'SipSyntaxError';
}

/** token characters of RFC 3261 25.1, as a table by char code (a regular expression per character is slow) */
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")
  TOKEN_CHARS[c.charCodeAt(0)] = 1;

export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHARS[code] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

const WS = (c: string | undefined) => c === ' ' || c === '\t';

/** Skips spaces and tabs (folding has already become a space). */
export function skipWs(s: string, i: number): number {
  while (WS(s[i])) i++;
  return i;
}

/**
 * The end (index after the closing quote) of the quoted-string starting at s[i] === '"'; quoted-pair
 * escapes any octet except CR and LF (RFC 3261 25.1). Throws when it is not closed.
 */
export function quotedEnd(s: string, i: number): number {
  for (let k = i + 1; k < s.length; k++) {
    const c = s[k];
    if (c === '\\') {
      if (k + 1 >= s.length || s[k + 1] === '\r' || s[k + 1] === '\n')
        throw new SipSyntaxError('bad escape in a quoted string');
      k++;
    } else if (c === '"') return k + 1;
  }
  throw new SipSyntaxError('unterminated quoted string');
}

/** The value of a quoted-string (without its quotes, escapes removed). */
export function unquote(q: string): string {
  return q.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** Splits a comma list at the commas outside quoted strings and angle brackets, each part trimmed. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') i = quotedEnd(value, i) - 1;
    else if (c === '<') angle = true;
    else if (c === '>') angle = false;
    else if (c === ',' && !angle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

export interface Param {
  name: string;
  /** undefined for a parameter without `=value` */
  value?: string;
}

/**
 * Generic parameters after a value: `*( SEMI generic-param )` with SWS around `;` and `=`; a value is a
 * token, a host (which may be an IPv6 reference) or a quoted string. An empty parameter (`;;`) is an error.
 */
export function parseParams(s: string, i: number): Param[] {
  const out: Param[] = [];
  i = skipWs(s, i);
  while (i < s.length) {
    if (s[i] !== ';')
      throw new SipSyntaxError(`unexpected "${s.slice(i, i + 10)}" where a parameter was expected`);
    i = skipWs(s, i + 1);
    const nameStart = i;
    while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
    const name = s.slice(nameStart, i);
    if (name === '') throw new SipSyntaxError('an empty parameter');
    i = skipWs(s, i);
    if (s[i] === '=') {
      i = skipWs(s, i + 1);
      let value: string;
      if (s[i] === '"') {
        const end = quotedEnd(s, i);
        value = s.slice(i, end);
        i = end;
      } else if (s[i] === '[') {
        const end = s.indexOf(']', i);
        if (end < 0) throw new SipSyntaxError('unterminated IPv6 reference in a parameter');
        value = s.slice(i, end + 1);
        i = end + 1;
      } else {
        const vs = i;
        // a token, or a host (":" for a port; IPv6 references are bracketed above)
        while (i < s.length && (isTokenChar(s.charCodeAt(i)) || s.charCodeAt(i) === 58)) i++;
        value = s.slice(vs, i);
        if (value === '') throw new SipSyntaxError(`parameter ${name} has an empty value`);
      }
      out.push({ name, value });
    } else {
      out.push({ name });
    }
    i = skipWs(s, i);
  }
  return out;
}
