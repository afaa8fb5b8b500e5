/**
 * Digest algorithm names: RFC 7616 (MD5, SHA-256, SHA-512-256 and their -sess variants), RFC 3310
 * (AKAv1-<alg>) and RFC 4169 (AKAv2-<alg>). Names compare case-insensitively; the canonical spelling is
 * what we write.
 */
import { createHash, createHmac } from 'node:crypto';

export type DigestHash = 'md5' | 'sha256' | 'sha512-256';

export interface DigestAlgorithm {
  /** canonical name, e.g. "AKAv1-MD5", "SHA-256-sess" */
  name: string;
  hash: DigestHash;
  sess: boolean;
  /** AKA version (RFC 3310 / RFC 4169), or undefined for password digest */
  aka?: number;
}

const BASE: Record<string, { hash: DigestHash; name: string }> = {
  md5: { hash: 'md5', name: 'MD5' },
  'sha-256': { hash: 'sha256', name: 'SHA-256' },
  'sha-512-256': { hash: 'sha512-256', name: 'SHA-512-256' },
};

export class DigestAlgorithmError extends Error {
  override name = 'DigestAlgorithmError';
}

/** Parses an `algorithm` value; absent means MD5 (RFC 7616 3.3). */
export function parseAlgorithm(value: string | undefined): DigestAlgorithm {
  const raw = value ?? 'MD5';
  let rest = raw;
  let aka: number | undefined;
  const m = /^AKAv([0-9]{1,3})-(.+)$/i.exec(raw);
  if (m) {
    aka = Number(m[1]);
    if (aka !== 1 && aka !== 2) throw new DigestAlgorithmError(`unsupported AKA version in "${raw}"`);
    rest = m[2]!;
  }
  let sess = false;
  if (/-sess$/i.test(rest)) {
    sess = true;
    rest = rest.slice(0, -5);
  }
  const base = BASE[rest.toLowerCase()];
  if (!base) throw new DigestAlgorithmError(`unsupported digest algorithm "${raw}"`);
  const name = `${aka ? `AKAv${aka}-` : ''}${base.name}${sess ? '-sess' : ''}`;
  return aka ? { name, hash: base.hash, sess, aka } : { name, hash: base.hash, sess };
}

export function hashHex(hash: DigestHash, ...parts: (string | Uint8Array)[]): string {
  const h = createHash(hash);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** The AKA secret as the Digest password (RFC 3310 3.3, RFC 4169 3). */
export interface AkaSecrets {
  res: Uint8Array;
  /** needed for AKAv2 only */
  ik?: Uint8Array;
  ck?: Uint8Array;
}

/**
 * AKAv1: the password is RES itself, as raw octets (not hex). AKAv2: base64 of
 * PRF(RES || IK || CK, "http-digest-akav2-password"), the PRF being HMAC with the algorithm's hash.
 */
export function akaPassword(alg: DigestAlgorithm, s: AkaSecrets): Buffer {
  if (alg.aka === 1) return Buffer.from(s.res);
  if (alg.aka === 2) {
    if (!s.ik || !s.ck) throw new DigestAlgorithmError(`${alg.name} needs IK and CK besides RES`);
    const prf = createHmac(alg.hash, Buffer.concat([s.res, s.ik, s.ck]))
      .update('http-digest-akav2-password')
      .digest();
    return Buffer.from(prf.toString('base64'), 'ascii');
  }
  throw new DigestAlgorithmError(`${alg.name} is not an AKA algorithm`);
}
