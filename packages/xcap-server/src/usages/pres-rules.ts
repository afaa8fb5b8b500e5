/**
 * pres-rules (RFC 5025): presence authorization rules, document `index`. The root is a common-policy
 * (RFC 4745) <cr:ruleset>; the default namespace of node selectors is urn:ietf:params:xml:ns:pres-rules, so
 * ruleset/rule steps carry a common-policy prefix. rule/@id is unique.
 */
import type { XmlDocument } from '../engine';
import type { UniquenessField } from '../errors';
import type { SchemaImport } from './schema';
import { descendants, is, siblingDuplicates } from './tree';
import { defineUsage, NS } from './usage';

/** Schemas of a presence rules document: common-policy, pres-rules and the OMA common-policy extensions. */
export const POLICY_SCHEMAS: readonly SchemaImport[] = [
  { namespace: NS.commonPolicy, file: 'common-policy.xsd' },
  { namespace: NS.presRules, file: 'pres-rules.xsd' },
  { namespace: NS.omaCommonPolicy, file: 'oma-common-policy.xsd' },
];

/** Repeated rule/@id among the rules of each common-policy ruleset of the document. */
export function ruleIdDuplicates(xml: XmlDocument, defaultNamespace: string): UniquenessField[] {
  const rulesets = [
    ...(is(xml.root, NS.commonPolicy, 'ruleset') ? [xml.root] : []),
    ...descendants(xml.root, NS.commonPolicy, 'ruleset'),
  ];
  return siblingDuplicates(
    rulesets,
    [{ namespace: NS.commonPolicy, localName: 'rule', attribute: 'id' }],
    defaultNamespace,
  );
}

export const presRules = defineUsage({
  auid: 'pres-rules',
  namespace: NS.presRules,
  mimeType: 'application/auth-policy+xml',
  defaultDocument: 'index',
  writable: true,
  schemas: POLICY_SCHEMAS,
  uniqueIds: (doc) => ruleIdDuplicates(doc, NS.presRules),
});
