/**
 * rls-services (RFC 4826 section 4): resource list server services, document `index`. A service's URI is
 * unique across every user's documents (the RLS routes SUBSCRIBEs by it); <resource-list> is an absolute HTTP
 * URI of a list; inline lists follow the resource-lists rules. The global `index` is the union of all users'
 * services.
 */
import { DOMImplementation, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { XcapError, type UniquenessField } from '../errors';
import type { DocumentReader } from '../types';
import { childElements, elementSelector, isAbsoluteHttpUri, parseDocument, selectElements } from './dom';
import { checkListReferences, listDuplicates } from './resource-lists';
import { defineUsage, NS } from './usage';

const RS = NS.rlsServices;
const AUID = 'rls-services';
const XPATH_NS = { rs: RS, rl: NS.resourceLists };

function services(doc: Document): Element[] {
  return selectElements('/rs:rls-services/rs:service', doc, XPATH_NS);
}

function inlineLists(doc: Document): Element[] {
  return selectElements('/rs:rls-services/rs:service/rs:list', doc, XPATH_NS);
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
): Promise<{ xui: string; path: string; doc: Document }[]> {
  const out: { xui: string; path: string; doc: Document }[] = [];
  for (const d of await reader.listUserDocuments(AUID)) {
    if (except && d.xui === except.xui && d.path === except.path) continue;
    try {
      out.push({ xui: d.xui, path: d.path, doc: parseDocument(d.bytes) });
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
  schemas: [
    { namespace: RS, file: 'rls-services.xsd' },
    { namespace: NS.resourceLists, file: 'resource-lists.xsd' },
  ],

  async uniqueness(doc, ctx) {
    const own = services(doc);
    const root = doc.documentElement ? [doc.documentElement] : [];
    const fields: UniquenessField[] = [];
    const seen = new Set<string>();
    for (const s of own) {
      const key = uriKey(s.getAttribute('uri') ?? '');
      if (seen.has(key)) fields.push({ field: `${elementSelector(s, RS)}/@uri` });
      seen.add(key);
    }
    fields.push(...listDuplicates(inlineLists(doc), RS));
    if (fields.length > 0 || root.length === 0) return fields;

    const taken = new Set<string>();
    for (const other of await otherDocuments(ctx.documents, { xui: ctx.xui, path: ctx.documentPath })) {
      for (const s of services(other.doc)) taken.add(uriKey(s.getAttribute('uri') ?? ''));
    }
    const all = new Set([...taken, ...seen]);
    for (const s of own) {
      const uri = s.getAttribute('uri') ?? '';
      if (taken.has(uriKey(uri))) {
        fields.push({ field: `${elementSelector(s, RS)}/@uri`, altValues: alternatives(uri, all) });
      }
    }
    return fields;
  },

  constraints(doc) {
    for (const s of services(doc)) {
      for (const rl of childElements(s, RS, 'resource-list')) {
        const value = (rl.textContent ?? '').trim();
        if (!isAbsoluteHttpUri(value)) {
          throw XcapError.conflict(
            'constraint-failure',
            `${elementSelector(rl, RS)} must be an absolute HTTP URI of a list: ${value}`,
          );
        }
      }
    }
    checkListReferences(inlineLists(doc), RS);
  },

  global: {
    /** The union of every user's services (a URI already listed is not repeated), ordered by user and path. */
    async generate({ documents }) {
      const out = new DOMImplementation().createDocument(RS, 'rls-services', null);
      const root = out.documentElement!;
      root.appendChild(out.createTextNode('\n'));
      const listed = new Set<string>();
      const docs = (await otherDocuments(documents)).sort((a, b) =>
        a.xui === b.xui ? a.path.localeCompare(b.path) : a.xui.localeCompare(b.xui),
      );
      for (const { doc } of docs) {
        for (const s of services(doc)) {
          const key = uriKey(s.getAttribute('uri') ?? '');
          if (listed.has(key)) continue;
          listed.add(key);
          root.appendChild(out.importNode(s, true));
          root.appendChild(out.createTextNode('\n'));
        }
      }
      const xml = new XMLSerializer().serializeToString(out);
      return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}\n`, 'utf8');
    },
  },
});
