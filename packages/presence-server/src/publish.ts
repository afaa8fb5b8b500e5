/**
 * PUBLISH (RFC 3903 section 6) for the presence event package (RFC 3856) with PIDF bodies (RFC 3863). The
 * checks, in the order of RFC 3903 section 6: the Request-URI is a presentity of this domain (404); the
 * sender is the presentity (403, see identity.ts); Event is `presence` (489 + Allow-Events); SIP-If-Match
 * names a live publication of that presentity (412), or there is a body (400); Expires is 0 or at least
 * {@link MIN_EXPIRES} (423 + Min-Expires), at most {@link MAX_EXPIRES} (lowered); the body is
 * application/pidf+xml (415 + Accept) and a PIDF document (400 with the reason in a Warning).
 */
import { parseEvent, parseUri, type ServerTransactionHandle, type SipMessage } from '@ut-testbed/sip-core';
import { aor, identify } from './identity';
import { parsePidf, PIDF_TYPE, XmlError, type PidfDocument } from './pidf';
import type { PublicationStore } from './publications';

/** Shortest publication granted: a shorter non-zero Expires gets 423 (RFC 3903 allows a minimum). */
export const MIN_EXPIRES = 60;
/** Longest publication granted: a longer Expires is lowered to this. */
export const MAX_EXPIRES = 3600;
/** A PUBLISH without Expires gets this (RFC 3856 section 6.8 gives one hour as the default). */
export const DEFAULT_EXPIRES = 3600;
export const EVENT_PACKAGE = 'presence';
/** The event packages this server serves, for Allow-Events. */
export const ALLOW_EVENTS = `${EVENT_PACKAGE}, presence.winfo`;

export interface PublishOptions {
  store: PublicationStore;
  domain: string;
  trustedPeers: readonly string[];
  trustFrom: boolean;
  /** the agent of Warning headers (RFC 3261 20.43): this server's host */
  warnAgent: () => string;
}

export type RequestHandler = (req: SipMessage, tx: ServerTransactionHandle) => Promise<void>;

/** The presentity (its AOR) a Request-URI names when it is one of this domain's. */
export function presentityOf(uri: string, domain: string): string | undefined {
  try {
    const u = parseUri(uri);
    if ((u.scheme !== 'sip' && u.scheme !== 'sips') || !('host' in u)) return undefined;
    if (u.host.toLowerCase() !== domain.toLowerCase()) return undefined;
    return aor(u);
  } catch {
    return undefined;
  }
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]!.trim().toLowerCase();
}

export function createPublishHandler(o: PublishOptions): RequestHandler {
  const trusted = new Set(o.trustedPeers.map((p) => p.toLowerCase()));
  const utf8 = new TextDecoder('utf-8', { fatal: true });

  return async (req, tx) => {
    const warning = (text: string): [string, string] => [
      'Warning',
      `399 ${o.warnAgent()} "${text.replace(/["\\\r\n]/g, "'")}"`,
    ];
    const bad = (text: string) => tx.respond(400, 'Bad Request', [warning(text)]);

    const presentity = presentityOf(req.uri ?? '', o.domain);
    if (presentity === undefined) {
      tx.respond(404, 'Not Found', [warning(`not a presentity of ${o.domain}`)]);
      return;
    }
    const who = identify(req, tx.source.host, trusted, o.trustFrom);
    if (!who.ok) {
      tx.respond(403, 'Forbidden', [warning(who.reason)]);
      return;
    }
    if (!who.identities.includes(presentity)) {
      tx.respond(403, 'Forbidden', [
        warning(`${who.identities.join(', ')} may not publish for ${presentity}`),
      ]);
      return;
    }
    const event = parseEvent(req.get('Event'));
    if (event?.type !== EVENT_PACKAGE) {
      tx.respond(489, 'Bad Event', [['Allow-Events', EVENT_PACKAGE]]);
      return;
    }

    await o.store.serialize(presentity, async () => {
      const store = o.store;
      const ifMatch = req.get('SIP-If-Match')?.trim();
      const hasBody = req.body.length > 0;
      const pub = ifMatch !== undefined ? store.find(presentity, ifMatch) : undefined;
      if (ifMatch !== undefined && !pub) {
        tx.respond(412, 'Conditional Request Failed');
        return;
      }
      if (ifMatch === undefined && !hasBody) {
        bad('a PUBLISH without SIP-If-Match needs a body');
        return;
      }
      const rawExpires = req.get('Expires')?.trim();
      if (rawExpires !== undefined && !/^[0-9]{1,10}$/.test(rawExpires)) {
        bad('Expires is not a number of seconds');
        return;
      }
      const asked = rawExpires === undefined ? DEFAULT_EXPIRES : Number(rawExpires);
      if (asked === 0) {
        // removal (RFC 3903 4.5); without SIP-If-Match the state ends as it starts: nothing is kept
        if (pub) store.remove(pub);
        tx.respond(200, 'OK', [
          ['SIP-ETag', store.newEtag()],
          ['Expires', '0'],
        ]);
        if (pub) await store.changed(presentity, 'removed');
        return;
      }
      if (asked < MIN_EXPIRES) {
        tx.respond(423, 'Interval Too Brief', [['Min-Expires', String(MIN_EXPIRES)]]);
        return;
      }
      const granted = Math.min(asked, MAX_EXPIRES);
      let body: { text: string; doc: PidfDocument } | undefined;
      if (hasBody) {
        if (mediaType(req.get('Content-Type')) !== PIDF_TYPE) {
          tx.respond(415, 'Unsupported Media Type', [['Accept', PIDF_TYPE]]);
          return;
        }
        const encoding = req.get('Content-Encoding')?.trim().toLowerCase();
        if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
          tx.respond(415, 'Unsupported Media Type', [
            ['Accept', PIDF_TYPE],
            ['Accept-Encoding', 'identity'],
          ]);
          return;
        }
        let text: string;
        try {
          text = utf8.decode(req.body);
        } catch {
          bad('the body is not UTF-8');
          return;
        }
        try {
          body = { text, doc: parsePidf(text) };
        } catch (e) {
          if (!(e instanceof XmlError)) throw e;
          bad(`not a PIDF document: ${e.message}`);
          return;
        }
      }
      if (pub) {
        store.update(pub, granted, body);
        tx.respond(200, 'OK', [
          ['SIP-ETag', pub.etag],
          ['Expires', String(granted)],
        ]);
        await store.changed(presentity, body ? 'modified' : 'refreshed');
      } else {
        const p = store.add(presentity, body!.text, body!.doc, granted);
        tx.respond(200, 'OK', [
          ['SIP-ETag', p.etag],
          ['Expires', String(granted)],
        ]);
        await store.changed(presentity, 'published');
      }
    });
  };
}
