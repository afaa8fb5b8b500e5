/**
 * A byte-offset XML scanner. It checks well-formedness (XML 1.0 + Namespaces) and records where every element
 * and attribute starts and ends in the stored bytes, so that node operations can splice the document instead of
 * re-serialising it: everything outside the changed node stays byte-identical.
 *
 * DTDs are refused outright: with no DOCTYPE there are no external entities (XXE) and no entity expansion
 * (billion laughs), and the five predefined entities are the only ones that can be referenced.
 */
import { isUtf8 } from 'node:buffer';
import { XcapError, type XcapErrorCondition } from '../errors';
import { XML_NS, XMLNS_NS, decodeReference, splitQName } from './xml-names';

export interface XmlAttribute {
  qname: string;
  prefix: string;
  local: string;
  /** null: no namespace (always so for an unprefixed attribute) */
  nsUri: string | null;
  /** the value after entity decoding and attribute-value normalisation (XML 1.0 section 3.3.3) */
  value: string;
  /** the quote character used in the document */
  quote: '"' | "'";
  /** byte offsets of the value between the quotes */
  valueStart: number;
  valueEnd: number;
  /** byte offsets of the whole `name="value"` */
  start: number;
  end: number;
}

export interface XmlElement {
  qname: string;
  prefix: string;
  local: string;
  /** null: the element is in no namespace */
  nsUri: string | null;
  /** ordinary attributes, in document order (namespace declarations are in `nsDecls`) */
  attributes: XmlAttribute[];
  /** the `xmlns` / `xmlns:p` attributes of this start tag */
  nsDecls: XmlAttribute[];
  /** in-scope namespaces: prefix -> URI, '' for the default namespace; `xml` is implicit and not listed */
  namespaces: ReadonlyMap<string, string>;
  parent: XmlElement | null;
  children: XmlElement[];
  /** offset of '<' */
  start: number;
  /** offset just after the element name in the start tag */
  nameEnd: number;
  /** offset just after the last attribute of the start tag (nameEnd if there is none) */
  attrsEnd: number;
  /** offset just after the start tag's '>' */
  startTagEnd: number;
  /** offset of the end tag's '<' (startTagEnd for an empty-element tag) */
  contentEnd: number;
  /** offset just after the end tag (startTagEnd for an empty-element tag) */
  end: number;
  selfClosing: boolean;
}

export interface XmlDocument {
  bytes: Buffer;
  root: XmlElement;
}

export interface ScanOptions {
  /** maximum element nesting depth (the document element is depth 1) */
  maxDepth?: number;
  /** maximum attributes (namespace declarations included) on one element */
  maxAttributes?: number;
}

export const DEFAULT_MAX_DEPTH = 256;
export const DEFAULT_MAX_ATTRIBUTES = 256;

// XML whitespace is exactly these four characters (JavaScript's \s would accept more)
const XML_DECL_RE = new RegExp(
  '^[ \\t\\r\\n]+version[ \\t\\r\\n]*=[ \\t\\r\\n]*(?:"(1\\.[0-9]+)"|\'(1\\.[0-9]+)\')' +
    '(?:[ \\t\\r\\n]+encoding[ \\t\\r\\n]*=[ \\t\\r\\n]*(?:"([A-Za-z][A-Za-z0-9._-]*)"|\'([A-Za-z][A-Za-z0-9._-]*)\'))?' +
    '(?:[ \\t\\r\\n]+standalone[ \\t\\r\\n]*=[ \\t\\r\\n]*(?:"(?:yes|no)"|\'(?:yes|no)\'))?[ \\t\\r\\n]*$',
);

const EMPTY_SCOPE: ReadonlyMap<string, string> = new Map();

const LT = 0x3c;
const GT = 0x3e;
const AMP = 0x26;
const SLASH = 0x2f;
const QMARK = 0x3f;
const BANG = 0x21;
const EQ = 0x3d;
const DQ = 0x22;
const SQ = 0x27;
const RSQB = 0x5d;

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isNameByte(c: number | undefined): boolean {
  if (c === undefined) return false;
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x3a ||
    c === 0x2d ||
    c === 0x2e ||
    c >= 0x80
  );
}

/** Checks the encoding before anything else: RFC 4825 requires UTF-8, and offsets are UTF-8 byte offsets. */
export function checkUtf8(b: Buffer): void {
  const c0 = b[0];
  const c1 = b[1];
  if ((c0 === 0xfe && c1 === 0xff) || (c0 === 0xff && c1 === 0xfe)) {
    throw XcapError.conflict('not-utf-8', 'UTF-16 byte order mark: the body must be UTF-8');
  }
  // UTF-16/32 without a byte order mark: '<' next to a NUL byte
  if ((c0 === 0 && c1 !== undefined) || (c0 === LT && c1 === 0)) {
    throw XcapError.conflict('not-utf-8', 'the body looks like UTF-16 or UTF-32: it must be UTF-8');
  }
  if (!isUtf8(b)) throw XcapError.conflict('not-utf-8', 'the body is not valid UTF-8');
}

type Mode = 'document' | 'fragment';

interface QName {
  qname: string;
  prefix: string;
  local: string;
}

/**
 * Names checked before, and their parts (null: not a QName). Documents repeat a handful of names, so this
 * spares most of the name checks; it is bounded, and starts again when full.
 */
const qnames = new Map<string, QName | null>();
const MAX_QNAMES = 4096;

function qnameOf(qname: string): QName | null {
  let name = qnames.get(qname);
  if (name === undefined) {
    const parts = splitQName(qname);
    name = parts ? { qname, prefix: parts.prefix, local: parts.local } : null;
    if (qnames.size >= MAX_QNAMES) qnames.clear();
    qnames.set(qname, name);
  }
  return name;
}

class Scanner {
  i = 0;
  private readonly maxDepth: number;
  private readonly maxAttributes: number;

  constructor(
    private readonly b: Buffer,
    private readonly mode: Mode,
    opts: ScanOptions,
  ) {
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxAttributes = opts.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES;
  }

  fail(what: string, at = this.i): never {
    const condition: XcapErrorCondition = this.mode === 'fragment' ? 'not-xml-frag' : 'not-well-formed';
    const prefix = this.mode === 'fragment' ? 'not an XML element fragment' : 'not well-formed';
    throw XcapError.conflict(condition, `${prefix}: ${what} (byte ${at})`);
  }

  private startsWith(s: string, at = this.i): boolean {
    const b = this.b;
    if (at + s.length > b.length) return false;
    for (let k = 0; k < s.length; k++) if (b[at + k] !== s.charCodeAt(k)) return false;
    return true;
  }

  /** Control characters and U+FFFE/U+FFFF are not XML characters, literally or otherwise. */
  checkChars(): void {
    const b = this.b;
    for (let k = 0; k < b.length; k++) {
      const c = b[k] as number;
      if (c < 0x20) {
        if (c !== 0x09 && c !== 0x0a && c !== 0x0d)
          this.fail(`character U+${c.toString(16).padStart(4, '0')}`, k);
      } else if (c === 0xef && b[k + 1] === 0xbf && (b[k + 2] === 0xbe || b[k + 2] === 0xbf)) {
        this.fail('character U+FFFE or U+FFFF', k);
      }
    }
  }

  skipBom(): void {
    if (this.b[0] === 0xef && this.b[1] === 0xbb && this.b[2] === 0xbf) this.i = 3;
  }

  skipSpace(): boolean {
    const start = this.i;
    while (isSpace(this.b[this.i])) this.i++;
    return this.i > start;
  }

  readName(what: string): string {
    const b = this.b;
    const start = this.i;
    let ascii = true;
    for (let c = b[this.i]; isNameByte(c); c = b[++this.i]) if (c! >= 0x80) ascii = false;
    if (this.i === start) this.fail(`${what} expected`);
    // most names are ASCII, and latin1 decoding is the cheaper way to make a string of them
    return b.toString(ascii ? 'latin1' : 'utf8', start, this.i);
  }

  readQName(what: string): QName {
    const at = this.i;
    const qname = this.readName(what);
    const name = qnameOf(qname);
    if (!name) this.fail(`invalid ${what} "${qname}"`, at);
    return name;
  }

  /** The XML declaration, if present; its encoding must be UTF-8. */
  xmlDecl(): void {
    if (!(this.startsWith('<?xml') && isSpace(this.b[this.i + 5]))) return;
    const declStart = this.i;
    const end = this.b.indexOf('?>', this.i);
    if (end < 0) this.fail('unterminated XML declaration');
    const text = this.b.toString('utf8', this.i + 5, end);
    const m = XML_DECL_RE.exec(text);
    if (!m) {
      // a wrong encoding is the more useful answer even when the declaration is also malformed
      const enc = /encoding\s*=\s*["']([^"']*)["']/.exec(text)?.[1];
      if (enc !== undefined && enc.toLowerCase() !== 'utf-8') this.notUtf8Declared(enc);
      this.fail('malformed XML declaration', declStart);
    }
    const enc = m[3] ?? m[4];
    if (enc !== undefined && enc.toLowerCase() !== 'utf-8') this.notUtf8Declared(enc);
    this.i = end + 2;
  }

  private notUtf8Declared(enc: string): never {
    throw XcapError.conflict('not-utf-8', `declared encoding "${enc}": the body must be UTF-8`);
  }

  comment(): void {
    // at '<!--'
    const start = this.i;
    const dashes = this.b.indexOf('--', start + 4);
    if (dashes < 0) this.fail('unterminated comment', start);
    if (this.b[dashes + 2] !== GT) this.fail("'--' inside a comment", dashes);
    this.i = dashes + 3;
  }

  pi(): void {
    // at '<?'
    const start = this.i;
    this.i += 2;
    const target = this.readName('processing instruction target');
    if (target.toLowerCase() === 'xml') this.fail('XML declaration not at the start', start);
    if (target.includes(':')) this.fail('colon in a processing instruction target', start);
    const end = this.b.indexOf('?>', this.i);
    if (end < 0) this.fail('unterminated processing instruction', start);
    if (end > this.i && !isSpace(this.b[this.i])) this.fail('invalid processing instruction target');
    this.i = end + 2;
  }

  cdata(): void {
    // at '<![CDATA['
    const end = this.b.indexOf(']]>', this.i + 9);
    if (end < 0) this.fail('unterminated CDATA section');
    this.i = end + 3;
  }

  /** Any other `<!` markup: a DOCTYPE or a declaration, which only a DTD could hold. */
  markupDecl(): never {
    if (this.startsWith('<!DOCTYPE') || /^<!(ENTITY|ELEMENT|ATTLIST|NOTATION)/.test(this.peekText(12))) {
      this.fail('DTDs are not allowed (DOCTYPE and entity declarations are refused)');
    }
    this.fail("invalid markup after '<!'");
  }

  private peekText(n: number): string {
    return this.b.toString('latin1', this.i, Math.min(this.b.length, this.i + n));
  }

  /** Validates the reference at `&`; returns the decoded text and moves past it. */
  reference(): string {
    const semi = this.b.indexOf(';', this.i);
    const at = this.i;
    if (semi < 0 || semi - at > 32) this.fail("'&' not starting an entity or character reference");
    const r = decodeReference(this.b.toString('latin1', at, semi + 1), 0);
    if (!r) {
      const name = this.b.toString('utf8', at + 1, semi);
      this.fail(/^#/.test(name) ? `invalid character reference &${name};` : `undefined entity &${name};`);
    }
    this.i = semi + 1;
    return r.text;
  }

  /** Character data up to the next '<' (or the end). */
  text(): void {
    const b = this.b;
    const lt = b.indexOf(LT, this.i);
    const stop = lt < 0 ? b.length : lt;
    while (this.i < stop) {
      const c = b[this.i];
      if (c === AMP) this.reference();
      else if (c === RSQB && b[this.i + 1] === RSQB && b[this.i + 2] === GT)
        this.fail("']]>' in character data");
      else this.i++;
    }
  }

  attributeValue(): { value: string; quote: '"' | "'"; valueStart: number; valueEnd: number } {
    const b = this.b;
    const q = b[this.i];
    if (q !== DQ && q !== SQ) this.fail('attribute value must be quoted');
    const valueStart = ++this.i;
    let value = '';
    let seg = valueStart;
    // literal tabs and line ends become spaces (referenced ones stay): the replace runs only where there is one
    let spaces = false;
    for (;;) {
      const c = b[this.i];
      if (c === undefined) this.fail('unterminated attribute value', valueStart - 1);
      if (c === q) break;
      if (c === LT) this.fail("'<' in an attribute value");
      if (c === AMP) {
        const text = b.toString('utf8', seg, this.i);
        value += spaces ? normalise(text) : text;
        spaces = false;
        value += this.reference();
        seg = this.i;
      } else {
        if (c === 0x09 || c === 0x0a || c === 0x0d) spaces = true;
        this.i++;
      }
    }
    const text = b.toString('utf8', seg, this.i);
    value += spaces ? normalise(text) : text;
    const valueEnd = this.i++;
    return { value, quote: q === DQ ? '"' : "'", valueStart, valueEnd };
  }

  element(parent: XmlElement | null, scope: ReadonlyMap<string, string>, depth: number): XmlElement {
    const b = this.b;
    const start = this.i;
    if (depth > this.maxDepth) this.fail(`elements nested deeper than ${this.maxDepth}`);
    this.i++;
    const name = this.readQName('element name');
    const nameEnd = this.i;
    const raw: XmlAttribute[] = [];
    // a set keeps the duplicate check linear for elements with many attributes (made at the second one)
    let seen: Set<string> | undefined;
    let selfClosing = false;
    let attrsEnd = nameEnd;
    for (;;) {
      const spaced = this.skipSpace();
      const c = b[this.i];
      if (c === GT) {
        this.i++;
        break;
      }
      if (c === SLASH && b[this.i + 1] === GT) {
        this.i += 2;
        selfClosing = true;
        break;
      }
      if (c === undefined) this.fail(`unterminated start tag <${name.qname}>`, start);
      if (!spaced) this.fail('whitespace required between attributes');
      const aStart = this.i;
      const an = this.readQName('attribute name');
      this.skipSpace();
      if (b[this.i] !== EQ) this.fail(`'=' expected after attribute ${an.qname}`);
      this.i++;
      this.skipSpace();
      const v = this.attributeValue();
      if (raw.length > 0) {
        seen ??= new Set(raw.map((a) => a.qname));
        if (seen.has(an.qname)) this.fail(`duplicate attribute ${an.qname}`, aStart);
        seen.add(an.qname);
      }
      // explicit literals, not spreads: one object shape for every attribute keeps scanning fast
      raw.push({
        qname: an.qname,
        prefix: an.prefix,
        local: an.local,
        nsUri: null,
        value: v.value,
        quote: v.quote,
        valueStart: v.valueStart,
        valueEnd: v.valueEnd,
        start: aStart,
        end: this.i,
      });
      if (raw.length > this.maxAttributes) this.fail(`more than ${this.maxAttributes} attributes`, aStart);
      attrsEnd = this.i;
    }
    const startTagEnd = this.i;

    // namespace declarations first: they apply to the element's own name and attributes
    let namespaces = scope;
    const nsDecls: XmlAttribute[] = [];
    const attributes: XmlAttribute[] = [];
    for (const a of raw) {
      if (a.qname === 'xmlns' || a.prefix === 'xmlns') {
        const p = a.qname === 'xmlns' ? '' : a.local;
        this.checkDeclaration(p, a.value, a.start);
        if (namespaces === scope) namespaces = new Map(scope);
        const m = namespaces as Map<string, string>;
        if (p === '' && a.value === '') m.delete('');
        else if (p !== 'xml') m.set(p, a.value);
        a.nsUri = XMLNS_NS;
        nsDecls.push(a);
      }
    }
    let expanded: Set<string> | undefined;
    for (const a of raw) {
      if (a.qname === 'xmlns' || a.prefix === 'xmlns') continue;
      const nsUri = a.prefix === '' ? null : this.resolve(namespaces, a.prefix, a.start);
      // two prefixes bound to one namespace make `p:x` and `q:x` the same attribute
      if (nsUri !== null) {
        const key = `{${nsUri}}${a.local}`;
        expanded ??= new Set();
        if (expanded.has(key)) this.fail(`attribute ${key} given twice`, a.start);
        expanded.add(key);
      }
      a.nsUri = nsUri;
      attributes.push(a);
    }
    const nsUri =
      name.prefix === '' ? (namespaces.get('') ?? null) : this.resolve(namespaces, name.prefix, start);

    const el: XmlElement = {
      qname: name.qname,
      prefix: name.prefix,
      local: name.local,
      nsUri,
      attributes,
      nsDecls,
      namespaces,
      parent,
      children: [],
      start,
      nameEnd,
      attrsEnd,
      startTagEnd,
      contentEnd: startTagEnd,
      end: startTagEnd,
      selfClosing,
    };
    if (selfClosing) return el;

    for (;;) {
      this.text();
      if (this.i >= b.length) this.fail(`<${name.qname}> is not closed`, start);
      if (b[this.i + 1] === SLASH) {
        const contentEnd = this.i;
        this.i += 2;
        // the end tag must repeat the start tag's name byte for byte
        let k = start + 1;
        let j = this.i;
        while (k < nameEnd && b[j] === b[k]) {
          k++;
          j++;
        }
        if (k === nameEnd && !isNameByte(b[j])) {
          this.i = j;
        } else {
          const endName = this.readName('end tag name');
          this.fail(`mismatched tag: </${endName}> closes <${name.qname}>`, contentEnd);
        }
        const endName = name.qname;
        this.skipSpace();
        if (b[this.i] !== GT) this.fail(`'>' expected in end tag </${endName}>`);
        this.i++;
        el.contentEnd = contentEnd;
        el.end = this.i;
        return el;
      }
      if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<![CDATA[')) this.cdata();
      else if (b[this.i + 1] === BANG) this.markupDecl();
      else if (b[this.i + 1] === QMARK) this.pi();
      else el.children.push(this.element(el, namespaces, depth + 1));
    }
  }

  private checkDeclaration(prefix: string, uri: string, at: number): void {
    if (prefix === 'xmlns') this.fail('the prefix xmlns cannot be declared', at);
    if (prefix === 'xml') {
      if (uri !== XML_NS) this.fail('the prefix xml cannot be bound to another namespace', at);
      return;
    }
    if (uri === XML_NS || uri === XMLNS_NS) this.fail(`the namespace ${uri} cannot be bound to a prefix`, at);
    if (prefix !== '' && uri === '') this.fail(`prefix ${prefix} declared with an empty namespace name`, at);
  }

  private resolve(scope: ReadonlyMap<string, string>, prefix: string, at: number): string {
    if (prefix === 'xml') return XML_NS;
    if (prefix === 'xmlns') this.fail('the prefix xmlns is reserved', at);
    const uri = scope.get(prefix);
    if (uri === undefined) this.fail(`undeclared namespace prefix ${prefix}`, at);
    return uri;
  }

  /** Comments, processing instructions and whitespace outside the document element. */
  misc(): void {
    for (;;) {
      this.skipSpace();
      if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<!')) this.markupDecl();
      else if (this.startsWith('<?')) this.pi();
      else return;
    }
  }
}

/** Attribute-value normalisation of literal text: each newline (CRLF, CR, LF) and tab becomes a space. */
function normalise(s: string): string {
  return s.replace(/\r\n|[\r\n\t]/g, ' ');
}

/** Scans a complete document: UTF-8, well-formed, namespace-well-formed, no DTD. */
export function scanDocument(bytes: Buffer, opts: ScanOptions = {}): XmlDocument {
  checkUtf8(bytes);
  const s = new Scanner(bytes, 'document', opts);
  s.skipBom();
  s.xmlDecl();
  s.checkChars();
  s.misc();
  if (bytes[s.i] !== LT)
    s.fail(s.i >= bytes.length ? 'no document element' : 'text before the document element');
  const root = s.element(null, EMPTY_SCOPE, 1);
  s.misc();
  if (s.i < bytes.length) s.fail('junk after the document element');
  return { bytes, root };
}

export interface XmlFragment {
  bytes: Buffer;
  /** the one element, offsets relative to `bytes` */
  element: XmlElement;
}

/**
 * Scans an element PUT body (application/xcap-el+xml): exactly one element, optionally surrounded by
 * whitespace (an XML declaration in front is tolerated). Prefixes resolve in `context`, the in-scope namespaces
 * of the insertion point in the stored document, plus the body's own declarations.
 */
export function scanFragment(
  bytes: Buffer,
  context: ReadonlyMap<string, string>,
  opts: ScanOptions = {},
): XmlFragment {
  checkUtf8(bytes);
  const s = new Scanner(bytes, 'fragment', opts);
  s.skipBom();
  s.xmlDecl();
  s.checkChars();
  s.skipSpace();
  if (bytes[s.i] !== LT || bytes[s.i + 1] === BANG || bytes[s.i + 1] === QMARK || bytes[s.i + 1] === SLASH) {
    s.fail(s.i >= bytes.length ? 'no element' : 'the body must be one element');
  }
  const element = s.element(null, context, 1);
  s.skipSpace();
  if (s.i < bytes.length) s.fail('junk after the element');
  return { bytes, element };
}
