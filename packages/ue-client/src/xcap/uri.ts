/**
 * XCAP URIs built from their parts (RFC 4825 6): XCAP root, AUID, `global` or `users/<XUI>`, the document
 * path, and optionally `/~~/` and a node selector (6.3) of element steps by name or `*`, position `[n]`,
 * attribute test `[@name="value"]`, ending in an element, an attribute (`@name`) or `namespace::*`, with the
 * prefixes it uses bound by `xmlns(prefix=uri)` in the query (6.4).
 *
 * Escaping, component by component:
 * - AUID, XUI and document path segments: percent-encoded except what a path segment may hold as it is
 *   (RFC 3986 3.3 pchar: unreserved, sub-delims, ":" and "@"), so `sip:joe@example.com` and `tel:+1...`
 *   stay readable while "/", "?", "#", "%", spaces and non-ASCII are encoded (RFC 4825 6.2 asks this of
 *   the XUI). "~" is encoded there too, so that no document name can look like the `~~` separator.
 * - The node selector: `[`, `]` and `"` are not allowed in a URI path (RFC 3986 3.3) and go as `%5B`,
 *   `%5D`, `%22` (RFC 4825 6.3). An attribute value is first written as an XML AttValue in double quotes
 *   (`&` `<` `"` as entity references, TAB/LF/CR as character references so that they survive attribute
 *   normalisation), then percent-encoded, "/" and "~" included: a "/" in a value must not look like a step
 *   separator or a dot-segment to anything on the way.
 * - The query: `xmlns(` prefix `=` namespace `)` per binding, the namespace percent-encoded where a query
 *   cannot hold it as it is ("+" and "&" too: some servers read a query as a form).
 *
 * Not implemented: selector extensions (RFC 4825 6.3 `extension-selector`), XPointer `^` escapes in
 * xmlns() (a namespace holding ")" is refused), relative node selectors.
 */

export class XcapUriError extends Error {
  override name = 'XcapUriError';
}

export interface XcapStep {
  /** an element QName (a prefix must be bound in `namespaces`) or `*` */
  name: string;
  /** 1-based position among the same-name siblings (all element siblings for `*`) */
  position?: number;
  /** attribute test: [@name="value"] */
  attr?: readonly [name: string, value: string];
}

/** A step: a bare name (no predicates) or a step with predicates. */
export type XcapStepInput = string | XcapStep;

export interface XcapDocumentRef {
  auid: string;
  /** `users/<xui>` (default: the XCAP client's XUI); ignored when `global` */
  xui?: string;
  /** the global tree instead of a user's */
  global?: boolean;
  /** the document path below the user or global directory: `index`, `simservs.xml`, `dir/doc` */
  document: string;
}

export interface XcapNodeRef extends XcapDocumentRef {
  /** element steps, from the document element down */
  node?: readonly XcapStepInput[];
  /** a terminal attribute selector `@name` after the steps */
  attribute?: string;
  /** a terminal `namespace::*` after the steps */
  namespaceBindings?: boolean;
  /** prefix -> namespace URI, written as xmlns() in the query */
  namespaces?: Readonly<Record<string, string>>;
}

// RFC 3986 pchar without "~" (see above); "%" is always encoded
const SEGMENT_SAFE = /[A-Za-z0-9\-._!$&'()*+,;=:@]/;
// a query: pchar, "/" and "?"; without "+" and "&", which form decoders change
const QUERY_SAFE = /[A-Za-z0-9\-._!$'()*,;=:@/?]/;
// in a node selector outside values: names and the punctuation RFC 4825 uses, but not [ ] "
const SELECTOR_SAFE = SEGMENT_SAFE;

function percentEncode(s: string, safe: RegExp): string {
  let out = '';
  for (const ch of s) {
    if (safe.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** One path segment of the document selector (AUID, XUI, a document path segment). */
export function encodeSegment(s: string): string {
  if (s === '') throw new XcapUriError('an empty path segment');
  if (s === '.' || s === '..') throw new XcapUriError(`"${s}" cannot be a path segment`);
  return percentEncode(s, SEGMENT_SAFE);
}

const NAME_START = /[\p{L}_]/u;
const NAME_CHAR = /[\p{L}\p{N}_.\-\u00B7]/u;

function isNcName(s: string): boolean {
  const chars = [...s];
  return chars.length > 0 && NAME_START.test(chars[0]!) && chars.every((c) => NAME_CHAR.test(c));
}

function checkQName(qname: string, what: string, namespaces: Readonly<Record<string, string>>): void {
  const parts = qname.split(':');
  if (parts.length > 2 || !parts.every(isNcName)) throw new XcapUriError(`${what} "${qname}" is not a QName`);
  if (parts.length === 2 && parts[0] !== 'xml' && namespaces[parts[0]!] === undefined) {
    // RFC 4825 6.4: only xmlns() in the query binds prefixes; the server would answer 400
    throw new XcapUriError(`prefix "${parts[0]}" of ${what} "${qname}" is not bound: add it to namespaces`);
  }
}

/** An attribute value as an XML AttValue between double quotes (without the quotes). */
export function attValue(v: string): string {
  return v.replace(/[&<"\t\n\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '"' ? '&quot;' : `&#${c.charCodeAt(0)};`,
  );
}

function stepText(step: XcapStepInput, namespaces: Readonly<Record<string, string>>): string {
  const s: XcapStep = typeof step === 'string' ? { name: step } : step;
  if (s.name !== '*') checkQName(s.name, 'step', namespaces);
  let out = percentEncode(s.name, SELECTOR_SAFE);
  if (s.position !== undefined) {
    if (!Number.isInteger(s.position) || s.position < 1)
      throw new XcapUriError(`position ${s.position} is not a positive integer`);
    out += `%5B${s.position}%5D`;
  }
  if (s.attr) {
    const [name, value] = s.attr;
    checkQName(name, 'attribute', namespaces);
    out += `%5B@${percentEncode(name, SELECTOR_SAFE)}=%22${percentEncode(attValue(value), SEGMENT_SAFE)}%22%5D`;
  }
  return out;
}

/** The node selector of a reference, percent-encoded, without `~~/`; undefined for a document. */
export function encodeNodeSelector(ref: XcapNodeRef): string | undefined {
  const ns = ref.namespaces ?? {};
  const steps = ref.node ?? [];
  if (steps.length === 0) {
    if (ref.attribute !== undefined || ref.namespaceBindings)
      throw new XcapUriError('an attribute or namespace::* selector needs element steps before it');
    return undefined;
  }
  if (ref.attribute !== undefined && ref.namespaceBindings)
    throw new XcapUriError('a node selector ends in an attribute or in namespace::*, not both');
  const parts = steps.map((s) => stepText(s, ns));
  if (ref.attribute !== undefined) {
    checkQName(ref.attribute, 'attribute', ns);
    parts.push('@' + percentEncode(ref.attribute, SELECTOR_SAFE));
  }
  if (ref.namespaceBindings) parts.push('namespace::*');
  return parts.join('/');
}

/** The query of a reference: xmlns(p=uri) per binding, in the order given; '' without bindings. */
export function encodeNamespaceQuery(namespaces: Readonly<Record<string, string>> | undefined): string {
  let q = '';
  for (const [prefix, uri] of Object.entries(namespaces ?? {})) {
    if (!isNcName(prefix)) throw new XcapUriError(`"${prefix}" is not a namespace prefix`);
    if (uri === '' || /[\s)]/.test(uri))
      throw new XcapUriError(`namespace "${uri}" cannot be written in xmlns() (empty, space or ")")`);
    q += `xmlns(${prefix}=${percentEncode(uri, QUERY_SAFE)})`;
  }
  return q;
}

/** The document selector below the root: `<auid>/users/<xui>/<doc>` or `<auid>/global/<doc>`. */
export function documentSelector(ref: XcapDocumentRef): string {
  if (!ref.global && ref.xui === undefined) throw new XcapUriError('a users-tree reference needs an XUI');
  const tree = ref.global ? 'global' : `users/${encodeSegment(ref.xui!)}`;
  const doc = ref.document.split('/').map(encodeSegment).join('/');
  return `${encodeSegment(ref.auid)}/${tree}/${doc}`;
}

/** The path (and query) of a reference below a root path such as `/services`. */
export function xcapPath(rootPath: string, ref: XcapNodeRef): string {
  const root = rootPath.replace(/\/+$/, '');
  const sel = encodeNodeSelector(ref);
  const q = encodeNamespaceQuery(sel === undefined ? undefined : ref.namespaces);
  return `${root}/${documentSelector(ref)}${sel !== undefined ? `/~~/${sel}` : ''}${q ? `?${q}` : ''}`;
}
