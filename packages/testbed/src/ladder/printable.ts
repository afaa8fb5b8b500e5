/**
 * One-line, printable forms of trace text for the renderers. Summaries come from the wire (a request URI,
 * a reason phrase), so a peer could put terminal escapes, bidirectional overrides or characters that XML
 * forbids into them: those are shown as visible escapes instead, which an engineer can read.
 */

/** Characters replaced by an escape: C0 and C1 controls, DEL, bidi controls, non-characters, lone surrogates. */
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `s` on one line: tabs and line ends become spaces, other unprintable characters `\xHH` or `\uHHHH`. */
export function oneLine(s: string): string {
  return s.replace(/\r\n|[\t\r\n]/g, ' ').replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The number of code points, which is what the terminal ladder counts as columns. */
export function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `s` cut to at most `max` code points, the last one `…` when something was cut. */
export function truncate(s: string, max: number): string {
  if (max <= 0) return '';
  const points = Array.from(s);
  if (points.length <= max) return s;
  return points.slice(0, max - 1).join('') + '…';
}

/** The label of a message: its summary on one line, or its protocol when the summary is empty. */
export function label(summary: string, proto: string): string {
  const line = oneLine(summary).trim();
  return line === '' ? `(${proto} message)` : line;
}

/** `+12.3 ms`: the time since the first message, to a tenth of a millisecond. */
export function formatOffset(ms: number): string {
  return `+${ms.toFixed(1)} ms`;
}
