/**
 * resource-lists (RFC 4826 section 3): lists of SIP/tel URIs, document `index`. Among siblings, list/@name,
 * entry/@uri, entry-ref/@ref and external/@anchor are unique; entry-ref/@ref is a relative reference (to an
 * <entry>, against the XCAP root); external/@anchor an absolute HTTP URI (of a <list>).
 */
import type { Document, Element } from '@xmldom/xmldom';
import { XcapError, type UniquenessField } from '../errors';
import {
  elementSelector,
  isAbsoluteHttpUri,
  selectElements,
  siblingDuplicates,
  uriScheme,
  type SiblingRule,
} from './dom';
import { defineUsage, NS } from './usage';

const RL = NS.resourceLists;

export const LIST_RULES: readonly SiblingRule[] = [
  { namespace: RL, localName: 'list', attribute: 'name' },
  { namespace: RL, localName: 'entry', attribute: 'uri' },
  { namespace: RL, localName: 'entry-ref', attribute: 'ref' },
  { namespace: RL, localName: 'external', attribute: 'anchor' },
];

/** Sibling uniqueness among the children of the given containers and of every list inside them. */
export function listDuplicates(containers: readonly Element[], defaultNamespace: string): UniquenessField[] {
  const all = containers.flatMap((c) => [c, ...selectElements('.//rl:list', c, { rl: RL })]);
  return siblingDuplicates(all, LIST_RULES, defaultNamespace);
}

/** The entry-ref and external constraints inside the given containers. */
export function checkListReferences(containers: readonly Element[], defaultNamespace: string): void {
  for (const list of containers) {
    for (const ref of selectElements('.//rl:entry-ref', list, { rl: RL })) {
      const value = ref.getAttribute('ref') ?? '';
      if (uriScheme(value) !== undefined || value.startsWith('/')) {
        throw XcapError.conflict(
          'constraint-failure',
          `${elementSelector(ref, defaultNamespace)}/@ref must be a relative URI (relative to the XCAP root): ${value}`,
        );
      }
    }
    for (const ext of selectElements('.//rl:external[@anchor]', list, { rl: RL })) {
      const value = ext.getAttribute('anchor') ?? '';
      if (!isAbsoluteHttpUri(value)) {
        throw XcapError.conflict(
          'constraint-failure',
          `${elementSelector(ext, defaultNamespace)}/@anchor must be an absolute HTTP URI: ${value}`,
        );
      }
    }
  }
}

function root(doc: Document): Element[] {
  return selectElements('/rl:resource-lists', doc, { rl: RL });
}

export const resourceLists = defineUsage({
  auid: 'resource-lists',
  namespace: RL,
  mimeType: 'application/resource-lists+xml',
  defaultDocument: 'index',
  writable: true,
  schemas: [{ namespace: RL, file: 'resource-lists.xsd' }],
  uniqueness: (doc) => listDuplicates(root(doc), RL),
  constraints: (doc) => checkListReferences(root(doc), RL),
});
