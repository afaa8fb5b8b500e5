import { scanDocument } from '../src/engine';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AppUsage } from '../src/types';
import { findUsage, USAGES, xcapCaps } from '../src/usages/registry';
import { cleanMessage, SCHEMA_DIR, SchemaValidator } from '../src/usages/schema';

const ctx = {
  documents: { listUserDocuments: async () => [] },
  xcapRoot: 'http://xcap.example.com',
  usages: USAGES,
};

describe('xcap-caps application usage', () => {
  it('is read-only with a generated global index', () => {
    expect(xcapCaps).toMatchObject({
      auid: 'xcap-caps',
      namespace: 'urn:ietf:params:xml:ns:xcap-caps',
      mimeType: 'application/xcap-caps+xml',
      defaultDocument: 'index',
      writable: false,
    });
    expect(xcapCaps.global).toBeDefined();
  });

  it('lists every AUID and namespace of the registry, with <extensions/>, and validates against its schema', async () => {
    const caps = await xcapCaps.global!.generate(ctx);
    const text = caps.toString('utf8');
    const auids = [...text.matchAll(/<auid>([^<]+)<\/auid>/g)].map((m) => m[1]);
    const namespaces = [...text.matchAll(/<namespace>([^<]+)<\/namespace>/g)].map((m) => m[1]);
    expect(auids).toEqual([
      'xcap-caps',
      'resource-lists',
      'rls-services',
      'pres-rules',
      'org.openmobilealliance.pres-rules',
      'simservs.ngn.etsi.org',
    ]);
    expect(namespaces.sort()).toEqual(
      [
        'http://uri.etsi.org/ngn/params/xml/simservs/xcap',
        'urn:ietf:params:xml:ns:common-policy',
        'urn:ietf:params:xml:ns:pres-rules',
        'urn:ietf:params:xml:ns:resource-lists',
        'urn:ietf:params:xml:ns:rls-services',
        'urn:ietf:params:xml:ns:xcap-caps',
        'urn:oma:xml:xdm:common-policy',
      ].sort(),
    );
    expect(text).toContain('<extensions/>');
    await expect(
      xcapCaps.validate(scanDocument(caps), { auid: 'xcap-caps', xui: '', documentPath: 'index', ...ctx }),
    ).resolves.toBeUndefined();
  });

  it('lists usages it was given that are defined elsewhere', async () => {
    const other: AppUsage = {
      auid: 'test-app',
      namespace: 'test-app',
      mimeType: 'application/test-app+xml',
      defaultDocument: 'index',
      writable: true,
      validate: async () => undefined,
    };
    const text = (await xcapCaps.global!.generate({ ...ctx, usages: [xcapCaps, other] })).toString('utf8');
    expect(text).toContain('<auid>test-app</auid>');
    expect(text).toContain('<namespace>test-app</namespace>');
  });
});

describe('registry', () => {
  it('finds each usage by its exact AUID', () => {
    for (const u of USAGES) expect(findUsage(u.auid)).toBe(u);
    expect(findUsage('simserv.ngn.etsi.org')).toBeUndefined();
    expect(findUsage('Resource-Lists')).toBeUndefined();
  });

  it('has unique AUIDs and only xcap-caps read-only', () => {
    expect(new Set(USAGES.map((u) => u.auid)).size).toBe(USAGES.length);
    expect(USAGES.filter((u) => !u.writable).map((u) => u.auid)).toEqual(['xcap-caps']);
  });
});

describe('schema validation', () => {
  it('finds the schemas two levels above src/usages', () => {
    expect(SCHEMA_DIR).toBe(join(__dirname, '..', 'schemas'));
    for (const f of [
      'xml.xsd',
      'resource-lists.xsd',
      'rls-services.xsd',
      'common-policy.xsd',
      'pres-rules.xsd',
      'simservs.xsd',
      'xcap-caps.xsd',
      'xcap-error.xsd',
    ]) {
      expect(existsSync(join(SCHEMA_DIR, f))).toBe(true);
    }
  });

  it('cleans file names and line numbers from libxml2 messages', () => {
    expect(
      cleanMessage("document.xml:3: Schemas validity error : Element 'x': This element is not expected."),
    ).toBe("Element 'x': This element is not expected.");
    expect(cleanMessage('resource-lists.xsd:10: element complexType: bad')).toBe('element complexType: bad');
  });

  it('validates XCAP error bodies with the xcap-error schema', async () => {
    const v = new SchemaValidator([
      { namespace: 'urn:ietf:params:xml:ns:xcap-error', file: 'xcap-error.xsd' },
    ]);
    const ok = `<?xml version="1.0" encoding="UTF-8"?>\n<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><uniqueness-failure phrase="x"><exists field="/a/b[1]/@c"><alt-value>d</alt-value></exists></uniqueness-failure></xcap-error>\n`;
    expect(await v.check(Buffer.from(ok))).toBeUndefined();
    expect(
      await v.check(
        Buffer.from(
          '<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><uniqueness-failure/></xcap-error>',
        ),
      ),
    ).toContain('exists');
  });

  it('validates repeatedly and concurrently with the cached schema files', async () => {
    const v = new SchemaValidator([
      { namespace: 'urn:ietf:params:xml:ns:resource-lists', file: 'resource-lists.xsd' },
    ]);
    const doc = Buffer.from(
      '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="a"><entry uri="sip:a@b"/></list></resource-lists>',
    );
    await v.check(doc);
    for (let i = 0; i < 3; i++) expect(await v.check(doc)).toBeUndefined();
    const results = await Promise.all(Array.from({ length: 8 }, () => v.check(doc)));
    expect(results.every((r) => r === undefined)).toBe(true);
  });
});
