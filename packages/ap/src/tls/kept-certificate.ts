/**
 * The AP's own certificate when none is configured: generated on the first start and kept in one PEM file
 * (private key, then certificate) under `ap.tls.generatedDir`, so that a UE or a tester that trusted it once
 * keeps trusting it across restarts. A new one replaces the kept one when that has less than a day left or
 * does not name the hosts asked for. The file is written to a temporary name and then linked (a new file:
 * the first of several processes starting at once wins, and the others present its pair) or renamed (a
 * replacement), so a reader never sees half of it; it is readable by its owner only (it holds the key).
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCertificate, type CertificateOptions } from './certificate';

/** The file in `ap.tls.generatedDir`. */
export const KEPT_FILE = 'ap-tls.pem';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface KeptCertificate {
  cert: string;
  key: string;
  /** made at this start (else read from the file) */
  generated: boolean;
  /** where it is kept; undefined when it is kept nowhere */
  path?: string;
}

/** The PEM blocks of a kind in a text, each with its armour. */
function blocks(text: string, label: string): string[] {
  const re = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----\\n?`, 'g');
  return text.match(re) ?? [];
}

/** Why the kept pair cannot serve (undefined: it can). Throws when the file is not a key and certificate. */
function unusable(cert: string, key: string, o: CertificateOptions, now: Date): string | undefined {
  const x509 = new X509Certificate(cert);
  if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('the key does not match the certificate');
  if (new Date(x509.validTo).getTime() - now.getTime() < DAY_MS) return 'it expires within a day';
  // subjectAltName entries only, matched as a TLS client matches them (no common-name fallback)
  for (const d of o.dnsNames)
    if (x509.checkHost(d, { subject: 'never', wildcards: false }) === undefined)
      return `it does not name ${d}`;
  for (const ip of o.ipAddresses) if (x509.checkIP(ip) === undefined) return `it does not name ${ip}`;
  return undefined;
}

/** The key and certificate of a file this module wrote, if it is one that can serve (else the reason). */
function read(path: string, o: CertificateOptions, now: Date): { cert: string; key: string } | string {
  const text = readFileSync(path, 'utf8');
  const cert = blocks(text, 'CERTIFICATE')[0];
  const key = blocks(text, 'PRIVATE KEY')[0];
  try {
    if (!cert || !key) throw new Error('no PRIVATE KEY and CERTIFICATE blocks');
    return unusable(cert, key, o, now) ?? { cert, key };
  } catch (e) {
    throw new Error(
      `ap.tls.generatedDir: ${path} is not a key and certificate this AP wrote (${(e as Error).message}); ` +
        'remove it to have a new one generated',
      { cause: e },
    );
  }
}

/**
 * The certificate and key to present: those kept in `dir` when they still serve, else a new pair (written
 * there). `dir` null: a new pair at every start, kept nowhere. `log` hears what happened, for stderr.
 */
export function keptCertificate(
  dir: string | null,
  o: CertificateOptions,
  log: (message: string) => void,
): KeptCertificate {
  const now = o.now ?? new Date();
  if (dir === null) {
    const g = generateCertificate(o);
    return { cert: g.cert, key: g.key, generated: true };
  }
  const path = join(dir, KEPT_FILE);
  let exists = true;
  try {
    if ((statSync(path).mode & 0o077) !== 0)
      log(`${path} holds a private key and others may read it: chmod 600 it`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`ap.tls.generatedDir: cannot read ${path}: ${(e as Error).message}`, { cause: e });
    exists = false;
  }
  let why = 'none is kept yet';
  if (exists) {
    const kept = read(path, o, now);
    if (typeof kept !== 'string') {
      log(`the AP presents the certificate kept in ${path}`);
      return { ...kept, generated: false, path };
    }
    why = `the kept one cannot serve: ${kept}`;
  }
  log(`generating a TLS certificate for ${o.commonName} (ECDSA P-256): ${why}`);
  const g = generateCertificate(o);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, g.key + g.cert, { mode: 0o600, flag: 'wx' });
    if (exists) {
      renameSync(tmp, path);
    } else {
      // several processes starting at once on a new directory: the first link wins, the others use its pair
      try {
        linkSync(tmp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  } catch (e) {
    throw new Error(`ap.tls.generatedDir: cannot write ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    rmSync(tmp, { force: true });
  }
  // what is on disk now is what every process starting from this directory presents
  const kept = read(path, o, now);
  if (typeof kept === 'string') throw new Error(`ap.tls.generatedDir: ${path}: ${kept}`);
  log(`the AP's certificate is kept in ${path}; a UE that trusts it keeps trusting it across restarts`);
  return { ...kept, generated: kept.cert === g.cert, path };
}
