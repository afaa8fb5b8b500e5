/**
 * Message boundaries on a stream (RFC 3261 18.3): a message is its header section up to the empty line plus
 * Content-Length octets of body, and Content-Length is required. CRLFs between messages are skipped; a
 * CRLFCRLF there is an RFC 5626 (3.5.1) keep-alive ping, to be answered with a CRLF pong. The header section
 * and the whole message are bounded. After a framing error (no or bad Content-Length, too large) the
 * boundary of the next message is lost: the framer stops and the connection is to be closed.
 *
 * The framer only finds boundaries; each message it yields is parsed as a whole (with `framing: 'stream'`).
 */

export type FramerOutput =
  | { kind: 'message'; bytes: Buffer }
  | { kind: 'ping' }
  /** the connection cannot go on; `head` is what was read of the header section (to answer it if possible) */
  | { kind: 'error'; status: 400 | 413; reason: string; phrase: string; head: Buffer };

export interface FramerLimits {
  /** largest header section, start line included (default 16,384 octets) */
  maxHeaderBytes?: number;
  /** largest message, header section plus body (default 65,535 octets) */
  maxMessageBytes?: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const CR = 0x0d;
const LF = 0x0a;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** where the search for the end of the header section resumes */
  private scanned = 0;
  private failed = false;
  private readonly maxHeader: number;
  private readonly maxMessage: number;

  constructor(limits: FramerLimits = {}) {
    this.maxHeader = limits.maxHeaderBytes ?? 16_384;
    this.maxMessage = limits.maxMessageBytes ?? 65_535;
  }

  /** Whether a framing error ended this stream (further input is ignored). */
  get closed(): boolean {
    return this.failed;
  }

  /** Octets held waiting for the rest of a message. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Takes the next chunk of the stream; returns the messages, pings and (at most one, last) error it completes. */
  push(chunk: Buffer): FramerOutput[] {
    if (this.failed) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: FramerOutput[] = [];
    for (;;) {
      const next = this.next();
      if (!next) break;
      out.push(next);
      if (next.kind === 'error') {
        this.failed = true;
        this.buf = Buffer.alloc(0);
        break;
      }
    }
    return out;
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.scanned = 0;
  }

  private fail(status: 400 | 413, phrase: string, head: Buffer): FramerOutput {
    return {
      kind: 'error',
      status,
      reason: status === 413 ? 'Request Entity Too Large' : 'Bad Request',
      phrase,
      head: Buffer.from(head),
    };
  }

  private next(): FramerOutput | undefined {
    const b = this.buf;
    if (b.length === 0) return undefined;
    if (b[0] === CR || b[0] === LF) {
      if (b.length >= 4 && b.subarray(0, 4).equals(CRLFCRLF)) {
        this.consume(4);
        return { kind: 'ping' };
      }
      let i = 0;
      while (i < b.length && (b[i] === CR || b[i] === LF)) i++;
      // all line ends: wait, it may be the start of a ping
      if (i === b.length) return undefined;
      this.consume(i);
      return this.next();
    }
    const end = b.indexOf(CRLFCRLF, Math.max(0, this.scanned - 3));
    if (end < 0) {
      this.scanned = b.length;
      if (b.length > this.maxHeader)
        return this.fail(413, `the header section is larger than ${this.maxHeader} octets`, b);
      return undefined;
    }
    const headLength = end + 4;
    if (headLength > this.maxHeader)
      return this.fail(413, `the header section is larger than ${this.maxHeader} octets`, b.subarray(0, end));
    const length = contentLength(b.toString('latin1', 0, end));
    if (typeof length === 'string') return this.fail(400, length, b.subarray(0, headLength));
    if (headLength + length > this.maxMessage)
      return this.fail(
        413,
        `the message is larger than ${this.maxMessage} octets`,
        b.subarray(0, headLength),
      );
    if (b.length < headLength + length) {
      this.scanned = end;
      return undefined;
    }
    const bytes = Buffer.from(b.subarray(0, headLength + length));
    this.consume(headLength + length);
    return { kind: 'message', bytes };
  }
}

/** The Content-Length of a header section (long or compact name, any case), or why there is none. */
function contentLength(head: string): number | string {
  const values: string[] = [];
  const lines = head.split('\r\n');
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k]!;
    const m = /^(content-length|l)[ \t]*:(.*)$/i.exec(line);
    if (!m) continue;
    let value = m[2]!;
    // folded onto the following lines
    while (k + 1 < lines.length && /^[ \t]/.test(lines[k + 1]!)) value += ' ' + lines[++k];
    values.push(value.trim());
  }
  if (values.length === 0) return 'Content-Length is required on a stream transport';
  if (values.some((v) => !/^\d+$/.test(v)))
    return `Content-Length "${values.find((v) => !/^\d+$/.test(v))}" is not a number`;
  if (new Set(values.map(Number)).size > 1) return 'Content-Length appears with different values';
  return Number(values[0]);
}
