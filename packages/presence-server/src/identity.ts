/**
 * Who a request is from (DESIGN.md section 9, RFC 3325): P-Asserted-Identity is believed only when the
 * request comes from a trusted peer (an S-CSCF, by source address); from anywhere else it is ignored. The lab
 * switch `trustFrom` lets the From URI stand for the identity when no believable P-Asserted-Identity is there.
 */
import { displayText, parseNameAddr, parseUri, type SipMessage, type Uri } from '@ut-testbed/sip-core';

/** `sip:user@host` (host lower-case, escapes in the user decoded, no port or parameters); sips as sip. */
export function aor(uri: Uri): string | undefined {
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return undefined;
  const u = uri as { user?: string; host: string };
  if (u.user === undefined || u.user === '') return undefined;
  let user = u.user;
  try {
    user = decodeURIComponent(u.user);
  } catch {
    // kept as sent
  }
  return `sip:${user}@${u.host.toLowerCase()}`;
}

/** The AOR of a URI as text; undefined when it does not parse or is not a sip/sips URI with a user. */
export function aorOf(text: string): string | undefined {
  try {
    return aor(parseUri(text));
  } catch {
    return undefined;
  }
}

export type Identity =
  { ok: true; identities: string[]; by: 'asserted' | 'from' } | { ok: false; reason: string };

export function identify(
  req: SipMessage,
  sourceHost: string,
  trustedPeers: ReadonlySet<string>,
  trustFrom: boolean,
): Identity {
  const trusted = trustedPeers.has(sourceHost.toLowerCase());
  if (trusted) {
    const asserted: string[] = [];
    for (const v of req.getAll('P-Asserted-Identity')) {
      try {
        const a = aor(parseNameAddr(v).parsed);
        if (a !== undefined) asserted.push(a);
      } catch {
        // a bad value asserts nothing
      }
    }
    if (asserted.length > 0) return { ok: true, identities: asserted, by: 'asserted' };
  }
  if (trustFrom) {
    try {
      const a = aor(parseNameAddr(req.get('From') ?? '').parsed);
      if (a !== undefined) return { ok: true, identities: [a], by: 'from' };
    } catch {
      // falls through
    }
  }
  return {
    ok: false,
    reason: trusted
      ? 'No P-Asserted-Identity'
      : req.get('P-Asserted-Identity') !== undefined
        ? 'P-Asserted-Identity from an untrusted peer'
        : 'Not from a trusted peer',
  };
}

/** A watcher as the presence server sees it (RFC 3325, RFC 3323 Privacy). */
export interface WatcherIdentity {
  /** the URI of the identity, as received (what watcher information shows) */
  uri: string;
  displayName?: string;
  /** the AORs it may be known by (all the asserted identities) */
  identities: string[];
  /** `Privacy: id`: the presentity must not learn who it is, so no rule naming an identity applies either */
  anonymous: boolean;
}

/**
 * The watcher of a SUBSCRIBE: the first believable P-Asserted-Identity (or From under `trustFrom`), with the
 * display name it carries. Undefined with the reason when there is none.
 */
export function watcherOf(
  req: SipMessage,
  sourceHost: string,
  trustedPeers: ReadonlySet<string>,
  trustFrom: boolean,
): { ok: true; watcher: WatcherIdentity } | { ok: false; reason: string } {
  const who = identify(req, sourceHost, trustedPeers, trustFrom);
  if (!who.ok) return who;
  const values = who.by === 'asserted' ? req.getAll('P-Asserted-Identity') : [req.get('From') ?? ''];
  let uri = who.identities[0]!;
  let displayName: string | undefined;
  for (const v of values) {
    try {
      const n = parseNameAddr(v);
      if (aor(n.parsed) === undefined) continue;
      uri = n.uri;
      displayName = displayText(n) || undefined;
      break;
    } catch {
      // the next one
    }
  }
  const privacy = req
    .getAll('Privacy')
    .flatMap((p) => p.split(';'))
    .map((p) => p.trim().toLowerCase());
  const anonymous = privacy.includes('id');
  return {
    ok: true,
    watcher: {
      uri,
      ...(displayName !== undefined && !anonymous ? { displayName } : {}),
      identities: who.identities,
      anonymous,
    },
  };
}
