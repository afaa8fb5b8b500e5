import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export interface GeneratedCertificate {
  /** The certificate, PEM. */
  cert: string;
  /** The private key, PEM, PKCS#8. */
  key: string;
  /** SHA-256 of the certificate DER, formatted as X509Certificate.fingerprint256 (AA:BB:...). */
  fingerprint256: string;
}

export interface CertificateOptions {
  commonName: string;
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  /** Validity in days from `now`; default 365. */
  days?: number;
  now?: Date;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

// Tolerates small clock differences between this host and its clients.
const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
// RFC 5280 Appendix A: ub-common-name.
const MAX_COMMON_NAME = 64;

// --- DER (X.690) ---

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  if (n < 0x80) return Buffer.concat([Buffer.from([tag, n]), content]);
  const len: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
  return Buffer.concat([Buffer.from([tag, 0x80 | len.length, ...len]), content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);
const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes);
const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bitString = (bytes: Buffer, unusedBits = 0): Buffer =>
  tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
const TRUE = tlv(0x01, Buffer.from([0xff]));

/** `bytes` is a big-endian unsigned value. */
function integer(bytes: Buffer): Buffer {
  // X.690 8.3.2: the shortest two's-complement form, so no redundant leading 0x00 ...
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0 && bytes[i + 1]! < 0x80) i++;
  const body = bytes.subarray(i);
  // ... but one is required when the top bit is set, or the value would read as negative.
  return tlv(0x02, body[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body);
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const out: number[] = [];
  // X.690 8.19: the first two arcs share one subidentifier; each is base 128, high bit = "more follows".
  for (const arc of [first! * 40 + second!, ...rest]) {
    const sub = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) sub.unshift(0x80 | (v & 0x7f));
    out.push(...sub);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`certificate date out of range: ${d.toISOString()}`);
  // YYYYMMDDHHMMSS: RFC 5280 4.1.2.5.1/4.1.2.5.2 want Zulu time with seconds and no fraction.
  const digits = d.toISOString().slice(0, 19).replace(/\D/g, '');
  // RFC 5280 4.1.2.5: UTCTime for 1950 through 2049, GeneralizedTime otherwise.
  if (year >= 1950 && year <= 2049) return tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'));
  return tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

// --- X.509 (RFC 5280) ---

const name = (commonName: string): Buffer =>
  sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  // RFC 5280 4.1: critical is DEFAULT FALSE, and DER (X.690 11.5) omits a default value.
  return sequence(oid(id), ...(critical ? [TRUE] : []), octetString(value));
}

function dnsName(host: string): Buffer {
  // RFC 5280 4.2.1.6: IA5String in preferred name syntax; internationalized names go in as A-labels.
  if (!/^[\x21-\x7e]+$/.test(host)) {
    throw new TypeError(`invalid DNS name for subjectAltName: ${JSON.stringify(host)}`);
  }
  return tlv(0x82, Buffer.from(host, 'ascii'));
}

function ipAddress(ip: string): Buffer {
  // RFC 5280 4.2.1.6: four octets for IPv4, sixteen for IPv6, network byte order.
  if (isIPv4(ip)) return tlv(0x87, Buffer.from(ip.split('.').map(Number)));
  if (isIPv6(ip) && !ip.includes('%')) return tlv(0x87, ipv6Bytes(ip));
  throw new TypeError(`invalid IP address for subjectAltName: ${JSON.stringify(ip)}`);
}

function ipv6Bytes(ip: string): Buffer {
  // An embedded IPv4 tail (::ffff:192.0.2.1) is the last two 16-bit groups.
  const s = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    [(+a << 8) | +b, (+c << 8) | +d].map((g) => g.toString(16)).join(':'),
  );
  const [head = '', tail] = s.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A self-signed X.509 v3 TLS server certificate with a fresh ECDSA P-256 key. */
export function generateCertificate(o: CertificateOptions): GeneratedCertificate {
  const days = o.days ?? 365;
  const now = o.now ?? new Date();
  if (o.commonName === '' || o.commonName.length > MAX_COMMON_NAME) {
    throw new RangeError(`commonName must be 1 to ${MAX_COMMON_NAME} characters`);
  }
  if (!Number.isFinite(days) || days <= 0) {
    throw new RangeError(`days must be a positive number, got ${days}`);
  }
  if (Number.isNaN(now.getTime())) throw new RangeError('now is not a valid date');

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const jwk = publicKey.export({ format: 'jwk' });
  // The subjectPublicKey BIT STRING contents: the uncompressed point 04 || X || Y (SEC 1 2.3.3).
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x ?? '', 'base64url'),
    Buffer.from(jwk.y ?? '', 'base64url'),
  ]);

  // RFC 5280 4.1.2.2: a positive integer of at most 20 octets, unpredictable to the subject.
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;

  // RFC 5758 3.2: ecdsa-with-SHA256 takes no parameters at all (not even NULL).
  const signatureAlgorithm = sequence(oid(OID.ecdsaWithSha256));

  const altNames = [...o.dnsNames.map(dnsName), ...o.ipAddresses.map(ipAddress)];
  const extensions = [
    // RFC 5280 4.2.1.6: GeneralNames is SIZE (1..MAX), so no extension at all when there are no names.
    ...(altNames.length > 0 ? [extension(OID.subjectAltName, false, sequence(...altNames))] : []),
    // RFC 5280 4.2.1.9: cA DEFAULT FALSE, so an end-entity certificate has an empty SEQUENCE.
    extension(OID.basicConstraints, true, sequence()),
    // RFC 5280 4.2.1.3: bit 0 = digitalSignature, all an ECDHE-ECDSA server needs; 7 unused bits (X.690 11.2.2).
    extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
    // RFC 5280 4.2.1.12.
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
    // RFC 5280 4.2.1.2, method (1): SHA-1 of the subjectPublicKey bits.
    extension(OID.subjectKeyIdentifier, false, octetString(createHash('sha1').update(point).digest())),
  ];

  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // RFC 5280 4.1.2.1: v3
    integer(serial),
    signatureAlgorithm, // RFC 5280 4.1.2.3: must equal Certificate.signatureAlgorithm
    name(o.commonName),
    sequence(time(new Date(now.getTime() - BACKDATE_MS)), time(new Date(now.getTime() + days * DAY_MS))),
    name(o.commonName), // RFC 5280 4.1.2.6: self-signed, so subject = issuer
    spki,
    explicit(3, sequence(...extensions)),
  );
  // RFC 5480 2.2.3 / RFC 5758 3.2: the signature value is the DER Ecdsa-Sig-Value { r, s }.
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));

  return {
    cert: pem('CERTIFICATE', der),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    fingerprint256: createHash('sha256')
      .update(der)
      .digest('hex')
      .toUpperCase()
      .replace(/(..)(?!$)/g, '$1:'),
  };
}
