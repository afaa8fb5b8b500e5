/**
 * How the UE writes what the specifications leave to the client, as one profile per kind of phone:
 *
 * - `ims`: the RFC-exact client. nc as 8 lower-case hex digits (RFC 7616 3.4), X-3GPP-Intended-Identity as
 *   the bare URI, the challenge with the most preferred AKA algorithm among several, the realm as offered,
 *   qop=auth when offered.
 * - `android`: what the AOSP ImsStack Ut client (`enabler/ssc/SscAuthAgent`, `SscHttpConnection`) sends:
 *   nc written with `%08d` (decimal, zero-padded: the tenth request carries `00000010`, not `0000000a`),
 *   X-3GPP-Intended-Identity quoted (`"sip:..."`), the first challenge only and the first of several
 *   ";"-separated realms, the first qop token offered, `User-Agent: <UA> 3gpp-gba`, an empty
 *   `Accept-Encoding:` on every request and `Accept-Charset: utf-8` on PUT.
 *
 * Not modelled from Android: GBA (B-TID usernames, Ks_NAF passwords), its "MD5-sees" misspelling (the AP
 * never offers MD5-sess), its carrier-configured retry and CS-fallback policies.
 */

export type QuirksName = 'ims' | 'android';

export interface QuirksProfile {
  name: QuirksName;
  /** the nonce count as written in `nc=` (and hashed exactly so) */
  formatNc(count: number): string;
  /** the value of X-3GPP-Intended-Identity for a public identity */
  intendedIdentity(uri: string): string;
  /** `preference`: the challenge whose algorithm ranks best; `first`: the first challenge, or none */
  challengeChoice: 'preference' | 'first';
  /** keep only the first of several ";"-separated realms (TS 24.109 5.2.4 allows a list) */
  firstRealmOnly: boolean;
  /** `auth-first`: auth when offered, else auth-int; `first`: the first qop token offered */
  qopChoice: 'auth-first' | 'first';
  /** the User-Agent for a product string */
  userAgent(product: string): string;
  /** headers added to every request of this method, in order (an empty value is sent as an empty header) */
  extraHeaders(method: string): [string, string][];
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

function checkCount(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new RangeError(`nonce count ${n} out of range`);
  return n;
}

export const IMS_QUIRKS: QuirksProfile = Object.freeze({
  name: 'ims',
  formatNc: (n: number) => hex8(checkCount(n)),
  intendedIdentity: (uri: string) => uri,
  challengeChoice: 'preference',
  firstRealmOnly: false,
  qopChoice: 'auth-first',
  userAgent: (product: string) => product,
  extraHeaders: () => [],
});

export const ANDROID_QUIRKS: QuirksProfile = Object.freeze({
  name: 'android',
  // SscAuthAgent formats the count with String.format("%08d"): decimal digits in an 8-character field
  formatNc: (n: number) => String(checkCount(n)).padStart(8, '0'),
  intendedIdentity: (uri: string) => `"${uri}"`,
  challengeChoice: 'first',
  firstRealmOnly: true,
  qopChoice: 'first',
  // Metaswitch-style APs refuse Ua clients without the 3gpp-gba token, so Android always sends it
  userAgent: (product: string) => `${product} 3gpp-gba`,
  extraHeaders: (method: string): [string, string][] => [
    ['Accept-Encoding', ''],
    ...(method === 'PUT' ? ([['Accept-Charset', 'utf-8']] as [string, string][]) : []),
  ],
});

export function quirksProfile(q: QuirksName | QuirksProfile | undefined): QuirksProfile {
  if (q === undefined || q === 'ims') return IMS_QUIRKS;
  if (q === 'android') return ANDROID_QUIRKS;
  if (typeof q === 'string') throw new RangeError(`unknown quirks profile "${String(q)}" (ims or android)`);
  return q;
}
