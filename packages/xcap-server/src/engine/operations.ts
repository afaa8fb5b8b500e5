/**
 * GET, PUT and DELETE of documents, elements, attributes and namespace bindings (RFC 4825 section 8), as pure
 * functions over scanned documents. Changes are byte splices at scanner offsets: nothing outside the changed node
 * is re-serialised, and every change is checked by re-scanning the result and selecting again (the RFC's
 * GET-after-PUT and DELETE conditions). The result's scan is made from the old one where one element was
 * replaced, inserted or removed (xml-splice.ts), and scanned afresh otherwise; it is returned with the result,
 * so that validation and the next change of the same document need not scan it again.
 */
import { XcapError } from '../errors';
import type { NodeResult, SelectorContext } from '../types';
import { parseAttributeBody } from './att-value';
import { applyStep, findAttribute, matchingDepth, nameMatches, selectElement } from './select';
import { parseSelector, selectorText, type NodeSelector, type Step, type Terminal } from './selector';
import { XML_NS, escapeAttribute } from './xml-names';
import { scanDocument, scanFragment, type XmlDocument, type XmlElement } from './xml-scan';
import { spliceElement } from './xml-splice';

export interface PutResult {
  /** the changed document, scanned */
  xml: XmlDocument;
  /** true: a new node (201); false: an existing one was replaced (200) */
  created: boolean;
}

type AttributeTerminal = Extract<Terminal, { kind: 'attribute' }>;

const NO_NAMESPACES: ReadonlyMap<string, string> = new Map();

function notFound(selector: string): XcapError {
  return new XcapError(404, `no node matches the selector "${selector}"`);
}

function namespacesNotWritable(): XcapError {
  return new XcapError(405, 'namespace bindings (namespace::*) can only be read', { allow: ['GET'] });
}

function splice(doc: Buffer, from: number, to: number, insert: Buffer | string): Buffer {
  const ins = typeof insert === 'string' ? Buffer.from(insert, 'utf8') : insert;
  return Buffer.concat([doc.subarray(0, from), ins, doc.subarray(to)]);
}

/** RFC 4825 10: an empty element named like the selected one, carrying every namespace binding in scope. */
function namespaceBindings(el: XmlElement): Buffer {
  let s = `<${el.qname}`;
  for (const [prefix, uri] of el.namespaces) {
    s += prefix === '' ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
  }
  return Buffer.from(`${s}/>`, 'utf8');
}

function select(xml: XmlDocument, sel: NodeSelector, ctx: SelectorContext): NodeResult | null {
  const el = selectElement(xml, sel.steps, ctx);
  if (!el) return null;
  const t = sel.terminal;
  if (!t) return { kind: 'element', bytes: Buffer.from(xml.bytes.subarray(el.start, el.end)) };
  if (t.kind === 'namespaces') return { kind: 'namespaces', bytes: namespaceBindings(el) };
  const a = findAttribute(el, t);
  return a ? { kind: 'attribute', value: a.value } : null;
}

/**
 * GET of a node: an element exactly as stored (no ancestor namespace declarations added), an attribute's value
 * (decoded: `attributeBody` writes it as an application/xcap-att+xml body), or the namespace bindings.
 */
export function getNode(xml: XmlDocument, selector: string, ctx: SelectorContext): NodeResult {
  const sel = parseSelector(selector, ctx);
  const r = select(xml, sel, ctx);
  if (!r) throw notFound(selector);
  return r;
}

/** PUT of a whole document: it must be UTF-8 and well-formed; it is stored as it came. */
export function putDocument(body: Buffer): XmlDocument {
  return scanDocument(body);
}

function noParent(
  xml: XmlDocument,
  steps: readonly Step[],
  ctx: SelectorContext,
  parentDepth: number,
): XcapError {
  const depth = matchingDepth(xml, steps, ctx, parentDepth);
  const ancestorSelector = selectorText(steps, depth);
  const phrase =
    depth === 0
      ? 'the document element does not match the selector'
      : `no element matches ${selectorText(steps, parentDepth)}; the closest existing ancestor is ${ancestorSelector}`;
  return XcapError.conflict('no-parent', phrase, { ancestorSelector });
}

function cannotInsert(phrase: string): XcapError {
  return XcapError.conflict('cannot-insert', phrase);
}

/**
 * Where a new element goes among the parent's children (RFC 4825 8.2.3): the document with it, and the offset
 * it went to (undefined when the parent's start tag changed too, as `<x/>` does).
 */
function insertElement(
  doc: Buffer,
  parent: XmlElement,
  step: Step,
  body: XmlElement,
  bytes: Buffer,
  ctx: SelectorContext,
): { doc: Buffer; at?: number } {
  // `*[@a="v"]` names no element: the body's name decides which siblings it joins
  const siblings =
    step.name.any && step.position === undefined
      ? parent.children.filter((e) => e.local === body.local && e.nsUri === body.nsUri)
      : nameMatches(parent.children, step, ctx);
  let at: number | undefined;
  if (step.position !== undefined) {
    const n = step.position;
    if (n < 1 || n > siblings.length + 1) {
      throw cannotInsert(`position ${n} is out of range: there are ${siblings.length} such elements`);
    }
    // the new element becomes the n-th: right after the (n-1)-th, or in front of the first
    at = n === 1 ? siblings[0]?.start : siblings[n - 2]?.end;
  } else {
    at = siblings[siblings.length - 1]?.end;
  }
  // no such sibling: the last child, right before the end tag
  if (at === undefined && !parent.selfClosing) at = parent.contentEnd;
  if (at !== undefined) return { doc: splice(doc, at, at, bytes), at };
  // `<x/>` becomes `<x>new</x>` (the '/>' are the start tag's last two bytes)
  const tail = Buffer.concat([Buffer.from('>'), bytes, Buffer.from(`</${parent.qname}>`)]);
  return { doc: splice(doc, parent.startTagEnd - 2, parent.startTagEnd, tail) };
}

function putElement(xml: XmlDocument, sel: NodeSelector, body: Buffer, ctx: SelectorContext): PutResult {
  const steps = sel.steps;
  const last = steps[steps.length - 1] as Step;
  const parentDepth = steps.length - 1;
  const parent = parentDepth > 0 ? selectElement(xml, steps, ctx, parentDepth) : null;
  if (parentDepth > 0 && !parent) throw noParent(xml, steps, ctx, parentDepth);

  // prefixes in the body resolve where it will sit: in the parent's scope (the document's for the root)
  const frag = scanFragment(body, parent ? parent.namespaces : NO_NAMESPACES);
  const bytes = body.subarray(frag.element.start, frag.element.end);

  const target = applyStep(parent ? parent.children : [xml.root], last, ctx);
  let after: XmlDocument;
  if (target) {
    const doc = splice(xml.bytes, target.start, target.end, bytes);
    const span = { from: target.start, to: target.end, removed: target };
    after = spliceElement(xml, { bytes: doc, parent, inserted: frag.element, ...span });
  } else if (!parent) {
    throw cannotInsert('a document has one document element, and it does not match the selector');
  } else {
    const { doc, at } = insertElement(xml.bytes, parent, last, frag.element, bytes, ctx);
    after =
      at === undefined
        ? scanDocument(doc)
        : spliceElement(xml, { bytes: doc, from: at, to: at, parent, inserted: frag.element });
  }
  const doc = after.bytes;
  const got = selectElement(after, steps, ctx);
  if (!got || !doc.subarray(got.start, got.end).equals(bytes)) {
    throw cannotInsert('the element would not be selected by the request URI afterwards');
  }
  return { xml: after, created: !target };
}

/** A prefix for the attribute's namespace that is in scope at `el`, or a declaration to add with it. */
function attributePrefix(el: XmlElement, t: AttributeTerminal): { prefix: string; declare: boolean } {
  const uri = t.nsUri as string;
  if (uri === XML_NS) return { prefix: 'xml', declare: false };
  if (el.namespaces.get(t.prefix) === uri) return { prefix: t.prefix, declare: false };
  // the default namespace never applies to attributes, so only a named prefix will do
  for (const [p, u] of el.namespaces) if (p !== '' && u === uri) return { prefix: p, declare: false };
  if (el.namespaces.has(t.prefix)) {
    throw cannotInsert(`prefix ${t.prefix} is bound to another namespace on the element`);
  }
  return { prefix: t.prefix, declare: true };
}

function putAttribute(
  xml: XmlDocument,
  sel: NodeSelector,
  t: AttributeTerminal,
  body: Buffer,
  ctx: SelectorContext,
): PutResult {
  const el = selectElement(xml, sel.steps, ctx);
  if (!el) throw noParent(xml, sel.steps, ctx, sel.steps.length);
  const value = parseAttributeBody(body);
  if (t.qname === 'xmlns' || t.prefix === 'xmlns') {
    throw cannotInsert('namespace declarations are not attributes and cannot be written here');
  }
  const existing = findAttribute(el, t);
  let doc: Buffer;
  if (existing) {
    // the body holds no quote of either kind, so it fits between the quotes already there
    doc = splice(xml.bytes, existing.valueStart, existing.valueEnd, body);
  } else {
    let text: string;
    if (t.nsUri === null) text = ` ${t.local}="${body.toString('utf8')}"`;
    else {
      const { prefix, declare } = attributePrefix(el, t);
      text = ` ${prefix}:${t.local}="${body.toString('utf8')}"`;
      if (declare) text += ` xmlns:${prefix}="${escapeAttribute(t.nsUri)}"`;
    }
    doc = splice(xml.bytes, el.attrsEnd, el.attrsEnd, text);
  }
  const after = scanDocument(doc);
  const got = selectElement(after, sel.steps, ctx);
  if (!got || findAttribute(got, t)?.value !== value) {
    throw cannotInsert('the attribute would not be selected by the request URI afterwards');
  }
  return { xml: after, created: !existing };
}

/**
 * PUT of an element (body application/xcap-el+xml) or attribute (application/xcap-att+xml): replaces the node the
 * selector matches, or creates it where RFC 4825 8.2.3 puts it. `namespace::*` is read-only (405).
 */
export function putNode(xml: XmlDocument, selector: string, body: Buffer, ctx: SelectorContext): PutResult {
  const sel = parseSelector(selector, ctx);
  if (sel.terminal?.kind === 'namespaces') throw namespacesNotWritable();
  if (sel.terminal) return putAttribute(xml, sel, sel.terminal, body, ctx);
  return putElement(xml, sel, body, ctx);
}

/**
 * DELETE of an element or attribute. The surrounding whitespace stays as it was (for an attribute, the
 * whitespace in front of it goes with it). If the same selector would still select a node afterwards, as
 * `entry[2]` does while a third entry exists, the delete is refused (cannot-delete).
 */
export function deleteNode(xml: XmlDocument, selector: string, ctx: SelectorContext): XmlDocument {
  const sel = parseSelector(selector, ctx);
  const t = sel.terminal;
  if (t?.kind === 'namespaces') throw namespacesNotWritable();
  const el = selectElement(xml, sel.steps, ctx);
  if (!el) throw notFound(selector);
  let out: Buffer;
  if (t) {
    const a = findAttribute(el, t);
    if (!a) throw notFound(selector);
    let from = el.nameEnd;
    for (const x of [...el.attributes, ...el.nsDecls]) if (x.end <= a.start && x.end > from) from = x.end;
    out = splice(xml.bytes, from, a.end, '');
  } else {
    if (!el.parent) {
      throw XcapError.conflict(
        'cannot-delete',
        'the document element cannot be deleted; delete the document',
      );
    }
    out = splice(xml.bytes, el.start, el.end, '');
  }
  const after = t
    ? scanDocument(out)
    : spliceElement(xml, { bytes: out, from: el.start, to: el.end, parent: el.parent, removed: el });
  if (select(after, sel, ctx)) {
    throw XcapError.conflict('cannot-delete', 'the request URI would still select a node after the delete');
  }
  return after;
}
