/**
 * The AP's generated certificate kept across starts (ap.tls.generatedDir): made once, read back, replaced
 * when it is about to expire or names other hosts, never half-written, refused with the key named when the
 * file is not ours; and an AP started twice on one directory presents the same certificate over TLS.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { parseConfig } from '@ut-testbed/config';
import { start } from '../src';
import { generateCertificate } from '../src/tls/certificate';
import { KEPT_FILE, keptCertificate } from '../src/tls/kept-certificate';
import { silent } from './support/network';

const DAY_MS = 24 * 60 * 60 * 1000;
const names = { commonName: 'xcap.home1.net', dnsNames: ['xcap.home1.net'], ipAddresses: ['127.0.0.1'] };

let dir: string;
let logged: string[];
const log = (m: string) => logged.push(m);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ap-kept-'));
  logged = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

test('generated on the first start, owner-only, then read back unchanged', () => {
  const first = keptCertificate(dir, names, log);
  expect([first.generated, first.path]).toEqual([true, join(dir, KEPT_FILE)]);
  expect(statSync(first.path!).mode & 0o777).toBe(0o600);
  expect(readFileSync(first.path!, 'utf8')).toBe(first.key + first.cert);
  expect(logged[0]).toMatch(/^generating a TLS certificate for xcap\.home1\.net .*none is kept yet/);

  const again = keptCertificate(dir, names, log);
  expect(again.generated).toBe(false);
  expect([fingerprint(again.cert), again.key]).toEqual([fingerprint(first.cert), first.key]);
});

test('replaced when it has less than a day left, or does not name the host asked for', () => {
  // a pair with half a day left, as a kept file
  const old = generateCertificate({ ...names, days: 1, now: new Date(Date.now() - DAY_MS / 2) });
  writeFileSync(join(dir, KEPT_FILE), old.key + old.cert, { mode: 0o600 });
  const renewed = keptCertificate(dir, names, log);
  expect(renewed.generated).toBe(true);
  expect(fingerprint(renewed.cert)).not.toBe(fingerprint(old.cert));
  expect(logged.at(-2)).toMatch(/it expires within a day/);

  const moved = keptCertificate(dir, { ...names, dnsNames: ['ap.example.net'] }, log);
  expect(moved.generated).toBe(true);
  expect(logged.at(-2)).toMatch(/it does not name ap\.example\.net/);
});

test('a file that is not a key and certificate of ours: an error naming the key, the file left alone', () => {
  writeFileSync(join(dir, KEPT_FILE), 'not a certificate\n');
  expect(() => keptCertificate(dir, names, log)).toThrow(
    /^ap\.tls\.generatedDir: .*ap-tls\.pem is not a key and certificate this AP wrote .*remove it/,
  );
  const other = keptCertificate(join(dir, 'b'), names, log);
  const mismatched = keptCertificate(join(dir, 'c'), names, log);
  writeFileSync(join(dir, KEPT_FILE), other.key + mismatched.cert);
  expect(() => keptCertificate(dir, names, log)).toThrow(/the key does not match the certificate/);
  expect(readFileSync(join(dir, KEPT_FILE), 'utf8')).toBe(other.key + mismatched.cert);
});

test('processes starting at once on a new directory all present the one pair that is kept', async () => {
  const code =
    `const { keptCertificate } = require(${JSON.stringify(join(__dirname, '..', 'src', 'tls', 'kept-certificate.ts'))});` +
    `const c = keptCertificate(${JSON.stringify(dir)}, ${JSON.stringify(names)}, () => undefined);` +
    `process.stdout.write(new (require('node:crypto').X509Certificate)(c.cert).fingerprint256);`;
  const one = () =>
    new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', '-e', code], (e, out) => (e ? reject(e) : resolve(out))),
    );
  const seen = await Promise.all([one(), one(), one(), one()]);
  const kept = readFileSync(join(dir, KEPT_FILE), 'utf8');
  expect(new Set(seen)).toEqual(new Set([fingerprint(kept.slice(kept.indexOf('-----BEGIN CERTIFICATE')))]));
  expect(readdirSync(dir)).toEqual([KEPT_FILE]); // no temporary file left behind
});

test('a kept file others may read: used, with a warning to chmod it', () => {
  keptCertificate(dir, names, log);
  chmodSync(join(dir, KEPT_FILE), 0o644);
  expect(keptCertificate(dir, names, log).generated).toBe(false);
  expect(logged).toContain(
    `${join(dir, KEPT_FILE)} holds a private key and others may read it: chmod 600 it`,
  );
});

test('null: a new certificate every time, kept nowhere', () => {
  const a = keptCertificate(null, names, log);
  const b = keptCertificate(null, names, log);
  expect([a.generated, a.path]).toEqual([true, undefined]);
  expect(fingerprint(a.cert)).not.toBe(fingerprint(b.cert));
});

test('an AP started twice on one generatedDir presents the same certificate', async () => {
  const presented = async () => {
    const c = parseConfig({
      ap: { listen: { host: '127.0.0.1', port: 0 }, hss: { port: 1 }, tls: { generatedDir: dir } },
    });
    const ap = await start({ ap: c.ap, realm: c.realm, logger: silent });
    try {
      const [host, port] = ap.endpoints.https.split(':');
      const socket = tls.connect({
        host: host!,
        port: Number(port),
        servername: 'xcap.home1.net',
        ca: ap.certificate,
      });
      await new Promise<void>((resolve, reject) =>
        socket.once('secureConnect', resolve).once('error', reject),
      );
      const fp = socket.getPeerX509Certificate()!.fingerprint256;
      socket.destroy();
      return fp;
    } finally {
      await ap.close();
    }
  };
  const first = await presented();
  expect(await presented()).toBe(first);
  const kept = readFileSync(join(dir, KEPT_FILE), 'utf8');
  expect(fingerprint(kept.slice(kept.indexOf('-----BEGIN CERTIFICATE')))).toBe(first);
});
