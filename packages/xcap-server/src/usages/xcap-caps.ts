/**
 * xcap-caps (RFC 4825 section 12): the server's capabilities, read-only; the global `index` document is
 * generated from the registry: every AUID served, the extensions (none) and every namespace the usages'
 * schemas cover.
 */
import type { AppUsage } from '../types';
import { defineUsage, isSchemaUsage, NS } from './usage';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The xcap-caps document listing the given usages. */
export function capsDocument(usages: readonly AppUsage[]): Buffer {
  const auids = [...new Set(usages.map((u) => u.auid))];
  const namespaces = [
    ...new Set(usages.flatMap((u) => [u.namespace, ...(isSchemaUsage(u) ? u.schemaNamespaces : [])])),
  ];
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<xcap-caps xmlns="${NS.xcapCaps}">\n` +
    `  <auids>\n${auids.map((a) => `    <auid>${esc(a)}</auid>\n`).join('')}  </auids>\n` +
    `  <extensions/>\n` +
    `  <namespaces>\n${namespaces.map((n) => `    <namespace>${esc(n)}</namespace>\n`).join('')}  </namespaces>\n` +
    `</xcap-caps>\n`;
  return Buffer.from(xml, 'utf8');
}

export const xcapCaps = defineUsage({
  auid: 'xcap-caps',
  namespace: NS.xcapCaps,
  mimeType: 'application/xcap-caps+xml',
  defaultDocument: 'index',
  writable: false,
  schemas: [{ namespace: NS.xcapCaps, file: 'xcap-caps.xsd' }],
  global: {
    generate: async ({ usages }) => capsDocument(usages),
  },
});
