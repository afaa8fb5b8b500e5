/**
 * The errors of the SIP UA: a PUBLISH that failed (RFC 3903 section 6: 412 for an entity tag the server no
 * longer knows, 423 after the one retry with Min-Expires, any other final response, a local 408 or 503 of
 * sip-core), a NOTIFY body that the UA could not take (the status it was answered with), and reading a
 * watch that is over. SUBSCRIBE failures are sip-core's SubscribeError (re-exported from ./index).
 */
import type { SipMessage } from '@ut-testbed/sip-core';

export class PublishError extends Error {
  override name = 'PublishError';
  constructor(
    readonly response: SipMessage,
    readonly operation: 'initial' | 'refresh' | 'modify' | 'remove',
    detail?: string,
  ) {
    super(
      `PUBLISH (${operation}) failed: ${response.status} ${response.reason}${detail ? `: ${detail}` : ''}`,
    );
  }

  get status(): number {
    return this.response.status!;
  }
}

/** A NOTIFY the UA answered with 400 (a body it cannot parse) or 415 (a type it did not accept). */
export class NotifyBodyError extends Error {
  override name = 'NotifyBodyError';
  constructor(
    readonly status: 400 | 415,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `next()` on a watch that is terminated and has no update left. */
export class WatchEndedError extends Error {
  override name = 'WatchEndedError';
}
