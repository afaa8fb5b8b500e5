/**
 * The scan of a document after one element was replaced, inserted or removed, made from the scan before the
 * change and the scan of the inserted element: what scanning the new bytes would find, without scanning them.
 * Elements before the change keep their offsets, elements after it move by the change in length, and the
 * ancestors of the change keep their start tags and move their end tags. The scan before the change is left as
 * it was (a reader of the previous version may still hold it).
 *
 * Well-formedness needs no new check: the old document was well-formed, the inserted element was scanned in
 * the namespace scope of its new parent, and it replaces a whole element or goes between two. Only the depth
 * limit depends on where the element goes, and is checked here.
 */
import { XcapError } from '../errors';
import { DEFAULT_MAX_DEPTH, type XmlAttribute, type XmlDocument, type XmlElement } from './xml-scan';

export interface ElementSplice {
  /** the document bytes after the change */
  bytes: Buffer;
  /** the changed byte range of the old document: [from, to) became the inserted element's bytes */
  from: number;
  to: number;
  /** the parent of the change in the old scan; null when the document element is replaced */
  parent: XmlElement | null;
  /** the element replaced or removed (its bytes are [from, to)); undefined for an insertion */
  removed?: XmlElement;
  /** the inserted element as scanned on its own (offsets in its own buffer); undefined for a removal */
  inserted?: XmlElement;
}

// The copies are written out field by field in the scanner's order: objects of one shape keep every reader of
// the tree fast, where spread copies would not.

function moveAttributes(list: XmlAttribute[], by: number): XmlAttribute[] {
  if (by === 0 || list.length === 0) return list;
  return list.map((a) => ({
    qname: a.qname,
    prefix: a.prefix,
    local: a.local,
    nsUri: a.nsUri,
    value: a.value,
    quote: a.quote,
    valueStart: a.valueStart + by,
    valueEnd: a.valueEnd + by,
    start: a.start + by,
    end: a.end + by,
  }));
}

/** A copy of the element with its start tag moved by `startBy` and its end tag by `endBy`. */
function copyOf(el: XmlElement, parent: XmlElement | null, startBy: number, endBy: number): XmlElement {
  return {
    qname: el.qname,
    prefix: el.prefix,
    local: el.local,
    nsUri: el.nsUri,
    attributes: moveAttributes(el.attributes, startBy),
    nsDecls: moveAttributes(el.nsDecls, startBy),
    namespaces: el.namespaces,
    parent,
    children: [],
    start: el.start + startBy,
    nameEnd: el.nameEnd + startBy,
    attrsEnd: el.attrsEnd + startBy,
    startTagEnd: el.startTagEnd + startBy,
    contentEnd: el.contentEnd + endBy,
    end: el.end + endBy,
    selfClosing: el.selfClosing,
  };
}

/** A copy of a subtree with every offset moved by `by`. */
function moved(el: XmlElement, parent: XmlElement | null, by: number): XmlElement {
  const copy = copyOf(el, parent, by, by);
  for (const c of el.children) copy.children.push(moved(c, copy, by));
  return copy;
}

function height(el: XmlElement): number {
  let h = 0;
  for (const c of el.children) h = Math.max(h, height(c));
  return h + 1;
}

function depth(el: XmlElement): number {
  let d = 1;
  for (let p = el.parent; p; p = p.parent) d++;
  return d;
}

export function spliceElement(xml: XmlDocument, s: ElementSplice): XmlDocument {
  const { from, to, inserted } = s;
  const delta = (inserted ? inserted.end - inserted.start : 0) - (to - from);
  if (inserted && (s.parent ? depth(s.parent) : 0) + height(inserted) > DEFAULT_MAX_DEPTH) {
    throw XcapError.conflict('not-well-formed', `elements nested deeper than ${DEFAULT_MAX_DEPTH}`);
  }
  const place = (parent: XmlElement | null) => moved(inserted!, parent, from - inserted!.start);

  // an ancestor of the change: its start tag stays, its content changes, its end tag moves
  const ancestor = (el: XmlElement, parent: XmlElement | null): XmlElement => {
    const copy = copyOf(el, parent, 0, delta);
    let placed = false;
    for (const c of el.children) {
      if (c === s.removed) {
        if (inserted) copy.children.push(place(copy));
        placed = true;
        continue;
      }
      if (el === s.parent && !s.removed && !placed && c.start >= from) {
        copy.children.push(place(copy));
        placed = true;
      }
      if (c.end <= from) copy.children.push(moved(c, copy, 0));
      else if (c.start >= to) copy.children.push(moved(c, copy, delta));
      else copy.children.push(ancestor(c, copy));
    }
    if (el === s.parent && !placed && inserted) copy.children.push(place(copy));
    return copy;
  };

  const root = s.parent === null ? place(null) : ancestor(xml.root, null);
  return { bytes: s.bytes, root };
}
