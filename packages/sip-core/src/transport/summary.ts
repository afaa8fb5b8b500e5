/** One-line summaries of messages for trace events: `SUBSCRIBE sip:bob@example.com`, `200 OK (SUBSCRIBE)`. */
import type { SipMessage } from '../message';

export function summarize(m: SipMessage): string {
  if (m.kind === 'request') return `${m.method} ${m.uri}`;
  const cseq = m.get('CSeq');
  const method = cseq?.trim().split(/[ \t]+/)[1] ?? '?';
  return `${m.status} ${m.reason} (${method})`;
}

/** The first line of bytes that did not parse, shortened. */
export function firstLine(bytes: Buffer): string {
  let at = 0;
  while (bytes[at] === 0x0d || bytes[at] === 0x0a) at++;
  const end = bytes.indexOf('\r\n', at, 'latin1');
  const line = bytes.toString('utf8', at, end < 0 ? Math.min(bytes.length, at + 200) : end);
  return line.length > 80 ? line.slice(0, 80) + '...' : line;
}
