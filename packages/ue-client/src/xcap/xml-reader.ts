/**
 * A small XML reader (XML 1.0, Namespaces in XML 1.0) for what the UE reads from the network: xcap-error
 * bodies. It builds an element tree with resolved namespaces, attribute values and text; it refuses a
 * DOCTYPE (nothing to expand or fetch), undeclared prefixes, unbalanced tags, undefined entities; it is
 * bounded in size and depth. Not a validating parser; comments, processing instructions and the XML
 * declaration are skipped.
 */

export class XmlReadError extends Error {
  override name = 'XmlReadError';
}

export interface XmlElement {
  /** namespace URI ('' for none) */
  ns: string;
  local: string;
  /** attributes by local name, for unprefixed ones; `{uri}local` for prefixed ones */
  attrs: Map<string, string>;
  children: XmlElement[];
  /** the text directly inside, concatenated */
  text: string;
}

export const MAX_XML_CHARS = 64 * 1024;
const MAX_DEPTH = 32;
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

function decodeRefs(s: string): string {
  return s.replace(/&([^;&]*);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new XmlReadError("'&' that does not start a reference");
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (named[ref] !== undefined) return named[ref];
    const num = /^#(x[0-9A-Fa-f]{1,6}|[0-9]{1,7})$/.exec(ref);
    if (!num) throw new XmlReadError(`undefined entity ${m}`);
    const code = num[1]!.startsWith('x') ? parseInt(num[1]!.slice(1), 16) : parseInt(num[1]!, 10);
    if (code > 0x10ffff || (code < 0x20 && code !== 0x9 && code !== 0xa && code !== 0xd))
      throw new XmlReadError(`character reference ${m} is not an XML character`);
    return String.fromCodePoint(code);
  });
}

const NAME =
  /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*)?$/;

const START = /<([^\s/>]+)/y;
const ATTR = /\s+([^\s=/>]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END = /\s*(\/?)>/y;

/** Reads a document; throws {@link XmlReadError} when it is not one this reader accepts. */
export function readXml(text: string): XmlElement {
  if (text.length > MAX_XML_CHARS) throw new XmlReadError(`document longer than ${MAX_XML_CHARS} characters`);
  let pos = text.startsWith('\uFEFF') ? 1 : 0;
  const stack: { el: XmlElement; qname: string; scope: Map<string, string> }[] = [];
  let root: XmlElement | undefined;
  const skip = (end: string, what: string) => {
    const i = text.indexOf(end, pos);
    if (i < 0) throw new XmlReadError(`${what} not closed`);
    pos = i + end.length;
  };
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = text.slice(pos, lt < 0 ? text.length : lt);
    if (chunk !== '') {
      if (stack.length > 0) stack[stack.length - 1]!.el.text += decodeRefs(chunk);
      else if (chunk.trim() !== '') throw new XmlReadError('text outside the document element');
    }
    if (lt < 0) break;
    pos = lt;
    if (text.startsWith('<!--', pos)) skip('-->', 'a comment');
    else if (text.startsWith('<?', pos)) skip('?>', 'a processing instruction');
    else if (text.startsWith('<![CDATA[', pos)) {
      if (stack.length === 0) throw new XmlReadError('CDATA outside the document element');
      const start = pos + 9;
      skip(']]>', 'a CDATA section');
      stack[stack.length - 1]!.el.text += text.slice(start, pos - 3);
    } else if (text.startsWith('<!', pos))
      throw new XmlReadError('DOCTYPE and declarations are not accepted');
    else if (text.startsWith('</', pos)) {
      const end = text.indexOf('>', pos);
      if (end < 0) throw new XmlReadError('an end tag not closed');
      const name = text.slice(pos + 2, end).trim();
      const open = stack.pop();
      if (!open || open.qname !== name) throw new XmlReadError(`end tag </${name}> does not match`);
      pos = end + 1;
    } else {
      if (root && stack.length === 0) throw new XmlReadError('a second document element');
      START.lastIndex = pos;
      const m = START.exec(text);
      if (!m || !NAME.test(m[1]!)) throw new XmlReadError(`a malformed start tag at offset ${pos}`);
      const qname = m[1]!;
      pos += m[0].length;
      const raw: [string, string][] = [];
      for (;;) {
        ATTR.lastIndex = pos;
        const a = ATTR.exec(text);
        if (!a) break;
        if (!NAME.test(a[1]!)) throw new XmlReadError(`a malformed attribute name "${a[1]}"`);
        if (raw.some(([n]) => n === a[1])) throw new XmlReadError(`attribute ${a[1]} twice`);
        // attribute-value normalisation (XML 1.0 3.3.3): literal TAB/LF/CR read as spaces
        raw.push([a[1]!, decodeRefs((a[2] ?? a[3] ?? '').replace(/[\t\n\r]/g, ' '))]);
        pos += a[0].length;
      }
      TAG_END.lastIndex = pos;
      const close = TAG_END.exec(text);
      if (!close) throw new XmlReadError(`a malformed start tag <${qname}>`);
      pos += close[0].length;
      const parentScope = stack.length > 0 ? stack[stack.length - 1]!.scope : new Map([['xml', XML_NS]]);
      const scope = new Map(parentScope);
      for (const [n, v] of raw) {
        if (n === 'xmlns') scope.set('', v);
        else if (n.startsWith('xmlns:')) scope.set(n.slice(6), v);
      }
      const resolve = (q: string, element: boolean): { ns: string; local: string } => {
        const i = q.indexOf(':');
        if (i < 0) return { ns: element ? (scope.get('') ?? '') : '', local: q };
        const uri = scope.get(q.slice(0, i));
        if (uri === undefined) throw new XmlReadError(`prefix of ${q} is not declared`);
        return { ns: uri, local: q.slice(i + 1) };
      };
      const attrs = new Map<string, string>();
      for (const [n, v] of raw) {
        if (n === 'xmlns' || n.startsWith('xmlns:')) continue;
        const r = resolve(n, false);
        attrs.set(r.ns ? `{${r.ns}}${r.local}` : r.local, v);
      }
      const el: XmlElement = { ...resolve(qname, true), attrs, children: [], text: '' };
      if (stack.length > 0) stack[stack.length - 1]!.el.children.push(el);
      else root = el;
      if (!close[1]) {
        if (stack.length >= MAX_DEPTH) throw new XmlReadError(`deeper than ${MAX_DEPTH} levels`);
        stack.push({ el, qname, scope });
      }
    }
  }
  if (stack.length > 0) throw new XmlReadError(`<${stack[stack.length - 1]!.qname}> is not closed`);
  if (!root) throw new XmlReadError('no document element');
  return root;
}
