/**
 * The body of a received NOTIFY, by the kind of subscription it belongs to: `application/pidf+xml` for
 * presence (RFC 3856 section 6.5), `application/watcherinfo+xml` for presence.winfo (RFC 3857, RFC 3858),
 * `multipart/related` with an RLMI root (RFC 4662 section 5) for an event list, whose PIDF parts are read
 * as well. The codecs are the presence server's (`parsePidf`, `parseWatcherinfo`,
 * `parseListNotifyBody`); this module only picks one and says what status a body that fails gets.
 *
 * A NOTIFY without a body (pending, or terminated) is fine for every kind. A body of a type the
 * subscription did not Accept is a 415; a body without Content-Type (RFC 3261 20.15), one that is not
 * UTF-8, or one the codec refuses is a 400. Not here: Content-Encoding (taken as identity), nested lists'
 * RLMI (a part of another type is kept as it is, unread), and the pidf-diff of RFC 5262.
 */
import {
  parseListNotifyBody,
  parseWatcherinfo,
  PIDF_TYPE,
  RLMI_TYPE,
  WATCHERINFO_TYPE,
  type InstanceBody,
  type RlmiList,
  type WatcherinfoDocument,
} from '@ut-testbed/presence-server';
import { NotifyBodyError } from './errors';
import { readPresence, type PresenceState } from './pidf';

export type WatchKind = 'presence' | 'winfo' | 'list';

/** A part of a list NOTIFY: its PIDF read when it is one. */
export interface ListPart extends InstanceBody {
  presence?: PresenceState;
}

export type NotifyBody =
  | { type: 'none' }
  | { type: 'presence'; presence: PresenceState }
  | { type: 'winfo'; watcherinfo: WatcherinfoDocument }
  | { type: 'list'; list: RlmiList; parts: Map<string, ListPart> };

/** What each kind of subscription puts in its Accept (RFC 4662 5.1: a list subscriber names all three). */
export const ACCEPT: Record<WatchKind, string[]> = {
  presence: [PIDF_TYPE],
  winfo: [WATCHERINFO_TYPE],
  list: [PIDF_TYPE, RLMI_TYPE, 'multipart/related'],
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(body: Buffer, what: string): string {
  try {
    return utf8.decode(body);
  } catch (e) {
    throw new NotifyBodyError(400, `${what} is not UTF-8`, { cause: e });
  }
}

function parsed<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof NotifyBodyError) throw e;
    throw new NotifyBodyError(400, `${what}: ${(e as Error).message}`, { cause: e });
  }
}

const mediaType = (ct: string): string => ct.split(';')[0]!.trim().toLowerCase();

export function decodeNotifyBody(kind: WatchKind, contentType: string | undefined, body: Buffer): NotifyBody {
  if (body.length === 0) return { type: 'none' };
  if (contentType === undefined) throw new NotifyBodyError(400, 'a body without Content-Type');
  const type = mediaType(contentType);
  // `Supported: eventlist` permits a list body, it does not require one: a URI that is no list gets PIDF
  if (type === PIDF_TYPE && kind !== 'winfo')
    return {
      type: 'presence',
      presence: parsed('not a PIDF document', () => readPresence(text(body, 'PIDF'))),
    };
  if (type === WATCHERINFO_TYPE && kind === 'winfo')
    return {
      type: 'winfo',
      watcherinfo: parsed('not a watcherinfo document', () => parseWatcherinfo(text(body, 'watcherinfo'))),
    };
  if (type === 'multipart/related' && kind === 'list') {
    const { list, parts } = parsed('not an RLMI list body', () => parseListNotifyBody(contentType, body));
    const read = new Map<string, ListPart>();
    for (const [cid, p] of parts) {
      const part: ListPart = { ...p };
      if (mediaType(p.contentType) === PIDF_TYPE) {
        const b = typeof p.body === 'string' ? p.body : text(p.body, `part <${cid}>`);
        part.presence = parsed(`part <${cid}> is not a PIDF document`, () => readPresence(b));
      }
      read.set(cid, part);
    }
    return { type: 'list', list, parts: read };
  }
  throw new NotifyBodyError(415, `${type} is not what the subscription accepts (${ACCEPT[kind].join(', ')})`);
}
