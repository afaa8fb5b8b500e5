/**
 * When the UE names the public identity it acts for (TS 24.109 5.2.3, X-3GPP-Intended-Identity): only for
 * an identity other than its default one, the first of its IMPUs (as TS 24.109 lets the AP assume the
 * default otherwise). Two identities are the same when they are equal as URIs: scheme and host
 * case-insensitive (RFC 3261 19.1.4), tel numbers without visual separators (RFC 3966 5.1.1).
 */

function canonical(uri: string): string {
  const u = uri.trim();
  const colon = u.indexOf(':');
  if (colon < 0) return u;
  const scheme = u.slice(0, colon).toLowerCase();
  const rest = u.slice(colon + 1);
  if (scheme === 'tel') return `tel:${rest.replace(/[-.()]/g, '').toLowerCase()}`;
  const at = rest.lastIndexOf('@');
  const semi = rest.indexOf(';', at + 1);
  const hostEnd = semi < 0 ? rest.length : semi;
  return `${scheme}:${rest.slice(0, at + 1)}${rest.slice(at + 1, hostEnd).toLowerCase()}${rest.slice(hostEnd)}`;
}

export function sameIdentity(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

/** The identity to name in X-3GPP-Intended-Identity, or undefined when it is the default one. */
export function intendedIdentityFor(
  identity: string | undefined,
  defaultImpu: string | undefined,
): string | undefined {
  if (identity === undefined) return undefined;
  if (defaultImpu !== undefined && sameIdentity(identity, defaultImpu)) return undefined;
  if (/[\r\n"]/.test(identity)) throw new RangeError('a public identity cannot hold CR, LF or a quote');
  return identity;
}
