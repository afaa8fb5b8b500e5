import { scanDocument } from '../src/engine';
import { XcapError } from '../src/errors';
import type { ValidationContext } from '../src/types';
import { simservs } from '../src/usages/registry';

const ctx: ValidationContext = {
  auid: 'simservs.ngn.etsi.org',
  xui: 'sip:+15551234567@ims.mnc001.mcc001.3gppnetwork.org',
  documentPath: 'simservs.xml',
  xcapRoot: 'https://xcap.ims.mnc001.mcc001.pub.3gppnetwork.org',
  documents: { listUserDocuments: async () => [] },
};

async function rejection(xml: string): Promise<XcapError> {
  const e: unknown = await simservs.validate(scanDocument(Buffer.from(xml)), ctx).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof XcapError)) throw new Error(`expected an XcapError, got ${String(e)}`);
  return e;
}

function cdivRule(id: string, condition: string, target: string): string {
  return `      <cp:rule id="${id}">
        <cp:conditions>
          ${condition}
        </cp:conditions>
        <cp:actions>
          <forward-to>
            <target>${target}</target>
            <notify-caller>true</notify-caller>
            <reveal-identity-to-caller>true</reveal-identity-to-caller>
          </forward-to>
        </cp:actions>
      </cp:rule>`;
}

function barringRule(id: string, condition: string, allow: boolean): string {
  return `      <cp:rule id="${id}">
        <cp:conditions>${condition}</cp:conditions>
        <cp:actions><allow>${allow}</allow></cp:actions>
      </cp:rule>`;
}

/** A simservs.xml as the AOSP ImsStack SSC reads and writes it (default rule ids, media conditions). */
function aospDocument(timer = '20'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<simservs xmlns="http://uri.etsi.org/ngn/params/xml/simservs/xcap" xmlns:cp="urn:ietf:params:xml:ns:common-policy">
  <communication-diversion active="true">
    <NoReplyTimer>${timer}</NoReplyTimer>
    <cp:ruleset>
${cdivRule('call-diversion-unconditional', '<rule-deactivated/>', 'tel:+15550000001')}
${cdivRule('call-diversion-busy', '<busy/><media>audio</media>', 'tel:+15550000002')}
${cdivRule('call-diversion-no-reply', '<no-answer/>', 'sip:+15550000003@ims.example.com')}
${cdivRule('call-diversion-not-reachable', '<not-reachable/>', 'tel:+15550000004')}
${cdivRule('call-diversion-not-logged-in', '<not-registered/><rule-deactivated/>', 'tel:+15550000005')}
    </cp:ruleset>
  </communication-diversion>
  <incoming-communication-barring active="true">
    <cp:ruleset>
${barringRule('call-barring-all-incoming', '<rule-deactivated/>', false)}
${barringRule('call-barring-incoming-in-roaming', '<roaming/>', false)}
${barringRule('call-barring-anonymous-incoming', '<anonymous/>', false)}
    </cp:ruleset>
  </incoming-communication-barring>
  <outgoing-communication-barring active="false">
    <cp:ruleset>
${barringRule('call-barring-all-outgoing', '<rule-deactivated/>', false)}
${barringRule('call-barring-outgoing-international', '<international/>', false)}
${barringRule('call-barring-outgoing-internationalExHC', '<international-exHC/>', false)}
    </cp:ruleset>
  </outgoing-communication-barring>
  <originating-identity-presentation active="true"/>
  <originating-identity-presentation-restriction active="true">
    <default-behaviour>presentation-not-restricted</default-behaviour>
  </originating-identity-presentation-restriction>
  <terminating-identity-presentation active="true"/>
  <terminating-identity-presentation-restriction active="false"/>
  <communication-waiting active="true"/>
</simservs>
`;
}

describe('simservs application usage (TS 24.623)', () => {
  it('declares AUID, namespace, MIME type, document and lenient local names', () => {
    expect(simservs).toMatchObject({
      auid: 'simservs.ngn.etsi.org',
      namespace: 'http://uri.etsi.org/ngn/params/xml/simservs/xcap',
      mimeType: 'application/vnd.etsi.simservs+xml',
      defaultDocument: 'simservs.xml',
      writable: true,
      lenientLocalNames: true,
    });
    expect(simservs.global).toBeUndefined();
  });

  it('accepts an AOSP-style document: diversion with NoReplyTimer, barring, OIP/OIR, TIP/TIR, waiting', async () => {
    await expect(simservs.validate(scanDocument(Buffer.from(aospDocument())), ctx)).resolves.toBeUndefined();
  });

  it('accepts the first element PUTs of a phone: a bare service, a diversion without ruleset', async () => {
    const xml = `<simservs xmlns="http://uri.etsi.org/ngn/params/xml/simservs/xcap"><communication-waiting active="false"/><communication-diversion active="true"/></simservs>`;
    await expect(simservs.validate(scanDocument(Buffer.from(xml)), ctx)).resolves.toBeUndefined();
  });

  it('accepts a NoReplyTimer inside the conditions of a rule', async () => {
    const xml = aospDocument().replace('<no-answer/>', '<no-answer/><NoReplyTimer>30</NoReplyTimer>');
    await expect(simservs.validate(scanDocument(Buffer.from(xml)), ctx)).resolves.toBeUndefined();
  });

  it('rejects NoReplyTimer 500 with constraint-failure and a phrase for the user', async () => {
    const e = await rejection(aospDocument('500'));
    expect(e.status).toBe(409);
    expect(e.detail.condition).toBe('constraint-failure');
    expect(e.detail.phrase).toBe('NoReplyTimer must be between 5 and 180 seconds (got 500)');
  });

  it('checks the timer bounds inclusively', async () => {
    await expect(
      simservs.validate(scanDocument(Buffer.from(aospDocument('5'))), ctx),
    ).resolves.toBeUndefined();
    await expect(
      simservs.validate(scanDocument(Buffer.from(aospDocument('180'))), ctx),
    ).resolves.toBeUndefined();
    expect((await rejection(aospDocument('4'))).detail.condition).toBe('constraint-failure');
    expect((await rejection(aospDocument('181'))).detail.condition).toBe('constraint-failure');
  });

  it('rejects a non-numeric NoReplyTimer as a schema error', async () => {
    const e = await rejection(aospDocument('twenty'));
    expect(e.detail.condition).toBe('schema-validation-error');
    expect(e.detail.phrase).toContain('NoReplyTimer');
  });

  it('rejects a forward-to without target as a schema error', async () => {
    const e = await rejection(aospDocument().replace('<target>tel:+15550000002</target>', ''));
    expect(e.detail.condition).toBe('schema-validation-error');
    expect(e.detail.phrase).toContain('notify-caller');
  });

  it('rejects an unknown service as a schema error', async () => {
    const e = await rejection(
      `<simservs xmlns="http://uri.etsi.org/ngn/params/xml/simservs/xcap"><teleportation active="true"/></simservs>`,
    );
    expect(e.detail.condition).toBe('schema-validation-error');
  });

  it('rejects a rule id repeated within a ruleset with uniqueness-failure', async () => {
    const xml = aospDocument().replace('id="call-diversion-busy"', 'id="call-diversion-unconditional"');
    const e = await rejection(xml);
    expect(e.detail.condition).toBe('uniqueness-failure');
    expect(e.detail.exists).toEqual([
      { field: '/simservs/communication-diversion[1]/cp:ruleset[1]/cp:rule[2]/@id' },
    ]);
  });
});
