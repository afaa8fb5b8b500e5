/**
 * PIDF documents (RFC 3863): a minimal well-formedness scanner (no DTD, no external entities: nothing to
 * resolve, nothing to expand), the PIDF checks a published body must pass, and the composition of several
 * publications of one presentity into one document.
 *
 * What the scanner checks: the characters are XML characters; an optional XML declaration first; comments,
 * processing instructions and whitespace around exactly one root element; no DOCTYPE; start and end tags
 * balanced and matching; names well formed (at most one colon); attributes quoted, not repeated, without `<`;
 * entity and character references only the five predefined ones and `&#N;` / `&#xH;`; CDATA sections inside
 * elements; namespace prefixes declared (Namespaces in XML 1.0); at most {@link MAX_DEPTH} levels. It does not
 * validate against the PIDF schema beyond what {@link parsePidf} says.
 */

export const PIDF_NS = 'urn:ietf:params:xml:ns:pidf';
export const PIDF_TYPE = 'application/pidf+xml';
export const MAX_DEPTH = 64;

export class XmlError extends Error {}

/** A direct child of the root element, with what composition needs to move it into another document. */
export interface XmlChild {
  ns: string | undefined;
  local: string;
  /** attributes by qualified name */
  attrs: Map<string, string>;
  /** the element as written, from `<` to the end of its end tag */
  text: string;
  /** where, in `text`, the element's name ends (namespace declarations go there) */
  nameEnd: number;
}

export interface XmlDocument {
  root: { ns: string | undefined; local: string; attrs: Map<string, string> };
  /** the namespace declarations on the root start tag (`xmlns` → default, `xmlns:p` → p) */
  rootDeclarations: Map<string, string>;
  children: XmlChild[];
}

// control characters are exactly what this finds
// eslint-disable-next-line no-control-regex
const BAD_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const NAME = /^[A-Za-z_\u00C0-\uFFFD][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFD]*$/;
const REF = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/;
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

function isWs(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** Checks `&` references in text or an attribute value. */
function checkRefs(s: string, where: string): void {
  for (let i = s.indexOf('&'); i >= 0; i = s.indexOf('&', i + 1)) {
    const m = REF.exec(s.slice(i, i + 12));
    if (!m) throw new XmlError(`an undefined or malformed entity reference in ${where}`);
    const num = /^&#(x?)([0-9A-Fa-f]+);$/.exec(m[0]);
    if (num) {
      const code = parseInt(num[2]!, num[1] ? 16 : 10);
      const ok =
        code === 0x9 ||
        code === 0xa ||
        code === 0xd ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        (code >= 0x10000 && code <= 0x10ffff);
      if (!ok) throw new XmlError(`a character reference to a non-XML character in ${where}`);
    }
  }
}

function checkQName(name: string): { prefix: string | undefined; local: string } {
  const parts = name.split(':');
  if (parts.length > 2 || parts.some((p) => !NAME.test(p)))
    throw new XmlError(`"${name.slice(0, 40)}" is not a well-formed name`);
  return parts.length === 2 ? { prefix: parts[0]!, local: parts[1]! } : { prefix: undefined, local: name };
}

interface Open {
  qname: string;
  scope: Map<string, string>;
}

/** Scans a document; throws an {@link XmlError} with the reason when it is not well formed. */
export function scanXml(text: string): XmlDocument {
  if (BAD_CHAR.test(text)) throw new XmlError('a character that XML does not allow');
  let pos = text.startsWith('\uFEFF') ? 1 : 0;
  const n = text.length;
  const expect = (s: string, what: string): void => {
    if (!text.startsWith(s, pos)) throw new XmlError(`${what} expected at offset ${pos}`);
    pos += s.length;
  };
  const skipWs = (): void => {
    while (isWs(text[pos])) pos++;
  };
  const until = (end: string, what: string): string => {
    const i = text.indexOf(end, pos);
    if (i < 0) throw new XmlError(`${what} not closed`);
    const s = text.slice(pos, i);
    pos = i + end.length;
    return s;
  };
  const readName = (): string => {
    const start = pos;
    while (pos < n && !isWs(text[pos]) && !'/>=<"\''.includes(text[pos]!)) pos++;
    if (pos === start) throw new XmlError(`a name expected at offset ${start}`);
    return text.slice(start, pos);
  };
  const comment = (): void => {
    pos += 4;
    const body = until('-->', 'a comment');
    if (body.includes('--') || body.endsWith('-')) throw new XmlError('"--" inside a comment');
  };
  const pi = (): void => {
    pos += 2;
    const target = readName();
    if (target.toLowerCase() === 'xml') throw new XmlError('an XML declaration that is not at the start');
    checkQName(target);
    until('?>', 'a processing instruction');
  };
  /** Comments, processing instructions and whitespace; true when something else follows. */
  const misc = (): boolean => {
    for (;;) {
      skipWs();
      if (pos >= n) return false;
      if (text.startsWith('<!--', pos)) comment();
      else if (text.startsWith('<?', pos)) pi();
      else if (text.startsWith('<!DOCTYPE', pos) || text.startsWith('<!doctype', pos))
        throw new XmlError('a DOCTYPE is not accepted');
      else return true;
    }
  };

  if (text.startsWith('<?xml', pos) && isWs(text[pos + 5])) {
    const decl = until('?>', 'the XML declaration');
    if (!/^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]+\1/.test('<?xml' + decl.slice(5)))
      throw new XmlError('the XML declaration has no version');
  }
  if (!misc() || text[pos] !== '<') throw new XmlError('no root element');

  const stack: Open[] = [];
  let doc: XmlDocument | undefined;
  let childStart = -1;
  let childNameEnd = 0;
  let current: Omit<XmlChild, 'text' | 'nameEnd'> | undefined;

  for (;;) {
    if (pos >= n) throw new XmlError(`the document ends inside <${stack[stack.length - 1]?.qname ?? ''}>`);
    if (text[pos] !== '<') {
      const end = text.indexOf('<', pos);
      const chunk = text.slice(pos, end < 0 ? n : end);
      if (chunk.includes(']]>')) throw new XmlError('"]]>" in text');
      checkRefs(chunk, 'text');
      pos += chunk.length;
      continue;
    }
    if (text.startsWith('<!--', pos)) {
      comment();
      continue;
    }
    if (text.startsWith('<![CDATA[', pos)) {
      pos += 9;
      until(']]>', 'a CDATA section');
      continue;
    }
    if (text.startsWith('<?', pos)) {
      pi();
      continue;
    }
    if (text.startsWith('<!', pos)) throw new XmlError(`markup not allowed here at offset ${pos}`);
    if (text[pos + 1] === '/') {
      pos += 2;
      const name = readName();
      skipWs();
      expect('>', `">" after </${name}`);
      const open = stack.pop();
      if (!open || open.qname !== name)
        throw new XmlError(`</${name}> does not close <${open?.qname ?? ''}>`);
      if (stack.length === 1 && current) {
        doc!.children.push({ ...current, text: text.slice(childStart, pos), nameEnd: childNameEnd });
        current = undefined;
      }
      if (stack.length === 0) break;
      continue;
    }
    // a start tag
    const tagStart = pos;
    pos++;
    const qname = readName();
    const nameEnd = pos;
    const { prefix, local } = checkQName(qname);
    const attrs = new Map<string, string>();
    let empty = false;
    for (;;) {
      const before = pos;
      skipWs();
      if (text.startsWith('/>', pos)) {
        pos += 2;
        empty = true;
        break;
      }
      if (text[pos] === '>') {
        pos++;
        break;
      }
      if (pos >= n) throw new XmlError(`<${qname}> not closed`);
      if (pos === before) throw new XmlError(`whitespace expected before an attribute of <${qname}>`);
      const aname = readName();
      checkQName(aname);
      skipWs();
      expect('=', `"=" after the attribute ${aname}`);
      skipWs();
      const q = text[pos];
      if (q !== '"' && q !== "'") throw new XmlError(`the value of ${aname} is not quoted`);
      pos++;
      const value = until(q, `the value of ${aname}`);
      if (value.includes('<')) throw new XmlError(`"<" in the value of ${aname}`);
      checkRefs(value, `the value of ${aname}`);
      if (attrs.has(aname)) throw new XmlError(`the attribute ${aname} is repeated on <${qname}>`);
      attrs.set(aname, value);
    }
    const parent = stack[stack.length - 1]?.scope ?? new Map<string, string>([['xml', XML_NS]]);
    const scope = new Map(parent);
    const declared = new Map<string, string>();
    for (const [a, v] of attrs) {
      if (a === 'xmlns') declared.set('', v);
      else if (a.startsWith('xmlns:')) {
        if (v === '') throw new XmlError(`the prefix ${a.slice(6)} is undeclared with an empty URI`);
        declared.set(a.slice(6), v);
      }
    }
    for (const [p, v] of declared) scope.set(p, v);
    const resolve = (p: string | undefined, isElement: boolean): string | undefined => {
      if (p === undefined) return isElement ? scope.get('') || undefined : undefined;
      const uri = scope.get(p);
      if (uri === undefined) throw new XmlError(`the namespace prefix ${p} is not declared`);
      return uri;
    };
    const ns = resolve(prefix, true);
    const expanded = new Set<string>();
    for (const a of attrs.keys()) {
      if (a === 'xmlns' || a.startsWith('xmlns:')) continue;
      const q = checkQName(a);
      const key = `${resolve(q.prefix, false) ?? ''} ${q.local}`;
      if (expanded.has(key)) throw new XmlError(`the attribute ${a} is repeated on <${qname}>`);
      expanded.add(key);
    }
    if (stack.length >= MAX_DEPTH) throw new XmlError(`more than ${MAX_DEPTH} levels of elements`);
    if (!doc) doc = { root: { ns, local, attrs }, rootDeclarations: declared, children: [] };
    else if (stack.length === 1) {
      current = { ns, local, attrs };
      childStart = tagStart;
      childNameEnd = nameEnd - tagStart;
    }
    if (empty) {
      if (stack.length === 0) break;
      if (stack.length === 1 && current) {
        doc.children.push({ ...current, text: text.slice(childStart, pos), nameEnd: childNameEnd });
        current = undefined;
      }
    } else stack.push({ qname, scope });
  }
  if (misc()) throw new XmlError('content after the root element');
  return doc!;
}

export interface PidfDocument extends XmlDocument {
  /** the `entity` attribute of `<presence>` */
  entity: string;
}

/**
 * A published body: well formed (see {@link scanXml}), its root `presence` in the PIDF namespace with an
 * `entity` attribute, each PIDF `tuple` child with an `id`, and no `id` repeated among the root's children
 * (tuple, person, device: they are all xs:ID). Throws an {@link XmlError} with the reason.
 */
export function parsePidf(text: string): PidfDocument {
  const doc = scanXml(text);
  if (doc.root.ns !== PIDF_NS || doc.root.local !== 'presence')
    throw new XmlError(
      `the root element is {${doc.root.ns ?? ''}}${doc.root.local}, not {${PIDF_NS}}presence`,
    );
  const entity = doc.root.attrs.get('entity');
  if (entity === undefined || entity.trim() === '')
    throw new XmlError('the presence element has no entity attribute');
  const ids = new Set<string>();
  for (const c of doc.children) {
    const id = c.attrs.get('id');
    if (c.ns === PIDF_NS && c.local === 'tuple' && id === undefined)
      throw new XmlError('a tuple without an id attribute');
    if (id === undefined) continue;
    if (ids.has(id)) throw new XmlError(`the id ${id} is repeated`);
    ids.add(id);
  }
  return { ...doc, entity };
}

const escapeAttr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** A child moved into another root: the old root's namespace declarations added to its start tag. */
function transplant(c: XmlChild, decls: Map<string, string>): string {
  let add = '';
  for (const [p, uri] of decls) {
    const attr = p === '' ? 'xmlns' : `xmlns:${p}`;
    if (!c.attrs.has(attr)) add += ` ${attr}="${uri}"`;
  }
  if (!decls.has('') && !c.attrs.has('xmlns')) add += ' xmlns=""';
  return c.text.slice(0, c.nameEnd) + add + c.text.slice(c.nameEnd);
}

/**
 * One document from several (newest first): the root's children by id (tuple, person, device ...), the
 * newest document's element kept for an id in several; children without id (note, extensions) from every
 * document, an identical one once. Order: PIDF tuples, PIDF notes, then the other children (the PIDF schema
 * order), each group newest document first and in document order within one.
 */
export function composePidf(entity: string, newestFirst: readonly PidfDocument[]): string {
  const seen = new Set<string>();
  const groups: [string[], string[], string[]] = [[], [], []];
  for (const doc of newestFirst) {
    for (const c of doc.children) {
      const id = c.attrs.get('id');
      const out = transplant(c, doc.rootDeclarations);
      const key = id !== undefined ? `id ${id}` : `text ${out}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const g = c.ns === PIDF_NS && c.local === 'tuple' ? 0 : c.ns === PIDF_NS && c.local === 'note' ? 1 : 2;
      groups[g].push(out);
    }
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="${PIDF_NS}" entity="${escapeAttr(entity)}">\n` +
    groups
      .flat()
      .map((s) => s + '\n')
      .join('') +
    '</presence>\n'
  );
}
