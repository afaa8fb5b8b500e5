/**
 * PIDF (RFC 3863) as the UA reads and writes it: what a watcher shows of a received document (each tuple's
 * id, `<status><basic>`, first `<note>` and `<contact>`, and the document's first `<note>`), and the simple
 * one-tuple document a UE publishes (RFC 3863 section 4.1, RFC 3856 section 6).
 *
 * Well-formedness and the PIDF checks are the presence server's `parsePidf` (its scanner gives the root's
 * children); the tuples' inner elements are read by scanning each child again as a document of its own,
 * with the root's namespace declarations carried over. Not read: RPID and the data model (RFC 4479/4480:
 * `<person>`, `<device>`, activities), timestamps, priorities, xml:lang: the raw body stays available.
 */
import { parsePidf, PIDF_NS, scanXml, type XmlChild, type XmlDocument } from '@ut-testbed/presence-server';

export { PIDF_TYPE } from '@ut-testbed/presence-server';

export interface PresenceTuple {
  id: string;
  /** `<status><basic>`; undefined when absent or neither open nor closed (the schema allows nothing else) */
  basic?: 'open' | 'closed';
  /** the tuple's first `<note>` */
  note?: string;
  contact?: string;
}

export interface PresenceState {
  entity: string;
  tuples: PresenceTuple[];
  /** the document's first `<note>` (a child of `<presence>`) */
  note?: string;
  /** the document as received */
  body: string;
}

/** What to publish, when not a whole PIDF document. */
export interface PresenceStatus {
  basic: 'open' | 'closed';
  note?: string;
  contact?: string;
  /** the tuple id (an xs:ID); default: one per UA, so that a modify replaces the tuple it published */
  tupleId?: string;
}

const REF = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9A-Fa-f]+));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Character and the five predefined entity references (the scanner refused any other). */
function unescape(s: string): string {
  return s.replace(REF, (_m, name: string | undefined, dec: string | undefined, hex: string | undefined) =>
    name ? NAMED[name]! : String.fromCodePoint(dec ? Number(dec) : parseInt(hex!, 16)),
  );
}

/**
 * The text of an element without element children (basic, note, contact): CDATA kept literally, comments
 * and processing instructions dropped, line ends normalised (XML 1.0 section 2.11). The schema gives these
 * elements no children; the tags of any that are there anyway are dropped and their text kept.
 */
function leafText(c: XmlChild): string {
  const t = c.text;
  let i = c.nameEnd;
  for (let quote: string | undefined; i < t.length; i++) {
    const ch = t[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '>') break;
  }
  if (t[i - 1] === '/') return '';
  const inner = t.slice(i + 1, t.lastIndexOf('</')).replace(/\r\n?/g, '\n');
  let out = '';
  let pos = 0;
  while (pos < inner.length) {
    const lt = inner.indexOf('<', pos);
    if (lt < 0) {
      out += unescape(inner.slice(pos));
      break;
    }
    out += unescape(inner.slice(pos, lt));
    const close = (end: string): number => inner.indexOf(end, lt) + end.length;
    if (inner.startsWith('<![CDATA[', lt)) {
      const end = inner.indexOf(']]>', lt);
      out += inner.slice(lt + 9, end);
      pos = end + 3;
    } else if (inner.startsWith('<!--', lt)) pos = close('-->');
    else if (inner.startsWith('<?', lt)) pos = close('?>');
    else pos = /^<(?:[^>"']|"[^"]*"|'[^']*')*>/.exec(inner.slice(lt))![0].length + lt;
  }
  return out;
}

/** A child of a scanned document as a document of its own (its parent's namespace declarations added). */
function scanChild(c: XmlChild, parent: XmlDocument): XmlDocument {
  let add = '';
  for (const [prefix, uri] of parent.rootDeclarations) {
    const attr = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
    if (!c.attrs.has(attr)) add += ` ${attr}="${uri}"`;
  }
  return scanXml(c.text.slice(0, c.nameEnd) + add + c.text.slice(c.nameEnd));
}

const pidfChildren = (doc: XmlDocument, local: string): XmlChild[] =>
  doc.children.filter((c) => c.ns === PIDF_NS && c.local === local);

function readTuple(c: XmlChild, root: XmlDocument): PresenceTuple {
  const doc = scanChild(c, root);
  const tuple: PresenceTuple = { id: unescape(c.attrs.get('id')!) };
  const status = pidfChildren(doc, 'status')[0];
  const basicEl = status && pidfChildren(scanChild(status, doc), 'basic')[0];
  const basic = basicEl && leafText(basicEl).trim();
  if (basic === 'open' || basic === 'closed') tuple.basic = basic;
  const note = pidfChildren(doc, 'note')[0];
  if (note) tuple.note = leafText(note);
  const contact = pidfChildren(doc, 'contact')[0];
  if (contact) tuple.contact = leafText(contact).trim();
  return tuple;
}

/** A received PIDF document; throws the scanner's XmlError when `parsePidf` refuses it. */
export function readPresence(body: string): PresenceState {
  const doc = parsePidf(body);
  const state: PresenceState = {
    entity: unescape(doc.entity),
    tuples: pidfChildren(doc, 'tuple').map((t) => readTuple(t, doc)),
    body,
  };
  const note = pidfChildren(doc, 'note')[0];
  if (note) state.note = leafText(note);
  return state;
}

const escapeText = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string): string => escapeText(s).replace(/"/g, '&quot;');

/** The document for a simple status: one tuple with its basic status, note and contact. */
export function buildPidf(entity: string, s: PresenceStatus, tupleId: string): string {
  const id = s.tupleId ?? tupleId;
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(id)) throw new TypeError(`tuple id "${id}" is not an xs:ID`);
  if (s.basic !== 'open' && s.basic !== 'closed') throw new TypeError(`basic "${String(s.basic)}"`);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<presence xmlns="${PIDF_NS}" entity="${escapeAttr(entity)}">\n` +
    `  <tuple id="${id}">\n    <status><basic>${s.basic}</basic></status>\n` +
    (s.contact !== undefined ? `    <contact>${escapeText(s.contact)}</contact>\n` : '') +
    (s.note !== undefined ? `    <note>${escapeText(s.note)}</note>\n` : '') +
    '  </tuple>\n</presence>\n'
  );
}
