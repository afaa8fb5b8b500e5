/**
 * Both ends of one Digest exchange: the client answering a challenge (plain password or AKA), and the
 * server checking credentials and writing Authentication-Info.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { akaPassword, parseAlgorithm, type AkaSecrets } from './algorithm';
import { AuthHeaderError, AuthParams, formatChallenge, paramsFor, type Challenge } from './params';
import { digestResponse, digestRspauth, type Qop } from './response';

export interface AnswerOptions {
  username: string;
  /** plain password, or the AKA secrets for AKAv1/AKAv2 challenges */
  password?: string | Uint8Array;
  aka?: AkaSecrets;
  /** AKA sync failure: send AUTS with an empty password (RFC 3310 3.4) */
  auts?: Uint8Array;
  method: string;
  uri: string;
  body?: Uint8Array | string;
  /** the qop to use when the server offers several; default: auth, else auth-int */
  qop?: Qop;
  /** nonce count; a number is written as 8 hex digits */
  nc?: number | string;
  cnonce?: string;
}

export interface Answer {
  /** the full `Authorization` header value */
  header: string;
  params: AuthParams;
  response: string;
}

/** Splits a quoted qop-options list ("auth,auth-int"). */
export function qopOptions(challenge: Challenge): string[] {
  const v = challenge.params.get('qop');
  return v === undefined
    ? []
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

function chooseQop(offered: string[], wanted: Qop | undefined): Qop | undefined {
  if (offered.length === 0) return undefined;
  if (wanted) {
    if (!offered.includes(wanted)) throw new AuthHeaderError(`server does not offer qop=${wanted}`);
    return wanted;
  }
  if (offered.includes('auth')) return 'auth';
  if (offered.includes('auth-int')) return 'auth-int';
  throw new AuthHeaderError(`no supported qop in "${offered.join(',')}"`);
}

export function answerChallenge(challenge: Challenge, o: AnswerOptions): Answer {
  if (challenge.scheme.toLowerCase() !== 'digest') throw new AuthHeaderError(`not a Digest challenge`);
  const realm = challenge.params.get('realm');
  const nonce = challenge.params.get('nonce');
  if (realm === undefined || nonce === undefined) throw new AuthHeaderError('challenge lacks realm or nonce');
  const algValue = challenge.params.get('algorithm');
  const alg = parseAlgorithm(algValue);
  let password: string | Uint8Array;
  if (o.auts) password = '';
  else if (alg.aka) {
    if (!o.aka) throw new AuthHeaderError(`${alg.name} challenge needs AKA secrets`);
    password = akaPassword(alg, o.aka);
  } else {
    if (o.password === undefined) throw new AuthHeaderError('a password is needed');
    password = o.password;
  }
  const qop = chooseQop(qopOptions(challenge), o.qop);
  const nc = qop ? (typeof o.nc === 'string' ? o.nc : (o.nc ?? 1).toString(16).padStart(8, '0')) : undefined;
  const cnonce = qop || alg.sess ? (o.cnonce ?? randomBytes(12).toString('base64')) : undefined;
  const response = digestResponse({
    algorithm: alg,
    username: o.username,
    realm,
    password,
    nonce,
    method: o.method,
    uri: o.uri,
    qop,
    nc,
    cnonce,
    body: o.body,
  });
  const params = paramsFor('credentials', {
    username: o.username,
    realm,
    nonce,
    uri: o.uri,
    response,
    // echo the algorithm exactly as offered
    algorithm: algValue,
    qop,
    nc,
    cnonce,
    opaque: challenge.params.get('opaque'),
    auts: o.auts ? Buffer.from(o.auts).toString('base64') : undefined,
  });
  return { header: formatChallenge({ scheme: 'Digest', params }), params, response };
}

export interface VerifyOptions {
  /** the password or AKA secrets the server expects (XRES for AKA) */
  password?: string | Uint8Array;
  aka?: AkaSecrets;
  method: string;
  body?: Uint8Array | string;
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'utf8');
  const y = Buffer.from(b.toLowerCase(), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function serverPassword(
  algValue: string | undefined,
  o: { password?: string | Uint8Array; aka?: AkaSecrets },
) {
  const alg = parseAlgorithm(algValue);
  if (alg.aka) {
    if (!o.aka) throw new AuthHeaderError(`${alg.name} credentials need the expected AKA secrets`);
    return { alg, password: akaPassword(alg, o.aka) };
  }
  if (o.password === undefined) throw new AuthHeaderError('a password is needed');
  return { alg, password: o.password };
}

function qopOf(v: string | undefined): Qop | undefined {
  if (v === undefined) return undefined;
  if (v === 'auth' || v === 'auth-int') return v;
  throw new AuthHeaderError(`unsupported qop "${v}"`);
}

/** Checks the `response` of a set of Digest credentials (constant time). */
export function verifyResponse(creds: AuthParams, o: VerifyOptions): boolean {
  const need = ['username', 'realm', 'nonce', 'uri', 'response'];
  for (const n of need) if (creds.get(n) === undefined) throw new AuthHeaderError(`credentials lack "${n}"`);
  const { alg, password } = serverPassword(creds.get('algorithm'), o);
  const expected = digestResponse({
    algorithm: alg,
    username: creds.get('username')!,
    realm: creds.get('realm')!,
    password,
    nonce: creds.get('nonce')!,
    method: o.method,
    uri: creds.get('uri')!,
    qop: qopOf(creds.get('qop')),
    nc: creds.get('nc'),
    cnonce: creds.get('cnonce'),
    body: o.body,
  });
  return sameHex(expected, creds.get('response')!);
}

/**
 * The `Authentication-Info` value for accepted credentials (RFC 7615, RFC 3310 3.5): rspauth, and the
 * echoed qop, nc and cnonce; `nextnonce` when the server wants the client to move on.
 */
export function authenticationInfo(
  creds: AuthParams,
  o: Omit<VerifyOptions, 'method'> & { nextnonce?: string },
): AuthParams {
  const { alg, password } = serverPassword(creds.get('algorithm'), o);
  const qop = qopOf(creds.get('qop'));
  const rspauth = digestRspauth({
    algorithm: alg,
    username: creds.get('username') ?? '',
    realm: creds.get('realm') ?? '',
    password,
    nonce: creds.get('nonce') ?? '',
    uri: creds.get('uri') ?? '',
    qop,
    nc: creds.get('nc'),
    cnonce: creds.get('cnonce'),
    body: o.body,
  });
  return paramsFor('info', {
    nextnonce: o.nextnonce,
    qop,
    rspauth,
    cnonce: creds.get('cnonce'),
    nc: creds.get('nc'),
  });
}
