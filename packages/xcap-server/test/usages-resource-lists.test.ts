import { scanDocument } from '../src/engine';
import { XcapError } from '../src/errors';
import type { ValidationContext } from '../src/types';
import { resourceLists } from '../src/usages/registry';

const ctx: ValidationContext = {
  auid: 'resource-lists',
  xui: 'sip:joe@example.com',
  documentPath: 'index',
  xcapRoot: 'http://xcap.example.com',
  documents: { listUserDocuments: async () => [] },
};

async function rejection(xml: string): Promise<XcapError> {
  // the scan is where malformed input is refused, so it is inside the promise too
  const e: unknown = await Promise.resolve()
    .then(() => resourceLists.validate(scanDocument(Buffer.from(xml)), ctx))
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  if (!(e instanceof XcapError)) throw new Error(`expected an XcapError, got ${String(e)}`);
  return e;
}

const RL = 'xmlns="urn:ietf:params:xml:ns:resource-lists"';

/** RFC 4826 section 3.3 */
const RFC4826_EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <list name="friends">
   <entry uri="sip:bill@example.com">
    <display-name>Bill Doe</display-name>
   </entry>
   <entry-ref ref="resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list%5b@name=%22list1%22%5d/entry%5b@uri=%22sip:petri@example.com%22%5d"/>
   <list name="close-friends">
    <display-name>Close Friends</display-name>
    <entry uri="sip:joe@example.com">
     <display-name>Joe Smith</display-name>
    </entry>
    <entry uri="sip:nancy@example.com">
     <display-name xml:lang="en">Nancy Gross</display-name>
    </entry>
    <external anchor="http://xcap.example.org/resource-lists/users/sip:a@example.org/index/~~/resource-lists/list%5b@name=%22mkting%22%5d">
      <display-name>Marketing</display-name>
    </external>
   </list>
  </list>
</resource-lists>
`;

describe('resource-lists application usage', () => {
  it('declares RFC 4826 section 3', () => {
    expect(resourceLists).toMatchObject({
      auid: 'resource-lists',
      namespace: 'urn:ietf:params:xml:ns:resource-lists',
      mimeType: 'application/resource-lists+xml',
      defaultDocument: 'index',
      writable: true,
    });
    expect(resourceLists.global).toBeUndefined();
  });

  it('accepts the RFC 4826 example document', async () => {
    await expect(
      resourceLists.validate(scanDocument(Buffer.from(RFC4826_EXAMPLE)), ctx),
    ).resolves.toBeUndefined();
  });

  it('accepts elements and attributes of other namespaces at the extension points', async () => {
    const xml = `<resource-lists ${RL} xmlns:x="urn:example:ext"><list name="a" x:flag="1"><entry uri="sip:a@example.com"><x:note>hi</x:note></entry><x:extra/></list></resource-lists>`;
    await expect(resourceLists.validate(scanDocument(Buffer.from(xml)), ctx)).resolves.toBeUndefined();
  });

  it('rejects <badlist> with schema-validation-error and the libxml2 message without file names', async () => {
    const e = await rejection(`<resource-lists ${RL}><badlist/></resource-lists>`);
    expect(e.status).toBe(409);
    expect(e.detail.condition).toBe('schema-validation-error');
    expect(e.detail.phrase).toContain(
      "Element '{urn:ietf:params:xml:ns:resource-lists}badlist': This element is not expected.",
    );
    expect(e.detail.phrase).not.toMatch(/document\.xml|\.xsd|:\d+:/);
  });

  it('rejects an entry without uri as a schema error', async () => {
    const e = await rejection(`<resource-lists ${RL}><list><entry/></list></resource-lists>`);
    expect(e.detail.condition).toBe('schema-validation-error');
    expect(e.detail.phrase).toContain("attribute 'uri' is required but missing");
  });

  it('rejects malformed input as not-well-formed', async () => {
    const e = await rejection(`<resource-lists ${RL}><list></resource-lists>`);
    expect(e.detail.condition).toBe('not-well-formed');
  });

  it('rejects two lists named "friends" with the field of the second one', async () => {
    const e = await rejection(
      `<resource-lists ${RL}><list name="friends"/><list name="family"/><list name="friends"/></resource-lists>`,
    );
    expect(e.detail.condition).toBe('uniqueness-failure');
    expect(e.detail.exists).toEqual([{ field: '/resource-lists/list[3]/@name' }]);
  });

  it('rejects two entries with the same uri in a nested list', async () => {
    const e = await rejection(
      `<resource-lists ${RL}><list name="a"><entry uri="sip:x@example.com"/><list name="b"><entry uri="sip:bob@example.com"/><entry uri="sip:bob@example.com"/></list></list></resource-lists>`,
    );
    expect(e.detail.condition).toBe('uniqueness-failure');
    expect(e.detail.exists).toEqual([{ field: '/resource-lists/list[1]/list[1]/entry[2]/@uri' }]);
  });

  it('allows the same uri in different lists and the same name at different levels', async () => {
    const xml = `<resource-lists ${RL}><list name="a"><entry uri="sip:x@example.com"/><list name="a"><entry uri="sip:x@example.com"/></list></list><list name="b"><entry uri="sip:x@example.com"/></list></resource-lists>`;
    await expect(resourceLists.validate(scanDocument(Buffer.from(xml)), ctx)).resolves.toBeUndefined();
  });

  it('rejects repeated entry-ref refs and external anchors among siblings', async () => {
    const refs = await rejection(
      `<resource-lists ${RL}><list><entry-ref ref="r/1"/><entry-ref ref="r/1"/></list></resource-lists>`,
    );
    expect(refs.detail.exists).toEqual([{ field: '/resource-lists/list[1]/entry-ref[2]/@ref' }]);
    const anchors = await rejection(
      `<resource-lists ${RL}><list><external anchor="http://x.example.com/a"/><entry uri="sip:a@b"/><external anchor="http://x.example.com/a"/></list></resource-lists>`,
    );
    expect(anchors.detail.exists).toEqual([{ field: '/resource-lists/list[1]/external[2]/@anchor' }]);
  });

  it('writes steps of the usage namespace unprefixed even where the document uses a prefix', async () => {
    const e = await rejection(
      `<rl:resource-lists xmlns:rl="urn:ietf:params:xml:ns:resource-lists"><rl:list name="f"/><rl:list name="f"/></rl:resource-lists>`,
    );
    expect(e.detail.exists).toEqual([{ field: '/resource-lists/list[2]/@name' }]);
  });

  it('rejects an absolute entry-ref with constraint-failure', async () => {
    const e = await rejection(
      `<resource-lists ${RL}><list><entry-ref ref="http://badref.example.com"/></list></resource-lists>`,
    );
    expect(e.detail.condition).toBe('constraint-failure');
    expect(e.detail.phrase).toContain('/resource-lists/list[1]/entry-ref[1]/@ref must be a relative URI');
  });

  it('rejects a relative or non-HTTP external anchor with constraint-failure', async () => {
    for (const anchor of ['resource-lists/users/sip:a@example.com/index', 'sip:list@example.com']) {
      const e = await rejection(
        `<resource-lists ${RL}><list><external anchor="${anchor}"/></list></resource-lists>`,
      );
      expect(e.detail.condition).toBe('constraint-failure');
      expect(e.detail.phrase).toContain('@anchor must be an absolute HTTP URI');
    }
  });
});
