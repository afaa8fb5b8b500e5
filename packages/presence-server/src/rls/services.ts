/**
 * RFC 4826 documents as the resource list server reads them: rls-services (section 4: a <service> per URI,
 * its list given by a <resource-list> URI or inline, and the <packages> it serves) and resource-lists
 * <list> elements (section 3: entry, entry-ref, external, nested list, display-name), and the comparison of
 * service and resource URIs (RFC 3261 section 19.1.4, as section 4.3 asks "based on URI equality").
 *
 * Extension elements and attributes from other namespaces are skipped, as the schemas' wildcards allow.
 * Missing required attributes (service/@uri, entry/@uri, entry-ref/@ref) are an XmlError: the XCAP server
 * validates what it stores, so a document that breaks them did not come from it. Not here: authorization of
 * the subscriber (section 4.3 leaves it to the RLS, which asks the XCAP server as the service's owner), and
 * xml:lang on display names (the first display-name is taken).
 */
import { parseUri } from '@ut-testbed/sip-core';
import { XmlError } from '../pidf';
import { attr, child, children, isElement, parseXml, textOf, type Element } from '../xml/dom';

export const RLS_SERVICES_NS = 'urn:ietf:params:xml:ns:rls-services';
export const RESOURCE_LISTS_NS = 'urn:ietf:params:xml:ns:resource-lists';

export interface EntryItem {
  kind: 'entry';
  uri: string;
  displayName?: string;
}

/** A reference to an <entry> elsewhere: `ref` is relative to the XCAP root (RFC 4826 section 3.2). */
export interface EntryRefItem {
  kind: 'entryRef';
  ref: string;
  displayName?: string;
}

/** A reference to a <list> elsewhere: `anchor` is an absolute HTTP(S) URI of the list element. */
export interface ExternalItem {
  kind: 'external';
  anchor: string;
  displayName?: string;
}

export interface ListNode {
  kind: 'list';
  name?: string;
  displayName?: string;
  items: ListItem[];
}

export type ListItem = EntryItem | EntryRefItem | ExternalItem | ListNode;

export interface Service {
  uri: string;
  /** absolute http(s) URI of a <list> node */
  resourceList?: string;
  /** the inline list */
  list?: ListNode;
  /** the <package> values, in document order; empty (and `restricted` not set): any package */
  packages: string[];
  /**
   * a <packages> element is present: only the listed packages are served (RFC 4826 section 4.3 answers 489
   * to any other, so an empty <packages/> serves none). Parsing always sets it; absent counts as false. Use
   * {@link allowsPackage}.
   */
  restricted?: boolean;
}

/** Whether a SUBSCRIBE for event package `event` may use the service (RFC 4826 section 4.3). */
export function allowsPackage(service: Service, event: string): boolean {
  // the token as the SUBSCRIBE's Event header names it, compared as the rest of the server compares it: exactly
  return !service.restricted || service.packages.includes(event);
}

function displayNameOf(el: Element): string | undefined {
  const d = child(el, RESOURCE_LISTS_NS, 'display-name');
  return d ? textOf(d) : undefined;
}

function required(el: Element, name: string): string {
  const v = attr(el, name);
  if (v === undefined || v.trim() === '') throw new XmlError(`<${el.localName}> without ${name}`);
  return v.trim();
}

function withOptional<T extends object>(o: T, key: string, value: string | undefined): T {
  if (value !== undefined) (o as Record<string, unknown>)[key] = value;
  return o;
}

function entryOf(el: Element): EntryItem {
  return withOptional({ kind: 'entry', uri: required(el, 'uri') }, 'displayName', displayNameOf(el));
}

/** A <list> element (of either namespace: inline lists in rls-services are in rls-services' namespace). */
function listOf(el: Element, depth: number): ListNode {
  // the XCAP server stores at most 256 levels; this bounds the recursion on documents from elsewhere
  if (depth > 256) throw new XmlError('lists nested too deep');
  const node: ListNode = withOptional({ kind: 'list', items: [] }, 'name', attr(el, 'name'));
  withOptional(node, 'displayName', displayNameOf(el));
  for (const c of children(el, RESOURCE_LISTS_NS)) {
    switch (c.localName) {
      case 'entry':
        node.items.push(entryOf(c));
        break;
      case 'entry-ref':
        node.items.push(
          withOptional({ kind: 'entryRef', ref: required(c, 'ref') }, 'displayName', displayNameOf(c)),
        );
        break;
      case 'external': {
        // the schema makes anchor optional; an external without one refers to nothing
        const anchor = attr(c, 'anchor')?.trim();
        if (anchor)
          node.items.push(withOptional({ kind: 'external', anchor }, 'displayName', displayNameOf(c)));
        break;
      }
      case 'list':
        node.items.push(listOf(c, depth + 1));
        break;
    }
  }
  return node;
}

export function parseRlsServices(xml: string): Service[] {
  const root = parseXml(xml).documentElement!;
  if (root.namespaceURI !== RLS_SERVICES_NS || root.localName !== 'rls-services')
    throw new XmlError('not an rls-services document');
  const out: Service[] = [];
  for (const s of children(root, RLS_SERVICES_NS, 'service')) {
    const service: Service = { uri: required(s, 'uri'), packages: [], restricted: false };
    const rl = child(s, RLS_SERVICES_NS, 'resource-list');
    const inline = child(s, RLS_SERVICES_NS, 'list');
    if ((rl ? 1 : 0) + (inline ? 1 : 0) !== 1)
      throw new XmlError(`service ${service.uri}: exactly one of <resource-list> and <list> is required`);
    if (rl) {
      const uri = textOf(rl);
      if (!/^https?:\/\//i.test(uri))
        throw new XmlError(`service ${service.uri}: <resource-list> is not an absolute HTTP URI`);
      service.resourceList = uri;
    } else {
      service.list = listOf(inline!, 0);
    }
    const packages = child(s, RLS_SERVICES_NS, 'packages');
    if (packages) {
      service.restricted = true;
      service.packages = children(packages, RLS_SERVICES_NS, 'package').map(textOf);
    }
    out.push(service);
  }
  return out;
}

/** the service with this URI (URIs compared as SIP URIs: scheme and host case-insensitive, user exact) */
export function findService(services: readonly Service[], uri: string): Service | undefined {
  return services.find((s) => sameUri(s.uri, uri));
}

const FRAGMENT_NS = 'urn:ut-testbed:xcap-fragment';

export interface FragmentOptions {
  /**
   * namespace bindings in scope where the element was stored (an XCAP element GET returns the element's own
   * bytes only, RFC 4825 section 7.3: the declarations on its ancestors are not in them). Default: the
   * resource-lists namespace as the default namespace and as prefix `rl`, which is how the XCAP server's
   * own lists and RFC 4826's examples are written.
   */
  namespaces?: Record<string, string>;
}

/**
 * An XCAP element (application/xcap-el+xml) or a whole document, parsed inside the namespace context it was
 * stored in, as its root element.
 */
function parseFragment(xml: string, o: FragmentOptions): Element {
  const bindings = o.namespaces ?? { '': RESOURCE_LISTS_NS, rl: RESOURCE_LISTS_NS };
  let decls = '';
  for (const [prefix, uri] of Object.entries(bindings)) {
    const v = uri.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    decls += prefix === '' ? ` xmlns="${v}"` : ` xmlns:${prefix}="${v}"`;
  }
  // a whole document brings its XML declaration, which may only open an entity
  const body = xml.replace(/^\uFEFF?\s*<\?xml\s[^?]*\?>/, '');
  const wrapper = parseXml(`<f:wrap xmlns:f="${FRAGMENT_NS}"${decls}>${body}</f:wrap>`).documentElement!;
  const elements: Element[] = [];
  for (let n = wrapper.firstChild; n; n = n.nextSibling) {
    if (isElement(n)) elements.push(n);
    else if (n.nodeType === 3 && (n.nodeValue ?? '').trim() !== '')
      throw new XmlError('text outside the element');
  }
  if (elements.length !== 1) throw new XmlError('not exactly one element');
  return elements[0]!;
}

/**
 * A <list> as the XCAP server returns it for a node GET, or a whole <resource-lists> document.
 *
 * RFC 4826 has <resource-list> and <external> point at a <list>; a document is accepted too (an RLS given
 * a document URI has no better reading of it than "every list in it"): it becomes an unnamed list holding
 * each of its lists, in order, so that resolving it gives the union of their entries.
 */
export function parseList(xml: string, o: FragmentOptions = {}): ListNode {
  const item = parseNode(xml, o);
  if (item.kind !== 'list') throw new XmlError('not a <list>');
  return item;
}

/**
 * What an entry-ref or external points at: a <list> (or a <resource-lists> document, see {@link parseList})
 * or an <entry>.
 */
export function parseNode(xml: string, o: FragmentOptions = {}): EntryItem | ListNode {
  const el = parseFragment(xml, o);
  if (el.namespaceURI === RESOURCE_LISTS_NS && el.localName === 'entry') return entryOf(el);
  if (el.namespaceURI === RESOURCE_LISTS_NS && el.localName === 'list') return listOf(el, 0);
  if (el.namespaceURI === RLS_SERVICES_NS && el.localName === 'list') return listOf(el, 0);
  if (el.namespaceURI === RESOURCE_LISTS_NS && el.localName === 'resource-lists') {
    return { kind: 'list', items: children(el, RESOURCE_LISTS_NS, 'list').map((l) => listOf(l, 1)) };
  }
  throw new XmlError(`<${el.localName}> is neither a resource-lists <list> nor an <entry>`);
}

// ---------------------------------------------------------------------------------------------------------
// URI equality (RFC 3261 section 19.1.4; tel URIs RFC 3966 section 4)
// ---------------------------------------------------------------------------------------------------------

interface Comparable {
  /** equal keys are necessary for equality; for sip/sips the parameters decide the rest */
  key: string;
  params?: Map<string, string | undefined>;
  headers?: Map<string, string>;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// RFC 3261 19.1.4: these parameters, present in one URI only, make two URIs differ
const SIGNIFICANT = ['user', 'ttl', 'method', 'maddr', 'transport'];

function comparable(text: string): Comparable {
  const t = text.trim();
  let u;
  try {
    u = parseUri(t);
  } catch {
    const colon = t.indexOf(':');
    return { key: colon < 0 ? t : t.slice(0, colon).toLowerCase() + t.slice(colon) };
  }
  if (u.scheme === 'sip' || u.scheme === 'sips') {
    const s = u as Extract<typeof u, { host: string }>;
    const params = new Map<string, string | undefined>();
    for (const p of s.params)
      params.set(decode(p.name).toLowerCase(), p.value && decode(p.value).toLowerCase());
    const headers = new Map<string, string>();
    for (const h of s.headers) headers.set(decode(h.name).toLowerCase(), decode(h.value));
    const user = s.user === undefined ? '' : decode(s.user);
    const password = s.password === undefined ? '' : ':' + decode(s.password);
    return {
      key: `${s.scheme}:${user}${password}@${s.host.toLowerCase()}:${s.port ?? ''}`,
      params,
      headers,
    };
  }
  if (u.scheme === 'tel') {
    const tel = u as Extract<typeof u, { number: string }>;
    const params = tel.params
      .map((p) => `${p.name.toLowerCase()}=${(p.value ?? '').toLowerCase()}`)
      .sort()
      .join(';');
    return { key: `tel:${tel.number.replace(/[-.()]/g, '').toLowerCase()};${params}` };
  }
  const other = u as Extract<typeof u, { opaque: string }>;
  return { key: `${other.scheme}:${other.opaque}` };
}

function paramsMatch(a: Comparable, b: Comparable): boolean {
  const pa = a.params;
  const pb = b.params;
  if (!pa || !pb) return true;
  for (const name of SIGNIFICANT) if (pa.has(name) !== pb.has(name)) return false;
  for (const [name, value] of pa) if (pb.has(name) && pb.get(name) !== value) return false;
  const ha = a.headers!;
  const hb = b.headers!;
  if (ha.size !== hb.size) return false;
  for (const [name, value] of ha) if (hb.get(name) !== value) return false;
  return true;
}

/** URI equality of RFC 3261 19.1.4 for sip/sips, RFC 3966 for tel, scheme-insensitive exact text otherwise. */
export function sameUri(a: string, b: string): boolean {
  const ca = comparable(a);
  const cb = comparable(b);
  return ca.key === cb.key && paramsMatch(ca, cb);
}

/**
 * A set of URIs under {@link sameUri}. RFC 3261 equality is not transitive (a parameter present in only one
 * URI is ignored), so members sharing a key are compared one by one.
 */
export class UriSet {
  private readonly byKey = new Map<string, Comparable[]>();

  has(uri: string): boolean {
    const c = comparable(uri);
    return (this.byKey.get(c.key) ?? []).some((m) => paramsMatch(m, c));
  }

  /** Adds the URI; false when an equal one is already there. */
  add(uri: string): boolean {
    const c = comparable(uri);
    const group = this.byKey.get(c.key);
    if (!group) {
      this.byKey.set(c.key, [c]);
      return true;
    }
    if (group.some((m) => paramsMatch(m, c))) return false;
    group.push(c);
    return true;
  }
}
