/**
 * Who is asking: the identity the Authentication Proxy asserted in X-3GPP-Asserted-Identity (TS 24.109
 * 7.2), believed only from `xcap.trustedProxies`; and XUI comparison by URI equivalence (RFC 3261 19.1.4
 * for SIP URIs, RFC 3966 for tel).
 */
import { isIP } from 'node:net';

/** `::ffff:127.0.0.1` is 127.0.0.1 (a dual-stack socket's view of an IPv4 peer). */
export function normaliseAddress(a: string | undefined): string {
  if (!a) return '';
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return (m ? m[1]! : a).toLowerCase();
}

export function isTrusted(remote: string | undefined, trusted: readonly string[]): boolean {
  const r = normaliseAddress(remote);
  return isIP(r) !== 0 && trusted.some((t) => normaliseAddress(t) === r);
}

/** The identities of the header: comma-separated, each quoted, in angle brackets, or bare. */
export function parseAssertedIdentities(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const all = Array.isArray(header) ? header.join(',') : header;
  const out: string[] = [];
  for (const m of all.matchAll(/"([^"]*)"|<([^>]*)>|([^,\s]+)/g)) {
    const v = (m[1] ?? m[2] ?? m[3] ?? '').trim();
    if (v) out.push(v);
  }
  return out;
}

interface Parsed {
  scheme: string;
  user: string;
  host: string;
  port: string;
  params: Map<string, string>;
}

function parseSip(uri: string): Parsed | undefined {
  const m = /^(sips?):(?:([^@;?]*)@)?([^;?:]+|\[[^\]]+\])(?::(\d+))?((?:;[^?]*)?)(?:\?.*)?$/i.exec(uri);
  if (!m) return undefined;
  const params = new Map<string, string>();
  for (const p of (m[5] ?? '').split(';').filter(Boolean)) {
    const [k, v = ''] = p.split('=');
    params.set(k!.toLowerCase(), v.toLowerCase());
  }
  let user = m[2] ?? '';
  try {
    user = decodeURIComponent(user);
  } catch {
    // keep as written: a bad escape compares as its own text
  }
  return { scheme: m[1]!.toLowerCase(), user, host: m[3]!.toLowerCase(), port: m[4] ?? '', params };
}

/** Parameters that make two SIP URIs different when either has them (RFC 3261 19.1.4). */
const SIGNIFICANT = ['user', 'ttl', 'method', 'maddr', 'transport'];

export function sameIdentity(a: string, b: string): boolean {
  const ta = /^tel:/i.test(a);
  const tb = /^tel:/i.test(b);
  if (ta || tb) {
    if (!(ta && tb)) return false;
    const norm = (t: string) => {
      const [num, ...params] = t.slice(4).split(';');
      return [num!.replace(/[-.()]/g, '').toLowerCase(), ...params.map((p) => p.toLowerCase()).sort()].join(
        ';',
      );
    };
    return norm(a) === norm(b);
  }
  const pa = parseSip(a);
  const pb = parseSip(b);
  if (!pa || !pb) return a === b;
  if (pa.scheme !== pb.scheme || pa.user !== pb.user || pa.host !== pb.host || pa.port !== pb.port)
    return false;
  return SIGNIFICANT.every((k) => pa.params.get(k) === pb.params.get(k));
}
