import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { generateCertificate, type GeneratedCertificate } from '../src/tls/certificate';

const OPENSSL = '/usr/bin/openssl';
const DAY_MS = 24 * 60 * 60 * 1000;
const xcap = (extra: { days?: number; now?: Date } = {}): GeneratedCertificate =>
  generateCertificate({
    commonName: 'xcap.home1.net',
    dnsNames: ['xcap.home1.net'],
    ipAddresses: ['127.0.0.1'],
    ...extra,
  });

const openssl = (args: string[], input?: string): string =>
  execFileSync(OPENSSL, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

describe('generateCertificate, read back by node:crypto', () => {
  const now = new Date('2030-01-02T03:04:05.678Z');
  const g = xcap({ now, days: 30 });
  const x = new X509Certificate(g.cert);

  it('returns PEM for the certificate and a PKCS#8 key', () => {
    expect(g.cert).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n$/);
    expect(g.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(g.key).asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
  });

  it('has CN=<commonName> as both subject and issuer, and the SANs in order', () => {
    expect(x.subject).toBe('CN=xcap.home1.net');
    expect(x.issuer).toBe('CN=xcap.home1.net');
    expect(x.subjectAltName).toBe('DNS:xcap.home1.net, IP Address:127.0.0.1');
  });

  it('is valid from five minutes before now until now + days, to the second', () => {
    expect(new Date(x.validFrom).toISOString()).toBe('2030-01-02T02:59:05.000Z');
    expect(new Date(x.validTo).toISOString()).toBe('2030-02-01T03:04:05.000Z');
  });

  it('defaults to 365 days from the current time', () => {
    const before = Date.now();
    const d = new X509Certificate(xcap().cert);
    const from = new Date(d.validFrom).getTime();
    const to = new Date(d.validTo).getTime();
    expect(from).toBeGreaterThanOrEqual(before - 5 * 60 * 1000 - 1000);
    expect(from).toBeLessThanOrEqual(Date.now() - 5 * 60 * 1000);
    expect(to - from).toBe(365 * DAY_MS + 5 * 60 * 1000);
  });

  it('pairs with its key and is signed by it', () => {
    expect(x.checkPrivateKey(createPrivateKey(g.key))).toBe(true);
    expect(x.verify(x.publicKey)).toBe(true);
  });

  it('cannot act as an issuer: CA:FALSE and no keyCertSign (RFC 5280 4.2.1.3, 4.2.1.9)', () => {
    expect(x.ca).toBe(false);
    expect(x.checkIssued(x)).toBe(false);
  });

  it('reports the fingerprint node computes', () => {
    expect(g.fingerprint256).toBe(x.fingerprint256);
    expect(g.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('has a positive serial number of at most 16 octets', () => {
    expect(x.serialNumber).toMatch(/^[0-7][0-9A-F]*$/);
    expect(x.serialNumber.length).toBeLessThanOrEqual(32);
  });

  it('encodes an IPv6 SAN as 16 octets', () => {
    const v6 = new X509Certificate(
      generateCertificate({
        commonName: 'v6',
        dnsNames: [],
        ipAddresses: ['::1', '2001:db8::a:0:0:1', '::ffff:192.0.2.1'],
      }).cert,
    );
    expect(v6.subjectAltName).toBe(
      'IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:A:0:0:1, IP Address:0:0:0:0:0:FFFF:C000:201',
    );
  });

  it('gives a different serial number and key on every call', () => {
    const a = xcap();
    const b = xcap();
    expect(new X509Certificate(a.cert).serialNumber).not.toBe(new X509Certificate(b.cert).serialNumber);
    expect(a.key).not.toBe(b.key);
    expect(new X509Certificate(a.cert).publicKey.export({ format: 'jwk' })).not.toEqual(
      new X509Certificate(b.cert).publicKey.export({ format: 'jwk' }),
    );
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
  });

  it('rejects inputs that cannot be encoded', () => {
    const base = { commonName: 'a', dnsNames: [], ipAddresses: [] };
    expect(() => generateCertificate({ ...base, ipAddresses: ['300.1.1.1'] })).toThrow(/invalid IP address/);
    expect(() => generateCertificate({ ...base, ipAddresses: ['fe80::1%eth0'] })).toThrow(
      /invalid IP address/,
    );
    expect(() => generateCertificate({ ...base, dnsNames: ['bad name'] })).toThrow(/invalid DNS name/);
    expect(() => generateCertificate({ ...base, dnsNames: ['bücher.example'] })).toThrow(/invalid DNS name/);
    expect(() => generateCertificate({ ...base, commonName: '' })).toThrow(/commonName/);
    expect(() => generateCertificate({ ...base, commonName: 'x'.repeat(65) })).toThrow(/commonName/);
    expect(() => generateCertificate({ ...base, days: 0 })).toThrow(/days/);
    expect(() => generateCertificate({ ...base, now: new Date(NaN) })).toThrow(/now/);
  });
});

describe('generateCertificate, read back by openssl', () => {
  const g = xcap();

  it('parses as a v3 ECDSA P-256 server certificate with the expected extensions', () => {
    const text = openssl(['x509', '-noout', '-text'], g.cert);
    expect(text).toContain('Version: 3 (0x2)');
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(text).toContain('Issuer: CN = xcap.home1.net');
    expect(text).toContain('Subject: CN = xcap.home1.net');
    expect(text).toContain('Public-Key: (256 bit)');
    expect(text).toContain('ASN1 OID: prime256v1');
    expect(text).toMatch(
      /X509v3 Subject Alternative Name: *\n\s+DNS:xcap\.home1\.net, IP Address:127\.0\.0\.1\n/,
    );
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    expect(text).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    expect(text).toMatch(/X509v3 Extended Key Usage: *\n\s+TLS Web Server Authentication\n/);
  });

  it('has a subject key identifier that is the SHA-1 of the public key bits', () => {
    const spki = new X509Certificate(g.cert).publicKey.export({ type: 'spki', format: 'der' });
    // For P-256 the BIT STRING is last in the SPKI and holds the 65-octet uncompressed point.
    const ski = createHash('sha1').update(spki.subarray(-65)).digest('hex').toUpperCase();
    const text = openssl(['x509', '-noout', '-ext', 'subjectKeyIdentifier'], g.cert);
    expect(/\b((?:[0-9A-F]{2}:){19}[0-9A-F]{2})\b/.exec(text)?.[1]?.replace(/:/g, '')).toBe(ski);
  });

  it('verifies against itself as the only trust anchor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ap-cert-'));
    try {
      const file = join(dir, 'cert.pem');
      writeFileSync(file, g.cert);
      expect(openssl(['verify', '-CAfile', file, file])).toBe(`${file}: OK\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 4.1.2.5)', () => {
    const c = xcap({ now: new Date('2049-12-31T12:00:00Z'), days: 1 });
    const asn1 = openssl(['asn1parse'], c.cert);
    expect(asn1).toMatch(/UTCTIME +:491231115500Z/);
    expect(asn1).toMatch(/GENERALIZEDTIME +:20500101120000Z/);
    expect(new Date(new X509Certificate(c.cert).validTo).toISOString()).toBe('2050-01-01T12:00:00.000Z');
  });
});

describe('generateCertificate, used by a TLS server', () => {
  const g = xcap();
  let server: tls.Server;
  let port: number;
  const sockets = new Set<tls.TLSSocket>();

  beforeAll(async () => {
    server = tls.createServer({ cert: g.cert, key: g.key, minVersion: 'TLSv1.2' }, (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      s.end('hello');
    });
    // A client that rejects the certificate aborts the handshake; that is expected here.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function connect(options: tls.ConnectionOptions): Promise<{ authorized: boolean; data: string }> {
    return new Promise((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port, ca: g.cert, rejectUnauthorized: true, ...options });
      let data = '';
      c.setEncoding('utf8');
      c.on('data', (d: string) => (data += d));
      c.on('end', () => resolve({ authorized: c.authorized, data }));
      c.on('error', (e) => {
        c.destroy();
        reject(e);
      });
    });
  }

  it('is trusted for its DNS name', async () => {
    await expect(
      connect({ servername: 'xcap.home1.net', checkServerIdentity: tls.checkServerIdentity }),
    ).resolves.toEqual({ authorized: true, data: 'hello' });
  });

  it('is trusted for its IP address by a client that connects by IP', async () => {
    await expect(connect({})).resolves.toEqual({ authorized: true, data: 'hello' });
  });

  it('is refused by a client expecting another host name', async () => {
    await expect(connect({ servername: 'other.example' })).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      reason: expect.stringContaining('other.example'),
    });
  });

  it('is refused by a client that does not trust it', async () => {
    const stranger = xcap();
    await expect(connect({ ca: stranger.cert, servername: 'xcap.home1.net' })).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });
});
