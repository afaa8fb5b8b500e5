/**
 * rls-services (RFC 4826 section 4): resource list server services, document `index`. A service's URI is
 * unique across every user's documents (the RLS routes SUBSCRIBEs by it); <resource-list> is an absolute HTTP
 * URI of a list; inline lists follow the resource-lists rules. The global `index` is the union of all users'
 * services.
 */
import { escapeAttribute, scanDocument, textContent, type XmlDocument, type XmlElement } from '../engine';
import { XcapError, type UniquenessField } from '../errors';
import type { DocumentReader } from '../types';
import { attribute, childElements, elementSelector, is, isAbsoluteHttpUri } from './tree';
import { checkListReferences, listDuplicates } from './resource-lists';
import { defineUsage, NS } from './usage';

const RS = NS.rlsServices;
const AUID = 'rls-services';

function services(xml: XmlDocument): XmlElement[] {
  return is(xml.root, RS, 'rls-services') ? childElements(xml.root, RS, 'service') : [];
}

function inlineLists(xml: XmlDocument): XmlElement[] {
  return services(xml).flatMap((s) => childElements(s, RS, 'list'));
}

/**
 * An element's bytes as they are stored, made to stand alone: the namespace bindings it inherits are declared
 * on it (an inherited absence of a default namespace as xmlns=""), so it means the same under any parent.
 */
function standalone(xml: XmlDocument, el: XmlElement): string {
  const own = new Set(el.nsDecls.map((d) => (d.qname === 'xmlns' ? '' : d.local)));
  let decls = '';
  for (const [prefix, uri] of el.namespaces) {
    if (own.has(prefix)) continue;
    decls +=
      prefix === '' ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
  }
  if (!el.namespaces.has('') && !own.has('')) decls += ' xmlns=""';
  const b = xml.bytes;
  return b.toString('utf8', el.start, el.attrsEnd) + decls + b.toString('utf8', el.attrsEnd, el.end);
}

/** Comparison form of a service URI: scheme and host part are case-insensitive. */
function uriKey(uri: string): string {
  const u = uri.trim();
  const colon = u.indexOf(':');
  const at = u.lastIndexOf('@');
  if (colon < 0) return u;
  if (at < 0) return u.slice(0, colon).toLowerCase() + u.slice(colon);
  return u.slice(0, colon).toLowerCase() + u.slice(colon, at + 1) + u.slice(at + 1).toLowerCase();
}

/** Up to three URIs like `uri` (a numbered user part) that nobody uses. */
function alternatives(uri: string, taken: ReadonlySet<string>): string[] {
  const u = uri.trim();
  const colon = u.indexOf(':');
  const at = u.lastIndexOf('@');
  const out: string[] = [];
  for (let n = 2; out.length < 3 && n < 1000; n++) {
    const candidate = at > colon ? `${u.slice(0, at)}-${n}${u.slice(at)}` : `${u}-${n}`;
    if (!taken.has(uriKey(candidate))) out.push(candidate);
  }
  return out;
}

/** Every stored services document except the one being written, parsed (unreadable ones are skipped). */
async function otherDocuments(
  reader: DocumentReader,
  except?: { xui: string; path: string },
): Promise<{ xui: string; path: string; xml: XmlDocument }[]> {
  const out: { xui: string; path: string; xml: XmlDocument }[] = [];
  for (const d of await reader.listUserDocuments(AUID)) {
    if (except && d.xui === except.xui && d.path === except.path) continue;
    try {
      out.push({ xui: d.xui, path: d.path, xml: scanDocument(d.bytes) });
    } catch {
      continue;
    }
  }
  return out;
}

export const rlsServices = defineUsage({
  auid: AUID,
  namespace: RS,
  mimeType: 'application/rls-services+xml',
  defaultDocument: 'index',
  writable: true,
  constraintsAcrossUsers: true,
  schemas: [
    { namespace: RS, file: 'rls-services.xsd' },
    { namespace: NS.resourceLists, file: 'resource-lists.xsd' },
  ],

  async uniqueness(xml, ctx) {
    const own = services(xml);
    const fields: UniquenessField[] = [];
    const seen = new Set<string>();
    for (const s of own) {
      const key = uriKey(attribute(s, 'uri') ?? '');
      if (seen.has(key)) fields.push({ field: `${elementSelector(s, RS)}/@uri` });
      seen.add(key);
    }
    fields.push(...listDuplicates(inlineLists(xml), RS));
    if (fields.length > 0 || own.length === 0) return fields;

    const taken = new Set<string>();
    for (const other of await otherDocuments(ctx.documents, { xui: ctx.xui, path: ctx.documentPath })) {
      for (const s of services(other.xml)) taken.add(uriKey(attribute(s, 'uri') ?? ''));
    }
    const all = new Set([...taken, ...seen]);
    for (const s of own) {
      const uri = attribute(s, 'uri') ?? '';
      if (taken.has(uriKey(uri))) {
        fields.push({ field: `${elementSelector(s, RS)}/@uri`, altValues: alternatives(uri, all) });
      }
    }
    return fields;
  },

  constraints(xml) {
    for (const s of services(xml)) {
      for (const rl of childElements(s, RS, 'resource-list')) {
        const value = textContent(xml, rl).trim();
        if (!isAbsoluteHttpUri(value)) {
          throw XcapError.conflict(
            'constraint-failure',
            `${elementSelector(rl, RS)} must be an absolute HTTP URI of a list: ${value}`,
          );
        }
      }
    }
    checkListReferences(inlineLists(xml), RS);
  },

  global: {
    /** The union of every user's services (a URI already listed is not repeated), ordered by user and path. */
    async generate({ documents }) {
      const listed = new Set<string>();
      const docs = (await otherDocuments(documents)).sort((a, b) =>
        a.xui === b.xui ? a.path.localeCompare(b.path) : a.xui.localeCompare(b.xui),
      );
      let out = `<?xml version="1.0" encoding="UTF-8"?>\n<rls-services xmlns="${RS}">\n`;
      for (const { xml } of docs) {
        for (const s of services(xml)) {
          const key = uriKey(attribute(s, 'uri') ?? '');
          if (listed.has(key)) continue;
          listed.add(key);
          out += standalone(xml, s) + '\n';
        }
      }
      return Buffer.from(`${out}</rls-services>\n`, 'utf8');
    },
  },
});
