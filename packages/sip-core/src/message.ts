/**
 * A SIP message as received: start line, header fields in their order (names as sent, folding removed), body.
 * Each header field keeps the exact bytes of its line(s) until it is changed, so serialising a message that
 * a proxy touched changes only the touched fields (RFC 3261 16.6: forward what you do not understand as is).
 */
import { headerKey, LISTS } from './headers';
import { splitList } from './lexer';

export interface HeaderField {
  /** the name as sent (a compact form stays compact) */
  name: string;
  /** the value, folding replaced by a space, outer whitespace trimmed */
  value: string;
  /** the line(s) as received, without the final CRLF; absent once the field was changed or added */
  raw?: string;
}

export type StartLine =
  | { kind: 'request'; method: string; uri: string; version: string }
  | { kind: 'response'; status: number; reason: string; version: string };

export class SipMessage {
  constructor(
    readonly start: StartLine,
    readonly headers: HeaderField[],
    public body: Buffer,
    /** the start line as received */
    private startRaw?: string,
  ) {}

  get kind(): 'request' | 'response' {
    return this.start.kind;
  }
  get method(): string | undefined {
    return this.start.kind === 'request' ? this.start.method : undefined;
  }
  get uri(): string | undefined {
    return this.start.kind === 'request' ? this.start.uri : undefined;
  }
  get status(): number | undefined {
    return this.start.kind === 'response' ? this.start.status : undefined;
  }
  get reason(): string | undefined {
    return this.start.kind === 'response' ? this.start.reason : undefined;
  }
  get version(): string {
    return this.start.version;
  }

  /** The value of the first field with this name (compact forms and case do not matter). */
  get(name: string): string | undefined {
    const k = headerKey(name);
    return this.headers.find((h) => headerKey(h.name) === k)?.value;
  }

  /** Every value of the fields with this name; comma lists split for the headers that are lists. */
  getAll(name: string): string[] {
    const k = headerKey(name);
    const fields = this.headers.filter((h) => headerKey(h.name) === k);
    if (!LISTS.has(k)) return fields.map((h) => h.value);
    return fields.flatMap((h) => splitList(h.value)).filter((v) => v !== '');
  }

  /** Replaces the value of the first field with this name (or adds it at the end); other fields stay as they were. */
  set(name: string, value: string): this {
    const k = headerKey(name);
    const f = this.headers.find((h) => headerKey(h.name) === k);
    if (f) {
      f.value = value;
      delete f.raw;
    } else this.headers.push({ name, value });
    return this;
  }

  /** Removes every field with this name. */
  remove(name: string): this {
    const k = headerKey(name);
    for (let i = this.headers.length - 1; i >= 0; i--)
      if (headerKey(this.headers[i]!.name) === k) this.headers.splice(i, 1);
    return this;
  }

  /** Adds a field in front of the others with the same name (a proxy's Via, Record-Route). */
  prepend(name: string, value: string): this {
    const k = headerKey(name);
    const i = this.headers.findIndex((h) => headerKey(h.name) === k);
    this.headers.splice(i < 0 ? this.headers.length : i, 0, { name, value });
    return this;
  }

  setStart(start: StartLine): this {
    (this as { start: StartLine }).start = start;
    this.startRaw = undefined;
    return this;
  }

  /**
   * The wire form: untouched fields byte for byte as received; Content-Length follows the body when the body
   * was changed (a field that says otherwise is rewritten).
   */
  toBuffer(): Buffer {
    const s = this.start;
    const first =
      this.startRaw ??
      (s.kind === 'request' ? `${s.method} ${s.uri} ${s.version}` : `${s.version} ${s.status} ${s.reason}`);
    const cl = this.get('Content-Length');
    if (cl !== undefined && Number(cl) !== this.body.length)
      this.set('Content-Length', String(this.body.length));
    let head = first + '\r\n';
    for (const h of this.headers) head += (h.raw ?? `${h.name}: ${h.value}`) + '\r\n';
    return Buffer.concat([Buffer.from(head + '\r\n', 'utf8'), this.body]);
  }
}
