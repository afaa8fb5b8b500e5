/**
 * Header names (RFC 3261 section 7.3 and 20): compact forms (RFC 3261 7.3.3 and the later ones IANA lists),
 * which headers may appear once only, and which hold comma-separated lists (RFC 3261 7.3.1: a header field
 * with a comma list may be split into several header fields, and the other way round). Names compare
 * case-insensitively; `key` is the lower-case long form.
 */

/** compact form -> long form (IANA "Header Fields" registry, compact column) */
export const COMPACT: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

/** The lower-case long form of a header name as received. */
export function headerKey(name: string): string {
  if (name.length === 1) {
    const long = COMPACT[name.toLowerCase()];
    if (long) return long.toLowerCase();
  }
  return name.toLowerCase();
}

/** Headers a message holds at most once (RFC 3261 7.3: they have no comma-list form). */
export const SINGLE = new Set([
  'to',
  'from',
  'call-id',
  'cseq',
  'max-forwards',
  'content-length',
  'content-type',
  'expires',
  'min-expires',
  'date',
  'event',
  'subscription-state',
  'sip-etag',
  'sip-if-match',
  'refer-to',
]);

/** Headers whose value is a comma-separated list (the grammar of RFC 3261 25.1 and its extensions). */
export const LISTS = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'accept',
  'accept-encoding',
  'accept-language',
  'allow',
  'allow-events',
  'alert-info',
  'call-info',
  'content-encoding',
  'content-language',
  'error-info',
  'in-reply-to',
  'proxy-require',
  'require',
  'supported',
  'unsupported',
  'warning',
  'path',
  'service-route',
  'p-asserted-identity',
  'p-preferred-identity',
  'p-associated-uri',
  'privacy',
  'security-client',
  'security-server',
  'security-verify',
  'reason',
]);
