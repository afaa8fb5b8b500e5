/**
 * The ladder model that the text, Mermaid and HTML renderers share: trace records merged into messages
 * (one per message on the wire, although both ends usually record it), in time order, each drawn from one
 * column to another. Columns are the nodes of the reference network; trace names map to them per
 * interface, since one name can mean different nodes on different interfaces.
 */
import type { TraceEndpoint, TraceEvent, TraceIface, TraceProto, TraceTransport } from '@ut-testbed/trace';
import { DEFAULT_MERGE_WINDOW_MS, groupRecords } from './merge';

/** Maps a trace name (on some interfaces only, or on all) to a column. */
export interface ColumnRule {
  /** the trace name (compared without case), or a pattern it must match */
  name: string | RegExp;
  /** the interfaces the rule holds on; all when absent */
  iface?: TraceIface | readonly TraceIface[];
  /** the column's label; a label not in `columns` becomes a column at the right when used */
  column: string;
}

/** Which columns a ladder has and where each trace name goes. */
export interface ColumnMapping {
  /** the columns always drawn, left to right */
  columns: readonly string[];
  /** tried in order, the first that matches wins; a name no rule matches gets a column of its own */
  rules: readonly ColumnRule[];
}

/** The names the testbed's services write (DESIGN.md section 2 for the hosts), mapped to five columns. */
export const DEFAULT_COLUMNS: ColumnMapping = {
  columns: ['UE', 'AP', 'HSS', 'XCAP', 'PS'],
  rules: [
    { name: /^ue(?:[-_.].*|\d+)?$/i, column: 'UE' },
    // sip-core names the other end 'peer' unless told otherwise: on Gm that is a UE, on ISC the S-CSCF
    { name: 'peer', iface: 'Gm', column: 'UE' },
    { name: 'peer', iface: 'ISC', column: 'S-CSCF' },
    { name: /^s-?cscf(?:\..*)?$/i, column: 'S-CSCF' },
    // the HSS names its Diameter peer by the Origin-Host from CER (ap.home1.net), 'peer' before it
    { name: 'peer', iface: 'Cx', column: 'AP' },
    { name: /^ap(?:\..*)?$/i, column: 'AP' },
    // xcap.home1.net is the AP's host (the XCAP root's), which is how a UE may name it
    { name: 'xcap.home1.net', iface: 'Ut', column: 'AP' },
    { name: /^hss(?:\..*)?$/i, column: 'HSS' },
    { name: /^xcap(?:-server)?$/i, column: 'XCAP' },
    { name: /^(?:ps|presence|presence-server)(?:\..*)?$/i, column: 'PS' },
  ],
};

export interface LadderColumn {
  index: number;
  label: string;
  /** the trace names drawn in this column, in the order first seen */
  names: string[];
}

/** One message on the wire: one arrow. */
export interface LadderMessage {
  /** 0-based position in the ladder */
  index: number;
  /** the earliest record's timestamp (Unix epoch ms) */
  ts: number;
  /** milliseconds since the first message of the ladder */
  offsetMs: number;
  iface: TraceIface;
  proto: TraceProto;
  transport: TraceTransport;
  /** the sender and receiver: addresses as the earliest record has them, names as mapped to the columns */
  from: TraceEndpoint;
  to: TraceEndpoint;
  fromColumn: number;
  toColumn: number;
  summary: string;
  bytes: Uint8Array;
  /** the records merged into this message: one, or the sender's and the receiver's, earliest first */
  records: TraceEvent[];
}

export interface LadderModel {
  columns: LadderColumn[];
  messages: LadderMessage[];
}

export interface LadderModelOptions {
  /** how far apart (ms) two records of one message may be; default 100; negative: merge nothing */
  mergeWindowMs?: number;
}

/** What the renderers take: trace events, or a model already built from them. */
export type LadderInput = readonly TraceEvent[] | LadderModel;

/** The options of every renderer that builds the model itself. */
export interface LadderOptions extends LadderModelOptions {
  columns?: ColumnMapping;
}

/** The column label a rule gives to `name` on `iface`, or undefined when no rule matches. */
export function columnFor(mapping: ColumnMapping, name: string, iface: TraceIface): string | undefined {
  for (const rule of mapping.rules) {
    if (rule.iface !== undefined) {
      const ifaces: readonly TraceIface[] = typeof rule.iface === 'string' ? [rule.iface] : rule.iface;
      if (!ifaces.includes(iface)) continue;
    }
    const match =
      typeof rule.name === 'string'
        ? rule.name.toLowerCase() === name.toLowerCase()
        : matches(rule.name, name);
    if (match) return rule.column;
  }
  return undefined;
}

/** Merges the records into messages and places them in columns (see {@link LadderModel}). */
export function ladderModel(
  events: readonly TraceEvent[],
  columns: ColumnMapping = DEFAULT_COLUMNS,
  options: LadderModelOptions = {},
): LadderModel {
  const cols: LadderColumn[] = columns.columns.map((label, index) => ({ index, label, names: [] }));
  const byLabel = new Map(cols.map((c) => [c.label, c]));
  const place = (name: string, iface: TraceIface): number => {
    const labelled = columnFor(columns, name, iface) ?? (name === '' ? '(no name)' : name);
    let col = byLabel.get(labelled);
    if (!col) {
      col = { index: cols.length, label: labelled, names: [] };
      cols.push(col);
      byLabel.set(labelled, col);
    }
    if (!col.names.includes(name)) col.names.push(name);
    return col.index;
  };

  const groups = groupRecords(events, options.mergeWindowMs ?? DEFAULT_MERGE_WINDOW_MS);
  const t0 = groups[0]?.[0]?.ts ?? 0;
  const messages = groups.map((records, index): LadderMessage => {
    const first = records[0]!;
    // each side names the other its own way: the name that a rule knows draws the arrow
    const fromName = mappedName(columns, records, 'from');
    const toName = mappedName(columns, records, 'to');
    return {
      index,
      ts: first.ts,
      offsetMs: first.ts - t0,
      iface: first.iface,
      proto: first.proto,
      transport: first.transport,
      from: { ...first.from, name: fromName },
      to: { ...first.to, name: toName },
      fromColumn: place(fromName, first.iface),
      toColumn: place(toName, first.iface),
      summary: first.summary,
      bytes: first.bytes,
      records,
    };
  });
  return { columns: cols, messages };
}

/** The model of what a renderer was given. */
export function toModel(input: LadderInput, options: LadderOptions = {}): LadderModel {
  if (isModel(input)) return input;
  return ladderModel(input, options.columns ?? DEFAULT_COLUMNS, options);
}

function isModel(input: LadderInput): input is LadderModel {
  return !Array.isArray(input);
}

function mappedName(mapping: ColumnMapping, records: readonly TraceEvent[], end: 'from' | 'to'): string {
  const known = records.find((r) => columnFor(mapping, r[end].name, r.iface) !== undefined);
  return (known ?? records[0]!)[end].name;
}

/** A pattern test that does not depend on the state a global or sticky pattern keeps between calls. */
function matches(pattern: RegExp, name: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(name);
}
