/**
 * The terminal ladder: column names, one lane per column, and per message a line with its time, interface
 * and summary above a line with the arrow from the sender's lane to the receiver's. Fits in `width`
 * columns (100 by default) as long as lanes can be 6 apart; colours only when asked, since the
 * caller knows whether it writes to a terminal.
 */
import type { TraceIface } from '@ut-testbed/trace';
import { Row } from './canvas';
import { type LadderInput, type LadderOptions, toModel } from './model';
import { formatOffset, label, oneLine, truncate, width as widthOf } from './printable';

export interface TextOptions extends LadderOptions {
  /** ANSI colours by interface (pass `process.stdout.isTTY`) */
  color: boolean;
  /** the width to fit in; default 100 */
  width?: number;
  /** the time since the first message on each message's line (`+12.3 ms`); default true */
  time?: boolean;
}

export const DEFAULT_TEXT_WIDTH = 100;
const MIN_STEP = 6;
const MAX_NAME = 12;
/** A label that does not fit between its lanes moves left rather than show fewer characters than this. */
const MIN_ROOM = 32;
const IFACE_WIDTH = 4; // 'ISC' and a blank

/** SGR colours, chosen to read on dark and light backgrounds. */
const IFACE_STYLE: Record<TraceIface, string> = {
  Ut: '\x1b[36m', // cyan
  AS: '\x1b[32m', // green
  Cx: '\x1b[33m', // yellow
  Zh: '\x1b[33;1m', // bold yellow: the HSS too, another application
  Gm: '\x1b[94m', // bright blue
  ISC: '\x1b[95m', // bright magenta
};
const HEADER_STYLE = '\x1b[1m';
const TIME_STYLE = '\x1b[2m';

/** The ladder as lines of text, each ended by `\n`. */
export function renderText(input: LadderInput, options: TextOptions): string {
  const model = toModel(input, options);
  const total = options.width ?? DEFAULT_TEXT_WIDTH;
  const times = options.time === false ? [] : model.messages.map((m) => formatOffset(m.offsetMs));
  const timeWidth = times.length > 0 ? Math.max(...times.map(widthOf)) + 1 : 0;
  const gutter = timeWidth + IFACE_WIDTH;
  const names = model.columns.map((c) => truncate(oneLine(c.label), MAX_NAME));
  const lanes = laneColumns(names, gutter, total);
  const step = lanes.length > 1 ? lanes[1]! - lanes[0]! : MAX_NAME + 1;
  const right = Math.max(total, lanes[lanes.length - 1]! + 3); // the column after the last one written

  const laneRow = (): Row => {
    const row = new Row();
    for (const x of lanes) row.put(x, '│');
    return row;
  };
  const rows: Row[] = [];

  const header = new Row();
  names.forEach((full, i) => {
    const name = truncate(full, step - 1);
    header.put(lanes[i]! - Math.floor((widthOf(name) - 1) / 2), name, HEADER_STYLE);
  });
  rows.push(header, laneRow());

  for (const m of model.messages) {
    const style = IFACE_STYLE[m.iface];
    const title = laneRow();
    if (times.length > 0) title.put(0, times[m.index]!.padStart(timeWidth - 1), TIME_STYLE);
    title.put(timeWidth, truncate(oneLine(m.iface), IFACE_WIDTH - 1), style);
    const text = label(m.summary, m.proto);
    const from = lanes[m.fromColumn]!;
    const to = lanes[m.toColumn]!;
    const [start, room] = labelPlace(Math.min(from, to), Math.max(from, to), widthOf(text), gutter, right);
    title.put(start, truncate(text, room), style);
    rows.push(title, ...arrow(from, to, laneRow, style));
  }
  return rows.map((r) => r.render(options.color) + '\n').join('');
}

/**
 * The lanes: the first and last as far out as their names allow (the last leaves room for a loop), the
 * others evenly between, at least {@link MIN_STEP} apart.
 */
function laneColumns(names: readonly string[], gutter: number, total: number): number[] {
  if (names.length === 0) return [gutter];
  const first = widthOf(names[0]!);
  const last = widthOf(names[names.length - 1]!);
  const left = Math.floor((first - 1) / 2);
  const rightPad = Math.max(2, last - 1 - Math.floor((last - 1) / 2));
  const span = total - 1 - gutter - left - rightPad;
  const step = names.length > 1 ? Math.max(MIN_STEP, Math.floor(span / (names.length - 1))) : 0;
  return names.map((_, i) => gutter + left + i * step);
}

/**
 * Where a label goes: centred between the lanes when it fits there, else from just right of the left
 * lane on, moved left (not into the gutter) when too little of it would fit before the right edge.
 * Returns the start and how many columns it may take.
 */
function labelPlace(lo: number, hi: number, len: number, gutter: number, right: number): [number, number] {
  const between = hi - lo - 3; // a blank next to each lane
  if (hi > lo && len <= between) return [lo + 2 + Math.floor((between - len) / 2), len];
  const start = Math.max(gutter, Math.min(lo + 2, right - Math.min(len, MIN_ROOM)));
  return [start, right - start];
}

/** The arrow's rows: one from lane to lane, or a loop of two when a column sends to itself. */
function arrow(from: number, to: number, laneRow: () => Row, style: string): Row[] {
  const row = laneRow();
  if (from === to) {
    const back = laneRow();
    row.put(from + 1, '─┐', style);
    back.put(from + 1, '◄┘', style);
    return [row, back];
  }
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  const shaft = '─'.repeat(hi - lo - 2);
  row.put(lo + 1, to > from ? shaft + '►' : '◄' + shaft, style);
  return [row];
}
