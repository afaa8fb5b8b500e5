/**
 * What the HTML page shows of one message when its arrow is chosen: where it went, when, the records it
 * was merged from, and its bytes: as text for HTTP and SIP, as a hex dump always, and as a tree when the
 * caller can decode it (Diameter, which this package does not parse).
 */
import type { TraceEndpoint, TraceEvent } from '@ut-testbed/trace';
import { hexDump } from './hexdump';
import type { LadderModel, LadderMessage } from './model';

/** Renders a message for reading, e.g. a Diameter message as a tree of AVPs; undefined when it cannot. */
export type MessageDecoder = (event: TraceEvent) => string | undefined;

export interface MessageView {
  index: number;
  summary: string;
  iface: string;
  proto: string;
  transport: string;
  /** ISO 8601 UTC, with the sub-millisecond part of the timestamp dropped */
  time: string;
  ts: number;
  offset: string;
  from: string;
  to: string;
  fromColumn: string;
  toColumn: string;
  length: number;
  /** each record as its side wrote it: when, and the route with the names and addresses it used */
  records: { ts: number; offset: string; route: string }[];
  /** the bytes as UTF-8, for HTTP and SIP; absent for Diameter */
  text?: string;
  /** why the text is not exact, when it is not */
  textNote?: string;
  hex: string;
  decoded?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export function messageViews(model: LadderModel, decode?: MessageDecoder): MessageView[] {
  return model.messages.map((m) => messageView(model, m, decode));
}

function messageView(model: LadderModel, m: LadderMessage, decode?: MessageDecoder): MessageView {
  const t0 = m.ts - m.offsetMs;
  const view: MessageView = {
    index: m.index,
    summary: m.summary,
    iface: m.iface,
    proto: m.proto,
    transport: m.transport,
    time: new Date(Math.floor(m.ts)).toISOString(),
    ts: m.ts,
    offset: offset(m.offsetMs),
    from: endpoint(m.from),
    to: endpoint(m.to),
    fromColumn: model.columns[m.fromColumn]?.label ?? '',
    toColumn: model.columns[m.toColumn]?.label ?? '',
    length: m.bytes.length,
    records: m.records.map((r) => ({
      ts: r.ts,
      offset: offset(r.ts - t0),
      route: `${endpoint(r.from)} -> ${endpoint(r.to)}`,
    })),
    hex: hexDump(m.bytes),
  };
  if (m.proto !== 'diameter') {
    try {
      view.text = utf8.decode(m.bytes);
    } catch {
      view.text = utf8Lenient.decode(m.bytes);
      view.textNote = 'not valid UTF-8: U+FFFD stands for the bytes that are not; the hex dump is exact';
    }
  }
  if (decode) {
    try {
      const tree = decode(m.records[0]!);
      if (tree !== undefined) view.decoded = tree;
    } catch (e) {
      view.decoded = `could not decode: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return view;
}

/** Microseconds, as the page is where every detail is read. */
function offset(ms: number): string {
  return `${ms < 0 ? '' : '+'}${ms.toFixed(3)} ms`;
}

/** `name host:port`, IPv6 in brackets. */
function endpoint(e: TraceEndpoint): string {
  const host = e.host.includes(':') && !e.host.startsWith('[') ? `[${e.host}]` : e.host;
  return `${e.name} ${host}:${e.port}`;
}
