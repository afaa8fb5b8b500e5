/**
 * simservs.ngn.etsi.org (3GPP TS 24.623): the MMTel supplementary services document `simservs.xml` of the Ut
 * interface, no global documents. Phones address common-policy ruleset/rule steps unprefixed, hence
 * lenientLocalNames. rule/@id is unique within a ruleset; NoReplyTimer (TS 24.604) is 5 to 180 seconds, refused
 * with a phrase the phone shows to the user.
 */
import { textContent } from '../engine';
import { XcapError } from '../errors';
import { descendants } from './tree';
import { ruleIdDuplicates } from './pres-rules';
import { defineUsage, NS } from './usage';

export const NO_REPLY_TIMER = { min: 5, max: 180 } as const;

export const simservs = defineUsage({
  auid: 'simservs.ngn.etsi.org',
  namespace: NS.simservs,
  mimeType: 'application/vnd.etsi.simservs+xml',
  defaultDocument: 'simservs.xml',
  writable: true,
  lenientLocalNames: true,
  schemas: [
    { namespace: NS.simservs, file: 'simservs.xsd' },
    { namespace: NS.commonPolicy, file: 'common-policy.xsd' },
    { namespace: NS.omaCommonPolicy, file: 'oma-common-policy.xsd' },
  ],
  uniqueIds: (doc) => ruleIdDuplicates(doc, NS.simservs),
  constraints(xml) {
    for (const timer of descendants(xml.root, NS.simservs, 'NoReplyTimer')) {
      const text = textContent(xml, timer).trim();
      const seconds = Number(text);
      if (!Number.isInteger(seconds) || seconds < NO_REPLY_TIMER.min || seconds > NO_REPLY_TIMER.max) {
        throw XcapError.conflict(
          'constraint-failure',
          `NoReplyTimer must be between ${NO_REPLY_TIMER.min} and ${NO_REPLY_TIMER.max} seconds (got ${text})`,
        );
      }
    }
  },
});
