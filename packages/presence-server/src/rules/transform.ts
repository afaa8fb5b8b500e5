/**
 * The privacy filtering of RFC 5025 section 3.3: a PIDF document (RFC 3863) in the data model of RFC 4479
 * (tuple = service, person, device) reduced to what a watcher's combined {@link Transformations} permit; the
 * neutral document of polite-block (RFC 5025 3.2.1).
 *
 * What it implements: which tuples, persons and devices stay (3.3.1: by occurrence id, class, service URI and
 * scheme, device ID, or all of them); within those, which presence attributes stay (3.3.2: the RPID elements
 * of RFC 4480, the data-model deviceID and notes, unknown attributes by namespace and name, or all of them)
 * and the attributes of `<user-input>` (3.3.2.12). The output is the input with elements removed: namespace
 * declarations stay where they were written, the order of what remains is kept (so a schema-valid input stays
 * valid), and filtering it again changes nothing (RFC 5025 section 4, F(F(D)) = F(D)).
 *
 * What it does not: reduce the precision of values (none of RFC 5025's permissions asks for it), filter inside
 * a permitted RPID element (its own notes go with it, 3.3.2.13), or know OMA's PIDF extensions
 * (urn:oma:xml:prs:pidf:oma-pres): they are unknown attributes here, shown only under
 * provide-unknown-attribute or provide-all-attributes. Comments and processing instructions are removed.
 */
import { createHash } from 'node:crypto';
import { PIDF_NS, XmlError } from '../pidf';
import {
  attr,
  children,
  isElement,
  parseXml,
  serializeXml,
  textOf,
  type Element,
  type Node,
} from '../xml/dom';
import { normalizeServiceUri, type Transformations, type UnknownAttribute } from './pres-rules';

export const DATA_MODEL_NS = 'urn:ietf:params:xml:ns:pidf:data-model';
export const RPID_NS = 'urn:ietf:params:xml:ns:pidf:rpid';

const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

type Component = 'tuple' | 'person' | 'device';

/** The boolean permission of each RPID element (RFC 5025 3.3.2.1 to 3.3.2.11). */
const RPID_PERMISSION = {
  activities: 'activities',
  class: 'class',
  mood: 'mood',
  'place-is': 'placeIs',
  'place-type': 'placeType',
  privacy: 'privacy',
  relationship: 'relationship',
  'status-icon': 'statusIcon',
  sphere: 'sphere',
  'time-offset': 'timeOffset',
} as const satisfies Record<string, keyof Transformations>;

function isWhitespaceText(n: Node): boolean {
  return (n.nodeType === TEXT_NODE || n.nodeType === CDATA_SECTION_NODE) && /^\s*$/.test(n.nodeValue ?? '');
}

/** Removes a node and the indentation before it, so that what is left reads as written. */
function remove(n: Node): void {
  const parent = n.parentNode;
  if (!parent) return;
  const prev = n.previousSibling;
  if (prev && isWhitespaceText(prev)) parent.removeChild(prev);
  parent.removeChild(n);
}

/**
 * Keeps the element children of `el` that `keep` accepts; whitespace stays, anything else that is not an
 * element (comments, PIs, stray text, which the PIDF schemas do not allow between elements) goes.
 */
function filterChildren(el: Element, keep: (c: Element) => boolean): void {
  for (let n = el.firstChild; n;) {
    const next = n.nextSibling;
    if (isElement(n)) {
      if (!keep(n)) remove(n);
    } else if (!isWhitespaceText(n)) {
      el.removeChild(n);
    }
    n = next;
  }
}

/** Comments and processing instructions inside elements that are kept whole (their content is not filtered). */
function stripComments(el: Element): void {
  for (let n = el.firstChild; n;) {
    const next = n.nextSibling;
    if (n.nodeType === 8 || n.nodeType === 7) el.removeChild(n);
    else if (isElement(n)) stripComments(n);
    n = next;
  }
}

function isUnknownGranted(c: Element, granted: readonly UnknownAttribute[]): boolean {
  return granted.some((u) => u.ns === (c.namespaceURI ?? '') && u.name === c.localName);
}

function rpidClass(el: Element): string | undefined {
  const c = children(el, RPID_NS, 'class')[0];
  // xs:token: surrounding whitespace is not part of the value
  return c ? textOf(c).replace(/\s+/g, ' ') : undefined;
}

/** The identifiers all three components share (RFC 5025 3.3.1): all of them, occurrence id, class. */
function shownByCommon(
  el: Element,
  p: { all: boolean; occurrenceIds: string[]; classes: string[] },
): boolean {
  if (p.all) return true;
  const id = attr(el, 'id');
  if (id !== undefined && p.occurrenceIds.includes(id)) return true;
  const cls = rpidClass(el);
  return cls !== undefined && p.classes.includes(cls);
}

/**
 * RFC 5025 3.3.1: an occurrence is shown when one identifier in the set identifies it; services also by the
 * service URI (URI equivalence) or its scheme (case-sensitive), devices also by their deviceID.
 */
function componentShown(el: Element, kind: Component, t: Transformations): boolean {
  if (kind === 'person') return shownByCommon(el, t.persons);
  if (kind === 'device') {
    if (shownByCommon(el, t.devices)) return true;
    const dev = children(el, DATA_MODEL_NS, 'deviceID')[0];
    return dev !== undefined && t.devices.deviceIds.includes(normalizeServiceUri(textOf(dev)));
  }
  if (shownByCommon(el, t.services)) return true;
  const contact = children(el, PIDF_NS, 'contact')[0];
  if (!contact) return false;
  const uri = textOf(contact);
  const colon = uri.indexOf(':');
  return (
    t.services.serviceUris.includes(normalizeServiceUri(uri)) ||
    (colon > 0 && t.services.serviceUriSchemes.includes(uri.slice(0, colon)))
  );
}

/**
 * RFC 5025 3.3.2.12: bare keeps the element without its thresholds and times, thresholds keeps the
 * idle-threshold. The RFC names the time attribute "since"; RPID (RFC 4480) calls it last-input: both go.
 * Any other attribute but the element's id (extension attributes could carry the same information) goes too;
 * namespace declarations stay, descendants may use them.
 */
function reduceUserInput(el: Element, level: 'bare' | 'thresholds'): void {
  const keep = new Set(level === 'thresholds' ? ['id', 'idle-threshold'] : ['id']);
  const names: string[] = [];
  for (let i = 0; i < el.attributes.length; i++) {
    const a = el.attributes.item(i)!;
    if (a.name === 'xmlns' || a.prefix === 'xmlns') continue;
    if (a.namespaceURI === null && keep.has(a.name)) continue;
    names.push(a.name);
  }
  for (const n of names) el.removeAttribute(n);
}

/**
 * Whether a presence attribute (a child of a shown tuple, person or device, or of a tuple's status) stays,
 * RFC 5025 3.3.2. Always shown (3.3.2 opening): a tuple's contact, service-class, basic status and timestamp,
 * a person's timestamp, a device's timestamp and deviceID. Without its permission an attribute is removed: a
 * boolean permission no rule grants is FALSE (RFC 4745 10.2), provide-user-input is then "false".
 */
function attributeKept(c: Element, where: Component | 'status', t: Transformations): boolean {
  const ns = c.namespaceURI;
  const name = c.localName ?? '';
  if (where === 'status' && ns === PIDF_NS && name === 'basic') return true;
  if (t.allAttributes) return true;
  if (ns === PIDF_NS || ns === DATA_MODEL_NS) {
    if (name === 'timestamp') return true;
    if (ns === PIDF_NS && name === 'contact') return where === 'tuple';
    if (name === 'note') return t.note;
    if (ns === DATA_MODEL_NS && name === 'deviceID') return where === 'device' || t.deviceID;
  }
  if (ns === RPID_NS) {
    if (name === 'service-class') return true;
    if (name === 'user-input') {
      if (t.userInput === 'false') return false;
      if (t.userInput !== 'full') reduceUserInput(c, t.userInput);
      return true;
    }
    if (Object.hasOwn(RPID_PERMISSION, name)) return t[RPID_PERMISSION[name as keyof typeof RPID_PERMISSION]];
  }
  // RFC 5025 3.3.2.14: "unknown" is what no permission here covers, so naming an RPID element does not grant it
  const known =
    (ns === RPID_NS && Object.hasOwn(RPID_PERMISSION, name)) || ns === PIDF_NS || ns === DATA_MODEL_NS;
  return !known && isUnknownGranted(c, t.unknownAttributes);
}

function filterComponent(el: Element, where: Component, t: Transformations): void {
  filterChildren(el, (c) => {
    if (where === 'tuple' && c.namespaceURI === PIDF_NS && c.localName === 'status') {
      // status extensions (RFC 3863 4.2.4) are attributes of the service like its other children
      filterChildren(c, (s) => attributeKept(s, 'status', t));
      stripComments(c);
      return true;
    }
    const keep = attributeKept(c, where, t);
    if (keep) stripComments(c);
    return keep;
  });
}

/** the PIDF document (text, well-formed, RFC 3863 + RFC 4479 data model person/device/tuple) reduced to what `t` permits (RFC 5025 3.3) */
export function transformPidf(pidf: string, t: Transformations): string {
  const doc = parseXml(pidf);
  const root = doc.documentElement!;
  if (root.namespaceURI !== PIDF_NS || root.localName !== 'presence')
    throw new XmlError(
      `the root element is {${root.namespaceURI ?? ''}}${root.localName}, not {${PIDF_NS}}presence`,
    );
  filterChildren(root, (c) => {
    const ns = c.namespaceURI;
    const name = c.localName;
    const kind: Component | undefined =
      ns === PIDF_NS && name === 'tuple'
        ? 'tuple'
        : ns === DATA_MODEL_NS && (name === 'person' || name === 'device')
          ? name
          : undefined;
    if (kind !== undefined) {
      if (!componentShown(c, kind, t)) return false;
      filterComponent(c, kind, t);
      return true;
    }
    // The presentity's note is free text like the notes of 3.3.2.13: under the same permission. Other
    // extensions of <presence> are no person, device or service attribute: only the provide-all-attributes
    // macro ("every single presence attribute, including ... future presence document extensions") shows them.
    const keep = ns === PIDF_NS && name === 'note' ? t.note || t.allAttributes : t.allAttributes;
    if (keep) stripComments(c);
    return keep;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n${serializeXml(root)}\n`;
}

const escapeAttr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * the document a polite-blocked watcher gets (RFC 5025 3.2.1 polite-block: "as if offline"): a valid PIDF with
 * entity = presentity, and what the RFC/what you find sensible (document your choice)
 *
 * RFC 5025 3.2.1 describes "a reasonable document": no device or person elements, a single service whose basic
 * status is closed. That is all it has: no contact, note or timestamp, so that the document is the same on
 * every NOTIFY. The tuple id is derived from the entity (a hash, like the opaque ids clients generate) rather
 * than a word such as "blocked" that would tell the watcher what happened. Sending this same document for a
 * presentity that has published nothing makes polite-block indistinguishable from being offline.
 */
export function neutralPidf(entity: string): string {
  const id = 't' + createHash('sha256').update(entity).digest('hex').slice(0, 10);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<presence xmlns="${PIDF_NS}" entity="${escapeAttr(entity)}">\n` +
    `  <tuple id="${id}">\n    <status>\n      <basic>closed</basic>\n    </status>\n  </tuple>\n` +
    `</presence>\n`
  );
}
