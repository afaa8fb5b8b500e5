/**
 * Public identities in requests: X-3GPP-Intended-Identity (TS 24.109 5.2.3: one URI; phones send it quoted,
 * AOSP as `"sip:..."`), the XUI of an XCAP URI (RFC 4825 6: <root>/<auid>/users/<xui>/...), and when two
 * identities name the same user: RFC 3261 19.1.4 for SIP URIs (scheme and host case-insensitive, the user
 * part exact after percent-decoding), tel URIs (RFC 3966) without their visual separators.
 */

export class IdentityError extends Error {
  override name = 'IdentityError';
}

/** The identity of an X-3GPP-Intended-Identity header, or undefined without one. */
export function intendedIdentity(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? value : [value];
  if (values.length !== 1) throw new IdentityError('X-3GPP-Intended-Identity must appear once');
  let v = values[0]!.trim();
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).trim();
  if (v.startsWith('<') && v.endsWith('>')) v = v.slice(1, -1).trim();
  if (!/^(sips?|tel):[^\s"<>,]+$/i.test(v)) {
    throw new IdentityError('X-3GPP-Intended-Identity must be one sip:, sips: or tel: URI');
  }
  return v;
}

/** The XUI of an XCAP URI path below the XCAP root `root`, or undefined (a global document, another path). */
export function xuiOf(path: string, root: string): string | undefined {
  const base = root.endsWith('/') ? root.slice(0, -1) : root;
  if (!path.startsWith(base + '/')) return undefined;
  const m = /^[^/]+\/users\/([^/?]+)/.exec(path.slice(base.length + 1));
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

function canonical(uri: string): string {
  const u = uri.trim();
  const colon = u.indexOf(':');
  if (colon < 0) return u;
  const scheme = u.slice(0, colon).toLowerCase();
  let rest = u.slice(colon + 1);
  try {
    rest = decodeURIComponent(rest);
  } catch {
    // not percent-encoded: compared as it is
  }
  if (scheme === 'tel') return `tel:${rest.replace(/[-.()\s]/g, '').toLowerCase()}`;
  const at = rest.lastIndexOf('@');
  const semi = rest.indexOf(';', at + 1);
  const hostEnd = semi < 0 ? rest.length : semi;
  const user = at < 0 ? '' : rest.slice(0, at + 1);
  return `${scheme}:${user}${rest.slice(at + 1, hostEnd).toLowerCase()}${rest.slice(hostEnd)}`;
}

export function sameIdentity(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}
