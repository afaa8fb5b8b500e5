/**
 * Reading usage documents for their constraint checks: walks over the engine's scan of the document (the same
 * scan the node operation produced), and node selectors that point at an element in error answers.
 */
import { XcapError, type UniquenessField } from '../errors';
import type { XmlElement } from '../engine';

/** Element children of an element, optionally only those with a namespace and local name. */
export function childElements(parent: XmlElement, namespace?: string, localName?: string): XmlElement[] {
  if (namespace === undefined) return parent.children.slice();
  return parent.children.filter(
    (el) => el.nsUri === namespace && (localName === undefined || el.local === localName),
  );
}

/** Descendants of `from` (not `from` itself) with the namespace and local name, in document order. */
export function descendants(from: XmlElement, namespace: string, localName: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (el: XmlElement) => {
    for (const c of el.children) {
      if (c.nsUri === namespace && c.local === localName) out.push(c);
      walk(c);
    }
  };
  walk(from);
  return out;
}

/** Whether `el` has the namespace and local name. */
export function is(el: XmlElement, namespace: string, localName: string): boolean {
  return el.nsUri === namespace && el.local === localName;
}

/** The value of an unprefixed attribute, or undefined. */
export function attribute(el: XmlElement, name: string): string | undefined {
  for (const a of el.attributes) if (a.nsUri === null && a.local === name) return a.value;
  return undefined;
}

/**
 * An RFC 4825 node selector for an element (positions 1-based among same-name siblings), in the usage's
 * default namespace unprefixed, other namespaces with the document's prefix, or as `*[n]` where the document
 * has none.
 */
export function elementSelector(el: XmlElement, defaultNamespace: string): string {
  const steps: string[] = [];
  for (let cur: XmlElement | null = el; cur; cur = cur.parent) {
    const parent = cur.parent;
    let step: string;
    if (cur.nsUri === defaultNamespace || cur.prefix !== '') {
      const name = cur.nsUri === defaultNamespace ? cur.local : `${cur.prefix}:${cur.local}`;
      const same = parent
        ? parent.children.filter((c) => c.nsUri === cur!.nsUri && c.local === cur!.local)
        : [];
      step = parent ? `${name}[${same.indexOf(cur) + 1}]` : name;
    } else {
      step = parent ? `*[${parent.children.indexOf(cur) + 1}]` : '*';
    }
    steps.unshift(step);
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
  parents: readonly XmlElement[],
  rules: readonly SiblingRule[],
  defaultNamespace: string,
): UniquenessField[] {
  const out: UniquenessField[] = [];
  for (const parent of parents) {
    for (const rule of rules) {
      const seen = new Set<string>();
      for (const child of childElements(parent, rule.namespace, rule.localName)) {
        const value = attribute(child, rule.attribute);
        if (value === undefined) continue;
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
