/**
 * Parsing and writing of HTTP authentication headers (RFC 7235 section 2.1, RFC 7616, RFC 7615,
 * RFC 3310): `WWW-Authenticate`, `Authorization` and `Authentication-Info`.
 *
 * Parameter names are case-insensitive and may come in any order; values are tokens or quoted strings
 * with backslash escapes (commas and escaped quotes inside quotes are data). Unknown parameters are kept in
 * order, so a proxy can pass them on. A parameter's raw spelling is kept too: `nc` must be hashed exactly
 * as the client sent it.
 */

export class AuthHeaderError extends Error {
  override name = 'AuthHeaderError';
}

export interface AuthParam {
  /** name as received (compare with `name.toLowerCase()`) */
  name: string;
  value: string;
  /** whether the value was (or is to be) written as a quoted-string */
  quoted: boolean;
}

/** An ordered, case-insensitive parameter list. */
export class AuthParams {
  readonly list: AuthParam[];

  constructor(list: AuthParam[] = []) {
    this.list = list;
  }

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    return this.list.find((p) => p.name.toLowerCase() === n)?.value;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces the value of an existing parameter in place, or appends it. */
  set(name: string, value: string, quoted: boolean): this {
    const n = name.toLowerCase();
    const p = this.list.find((q) => q.name.toLowerCase() === n);
    if (p) {
      p.value = value;
      p.quoted = quoted;
    } else {
      this.list.push({ name, value, quoted });
    }
    return this;
  }

  delete(name: string): this {
    const n = name.toLowerCase();
    const i = this.list.findIndex((p) => p.name.toLowerCase() === n);
    if (i >= 0) this.list.splice(i, 1);
    return this;
  }

  /** A plain object keyed by lower-case name. */
  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const p of this.list) o[p.name.toLowerCase()] = p.value;
    return o;
  }

  toString(): string {
    return this.list.map(formatParam).join(', ');
  }
}

export interface Challenge {
  scheme: string;
  params: AuthParams;
  /** set instead of params for token68 schemes (e.g. Basic credentials) */
  token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[-._~+/0-9A-Za-z]/;
/** Bound on header size and parameter count: these headers come from the network. */
export const MAX_AUTH_HEADER_LENGTH = 8192;
const MAX_PARAMS = 64;

class Scanner {
  pos = 0;
  constructor(readonly s: string) {}

  get done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): string {
    return this.s[this.pos] ?? '';
  }
  skipWs(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }
  skipWsAndCommas(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',') this.pos++;
  }
  token(): string {
    const start = this.pos;
    while (!this.done && TCHAR.test(this.peek())) this.pos++;
    return this.s.slice(start, this.pos);
  }
  quoted(): string {
    // at the opening quote
    this.pos++;
    let out = '';
    while (true) {
      if (this.done) throw new AuthHeaderError(`unterminated quoted string at offset ${this.pos}`);
      const c = this.s[this.pos++]!;
      if (c === '"') return out;
      if (c === '\\') {
        if (this.done) throw new AuthHeaderError(`dangling escape at offset ${this.pos}`);
        out += this.s[this.pos++]!;
      } else {
        const code = c.charCodeAt(0);
        // qdtext excludes CTLs other than HTAB (RFC 7230 3.2.6)
        if ((code < 0x20 && c !== '\t') || code === 0x7f) {
          throw new AuthHeaderError(`control character in quoted string at offset ${this.pos - 1}`);
        }
        out += c;
      }
    }
  }
  /** True when the input at the cursor is `token BWS "="` but not a token68's trailing "=" padding. */
  atParam(): boolean {
    const save = this.pos;
    const t = this.token();
    this.skipWs();
    const eq = this.peek() === '=';
    let result = false;
    if (t.length > 0 && eq) {
      this.pos++;
      this.skipWs();
      const next = this.peek();
      result = next !== '=' && next !== ',' && next !== '';
    }
    this.pos = save;
    return result;
  }
}

function parseParamsInto(sc: Scanner, params: AuthParams, stopAtScheme: boolean): void {
  const seen = new Set(params.list.map((p) => p.name.toLowerCase()));
  while (true) {
    sc.skipWsAndCommas();
    if (sc.done) return;
    if (!sc.atParam()) {
      if (stopAtScheme) return; // the next challenge starts here
      throw new AuthHeaderError(`expected name=value at offset ${sc.pos}`);
    }
    const name = sc.token();
    sc.skipWs();
    sc.pos++; // '='
    sc.skipWs();
    let value: string;
    let quoted = false;
    if (sc.peek() === '"') {
      value = sc.quoted();
      quoted = true;
    } else {
      value = sc.token();
      if (value === '') throw new AuthHeaderError(`parameter "${name}" has no value at offset ${sc.pos}`);
    }
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw new AuthHeaderError(`parameter "${name}" appears twice`);
    seen.add(lower);
    params.list.push({ name, value, quoted });
    if (params.list.length > MAX_PARAMS) throw new AuthHeaderError(`more than ${MAX_PARAMS} parameters`);
    sc.skipWs();
    if (!sc.done && sc.peek() !== ',') throw new AuthHeaderError(`expected "," at offset ${sc.pos}`);
  }
}

function checkLength(value: string): void {
  if (value.length > MAX_AUTH_HEADER_LENGTH) {
    throw new AuthHeaderError(`header longer than ${MAX_AUTH_HEADER_LENGTH} characters`);
  }
}

/**
 * Parses a `WWW-Authenticate` / `Proxy-Authenticate` value: one or more challenges, comma separated
 * (RFC 7235: `Digest realm="a", nonce="b", Basic realm="c"` holds two).
 * For several header lines, join them with ", " or parse each.
 */
export function parseChallenges(value: string): Challenge[] {
  checkLength(value);
  const sc = new Scanner(value);
  const out: Challenge[] = [];
  while (true) {
    sc.skipWsAndCommas();
    if (sc.done) break;
    const scheme = sc.token();
    if (scheme === '') throw new AuthHeaderError(`expected an auth-scheme at offset ${sc.pos}`);
    const ch: Challenge = { scheme, params: new AuthParams() };
    const afterScheme = sc.pos;
    sc.skipWs();
    if (sc.pos > afterScheme && !sc.done && sc.peek() !== ',' && !sc.atParam()) {
      // token68
      const start = sc.pos;
      while (!sc.done && TOKEN68_CHAR.test(sc.peek())) sc.pos++;
      if (sc.pos === start) throw new AuthHeaderError(`unexpected character at offset ${sc.pos}`);
      while (sc.peek() === '=') sc.pos++;
      ch.token68 = value.slice(start, sc.pos);
      sc.skipWs();
      if (!sc.done && sc.peek() !== ',') throw new AuthHeaderError(`expected "," at offset ${sc.pos}`);
    } else if (sc.pos === afterScheme && !sc.done && sc.peek() !== ',') {
      throw new AuthHeaderError(`unexpected character after scheme at offset ${sc.pos}`);
    } else {
      parseParamsInto(sc, ch.params, true);
    }
    out.push(ch);
    if (out.length > 16) throw new AuthHeaderError('more than 16 challenges');
  }
  if (out.length === 0) throw new AuthHeaderError('no challenge');
  return out;
}

/** Parses an `Authorization` / `Proxy-Authorization` value: exactly one set of credentials. */
export function parseCredentials(value: string): Challenge {
  const list = parseChallenges(value);
  if (list.length !== 1) throw new AuthHeaderError(`expected one set of credentials, got ${list.length}`);
  return list[0]!;
}

/** Parses an `Authentication-Info` value (RFC 7615): a bare parameter list. */
export function parseAuthenticationInfo(value: string): AuthParams {
  checkLength(value);
  const params = new AuthParams();
  parseParamsInto(new Scanner(value), params, false);
  return params;
}

function isToken(v: string): boolean {
  if (v === '') return false;
  for (const c of v) if (!TCHAR.test(c)) return false;
  return true;
}

/** A quoted-string; control characters (CR, LF, ...) cannot be written and are refused. */
export function quote(v: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(v)) {
    throw new AuthHeaderError('a parameter value holds a control character');
  }
  return '"' + v.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

export function formatParam(p: AuthParam): string {
  if (!isToken(p.name)) throw new AuthHeaderError(`"${p.name}" is not a valid parameter name`);
  // a value that is not a token cannot go unquoted, whatever the caller asked
  return `${p.name}=${p.quoted || !isToken(p.value) ? quote(p.value) : p.value}`;
}

export function formatChallenge(ch: Challenge): string {
  if (ch.token68 !== undefined) return `${ch.scheme} ${ch.token68}`;
  const rest = ch.params.toString();
  return rest ? `${ch.scheme} ${rest}` : ch.scheme;
}

/**
 * How each parameter is written, per header (RFC 7616 3.3, 3.4; RFC 7615 3; RFC 3310 3.4):
 * everything is quoted except these tokens.
 */
const UNQUOTED = {
  challenge: new Set(['algorithm', 'stale', 'charset', 'userhash']),
  credentials: new Set(['algorithm', 'qop', 'nc', 'userhash']),
  info: new Set(['qop', 'nc']),
} as const;

export type HeaderKind = keyof typeof UNQUOTED;

/** Builds a parameter list from name/value pairs (in order), quoting as the header kind requires. */
export function paramsFor(kind: HeaderKind, values: Record<string, string | undefined>): AuthParams {
  const p = new AuthParams();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    p.list.push({ name, value, quoted: !UNQUOTED[kind].has(name.toLowerCase()) });
  }
  return p;
}
