import { scanDocument } from '../src/engine';
import { XcapError } from '../src/errors';
import type { AppUsage, ValidationContext } from '../src/types';
import { omaPresRules, presRules } from '../src/usages/registry';

function context(auid: string, documentPath: string): ValidationContext {
  return {
    auid,
    xui: 'sip:alice@example.com',
    documentPath,
    xcapRoot: 'http://xcap.example.com',
    documents: { listUserDocuments: async () => [] },
  };
}

async function rejection(usage: AppUsage, xml: string): Promise<XcapError> {
  const e: unknown = await usage
    .validate(scanDocument(Buffer.from(xml)), context(usage.auid, usage.defaultDocument))
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  if (!(e instanceof XcapError)) throw new Error(`expected an XcapError, got ${String(e)}`);
  return e;
}

/** RFC 5025 section 11 (example document) */
const RFC5025_EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules"
 xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
 xmlns:cr="urn:ietf:params:xml:ns:common-policy">
 <cr:rule id="a">
  <cr:conditions>
   <cr:identity>
    <cr:one id="sip:user@example.com"/>
   </cr:identity>
  </cr:conditions>
  <cr:actions>
   <pr:sub-handling>allow</pr:sub-handling>
  </cr:actions>
  <cr:transformations>
   <pr:provide-services>
     <pr:service-uri-scheme>sip</pr:service-uri-scheme>
     <pr:service-uri-scheme>mailto</pr:service-uri-scheme>
   </pr:provide-services>
   <pr:provide-persons>
     <pr:all-persons/>
   </pr:provide-persons>
   <pr:provide-activities>true</pr:provide-activities>
   <pr:provide-user-input>bare</pr:provide-user-input>
   <pr:provide-unknown-attribute ns="urn:vendor-specific:foo-namespace" name="foo">true</pr:provide-unknown-attribute>
  </cr:transformations>
 </cr:rule>
</cr:ruleset>
`;

const LISTS =
  'http://xcap.example.com/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22';

/** OMA Presence XDM default rules, as OMA clients (python-sipsimple, IMSDroid) write them */
const OMA_EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
  xmlns:ocp="urn:oma:xml:xdm:common-policy">
  <rule id="wp_prs_allow_own">
    <conditions><identity><one id="sip:alice@example.com"/></identity></conditions>
    <actions><pr:sub-handling>allow</pr:sub-handling></actions>
    <transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
      <pr:provide-persons><pr:all-persons/></pr:provide-persons>
      <pr:provide-devices><pr:all-devices/></pr:provide-devices>
      <pr:provide-all-attributes/>
    </transformations>
  </rule>
  <rule id="wp_prs_grantedcontacts">
    <conditions><ocp:external-list><ocp:entry anc="${LISTS}oma_grantedcontacts%22%5D"/></ocp:external-list></conditions>
    <actions><pr:sub-handling>allow</pr:sub-handling></actions>
    <transformations>
      <pr:provide-services><pr:all-services/></pr:provide-services>
      <pr:provide-persons><pr:all-persons/></pr:provide-persons>
      <pr:provide-devices><pr:all-devices/></pr:provide-devices>
      <pr:provide-all-attributes/>
    </transformations>
  </rule>
  <rule id="wp_prs_blockedcontacts">
    <conditions><ocp:external-list><ocp:entry anc="${LISTS}oma_blockedcontacts%22%5D"/></ocp:external-list></conditions>
    <actions><pr:sub-handling>block</pr:sub-handling></actions>
  </rule>
  <rule id="wp_prs_unlisted">
    <conditions><ocp:other-identity/></conditions>
    <actions><pr:sub-handling>confirm</pr:sub-handling></actions>
  </rule>
  <rule id="wp_prs_block_anonymous">
    <conditions><ocp:anonymous-request/></conditions>
    <actions><pr:sub-handling>block</pr:sub-handling></actions>
  </rule>
</ruleset>
`;

describe('pres-rules application usage (RFC 5025)', () => {
  it('declares the pres-rules default namespace, auth-policy MIME type and document index', () => {
    expect(presRules).toMatchObject({
      auid: 'pres-rules',
      namespace: 'urn:ietf:params:xml:ns:pres-rules',
      mimeType: 'application/auth-policy+xml',
      defaultDocument: 'index',
      writable: true,
    });
  });

  it('accepts the RFC 5025 example document', async () => {
    await expect(
      presRules.validate(scanDocument(Buffer.from(RFC5025_EXAMPLE)), context('pres-rules', 'index')),
    ).resolves.toBeUndefined();
  });

  it('rejects an unknown sub-handling value as a schema error', async () => {
    const e = await rejection(presRules, RFC5025_EXAMPLE.replace('>allow<', '>maybe<'));
    expect(e.detail.condition).toBe('schema-validation-error');
    expect(e.detail.phrase).toContain("[facet 'enumeration'] The value 'maybe' is not an element of the set");
  });

  it('rejects a repeated rule id with uniqueness-failure naming the second rule', async () => {
    const xml = `<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="urn:ietf:params:xml:ns:common-policy"><cr:rule id="a"/><cr:rule id="b"/><cr:rule id="a"/></cr:ruleset>`;
    const e = await rejection(presRules, xml);
    expect(e.detail.condition).toBe('uniqueness-failure');
    expect(e.detail.exists).toEqual([{ field: '/cr:ruleset/cr:rule[3]/@id' }]);
  });

  it('rejects a document whose root is not a common-policy ruleset', async () => {
    const e = await rejection(presRules, `<ruleset xmlns="urn:ietf:params:xml:ns:pres-rules"/>`);
    expect(e.detail.condition).toBe('schema-validation-error');
  });
});

describe('org.openmobilealliance.pres-rules application usage', () => {
  it('declares the common-policy default namespace and document pres-rules', () => {
    expect(omaPresRules).toMatchObject({
      auid: 'org.openmobilealliance.pres-rules',
      namespace: 'urn:ietf:params:xml:ns:common-policy',
      mimeType: 'application/auth-policy+xml',
      defaultDocument: 'pres-rules',
      writable: true,
    });
  });

  it('accepts the OMA default rules (wp_prs_allow_own, external lists, other-identity, anonymous-request)', async () => {
    await expect(
      omaPresRules.validate(
        scanDocument(Buffer.from(OMA_EXAMPLE)),
        context('org.openmobilealliance.pres-rules', 'pres-rules'),
      ),
    ).resolves.toBeUndefined();
  });

  it('validates the OMA extension elements against their schema', async () => {
    const e = await rejection(
      omaPresRules,
      OMA_EXAMPLE.replace('<ocp:other-identity/>', '<ocp:other-identity>x</ocp:other-identity>'),
    );
    expect(e.detail.condition).toBe('schema-validation-error');
    expect(e.detail.phrase).toContain('{urn:oma:xml:xdm:common-policy}other-identity');
  });

  it('rejects a repeated rule id with an unprefixed field (common-policy is the default namespace)', async () => {
    const e = await rejection(omaPresRules, OMA_EXAMPLE.replace('wp_prs_unlisted', 'wp_prs_allow_own'));
    expect(e.detail.condition).toBe('uniqueness-failure');
    expect(e.detail.exists).toEqual([{ field: '/ruleset/rule[4]/@id' }]);
  });
});
