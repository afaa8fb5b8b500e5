/**
 * The Digest AKA nonce (RFC 3310 3.2, TS 24.109 Table A.4-1): base64(RAND || AUTN || server data).
 */
import { requireLength } from '../hex';

export function encodeAkaNonce(rand: Uint8Array, autn: Uint8Array, serverData?: Uint8Array): string {
  requireLength(rand, 16, 'RAND');
  requireLength(autn, 16, 'AUTN');
  return Buffer.concat([rand, autn, serverData ?? Buffer.alloc(0)]).toString('base64');
}

export class AkaNonceError extends Error {
  override name = 'AkaNonceError';
}

/** Splits an AKA nonce; anything that is not base64 of at least 32 octets is an error. */
export function decodeAkaNonce(nonce: string): { rand: Buffer; autn: Buffer; serverData: Buffer } {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(nonce) || nonce.length % 4 !== 0) {
    throw new AkaNonceError('nonce is not base64');
  }
  const b = Buffer.from(nonce, 'base64');
  if (b.length < 32) throw new AkaNonceError(`nonce holds ${b.length} octets, RAND || AUTN needs 32`);
  return { rand: b.subarray(0, 16), autn: b.subarray(16, 32), serverData: b.subarray(32) };
}
