import { scanDocument } from '../src/engine';
import { XcapError } from '../src/errors';
import type { DocumentReader, ValidationContext } from '../src/types';
import { rlsServices, USAGES } from '../src/usages/registry';

type Stored = { xui: string; path: string; bytes: Buffer };

function reader(docs: Stored[]): DocumentReader & { auids: string[] } {
  const auids: string[] = [];
  return {
    auids,
    listUserDocuments: async (auid: string) => {
      auids.push(auid);
      return auid === 'rls-services' ? docs : [];
    },
  };
}

function context(xui: string, docs: Stored[]): ValidationContext {
  return {
    auid: 'rls-services',
    xui,
    documentPath: 'index',
    xcapRoot: 'http://xcap.example.com',
    documents: reader(docs),
  };
}

async function rejection(xml: string, ctx: ValidationContext): Promise<XcapError> {
  const e: unknown = await rlsServices.validate(scanDocument(Buffer.from(xml)), ctx).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof XcapError)) throw new Error(`expected an XcapError, got ${String(e)}`);
  return e;
}

/** RFC 4826 section 4.3 */
const RFC4826_EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<rls-services xmlns="urn:ietf:params:xml:ns:rls-services"
   xmlns:rl="urn:ietf:params:xml:ns:resource-lists"
   xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <service uri="sip:mybuddies@example.com">
  <resource-list>http://xcap.example.com/resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5b@name=%22l1%22%5d</resource-list>
  <packages>
   <package>presence</package>
  </packages>
 </service>
 <service uri="sip:marketing@example.com">
   <list name="marketing">
     <rl:entry uri="sip:joe@example.com"/>
     <rl:entry uri="sip:sudhir@example.com"/>
   </list>
   <packages>
     <package>presence</package>
   </packages>
 </service>
</rls-services>
`;

const RS = 'xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists"';

function servicesDoc(...uris: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rls-services ${RS}>\n${uris
    .map(
      (u) =>
        `  <service uri="${u}"><list><rl:entry uri="sip:a@example.com"/></list><packages><package>presence</package></packages></service>\n`,
    )
    .join('')}</rls-services>\n`;
}

describe('rls-services application usage', () => {
  it('declares RFC 4826 section 4 with a generated global index', () => {
    expect(rlsServices).toMatchObject({
      auid: 'rls-services',
      namespace: 'urn:ietf:params:xml:ns:rls-services',
      mimeType: 'application/rls-services+xml',
      defaultDocument: 'index',
      writable: true,
    });
    expect(rlsServices.global).toBeDefined();
  });

  it('accepts the RFC 4826 example and looks at the other users’ rls-services documents', async () => {
    const ctx = context('sip:joe@example.com', []);
    await expect(
      rlsServices.validate(scanDocument(Buffer.from(RFC4826_EXAMPLE)), ctx),
    ).resolves.toBeUndefined();
    expect((ctx.documents as ReturnType<typeof reader>).auids).toEqual(['rls-services']);
  });

  it('rejects a service URI another user already has, with alternative values', async () => {
    const others = [
      {
        xui: 'sip:bob@example.com',
        path: 'index',
        bytes: Buffer.from(servicesDoc('sip:marketing@EXAMPLE.com', 'sip:marketing-2@example.com')),
      },
    ];
    const e = await rejection(RFC4826_EXAMPLE, context('sip:joe@example.com', others));
    expect(e.detail.condition).toBe('uniqueness-failure');
    expect(e.detail.exists).toEqual([
      {
        field: '/rls-services/service[2]/@uri',
        altValues: [
          'sip:marketing-3@example.com',
          'sip:marketing-4@example.com',
          'sip:marketing-5@example.com',
        ],
      },
    ]);
  });

  it('compares the user part of service URIs case-sensitively', async () => {
    const others = [
      {
        xui: 'sip:bob@example.com',
        path: 'index',
        bytes: Buffer.from(servicesDoc('sip:Marketing@example.com')),
      },
    ];
    await expect(
      rlsServices.validate(
        scanDocument(Buffer.from(RFC4826_EXAMPLE)),
        context('sip:joe@example.com', others),
      ),
    ).resolves.toBeUndefined();
  });

  it('does not count the document being replaced', async () => {
    const mine = [{ xui: 'sip:joe@example.com', path: 'index', bytes: Buffer.from(RFC4826_EXAMPLE) }];
    await expect(
      rlsServices.validate(scanDocument(Buffer.from(RFC4826_EXAMPLE)), context('sip:joe@example.com', mine)),
    ).resolves.toBeUndefined();
  });

  it('counts the same user’s other documents', async () => {
    const other = [
      {
        xui: 'sip:joe@example.com',
        path: 'work',
        bytes: Buffer.from(servicesDoc('sip:mybuddies@example.com')),
      },
    ];
    const e = await rejection(RFC4826_EXAMPLE, context('sip:joe@example.com', other));
    expect(e.detail.exists?.[0]?.field).toBe('/rls-services/service[1]/@uri');
  });

  it('rejects the same service URI twice in one document', async () => {
    const e = await rejection(
      servicesDoc('sip:a@example.com', 'sip:a@example.com'),
      context('sip:joe@example.com', []),
    );
    expect(e.detail.condition).toBe('uniqueness-failure');
    expect(e.detail.exists).toEqual([{ field: '/rls-services/service[2]/@uri' }]);
  });

  it('rejects two inline lists named "marketing" inside a service', async () => {
    const xml = `<rls-services ${RS}><service uri="sip:m@example.com"><list><rl:list name="marketing"/><rl:list name="marketing"/></list></service></rls-services>`;
    const e = await rejection(xml, context('sip:joe@example.com', []));
    expect(e.detail.condition).toBe('uniqueness-failure');
    expect(e.detail.exists).toEqual([{ field: '/rls-services/service[1]/list[1]/rl:list[2]/@name' }]);
  });

  it('rejects a resource-list that is not an absolute HTTP URI with constraint-failure', async () => {
    const xml = `<rls-services ${RS}><service uri="sip:m@example.com"><resource-list>resource-lists/users/sip:joe@example.com/index</resource-list></service></rls-services>`;
    const e = await rejection(xml, context('sip:joe@example.com', []));
    expect(e.detail.condition).toBe('constraint-failure');
    expect(e.detail.phrase).toContain(
      '/rls-services/service[1]/resource-list[1] must be an absolute HTTP URI',
    );
  });

  it('rejects a service without list or resource-list as a schema error', async () => {
    const e = await rejection(
      `<rls-services ${RS}><service uri="sip:m@example.com"/></rls-services>`,
      context('sip:joe@example.com', []),
    );
    expect(e.detail.condition).toBe('schema-validation-error');
  });

  it('generates the global index as the union of all users’ services, valid against its own schema', async () => {
    const docs: Stored[] = [
      { xui: 'sip:joe@example.com', path: 'index', bytes: Buffer.from(RFC4826_EXAMPLE) },
      {
        xui: 'sip:bob@example.com',
        path: 'index',
        bytes: Buffer.from(servicesDoc('sip:bobs-friends@example.com', 'sip:bobs-work@example.com')),
      },
      { xui: 'sip:eve@example.com', path: 'index', bytes: Buffer.from('not xml') },
    ];
    const documents = reader(docs);
    const index = await rlsServices.global!.generate({
      documents,
      xcapRoot: 'http://xcap.example.com',
      usages: USAGES,
    });
    const text = index.toString('utf8');
    const uris = [...text.matchAll(/<service uri="([^"]+)"/g)].map((m) => m[1]);
    expect(uris).toEqual([
      'sip:bobs-friends@example.com',
      'sip:bobs-work@example.com',
      'sip:mybuddies@example.com',
      'sip:marketing@example.com',
    ]);
    expect(text).toContain('<package>presence</package>');
    await expect(rlsServices.schema.validate(index)).resolves.toBeUndefined();
  });

  it('generates an empty but valid global index when nobody has services', async () => {
    const index = await rlsServices.global!.generate({
      documents: reader([]),
      xcapRoot: 'http://x',
      usages: USAGES,
    });
    await expect(rlsServices.schema.validate(index)).resolves.toBeUndefined();
  });

  it('a service from a document with prefixes keeps its meaning in the global index', async () => {
    const prefixed =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<rs:rls-services xmlns:rs="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists">\n' +
      '  <rs:service uri="sip:prefixed@example.com"><rs:list><rl:entry uri="sip:a@example.com"/></rs:list>' +
      '<rs:packages><rs:package>presence</rs:package></rs:packages></rs:service>\n' +
      '</rs:rls-services>\n';
    const index = await rlsServices.global!.generate({
      documents: reader([{ xui: 'sip:p@example.com', path: 'index', bytes: Buffer.from(prefixed) }]),
      xcapRoot: 'http://x',
      usages: USAGES,
    });
    const text = index.toString('utf8');
    // the stored bytes of the service, with the bindings it inherited declared on it (and no default namespace)
    expect(text).toContain(
      '<rs:service uri="sip:prefixed@example.com" xmlns:rs="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns="">',
    );
    const service = scanDocument(index).root.children[0]!;
    expect([service.nsUri, service.children[0]!.children[0]!.nsUri]).toEqual([
      'urn:ietf:params:xml:ns:rls-services',
      'urn:ietf:params:xml:ns:resource-lists',
    ]);
    await expect(rlsServices.schema.validate(index)).resolves.toBeUndefined();
  });
});
