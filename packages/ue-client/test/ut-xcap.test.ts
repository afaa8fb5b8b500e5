/**
 * The XCAP client through the AP against the real xcap-server: errors read from real 409 bodies
 * (no-parent with its ancestor, uniqueness-failure with alternative values, cannot-insert), ETags tracked
 * from every answer and sent in If-Match (a stale one surfaces as 412), tricky selector values and
 * prefixes understood by the server, attributes, and a global document.
 */
import { XcapError } from '../src/xcap/xcap-error';
import { EMPTY_LIST, headerOf, network, RL_NS, USER1, USER2, type Network } from './support/network';

const LIST = { auid: 'resource-lists', document: 'index' } as const;
const list = (name: string) => ({ name: 'list', attr: ['name', name] }) as const;

const failure = (p: Promise<unknown>): Promise<XcapError> =>
  p.then(
    () => {
      throw new Error('expected an XcapError');
    },
    (e: unknown) => {
      if (!(e instanceof XcapError)) throw e;
      return e;
    },
  );

const services = (uri: string) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<rls-services xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists">' +
  `<service uri="${uri}"><list><rl:entry uri="sip:x@home1.net"/></list><packages><package>presence</package></packages></service>` +
  '</rls-services>\n';

describe('XCAP through the AP', () => {
  let net: Network;
  beforeAll(async () => {
    net = await network();
  });
  afterAll(() => net.close());

  it('an element under a parent that does not exist: 409 no-parent naming the closest ancestor', async () => {
    const { xcap } = net.ue();
    await xcap.put(LIST, EMPTY_LIST);
    const e = await failure(
      xcap.put(
        { ...LIST, node: ['resource-lists', list('nope'), 'entry'] },
        '<entry uri="sip:a@home1.net"/>',
      ),
    );
    expect(e.status).toBe(409);
    expect(e.condition).toBe('no-parent');
    // the server wrote the ancestor as the UE addresses it (through the AP's forwarded host)
    expect(e.ancestor).toBe(xcap.elementUri({ ...LIST, node: ['resource-lists'] }));
    expect(e.message).toMatch(
      /^PUT \/services\/resource-lists\/users\/sip:user1_public1@home1\.net\/index\/~~\/.*: 409 no-parent/,
    );
  });

  it('a service URI another user has: 409 uniqueness-failure with the field and alternative values', async () => {
    const a = net.ue({ user: USER1 }).xcap;
    const b = net.ue({ user: USER2 }).xcap;
    const rls = { auid: 'rls-services', document: 'index' };
    expect((await a.put(rls, services('sip:myfriends@home1.net'))).status).toBe(201);
    const e = await failure(b.put(rls, services('sip:myfriends@home1.net')));
    expect(e.condition).toBe('uniqueness-failure');
    expect(e.exists).toHaveLength(1);
    expect(e.exists![0]!.field).toBe('/rls-services/service[1]/@uri');
    expect(e.exists![0]!.altValues.length).toBeGreaterThan(0);
    expect(e.exists![0]!.altValues).not.toContain('sip:myfriends@home1.net');
    // a suggested value is free
    const alt = e.exists![0]!.altValues[0]!;
    expect((await b.put(rls, services(alt))).status).toBe(201);
  });

  it('an insertion at a position past the end: 409 cannot-insert', async () => {
    const { xcap } = net.ue();
    await xcap.put({ ...LIST, document: 'pos' }, EMPTY_LIST);
    const e = await failure(
      xcap.put(
        {
          ...LIST,
          document: 'pos',
          node: ['resource-lists', list('friends'), { name: 'entry', position: 3 }],
        },
        '<entry uri="sip:z@home1.net"/>',
      ),
    );
    expect([e.status, e.condition]).toEqual([409, 'cannot-insert']);
    expect(e.phrase).toEqual(expect.any(String));
  });

  it('ETags: If-Match with the known one; a write behind another client gets 412; a GET refreshes it', async () => {
    const one = net.ue().xcap;
    const two = net.ue().xcap;
    const doc = { ...LIST, document: 'shared' };
    const created = await one.put(doc, EMPTY_LIST);
    expect(one.etag(doc)).toBe(created.etag);
    expect(created.etag).toMatch(/^"[^"]+"$/);
    // the other client changes the document
    await two.get(doc);
    const changed = await two.put(
      { ...doc, node: ['resource-lists', list('friends'), 'entry'] },
      '<entry uri="sip:b@home1.net"/>',
    );
    expect(changed.etag).not.toBe(created.etag);
    // the first client still holds the old ETag: its write is refused, not applied
    const e = await failure(
      one.put({ ...doc, node: ['resource-lists', list('family')] }, '<list name="family"/>'),
    );
    expect(e.status).toBe(412);
    expect(e.preconditionFailed).toBe(true);
    expect(e.condition).toBeUndefined();
    expect(headerOf(net.utRequests().at(-1)!, 'If-Match')).toBe(created.etag);
    expect(one.etag(doc)).toBe(created.etag);
    expect((await one.get(doc)).body).not.toContain('family');
    // read again, write again
    const read = await one.get({ ...doc, node: ['resource-lists', list('friends')] });
    expect(read.etag).toBe(changed.etag);
    expect(read.contentType).toBe('application/xcap-el+xml');
    const ok = await one.put({ ...doc, node: ['resource-lists', list('family')] }, '<list name="family"/>');
    expect(ok.status).toBe(201);
    // conditional off: no If-Match, last writer wins
    const unconditional = await two.put(
      { ...doc, node: ['resource-lists', list('work')] },
      '<list name="work"/>',
      { ifMatch: false },
    );
    expect(unconditional.status).toBe(201);
    expect(headerOf(net.utRequests().at(-1)!, 'If-Match')).toBeUndefined();
    // a deleted document has no ETag; a GET of it is 404
    await one.get(doc);
    await one.delete(doc);
    expect(one.etag(doc)).toBeUndefined();
    const gone = await failure(one.get(doc));
    expect(gone.status).toBe(404);
  });

  it('create-only with If-None-Match: *', async () => {
    const { xcap } = net.ue();
    const doc = { ...LIST, document: 'once' };
    expect((await xcap.put(doc, EMPTY_LIST, { ifNoneMatch: '*' })).status).toBe(201);
    xcap.forgetEtag(doc);
    const e = await failure(xcap.put(doc, EMPTY_LIST, { ifNoneMatch: '*' }));
    expect(e.preconditionFailed).toBe(true);
  });

  it('selector values with quotes, slashes, brackets, "~~" and non-ASCII select what the document holds', async () => {
    const { xcap } = net.ue();
    const name = 'a/b "c" & <d> [e] ~~ ?#% Jürgen';
    const escaped = name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
    const doc = { ...LIST, document: 'tricky' };
    await xcap.put(
      doc,
      `<resource-lists xmlns="${RL_NS}"><list name="${escaped}"><entry uri="sip:t@home1.net"/></list></resource-lists>`,
    );
    const sel = { ...doc, node: ['resource-lists', list(name), 'entry'] };
    const got = await xcap.get(sel);
    expect(got.body).toBe('<entry uri="sip:t@home1.net"/>');
    // the same through prefixes bound in the query
    const prefixed = await xcap.get({
      ...doc,
      node: ['rl:resource-lists', { name: 'rl:list', attr: ['name', name] }],
      namespaces: { rl: RL_NS },
    });
    expect(prefixed.status).toBe(200);
    expect(prefixed.body.startsWith('<list name=')).toBe(true);
    // an attribute of it: read, replace
    const attr = { ...sel, attribute: 'uri' };
    const value = await xcap.get(attr);
    expect([value.body, value.contentType]).toEqual(['sip:t@home1.net', 'application/xcap-att+xml']);
    expect((await xcap.put(attr, 'sip:u@home1.net')).status).toBe(200);
    expect(headerOf(net.utRequests().at(-1)!, 'Content-Type')).toBe('application/xcap-att+xml');
    await xcap.delete(sel);
    expect((await failure(xcap.get(sel))).status).toBe(404);
  });

  it('a global document: the default identity is named, since the URI has no XUI', async () => {
    const { xcap } = net.ue();
    const caps = await xcap.get({ auid: 'xcap-caps', global: true, document: 'index' });
    expect(caps.status).toBe(200);
    expect(caps.body).toContain('<auid>resource-lists</auid>');
    expect(headerOf(net.utRequests().at(-2)!, 'X-3GPP-Intended-Identity')).toBe(USER1.impus[0]);
  });
});
