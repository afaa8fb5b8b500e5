/**
 * application/watcherinfo+xml (RFC 3858): the document of section 3 built from entries and parsed back, and
 * the procedure of section 4 by which a subscriber to watcher information combines the full and partial
 * documents it receives into one view of the watcher lists.
 *
 * Not here: xml:lang of a <watcher> is carried, not interpreted; elements of other namespaces (the schema's
 * ##other extension points) are skipped when parsing and never built; there is no run-time schema validation
 * (the tests validate every built document against the schema of RFC 3858 section 6).
 */
import { XmlError } from '../pidf';
import { attr, isElement, parseXml, textOf, type Element } from '../xml/dom';

export const WATCHERINFO_NS = 'urn:ietf:params:xml:ns:watcherinfo';
export const WATCHERINFO_TYPE = 'application/watcherinfo+xml';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export const WATCHER_STATUSES = ['pending', 'active', 'waiting', 'terminated'] as const;
export type WatcherStatus = (typeof WATCHER_STATUSES)[number];

/** The events of the RFC 3857 subscription state machine: the `event` attribute names the last one. */
export const WATCHER_EVENTS = [
  'subscribe',
  'approved',
  'deactivated',
  'probation',
  'rejected',
  'timeout',
  'giveup',
  'noresource',
] as const;
export type WatcherEvent = (typeof WATCHER_EVENTS)[number];

export interface WatcherEntry {
  /** stable for the watcher's subscription, unique within its watcher list */
  id: string;
  /** the watcher's URI as received, or the anonymous URI for a watcher that asked for privacy */
  uri: string;
  displayName?: string;
  /** the language of the display name (xml:lang) */
  lang?: string;
  status: WatcherStatus;
  event: WatcherEvent;
  /** seconds */
  durationSubscribed?: number;
  /** seconds left */
  expiration?: number;
}

export interface WatcherList {
  resource: string;
  package: string;
  watchers: WatcherEntry[];
}

export interface WatcherinfoDocument {
  version: number;
  state: 'full' | 'partial';
  lists: WatcherList[];
}

// XML 1.0 Char: anything else (C0 controls, lone surrogates, U+FFFE/U+FFFF) cannot be written even as a
// character reference, so such a value is refused rather than silently altered.
const NON_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function checkChars(value: string, where: string): string {
  if (NON_XML_CHAR.test(value)) throw new XmlError(`${where} has a character that XML 1.0 cannot carry`);
  return value;
}

function escapeAttr(value: string, where: string): string {
  // tabs and line ends as references: attribute-value normalization would turn them into spaces
  return checkChars(value, where).replace(/[&<>"\t\n\r]/g, (c) => ATTR_REFS[c]!);
}

function escapeText(value: string, where: string): string {
  return checkChars(value, where).replace(/[&<>\r]/g, (c) => ATTR_REFS[c]!);
}

const ATTR_REFS: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

function checkCount(n: number, where: string): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new XmlError(`${where} is not a non-negative integer: ${n}`);
  return String(n);
}

function checkOneOf<T extends string>(value: string, allowed: readonly T[], where: string): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new XmlError(`${where} is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** The document as XML text; every value is escaped, and one that XML cannot carry is an {@link XmlError}. */
export function buildWatcherinfo(doc: WatcherinfoDocument): string {
  const state = checkOneOf(doc.state, ['full', 'partial'] as const, 'the state');
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<watcherinfo xmlns="${WATCHERINFO_NS}" version="${checkCount(doc.version, 'the version')}" state="${state}">`,
  ];
  const resources = new Set<string>();
  for (const list of doc.lists) {
    if (resources.has(list.resource)) throw new XmlError(`two watcher lists for ${list.resource}`);
    resources.add(list.resource);
    const open = `  <watcher-list resource="${escapeAttr(list.resource, 'a resource')}" package="${escapeAttr(list.package, 'a package')}"`;
    if (list.watchers.length === 0) {
      out.push(`${open}/>`);
      continue;
    }
    out.push(`${open}>`);
    const ids = new Set<string>();
    for (const w of list.watchers) {
      if (ids.has(w.id))
        throw new XmlError(`the watcher id ${w.id} appears twice in the list of ${list.resource}`);
      ids.add(w.id);
      out.push(`    ${watcherElement(w)}`);
    }
    out.push('  </watcher-list>');
  }
  out.push('</watcherinfo>', '');
  return out.join('\n');
}

function watcherElement(w: WatcherEntry): string {
  if (w.id === '') throw new XmlError('a watcher without an id');
  if (w.uri === '') throw new XmlError(`the watcher ${w.id} has no URI`);
  let s = `<watcher id="${escapeAttr(w.id, 'a watcher id')}"`;
  s += ` status="${checkOneOf(w.status, WATCHER_STATUSES, `the status of ${w.id}`)}"`;
  s += ` event="${checkOneOf(w.event, WATCHER_EVENTS, `the event of ${w.id}`)}"`;
  if (w.displayName !== undefined) s += ` display-name="${escapeAttr(w.displayName, 'a display name')}"`;
  if (w.durationSubscribed !== undefined)
    s += ` duration-subscribed="${checkCount(w.durationSubscribed, 'duration-subscribed')}"`;
  if (w.expiration !== undefined) s += ` expiration="${checkCount(w.expiration, 'expiration')}"`;
  if (w.lang !== undefined) s += ` xml:lang="${escapeAttr(w.lang, 'xml:lang')}"`;
  return `${s}>${escapeText(w.uri, 'a watcher URI')}</watcher>`;
}

const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

/**
 * The element children of `el` that the schema allows there (`local` in the watcherinfo namespace, then
 * extensions of other namespaces, which are skipped); text other than white space is refused.
 */
function contentOf(el: Element, local: string): Element[] {
  const out: Element[] = [];
  let extensions = false;
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === TEXT_NODE || n.nodeType === CDATA_SECTION_NODE) {
      if ((n.nodeValue ?? '').trim() !== '') throw new XmlError(`text inside <${el.localName}>`);
      continue;
    }
    if (!isElement(n)) continue;
    if (n.namespaceURI === WATCHERINFO_NS && n.localName === local && !extensions) out.push(n);
    else if (n.namespaceURI !== null && n.namespaceURI !== WATCHERINFO_NS) extensions = true;
    else throw new XmlError(`<${n.tagName}> is not allowed there in <${el.localName}>`);
  }
  return out;
}

function required(el: Element, name: string): string {
  const v = attr(el, name);
  if (v === undefined) throw new XmlError(`<${el.localName}> has no ${name} attribute`);
  return v;
}

/** xs:nonNegativeInteger / xs:unsignedLong, within what a JavaScript number holds exactly */
function parseCount(value: string, where: string): number {
  const t = value.trim();
  if (!/^\+?\d+$/.test(t)) throw new XmlError(`${where} is not a non-negative integer: "${value}"`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw new XmlError(`${where} is too large: ${t}`);
  return n;
}

/** A watcherinfo document; anything that is not one (or not well-formed XML) is an {@link XmlError}. */
export function parseWatcherinfo(xml: string): WatcherinfoDocument {
  const root = parseXml(xml).documentElement!;
  if (root.namespaceURI !== WATCHERINFO_NS || root.localName !== 'watcherinfo')
    throw new XmlError(`the root element is not <watcherinfo> of ${WATCHERINFO_NS}`);
  const version = parseCount(required(root, 'version'), 'the version');
  const state = checkOneOf(required(root, 'state'), ['full', 'partial'] as const, 'the state');
  const lists: WatcherList[] = [];
  const resources = new Set<string>();
  for (const el of contentOf(root, 'watcher-list')) {
    const list = parseList(el);
    if (resources.has(list.resource)) throw new XmlError(`two watcher lists for ${list.resource}`);
    resources.add(list.resource);
    lists.push(list);
  }
  return { version, state, lists };
}

function parseList(el: Element): WatcherList {
  const resource = required(el, 'resource').trim();
  const pkg = required(el, 'package');
  const watchers: WatcherEntry[] = [];
  const ids = new Set<string>();
  for (const w of contentOf(el, 'watcher')) {
    const entry = parseWatcher(w);
    if (ids.has(entry.id))
      throw new XmlError(`the watcher id ${entry.id} appears twice in the list of ${resource}`);
    ids.add(entry.id);
    watchers.push(entry);
  }
  return { resource, package: pkg, watchers };
}

function parseWatcher(el: Element): WatcherEntry {
  const id = required(el, 'id');
  if (id === '') throw new XmlError('a watcher with an empty id');
  for (let n = el.firstChild; n; n = n.nextSibling)
    if (isElement(n)) throw new XmlError(`<watcher> ${id} contains an element`);
  const uri = textOf(el);
  if (uri === '') throw new XmlError(`the watcher ${id} has no URI`);
  const entry: WatcherEntry = {
    id,
    uri,
    status: checkOneOf(required(el, 'status'), WATCHER_STATUSES, `the status of ${id}`),
    event: checkOneOf(required(el, 'event'), WATCHER_EVENTS, `the event of ${id}`),
  };
  const displayName = attr(el, 'display-name');
  if (displayName !== undefined) entry.displayName = displayName;
  const duration = attr(el, 'duration-subscribed');
  if (duration !== undefined) entry.durationSubscribed = parseCount(duration, `duration-subscribed of ${id}`);
  const expiration = attr(el, 'expiration');
  if (expiration !== undefined) entry.expiration = parseCount(expiration, `expiration of ${id}`);
  if (el.hasAttributeNS(XML_NS, 'lang')) entry.lang = el.getAttributeNS(XML_NS, 'lang')!;
  return entry;
}

function copyList(list: WatcherList): WatcherList {
  // RFC 3858 section 4: a row whose state is now terminated MAY be removed at any time; removing it at once
  // keeps the view a list of the current watchers
  return {
    resource: list.resource,
    package: list.package,
    watchers: list.watchers.filter((w) => w.status !== 'terminated').map((w) => ({ ...w })),
  };
}

/**
 * The subscriber's view after a received document (RFC 3858 section 4), as a new object (neither argument is
 * changed). The tables are keyed by the list's resource and each row by the watcher id:
 * - a document whose version is not above the view's is discarded (the view comes back as it was);
 * - a full document replaces the whole view, whatever its version;
 * - a partial document one version above the view updates or adds the rows it carries, per list;
 * - a partial document further ahead, or one received before any full document, means notifications were
 *   lost: the section says to process it and refresh the subscription, but merging it over a view with a
 *   gap would show a state that never existed, so this returns 'resync' and the caller keeps its view and
 *   refreshes the winfo subscription (the NOTIFY that answers a refresh carries full state).
 */
export function applyWatcherinfo(
  view: WatcherinfoDocument | undefined,
  received: WatcherinfoDocument,
): WatcherinfoDocument | 'resync' {
  if (view && received.version <= view.version) return view;
  if (received.state === 'full')
    return { version: received.version, state: 'full', lists: received.lists.map(copyList) };
  if (!view || received.version !== view.version + 1) return 'resync';
  const lists = view.lists.map((l) => ({ ...l, watchers: l.watchers.map((w) => ({ ...w })) }));
  for (const update of received.lists) {
    let table = lists.find((l) => l.resource === update.resource);
    if (!table) {
      table = { resource: update.resource, package: update.package, watchers: [] };
      lists.push(table);
    }
    for (const w of update.watchers) {
      const at = table.watchers.findIndex((row) => row.id === w.id);
      if (at >= 0) table.watchers[at] = { ...w };
      else table.watchers.push({ ...w });
    }
  }
  return { version: received.version, state: 'full', lists: lists.map(copyList) };
}
