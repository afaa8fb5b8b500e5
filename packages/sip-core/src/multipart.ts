/**
 * Multipart bodies (RFC 2046 section 5.1), as RFC 4662 event-list NOTIFYs carry them (multipart/related with an
 * RLMI part and one part per resource) and as RFC 4475 mpart01 does (a binary part): the boundary from the
 * Content-Type, the preamble and epilogue ignored, transport padding after a delimiter allowed, part headers
 * like message headers (folding, any case), part bodies as octets. Building writes CRLF delimiters and checks
 * that the boundary occurs in no part.
 */
import { randomBytes } from 'node:crypto';
import { parseParams, SipSyntaxError, unquote } from './lexer';

export interface BodyPart {
  headers: { name: string; value: string }[];
  body: Buffer;
}

/** The boundary of a multipart Content-Type, or undefined when the type is not multipart. */
export function multipartBoundary(contentType: string): string | undefined {
  const m = /^multipart\/[A-Za-z0-9\-.!%*_+`'~]+/i.exec(contentType.trim());
  if (!m) return undefined;
  const b = parseParams(contentType.trim(), m[0].length).find(
    (p) => p.name.toLowerCase() === 'boundary',
  )?.value;
  if (b === undefined) throw new SipSyntaxError('a multipart Content-Type without a boundary');
  const boundary = b.startsWith('"') ? unquote(b) : b;
  // RFC 2046 5.1.1: 1 to 70 characters
  if (boundary.length < 1 || boundary.length > 70)
    throw new SipSyntaxError('a multipart boundary of 1 to 70 characters is required');
  return boundary;
}

function headersOf(text: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0) {
      out[out.length - 1]!.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipSyntaxError(`"${line.slice(0, 40)}" is not a part header`);
    out.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return out;
}

/** The parts of a multipart body; throws SipSyntaxError when the delimiters are not there. */
export function parseMultipart(contentType: string, body: Buffer): BodyPart[] {
  const boundary = multipartBoundary(contentType);
  if (boundary === undefined) throw new SipSyntaxError(`${contentType} is not a multipart type`);
  const dash = Buffer.from('--' + boundary, 'latin1');
  // the first delimiter may open the body; every other one follows a CRLF, which belongs to the delimiter
  let at = body.subarray(0, dash.length).equals(dash)
    ? 0
    : body.indexOf(Buffer.concat([Buffer.from('\r\n'), dash]));
  if (at < 0) throw new SipSyntaxError('the multipart body has no delimiter');
  const parts: BodyPart[] = [];
  for (;;) {
    const after = at + (body[at] === 0x0d ? 2 : 0) + dash.length;
    if (body[after] === 0x2d && body[after + 1] === 0x2d) return parts; // the close delimiter
    const lineEnd = body.indexOf('\r\n', after);
    if (lineEnd < 0 || !/^[ \t]*$/.test(body.toString('latin1', after, lineEnd))) {
      throw new SipSyntaxError('junk after a multipart delimiter');
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), dash]), lineEnd);
    if (next < 0) throw new SipSyntaxError('the multipart body has no close delimiter');
    const part = body.subarray(lineEnd + 2, next);
    const blank = part.indexOf('\r\n\r\n');
    // a part without headers starts with its empty line
    const headText = part.subarray(0, 2).equals(Buffer.from('\r\n'))
      ? ''
      : part.toString('utf8', 0, blank < 0 ? part.length : blank);
    const bodyStart = part.subarray(0, 2).equals(Buffer.from('\r\n'))
      ? 2
      : blank < 0
        ? part.length
        : blank + 4;
    parts.push({ headers: headersOf(headText), body: Buffer.from(part.subarray(bodyStart)) });
    at = next;
  }
}

/** A multipart body and its boundary (a random one unless given). */
export function buildMultipart(
  parts: readonly BodyPart[],
  boundary?: string,
): { boundary: string; body: Buffer } {
  const b = boundary ?? randomBytes(12).toString('hex');
  const dash = Buffer.from('--' + b, 'latin1');
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if (p.body.includes(dash)) throw new Error('the boundary occurs in a part');
    const head = p.headers.map((h) => `${h.name}: ${h.value}\r\n`).join('');
    chunks.push(dash, Buffer.from(`\r\n${head}\r\n`, 'utf8'), p.body, Buffer.from('\r\n'));
  }
  chunks.push(dash, Buffer.from('--\r\n'));
  return { boundary: b, body: Buffer.concat(chunks) };
}
