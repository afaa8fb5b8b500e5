/** Reading usage documents for constraint checks: xmldom parsing, xpath selection, node selectors for errors. */
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import * as xpath from 'xpath';
import { XcapError, type UniquenessField } from '../errors';

/** Parses a stored or candidate document; malformed input is 409 not-well-formed. */
export function parseDocument(bytes: Buffer): Document {
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new Error(message);
    },
  });
  try {
    return parser.parseFromString(bytes.toString('utf8'), 'application/xml');
  } catch (e) {
    throw XcapError.conflict('not-well-formed', e instanceof Error ? e.message.split('\n')[0]! : String(e));
  }
}

/** The elements an XPath expression selects, with the given prefix bindings. */
export function selectElements(
  expression: string,
  context: Document | Element,
  namespaces: Record<string, string>,
): Element[] {
  const found = xpath.useNamespaces(namespaces)(expression, context as unknown as Node);
  if (!Array.isArray(found)) return [];
  return found.filter((n) => n.nodeType === 1) as unknown as Element[];
}

/** Element children of an element, optionally only those with a namespace and local name. */
export function childElements(parent: Element, namespace?: string, localName?: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType !== 1) continue;
    const el = n as Element;
    if (namespace !== undefined && el.namespaceURI !== namespace) continue;
    if (localName !== undefined && el.localName !== localName) continue;
    out.push(el);
  }
  return out;
}

/**
 * An RFC 4825 node selector for an element (positions 1-based among same-name siblings), in the usage's
 * default namespace unprefixed, other namespaces with the document's prefix, or as `*[n]` where the document
 * has none.
 */
export function elementSelector(el: Element, defaultNamespace: string): string {
  const steps: string[] = [];
  for (let cur: Element | null = el; cur;) {
    const parent: Element | null =
      cur.parentNode && cur.parentNode.nodeType === 1 ? (cur.parentNode as Element) : null;
    let step: string;
    if (cur.namespaceURI === defaultNamespace || (cur.prefix ?? '') !== '') {
      const name = cur.namespaceURI === defaultNamespace ? cur.localName! : `${cur.prefix}:${cur.localName}`;
      const same = parent
        ? childElements(parent, cur.namespaceURI ?? undefined, cur.localName ?? undefined)
        : [cur];
      step = parent ? `${name}[${same.indexOf(cur) + 1}]` : name;
    } else {
      step = parent ? `*[${childElements(parent).indexOf(cur) + 1}]` : '*';
    }
    steps.unshift(step);
    cur = parent;
  }
  return '/' + steps.join('/');
}

/** A uniqueness rule: among the children of one parent, these elements' attribute must differ. */
export interface SiblingRule {
  namespace: string;
  localName: string;
  attribute: string;
}

/**
 * For each parent, the children matching a rule whose attribute value repeats an earlier sibling's: one
 * `exists` per repeat, pointing at the repeated attribute.
 */
export function siblingDuplicates(
  parents: readonly Element[],
  rules: readonly SiblingRule[],
  defaultNamespace: string,
): UniquenessField[] {
  const out: UniquenessField[] = [];
  for (const parent of parents) {
    for (const rule of rules) {
      const seen = new Set<string>();
      for (const child of childElements(parent, rule.namespace, rule.localName)) {
        if (!child.hasAttribute(rule.attribute)) continue;
        const value = child.getAttribute(rule.attribute) ?? '';
        if (seen.has(value))
          out.push({ field: `${elementSelector(child, defaultNamespace)}/@${rule.attribute}` });
        seen.add(value);
      }
    }
  }
  return out;
}

/** Throws 409 uniqueness-failure when there are duplicates. */
export function throwIfDuplicates(fields: readonly UniquenessField[]): void {
  const first = fields[0];
  if (!first) return;
  throw XcapError.conflict('uniqueness-failure', `${first.field} is not unique`, { exists: [...fields] });
}

/** The scheme of an absolute URI (RFC 3986 section 3.1), lower-cased, or undefined for a relative reference. */
export function uriScheme(uri: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

/** An absolute http: or https: URI with an authority. */
export function isAbsoluteHttpUri(uri: string): boolean {
  const scheme = uriScheme(uri);
  if (scheme !== 'http' && scheme !== 'https') return false;
  try {
    return new URL(uri.trim()).host !== '';
  } catch {
    return false;
  }
}
