/**
 * The Digest computation (RFC 7616 3.4.1-3.4.3, RFC 2617 3.2.2): HA1, HA2, `response` and `rspauth`.
 * Every input is used exactly as it appears on the wire: `nc` and `cnonce` are not re-formatted, and the
 * password may be raw octets (AKAv1 RES).
 */
import { hashHex, parseAlgorithm, type DigestAlgorithm } from './algorithm';

export type Qop = 'auth' | 'auth-int';

export interface DigestInput {
  algorithm: string | DigestAlgorithm;
  username: string;
  realm: string;
  /** string (UTF-8) or raw octets */
  password: string | Uint8Array;
  nonce: string;
  method: string;
  uri: string;
  /** absent: the RFC 2069 form H(HA1:nonce:HA2) */
  qop?: Qop;
  /** required with qop, hashed verbatim */
  nc?: string;
  cnonce?: string;
  /** entity body for auth-int (empty when absent) */
  body?: Uint8Array | string;
}

function algOf(a: string | DigestAlgorithm): DigestAlgorithm {
  return typeof a === 'string' ? parseAlgorithm(a) : a;
}

export function ha1(input: DigestInput): string {
  const alg = algOf(input.algorithm);
  const base = hashHex(alg.hash, `${input.username}:${input.realm}:`, input.password);
  if (!alg.sess) return base;
  if (input.cnonce === undefined) throw new RangeError(`${alg.name} needs a cnonce`);
  return hashHex(alg.hash, `${base}:${input.nonce}:${input.cnonce}`);
}

/** HA2 for a request (`method` given) or for rspauth (`method` empty, RFC 7616 3.5). */
export function ha2(input: Pick<DigestInput, 'algorithm' | 'method' | 'uri' | 'qop' | 'body'>): string {
  const alg = algOf(input.algorithm);
  if (input.qop === 'auth-int') {
    const bodyHash = hashHex(alg.hash, input.body ?? '');
    return hashHex(alg.hash, `${input.method}:${input.uri}:${bodyHash}`);
  }
  return hashHex(alg.hash, `${input.method}:${input.uri}`);
}

function combine(input: DigestInput, a1: string, a2: string): string {
  const alg = algOf(input.algorithm);
  if (input.qop === undefined) return hashHex(alg.hash, `${a1}:${input.nonce}:${a2}`);
  if (input.nc === undefined || input.cnonce === undefined) {
    throw new RangeError(`qop=${input.qop} needs nc and cnonce`);
  }
  return hashHex(alg.hash, `${a1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${a2}`);
}

/** The `response` parameter of the Authorization header. */
export function digestResponse(input: DigestInput): string {
  return combine(input, ha1(input), ha2(input));
}

/**
 * The `rspauth` of Authentication-Info (RFC 7616 3.5, RFC 3310 3.5): like `response` but with an empty
 * method in A2. For AKA the server uses XRES-derived password, which equals the client's when RES = XRES.
 */
export function digestRspauth(input: Omit<DigestInput, 'method'>): string {
  const full: DigestInput = { ...input, method: '' };
  return combine(full, ha1(full), ha2(full));
}

/** RFC 7616 3.4.4 userhash: H(username ":" realm). */
export function userhash(algorithm: string | DigestAlgorithm, username: string, realm: string): string {
  return hashHex(algOf(algorithm).hash, `${username}:${realm}`);
}
