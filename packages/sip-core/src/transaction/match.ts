/**
 * Which transaction a message belongs to (RFC 3261 17.1.3, 17.2.3), as map keys.
 *
 * Server side, a branch with the magic cookie (`z9hG4bK` and more): branch + top Via sent-by + method, the
 * method of an ACK counting as INVITE (the ACK of a non-2xx final response belongs to the INVITE's
 * transaction) and a CANCEL having its own. Without the cookie (RFC 2543 peers, and RFC 4475 `badbranch`
 * whose branch is the bare cookie): Request-URI, To tag, From tag, Call-ID, CSeq (number and method) and
 * the top Via as a whole; an ACK matches by the same fields except the CSeq method, its To tag being the
 * tag of the final response the transaction sent. Client side: the top Via branch + the CSeq method.
 *
 * `cancelKey` is the key a CANCEL and the request it cancels share (RFC 3261 9.2: the method left out).
 */
import type { SipMessage } from '../message';
import { parseNameAddr } from '../name-addr';
import { parseCSeq, parseVia, type Via } from '../validate';

export const MAGIC_COOKIE = 'z9hG4bK';

/** A branch that starts with the magic cookie and has something after it (RFC 3261 8.1.1.7, RFC 4475 3.2.1). */
export function hasMagicCookie(branch: string | undefined): branch is string {
  return branch !== undefined && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length;
}

function branchOf(via: Via): string | undefined {
  return via.params.find((p) => p.name.toLowerCase() === 'branch')?.value;
}

function tagOf(value: string | undefined): string {
  if (value === undefined) return '';
  try {
    return parseNameAddr(value).params.find((p) => p.name.toLowerCase() === 'tag')?.value ?? '';
  } catch {
    return '';
  }
}

function sentBy(via: Via): string {
  const host = via.host.toLowerCase();
  return `${host}:${via.port ?? 5060}`;
}

interface Ids {
  topVia: string;
  via?: Via;
  cseq: { seq: number; method: string };
}

function ids(m: SipMessage): Ids {
  const topVia = m.getAll('Via')[0] ?? '';
  let via: Via | undefined;
  try {
    via = parseVia(topVia);
  } catch {
    via = undefined;
  }
  let cseq: { seq: number; method: string };
  try {
    cseq = parseCSeq(m.get('CSeq') ?? '');
  } catch {
    cseq = { seq: -1, method: m.method ?? '' };
  }
  return { topVia, ...(via ? { via } : {}), cseq };
}

/** RFC 2543 fields shared by all three keys. */
function legacy(m: SipMessage, toTag: string, i: Ids): string {
  return [m.uri, toTag, tagOf(m.get('From')), m.get('Call-ID') ?? '', i.cseq.seq, i.topVia].join('\u0000');
}

/**
 * The key of the server transaction a request belongs to: the one it creates, or the one it is a
 * retransmission of, or, for an ACK, the INVITE transaction it acknowledges.
 */
export function serverKey(m: SipMessage): string {
  const i = ids(m);
  const branch = i.via && branchOf(i.via);
  if (i.via && hasMagicCookie(branch)) {
    const method = m.method === 'ACK' ? 'INVITE' : m.method;
    return `3261\u0000${branch}\u0000${sentBy(i.via)}\u0000${method}`;
  }
  if (m.method === 'ACK') return `2543ack\u0000${legacy(m, tagOf(m.get('To')), i)}`;
  return `2543\u0000${legacy(m, tagOf(m.get('To')), i)}\u0000${i.cseq.method}`;
}

/**
 * For an INVITE answered with a To tag: the key an RFC 2543 ACK of that response has (undefined for a
 * cookie branch, whose ACK has the INVITE's own key).
 */
export function ack2543Key(invite: SipMessage, responseToTag: string): string | undefined {
  const i = ids(invite);
  if (i.via && hasMagicCookie(branchOf(i.via))) return undefined;
  return `2543ack\u0000${legacy(invite, responseToTag, i)}`;
}

/** The key a CANCEL shares with the request it cancels (RFC 3261 9.2). */
export function cancelKey(m: SipMessage): string {
  const i = ids(m);
  const branch = i.via && branchOf(i.via);
  if (i.via && hasMagicCookie(branch)) return `3261c\u0000${branch}\u0000${sentBy(i.via)}`;
  return `2543c\u0000${legacy(m, tagOf(m.get('To')), i)}`;
}

/** The key of a client transaction: its branch and method. */
export function clientKey(branch: string, method: string): string {
  return `${branch}\u0000${method}`;
}

/** The key of the client transaction a response belongs to, or undefined without a branch. */
export function responseKey(response: SipMessage): string | undefined {
  const i = ids(response);
  const branch = i.via && branchOf(i.via);
  if (branch === undefined) return undefined;
  return clientKey(branch, i.cseq.method);
}

/** The To tag of a message ('' without one). */
export function toTag(m: SipMessage): string {
  return tagOf(m.get('To'));
}
