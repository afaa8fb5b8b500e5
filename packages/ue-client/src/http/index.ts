/** HTTPS with Digest AKA on Ut (TS 24.109 5.2, RFC 3310, RFC 4169). */
export * from './https-connection';
export * from './digest-aka-client';
export * from './intended-identity';
export * from './ut-client';
