/**
 * Both ends of one Digest exchange: the client answering a challenge (plain password or AKA), and the
 * server checking credentials and writing Authentication-Info.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { akaPassword, parseAlgorithm, type AkaSecrets, type DigestAlgorithm } from './algorithm';
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
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s !== '');
}

function formatNc(nc: number | string | undefined): string {
  if (typeof nc === 'string') return nc;
  const n = nc ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff)
    throw new RangeError(`nonce count ${n} outside 1..ffffffff`);
  return n.toString(16).padStart(8, '0');
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
  const nc = qop ? formatNc(o.nc) : undefined;
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

/** What the server issued in its challenge: credentials must match it, or they are a downgrade. */
export interface IssuedChallenge {
  algorithm: string;
  /** the qop options offered; empty when the challenge had none */
  qop: readonly Qop[];
  realm: string;
  nonce: string;
}

export interface VerifyOptions {
  issued: IssuedChallenge;
  /** the password or AKA secrets the server expects (XRES for AKA) */
  password?: string | Uint8Array;
  aka?: AkaSecrets;
  method: string;
  /** request entity body, for qop=auth-int */
  body?: Uint8Array | string;
}

export type Verdict =
  | { kind: 'ok' }
  /** RFC 3310 3.4: the client reports a synchronisation failure; its response used an empty password */
  | { kind: 'resync'; auts: Buffer }
  | { kind: 'failed'; reason: string };

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'utf8');
  const y = Buffer.from(b.toLowerCase(), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function serverPassword(alg: DigestAlgorithm, o: { password?: string | Uint8Array; aka?: AkaSecrets }) {
  if (alg.aka) {
    if (!o.aka) throw new AuthHeaderError(`${alg.name} credentials need the expected AKA secrets`);
    return akaPassword(alg, o.aka);
  }
  if (o.password === undefined) throw new AuthHeaderError('a password is needed');
  return o.password;
}

function qopOf(v: string | undefined): Qop | undefined {
  if (v === undefined) return undefined;
  const q = v.toLowerCase();
  if (q === 'auth' || q === 'auth-int') return q;
  throw new AuthHeaderError(`unsupported qop "${v}"`);
}

function decodeAuts(v: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0)
    throw new AuthHeaderError('auts is not base64');
  const b = Buffer.from(v, 'base64');
  if (b.length !== 14) throw new AuthHeaderError(`auts holds ${b.length} octets, AUTS is 14`);
  return b;
}

/**
 * Checks a set of Digest credentials against the challenge the server issued. Malformed credentials
 * throw {@link AuthHeaderError} (answer 400); a response that does not match, or that takes another
 * algorithm, realm, nonce or qop than was issued (a downgrade), is `failed`; credentials with `auts` whose
 * empty-password response matches are `resync`. The comparison is constant time.
 */
export function verifyCredentials(creds: AuthParams, o: VerifyOptions): Verdict {
  for (const n of ['username', 'realm', 'nonce', 'uri', 'response']) {
    if (creds.get(n) === undefined) throw new AuthHeaderError(`credentials lack "${n}"`);
  }
  const alg = parseAlgorithm(creds.get('algorithm'));
  const issuedAlg = parseAlgorithm(o.issued.algorithm);
  if (alg.name !== issuedAlg.name) return { kind: 'failed', reason: `algorithm ${alg.name} was not offered` };
  if (creds.get('realm') !== o.issued.realm) return { kind: 'failed', reason: 'realm does not match' };
  if (creds.get('nonce') !== o.issued.nonce) return { kind: 'failed', reason: 'nonce does not match' };
  const qop = qopOf(creds.get('qop'));
  if (qop === undefined ? o.issued.qop.length > 0 : !o.issued.qop.includes(qop)) {
    return { kind: 'failed', reason: `qop ${qop ?? '(none)'} was not offered` };
  }
  if (qop && (creds.get('nc') === undefined || creds.get('cnonce') === undefined)) {
    throw new AuthHeaderError(`qop=${qop} credentials lack nc or cnonce`);
  }
  if (alg.sess && creds.get('cnonce') === undefined)
    throw new AuthHeaderError(`${alg.name} credentials lack cnonce`);
  const autsValue = creds.get('auts');
  const auts = autsValue === undefined ? undefined : decodeAuts(autsValue);
  const expected = digestResponse({
    algorithm: alg,
    username: creds.get('username')!,
    realm: o.issued.realm,
    password: auts ? '' : serverPassword(alg, o),
    nonce: o.issued.nonce,
    method: o.method,
    uri: creds.get('uri')!,
    qop,
    nc: creds.get('nc'),
    cnonce: creds.get('cnonce'),
    body: o.body,
  });
  if (!sameHex(expected, creds.get('response')!))
    return { kind: 'failed', reason: 'response does not match' };
  return auts ? { kind: 'resync', auts } : { kind: 'ok' };
}

/**
 * The `Authentication-Info` value for credentials that {@link verifyCredentials} found `ok` (RFC 7615,
 * RFC 3310 3.5): rspauth, and the echoed qop, nc and cnonce; `nextnonce` when the server wants the
 * client to move on. With qop=auth-int, rspauth covers the entity body of the *response*.
 */
export function authenticationInfo(
  creds: AuthParams,
  o: {
    password?: string | Uint8Array;
    aka?: AkaSecrets;
    responseBody?: Uint8Array | string;
    nextnonce?: string;
  },
): AuthParams {
  if (creds.has('auts')) throw new AuthHeaderError('no Authentication-Info for a synchronisation failure');
  const alg = parseAlgorithm(creds.get('algorithm'));
  const qop = qopOf(creds.get('qop'));
  const rspauth = digestRspauth({
    algorithm: alg,
    username: creds.get('username') ?? '',
    realm: creds.get('realm') ?? '',
    password: serverPassword(alg, o),
    nonce: creds.get('nonce') ?? '',
    uri: creds.get('uri') ?? '',
    qop,
    nc: creds.get('nc'),
    cnonce: creds.get('cnonce'),
    body: o.responseBody,
  });
  return paramsFor('info', {
    nextnonce: o.nextnonce,
    qop,
    rspauth,
    cnonce: creds.get('cnonce'),
    nc: creds.get('nc'),
  });
}
