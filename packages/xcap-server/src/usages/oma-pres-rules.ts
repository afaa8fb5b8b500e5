/**
 * org.openmobilealliance.pres-rules (OMA Presence SIMPLE XDM): the RFC 5025 presence rules as OMA clients
 * store them, document `pres-rules`, default namespace common-policy; conditions may use the OMA extensions
 * (urn:oma:xml:xdm:common-policy: external-list, anonymous-request, other-identity). rule/@id is unique.
 */
import { POLICY_SCHEMAS, ruleIdDuplicates } from './pres-rules';
import { defineUsage, NS } from './usage';

export const omaPresRules = defineUsage({
  auid: 'org.openmobilealliance.pres-rules',
  namespace: NS.commonPolicy,
  mimeType: 'application/auth-policy+xml',
  defaultDocument: 'pres-rules',
  writable: true,
  schemas: POLICY_SCHEMAS,
  uniqueIds: (doc) => ruleIdDuplicates(doc, NS.commonPolicy),
});
