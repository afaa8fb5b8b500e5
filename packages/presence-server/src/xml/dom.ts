/**
 * A namespaced DOM for the documents the presence server reads whole: pres-rules, resource lists and
 * rls-services from the XCAP server, and PIDF documents it transforms for a watcher. Any warning or error of
 * the parser is an {@link XmlError}: a document that is not clean XML is refused, not repaired. A DOCTYPE is
 * refused before parsing (nothing to resolve, nothing to expand).
 */
import { DOMParser, XMLSerializer, type Document, type Element, type Node } from '@xmldom/xmldom';
import { XmlError } from '../pidf';

export type { Document, Element, Node };

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

export function parseXml(text: string): Document {
  if (/<!DOCTYPE/i.test(text)) throw new XmlError('a DOCTYPE is not accepted');
  const fail = (level: string, message: string) => {
    throw new XmlError(`${level}: ${message.split('\n')[0]}`);
  };
  let doc: Document;
  try {
    doc = new DOMParser({ onError: fail }).parseFromString(text, 'text/xml');
  } catch (e) {
    if (e instanceof XmlError) throw e;
    // xmldom wraps what onError throws
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof XmlError) throw cause;
    throw new XmlError((e as Error).message.split('\n')[0]!);
  }
  if (!doc.documentElement) throw new XmlError('no root element');
  return doc;
}

export function serializeXml(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}

export function isElement(n: Node | null | undefined): n is Element {
  return !!n && n.nodeType === ELEMENT_NODE;
}

/** The element children of `el`, those in namespace `ns` with local name `local` when given. */
export function children(el: Element, ns?: string, local?: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (!isElement(n)) continue;
    if (ns !== undefined && n.namespaceURI !== ns) continue;
    if (local !== undefined && n.localName !== local) continue;
    out.push(n);
  }
  return out;
}

export function child(el: Element, ns: string, local: string): Element | undefined {
  return children(el, ns, local)[0];
}

/** The concatenated text and CDATA content of an element, trimmed. */
export function textOf(el: Element): string {
  let s = '';
  const walk = (n: Node) => {
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === TEXT_NODE || c.nodeType === CDATA_SECTION_NODE) s += c.nodeValue ?? '';
      else if (isElement(c)) walk(c);
    }
  };
  walk(el);
  return s.trim();
}

/** An attribute without a namespace, or undefined when absent. */
export function attr(el: Element, name: string): string | undefined {
  return el.hasAttribute(name) ? el.getAttribute(name)! : undefined;
}
