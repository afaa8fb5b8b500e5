/**
 * GBA key derivation (TS 33.220 Annex B): the generic KDF, Ks = CK || IK, Ks_NAF and B-TID, and the
 * NAF_Id = NAF FQDN || Ua security protocol identifier (Annex H).
 */
import { createHmac } from 'node:crypto';
import { requireLength } from './hex';

/** KDF of Annex B.2: HMAC-SHA-256(Key, FC || P0 || L0 || P1 || L1 || ...), Li two octets big-endian. */
export function kdf(key: Uint8Array, fc: number, params: readonly (Uint8Array | string)[]): Buffer {
  if (!Number.isInteger(fc) || fc < 0 || fc > 0xff) throw new RangeError(`FC ${fc} is not one octet`);
  const parts: Buffer[] = [Buffer.from([fc])];
  for (const p of params) {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
    if (b.length > 0xffff) throw new RangeError('KDF parameter longer than 65535 octets');
    const l = Buffer.allocUnsafe(2);
    l.writeUInt16BE(b.length, 0);
    parts.push(b, l);
  }
  return createHmac('sha256', key).update(Buffer.concat(parts)).digest();
}

/** FC for Ks_(ext/int)_NAF derivation (Annex B.3). */
export const FC_KS_NAF = 0x01;

export function ksFromCkIk(ck: Uint8Array, ik: Uint8Array): Buffer {
  requireLength(ck, 16, 'CK');
  requireLength(ik, 16, 'IK');
  return Buffer.concat([ck, ik]);
}

/** Ua security protocol identifiers (TS 33.220 Annex H.3), 5 octets each. */
export const UA_PROTOCOL = {
  subscriberCertificates: Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00]),
  mbms: Buffer.from([0x01, 0x00, 0x00, 0x00, 0x01]),
  httpDigest: Buffer.from([0x01, 0x00, 0x00, 0x00, 0x02]),
  tmpi: Buffer.from([0x01, 0x00, 0x00, 0x01, 0x00]),
} as const;

/** Ua id for shared-key TLS (TS 33.222 5.3, 5.4): 01 00 01 || the negotiated cipher suite. */
export function uaProtocolForTls(cipherSuite: number): Buffer {
  if (!Number.isInteger(cipherSuite) || cipherSuite < 0 || cipherSuite > 0xffff) {
    throw new RangeError(`cipher suite ${cipherSuite} is not two octets`);
  }
  return Buffer.from([0x01, 0x00, 0x01, cipherSuite >> 8, cipherSuite & 0xff]);
}

/** IANA codes of the suites Node negotiates, keyed by `tlsSocket.getCipher().standardName`. */
export const TLS_CIPHER_SUITES: Readonly<Record<string, number>> = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_AES_128_CCM_SHA256: 0x1304,
  TLS_RSA_WITH_AES_128_CBC_SHA: 0x002f,
  TLS_RSA_WITH_AES_256_CBC_SHA: 0x0035,
  TLS_RSA_WITH_AES_128_GCM_SHA256: 0x009c,
  TLS_RSA_WITH_AES_256_GCM_SHA384: 0x009d,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
};

/** NAF_Id = FQDN of the NAF (UTF-8) || Ua security protocol identifier. */
export function nafId(fqdn: string, uaProtocol: Uint8Array): Buffer {
  requireLength(uaProtocol, 5, 'Ua security protocol id');
  return Buffer.concat([Buffer.from(fqdn, 'utf8'), uaProtocol]);
}

/**
 * Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id) (Annex B.3); "gba-u" gives Ks_int_NAF for GBA_U.
 */
export function ksNaf(
  ks: Uint8Array,
  rand: Uint8Array,
  impi: string,
  naf: Uint8Array,
  variant: 'gba-me' | 'gba-u' = 'gba-me',
): Buffer {
  requireLength(ks, 32, 'Ks');
  requireLength(rand, 16, 'RAND');
  return kdf(ks, FC_KS_NAF, [variant, rand, impi, naf]);
}

/** B-TID = base64(RAND) "@" BSF server name (TS 33.220 4.5.2). */
export function bTid(rand: Uint8Array, bsfDomain: string): string {
  requireLength(rand, 16, 'RAND');
  return `${Buffer.from(rand).toString('base64')}@${bsfDomain}`;
}
