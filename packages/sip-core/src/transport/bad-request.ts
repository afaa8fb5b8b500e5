/**
 * The stateless answer to a request that did not parse (RFC 3261 8.2, 18.3; RFC 4475 3.1.2): the status the
 * parser gave (400, 505, 413) in a response built from the header lines that can still be read. It needs a
 * Via and a CSeq, without which a client cannot match the response (17.1.3); From, To (with a tag added) and
 * Call-ID are copied when present. The top Via is stamped with `received`/`rport` like any request's.
 * Anything else (no Via or no CSeq, or a status line) is dropped.
 */
import { randomBytes } from 'node:crypto';
import { headerKey } from '../headers';
import { splitList } from '../lexer';
import { parseVia, type Via } from '../validate';
import type { HostPort } from './types';
import { stampViaValue } from './via';

export interface StatelessAnswer {
  bytes: Buffer;
  /** the stamped top Via when it parses (to route the answer by 18.2.2), else undefined (answer the source) */
  via?: Via;
  summary: string;
}

interface Scraped {
  start: string;
  via: string[];
  single: Map<string, string>;
}

/** Header lines read leniently: unfolded, "name: value", names by their long form. */
function scrape(bytes: Buffer): Scraped {
  let at = 0;
  while (bytes[at] === 0x0d || bytes[at] === 0x0a) at++;
  const end = bytes.indexOf('\r\n\r\n', at, 'latin1');
  const lines = bytes.toString('utf8', at, end < 0 ? bytes.length : end).split(/\r?\n/);
  const unfolded: string[] = [];
  for (const line of lines.slice(1)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && unfolded.length > 0)
      unfolded[unfolded.length - 1] += ' ' + line.trim();
    else unfolded.push(line);
  }
  const via: string[] = [];
  const single = new Map<string, string>();
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = headerKey(line.slice(0, colon).trim());
    const value = line.slice(colon + 1).trim();
    if (value === '') continue;
    if (key === 'via') via.push(value);
    else if (['from', 'to', 'call-id', 'cseq'].includes(key) && !single.has(key)) single.set(key, value);
  }
  return { start: lines[0] ?? '', via, single };
}

function randomTag(): string {
  return randomBytes(6).toString('hex');
}

/**
 * The response to a request that failed to parse, or undefined when it cannot be answered.
 * `warnAgent` names this end in the Warning header (399) that carries the parser's reason.
 */
export function statelessAnswer(
  bytes: Buffer,
  status: number,
  reason: string,
  phrase: string,
  source: HostPort,
  warnAgent: string,
): StatelessAnswer | undefined {
  const s = scrape(bytes);
  if (/^SIP\//i.test(s.start)) return undefined;
  const cseq = s.single.get('cseq');
  if (s.via.length === 0 || cseq === undefined) return undefined;
  let vias = s.via;
  let via: Via | undefined;
  try {
    const list = s.via.flatMap((v) => splitList(v));
    const top = stampViaValue(list[0]!, source);
    via = parseVia(top);
    vias = [top, ...list.slice(1)];
  } catch {
    via = undefined;
  }
  const lines = [`SIP/2.0 ${status} ${reason}`, ...vias.map((v) => `Via: ${v}`)];
  const from = s.single.get('from');
  if (from !== undefined) lines.push(`From: ${from}`);
  const to = s.single.get('to');
  if (to !== undefined) lines.push(`To: ${to}${/;[ \t]*tag[ \t]*=/i.test(to) ? '' : `;tag=${randomTag()}`}`);
  const callId = s.single.get('call-id');
  if (callId !== undefined) lines.push(`Call-ID: ${callId}`);
  lines.push(`CSeq: ${cseq}`);
  const text = phrase.replace(/["\\\r\n]/g, "'");
  lines.push(`Warning: 399 ${warnAgent} "${text}"`, 'Content-Length: 0');
  const method = cseq.split(/[ \t]+/)[1] ?? '?';
  return {
    bytes: Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8'),
    ...(via ? { via } : {}),
    summary: `${status} ${reason} (${method})`,
  };
}
