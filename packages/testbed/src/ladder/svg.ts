/**
 * The ladder as inline SVG for the HTML page: a box and a dashed lane per column, and per message a group
 * with its time, interface, arrow (a line and a polygon head: no markers, which would be references) and
 * summary. Each group is focusable and carries its index, so the page's script can show the message.
 */
import type { LadderModel, LadderMessage } from './model';
import { formatOffset, label, oneLine, truncate, width as widthOf } from './printable';
import { escapeXml } from './xml';

const GUTTER = 112; // time and interface, left of the first column
const COLUMN = 180;
const TOP = 56; // the column boxes
const ROW = 44;
const CHAR = 7.3; // the advance of a 12px monospace character, to keep labels inside the picture
const LOOP = 36;

export const SVG_NS = 'http://www.w3.org/2000/svg';

export function renderSvg(model: LadderModel): string {
  const n = Math.max(model.columns.length, 1);
  const width = GUTTER + n * COLUMN + 16;
  const height = TOP + 24 + model.messages.length * ROW + 8;
  const lane = (i: number) => GUTTER + i * COLUMN + COLUMN / 2;
  const out: string[] = [
    `<svg xmlns="${SVG_NS}" class="ladder-svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" role="group" aria-label="ladder diagram, ${model.messages.length} messages">`,
  ];
  out.push('<g class="nodes">');
  model.columns.forEach((col, i) => {
    const x = lane(i);
    const name = truncate(oneLine(col.label), 22);
    out.push(
      `<g class="node"><title>${escapeXml(oneLine(col.names.join(', ') || col.label))}</title>` +
        `<rect x="${x - 70}" y="12" width="140" height="28" rx="4"/>` +
        `<text x="${x}" y="31">${escapeXml(name)}</text></g>`,
      `<line class="lane" x1="${x}" y1="40" x2="${x}" y2="${height - 8}"/>`,
    );
  });
  out.push('</g>');
  for (const m of model.messages) {
    const top = TOP + 24 + m.index * ROW;
    const route = oneLine(`${model.columns[m.fromColumn]?.label} to ${model.columns[m.toColumn]?.label}`);
    out.push(arrow(m, route, lane(m.fromColumn), lane(m.toColumn), top, width));
  }
  out.push('</svg>');
  return out.join('\n');
}

/** One message's group; `top` is the top of its row, the arrow runs 30 below it. */
function arrow(
  m: LadderMessage,
  route: string,
  from: number,
  to: number,
  top: number,
  width: number,
): string {
  const text = label(m.summary, m.proto);
  const iface = escapeXml(oneLine(m.iface)); // typed, but not checked here: nothing from an event goes into markup unescaped
  const y = top + 30;
  const parts = [
    `<g class="msg if-${iface}" id="msg-${m.index + 1}" data-index="${m.index}" tabindex="0" role="button" ` +
      `aria-pressed="false" aria-label="${escapeXml(`${m.index + 1}. ${route}, ${oneLine(m.iface)}: ${text}`)}">`,
    `<title>${escapeXml(text)}</title>`,
    `<rect class="hit" x="0" y="${top}" width="${width}" height="${ROW}"/>`,
    `<text class="time" x="8" y="${y - 8}">${escapeXml(formatOffset(m.offsetMs))}</text>`,
    `<text class="iface" x="${GUTTER - 30}" y="${y - 8}">${iface}</text>`,
  ];
  if (from === to) {
    parts.push(
      `<path d="M${from} ${y - 6} H${from + LOOP} V${y + 6} H${from + 9}"/>`,
      `<polygon points="${from},${y + 6} ${from + 9},${y + 1.5} ${from + 9},${y + 10.5}"/>`,
    );
  } else {
    const dir = to > from ? 1 : -1;
    parts.push(
      `<line x1="${from}" y1="${y}" x2="${to - dir * 9}" y2="${y}"/>`,
      `<polygon points="${to},${y} ${to - dir * 9},${y - 4.5} ${to - dir * 9},${y + 4.5}"/>`,
    );
  }
  const lo = Math.min(from, to);
  const span = Math.abs(to - from);
  const len = widthOf(text);
  if (from !== to && len * CHAR <= span - 16) {
    parts.push(
      `<text class="summary" x="${lo + span / 2}" y="${y - 8}" text-anchor="middle">${escapeXml(text)}</text>`,
    );
  } else {
    const x = lo + 8;
    const room = Math.floor((width - 8 - x) / CHAR);
    parts.push(`<text class="summary" x="${x}" y="${y - 8}">${escapeXml(truncate(text, room))}</text>`);
  }
  parts.push('</g>');
  return parts.join('');
}
