/**
 * resource-lists (RFC 4826 section 3): lists of SIP/tel URIs, document `index`. Among siblings, list/@name,
 * entry/@uri, entry-ref/@ref and external/@anchor are unique; entry-ref/@ref is a relative reference (to an
 * <entry>, against the XCAP root); external/@anchor an absolute HTTP URI (of a <list>).
 */
import type { XmlDocument, XmlElement } from '../engine';
import { XcapError, type UniquenessField } from '../errors';
import {
  attribute,
  descendants,
  elementSelector,
  is,
  isAbsoluteHttpUri,
  siblingDuplicates,
  uriScheme,
  type SiblingRule,
} from './tree';
import { defineUsage, NS } from './usage';

const RL = NS.resourceLists;

export const LIST_RULES: readonly SiblingRule[] = [
  { namespace: RL, localName: 'list', attribute: 'name' },
  { namespace: RL, localName: 'entry', attribute: 'uri' },
  { namespace: RL, localName: 'entry-ref', attribute: 'ref' },
  { namespace: RL, localName: 'external', attribute: 'anchor' },
];

/** Sibling uniqueness among the children of the given containers and of every list inside them. */
export function listDuplicates(
  containers: readonly XmlElement[],
  defaultNamespace: string,
): UniquenessField[] {
  const all = containers.flatMap((c) => [c, ...descendants(c, RL, 'list')]);
  return siblingDuplicates(all, LIST_RULES, defaultNamespace);
}

/** The entry-ref and external constraints inside the given containers. */
export function checkListReferences(containers: readonly XmlElement[], defaultNamespace: string): void {
  for (const list of containers) {
    for (const ref of descendants(list, RL, 'entry-ref')) {
      const value = attribute(ref, 'ref') ?? '';
      if (uriScheme(value) !== undefined || value.startsWith('/')) {
        throw XcapError.conflict(
          'constraint-failure',
          `${elementSelector(ref, defaultNamespace)}/@ref must be a relative URI (relative to the XCAP root): ${value}`,
        );
      }
    }
    for (const ext of descendants(list, RL, 'external')) {
      const value = attribute(ext, 'anchor');
      if (value === undefined) continue;
      if (!isAbsoluteHttpUri(value)) {
        throw XcapError.conflict(
          'constraint-failure',
          `${elementSelector(ext, defaultNamespace)}/@anchor must be an absolute HTTP URI: ${value}`,
        );
      }
    }
  }
}

function root(xml: XmlDocument): XmlElement[] {
  return is(xml.root, RL, 'resource-lists') ? [xml.root] : [];
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
