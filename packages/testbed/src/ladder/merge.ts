/**
 * Groups trace records into messages. When several services share one tracer, a message is recorded twice:
 * by its sender as sent and by its receiver as received. The two records have the same interface,
 * protocol, transport and bytes, the same addresses (up to how each side writes them) and close
 * timestamps. A message sent twice (a SIP retransmission, the same GET repeated) gives the same records
 * again, so each record joins at most one other, the earliest one still alone, in time order: the sends
 * and receives of a retransmitted message pair off one by one instead of collapsing into one arrow. When
 * only the sender recorded it, the copies are told apart by time: they are further apart than the window.
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { TraceEndpoint, TraceEvent } from '@ut-testbed/trace';

/**
 * How far apart (ms) the two records of one message may be. A retransmission comes T1 (500 ms by default,
 * RFC 3261) or more after the original, so when only one side recorded it, the copies stay apart; the
 * receiver's record follows the sender's by well under a millisecond in one process, a few under load.
 */
export const DEFAULT_MERGE_WINDOW_MS = 100;

/**
 * The records of each message (one or two), ordered by the time of the first, records sorted by time.
 * A negative window merges nothing.
 */
export function groupRecords(
  events: readonly TraceEvent[],
  windowMs = DEFAULT_MERGE_WINDOW_MS,
): TraceEvent[][] {
  // Array.prototype.sort is stable: records with equal ts keep the order they were recorded in (the
  // xcap-server records a request and its response in the same instant, request first)
  const sorted = events
    .map((event): Rec => ({ event, key: keyOf(event), view: viewOf(event), order: 0 }))
    .sort((a, b) => a.event.ts - b.event.ts);
  sorted.forEach((r, i) => (r.order = i));
  // Two records whose sides wrote the ends differently (names, address forms) are surely a send and its
  // receive, so those pair first: when a sender's two copies both precede the receives, the copies must
  // not pair with each other. What is left pairs with any record, for sides that write the ends alike.
  const first = pairOff(sorted, windowMs, true);
  const second = pairOff(
    first.filter((g) => g.length === 1).map((g) => g[0]!),
    windowMs,
    false,
  );
  return [...first.filter((g) => g.length === 2), ...second]
    .sort((a, b) => a[0]!.order - b[0]!.order)
    .map((g) => g.map((r) => r.event));
}

interface Rec {
  event: TraceEvent;
  /** what both records of one message share exactly: interface, protocol, transport, bytes */
  key: string;
  /** how a side wrote the two ends */
  view: string;
  /** position in time order */
  order: number;
}

/**
 * Walks the records in time order; each joins the earliest record still alone that has its key, is within
 * the window and can be the same message (written differently, when `otherView`); else it waits alone.
 */
function pairOff(sorted: readonly Rec[], windowMs: number, otherView: boolean): Rec[][] {
  const groups: Rec[][] = [];
  const waitingByKey = new Map<string, Rec[][]>();
  for (const rec of sorted) {
    const waiting = waitingByKey.get(rec.key) ?? [];
    while (waiting.length > 0 && rec.event.ts - waiting[0]![0]!.event.ts > windowMs) waiting.shift();
    const i = waiting.findIndex(
      ([alone]) => (!otherView || alone!.view !== rec.view) && sameMessage(alone!.event, rec.event),
    );
    if (i >= 0) {
      waiting.splice(i, 1)[0]!.push(rec);
      continue;
    }
    const group = [rec];
    groups.push(group);
    waiting.push(group);
    waitingByKey.set(rec.key, waiting);
  }
  return groups;
}

function viewOf(e: TraceEvent): string {
  return JSON.stringify([e.from.name, e.from.host, e.from.port, e.to.name, e.to.host, e.to.port]);
}

function keyOf(e: TraceEvent): string {
  const digest = createHash('sha256').update(e.bytes).digest('base64');
  return `${e.iface} ${e.proto} ${e.transport} ${e.bytes.length} ${digest}`;
}

/** Whether two records with the same key (so the same bytes, by their SHA-256) can be one message's two views. */
function sameMessage(a: TraceEvent, b: TraceEvent): boolean {
  return sameEnd(a.from, b.from) && sameEnd(a.to, b.to);
}

/**
 * Whether two endpoints can be one socket address as two sides wrote it: names differ between sides (the
 * HSS calls the AP by its Origin-Host), so only the address counts. Port 0 and an empty host are what the
 * services write when the socket is already gone, and a host name is what a client writes for the server
 * it dialled: those match any value.
 */
function sameEnd(a: TraceEndpoint, b: TraceEndpoint): boolean {
  if (a.port !== 0 && b.port !== 0 && a.port !== b.port) return false;
  const ha = ipLiteral(a.host);
  const hb = ipLiteral(b.host);
  return ha === undefined || hb === undefined || ha === hb;
}

/** An IP literal in one canonical form (IPv4-mapped IPv6 as IPv4), or undefined for anything else. */
function ipLiteral(host: string): string | undefined {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped) h = mapped[1]!;
  if (isIPv4(h)) return h;
  if (!isIPv6(h)) return undefined;
  try {
    // the URL parser writes IPv6 in the canonical compressed form (RFC 5952), e.g. 0:0:0:0:0:0:0:1 -> ::1
    return new URL(`http://[${h}]/`).hostname.slice(1, -1);
  } catch {
    return h; // a zone id (fe80::1%eth0) is not valid in a URL
  }
}
