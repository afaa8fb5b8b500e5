/**
 * rls-services and resource-lists documents (RFC 4826 sections 3 and 4) as the RLS reads them, and service
 * URI equivalence (RFC 3261 section 19.1.4).
 */
import { XmlError } from '../src/pidf';
import {
  allowsPackage,
  findService,
  parseList,
  parseNode,
  parseRlsServices,
  sameUri,
  UriSet,
  type Service,
} from '../src/rls/services';

const RLS = 'xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists"';
const FRIENDS =
  'http://xcap.home1.net/services/resource-lists/users/sip:alice@home1.net/index/~~/resource-lists/list%5b@name=%22friends%22%5d';

// RFC 4826 section 4.3's two kinds of service: a <resource-list> URI and an inline <list>
const SERVICES = `<?xml version="1.0" encoding="UTF-8"?>
<rls-services ${RLS}>
  <service uri="sip:alice-friends@home1.net">
    <resource-list>${FRIENDS}</resource-list>
    <packages>
      <package>presence</package>
    </packages>
  </service>
  <service uri="sip:marketing@home1.net">
    <list name="marketing">
      <rl:display-name>Marketing</rl:display-name>
      <rl:entry uri="sip:joe@home1.net"><rl:display-name>Joe</rl:display-name></rl:entry>
      <rl:entry-ref ref="resource-lists/users/sip:bob@home1.net/index/~~/resource-lists/list/entry%5b1%5d"/>
      <rl:external anchor="http://xcap.home1.net/services/resource-lists/users/sip:carol@home1.net/index/~~/resource-lists/list%5b1%5d"/>
      <rl:list name="inner"><rl:entry uri="sip:sudhir@home1.net"/></rl:list>
      <x:extension xmlns:x="urn:example:ext"/>
    </list>
  </service>
  <service uri="sip:nothing@home1.net">
    <resource-list>${FRIENDS}</resource-list>
    <packages/>
  </service>
</rls-services>`;

describe('parseRlsServices', () => {
  const services = parseRlsServices(SERVICES);

  it('a <resource-list> service: its URI, no inline list, the listed packages', () => {
    expect(services).toHaveLength(3);
    expect(services[0]).toEqual({
      uri: 'sip:alice-friends@home1.net',
      resourceList: FRIENDS,
      packages: ['presence'],
      restricted: true,
    });
  });

  it('an inline <list>: entries, entry-ref, external and a nested list in order, extensions skipped', () => {
    const s = services[1]!;
    expect(s.resourceList).toBeUndefined();
    expect(s.packages).toEqual([]);
    expect(s.restricted).toBe(false);
    expect(s.list).toEqual({
      kind: 'list',
      name: 'marketing',
      displayName: 'Marketing',
      items: [
        { kind: 'entry', uri: 'sip:joe@home1.net', displayName: 'Joe' },
        {
          kind: 'entryRef',
          ref: 'resource-lists/users/sip:bob@home1.net/index/~~/resource-lists/list/entry%5b1%5d',
        },
        {
          kind: 'external',
          anchor:
            'http://xcap.home1.net/services/resource-lists/users/sip:carol@home1.net/index/~~/resource-lists/list%5b1%5d',
        },
        { kind: 'list', name: 'inner', items: [{ kind: 'entry', uri: 'sip:sudhir@home1.net' }] },
      ],
    });
  });

  it('packages: absent serves any package, listed serves those, an empty <packages/> serves none', () => {
    expect(allowsPackage(services[1]!, 'presence')).toBe(true);
    expect(allowsPackage(services[1]!, 'dialog')).toBe(true);
    expect(allowsPackage(services[0]!, 'presence')).toBe(true);
    expect(allowsPackage(services[0]!, 'dialog')).toBe(false);
    expect(services[2]!.packages).toEqual([]);
    expect(allowsPackage(services[2]!, 'presence')).toBe(false);
  });

  it('an empty document has no services', () => {
    expect(parseRlsServices(`<rls-services ${RLS}/>`)).toEqual([]);
  });

  it.each([
    [
      'another root',
      '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>',
      /not an rls-services/,
    ],
    [
      'a service without uri',
      `<rls-services ${RLS}><service><list/></service></rls-services>`,
      /without uri/,
    ],
    [
      'a service with neither list nor resource-list',
      `<rls-services ${RLS}><service uri="sip:a@b"/></rls-services>`,
      /exactly one/,
    ],
    [
      'a service with both',
      `<rls-services ${RLS}><service uri="sip:a@b"><resource-list>${FRIENDS}</resource-list><list/></service></rls-services>`,
      /exactly one/,
    ],
    [
      'a relative resource-list',
      `<rls-services ${RLS}><service uri="sip:a@b"><resource-list>resource-lists/x</resource-list></service></rls-services>`,
      /not an absolute HTTP URI/,
    ],
    [
      'an entry without uri',
      `<rls-services ${RLS}><service uri="sip:a@b"><list><rl:entry/></list></service></rls-services>`,
      /<entry> without uri/,
    ],
    ['malformed XML', `<rls-services ${RLS}><service>`, /./],
  ])('refuses %s with an XmlError', (_what, xml, message) => {
    expect(() => parseRlsServices(xml)).toThrow(XmlError);
    expect(() => parseRlsServices(xml)).toThrow(message);
  });
});

describe('findService: service URIs compared as SIP URIs', () => {
  const services: Service[] = [
    { uri: 'sip:friends@home1.net', packages: [], restricted: false, resourceList: FRIENDS },
    { uri: 'sip:Work@home1.net;transport=tcp', packages: [], restricted: false, resourceList: FRIENDS },
    { uri: 'tel:+1-555-0100', packages: [], restricted: false, resourceList: FRIENDS },
  ];

  it('scheme and host are case-insensitive, escapes in the user part decoded', () => {
    expect(findService(services, 'SIP:friends@HOME1.NET')).toBe(services[0]);
    expect(findService(services, 'sip:%66riends@home1.net')).toBe(services[0]);
  });

  it('the user part is case-sensitive; sips is another URI; a port is significant', () => {
    expect(findService(services, 'sip:Friends@home1.net')).toBeUndefined();
    expect(findService(services, 'sips:friends@home1.net')).toBeUndefined();
    expect(findService(services, 'sip:friends@home1.net:5060')).toBeUndefined();
  });

  it('transport must be in both; other parameters count only when in both', () => {
    expect(findService(services, 'sip:Work@home1.net')).toBeUndefined();
    expect(findService(services, 'sip:Work@home1.net;TRANSPORT=TCP')).toBe(services[1]);
    expect(findService(services, 'sip:friends@home1.net;foo=1')).toBe(services[0]);
    expect(sameUri('sip:a@h;foo=1', 'sip:a@h;foo=2')).toBe(false);
  });

  it('tel URIs compare without visual separators', () => {
    expect(findService(services, 'tel:+15550100')).toBe(services[2]);
    expect(findService(services, 'tel:+15550101')).toBeUndefined();
  });

  it('UriSet keeps one of equal URIs, and both of two that differ in a shared parameter', () => {
    const set = new UriSet();
    expect(set.add('sip:a@h')).toBe(true);
    expect(set.add('sip:a@H;foo=1')).toBe(false);
    expect(set.add('sip:b@h;foo=1')).toBe(true);
    expect(set.add('sip:b@h;foo=2')).toBe(true);
    expect(set.has('sip:b@h;foo=2')).toBe(true);
    expect(set.has('sip:c@h')).toBe(false);
  });
});

describe('parseList: XCAP elements and documents', () => {
  it('a <list> as an XCAP element GET returns it: no namespace declaration of its own', () => {
    const el =
      '<list name="friends">\n  <display-name>Friends</display-name>\n  <entry uri="sip:bob@home1.net"/>\n</list>';
    expect(parseList(el)).toEqual({
      kind: 'list',
      name: 'friends',
      displayName: 'Friends',
      items: [{ kind: 'entry', uri: 'sip:bob@home1.net' }],
    });
  });

  it('an element written with a prefix bound on a stored ancestor, given that binding', () => {
    const el = '<r:list><r:entry uri="sip:bob@home1.net"/></r:list>';
    expect(() => parseList(el)).toThrow(XmlError);
    expect(parseList(el, { namespaces: { r: 'urn:ietf:params:xml:ns:resource-lists' } }).items).toEqual([
      { kind: 'entry', uri: 'sip:bob@home1.net' },
    ]);
  });

  it('a whole resource-lists document: an unnamed list holding each of its lists', () => {
    const doc =
      '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">' +
      '<list name="a"><entry uri="sip:1@h"/></list><list name="b"><entry uri="sip:2@h"/></list></resource-lists>';
    const l = parseList(doc);
    expect(l.name).toBeUndefined();
    expect(l.items.map((i) => (i.kind === 'list' ? i.name : i.kind))).toEqual(['a', 'b']);
  });

  it('an <entry> (what an entry-ref names) is a node but not a list', () => {
    const el = '<entry uri="sip:bob@home1.net"><display-name>Bob</display-name></entry>';
    expect(parseNode(el)).toEqual({ kind: 'entry', uri: 'sip:bob@home1.net', displayName: 'Bob' });
    expect(() => parseList(el)).toThrow(/not a <list>/);
  });

  it.each([
    ['two elements', '<list/><list/>', /not exactly one element/],
    ['text', 'hello <list/>', /text outside/],
    ['another namespace', '<list xmlns="urn:example:other"/>', /neither/],
    ['a DOCTYPE', '<!DOCTYPE list><list/>', /DOCTYPE/],
    ['an entry-ref without ref', '<list><entry-ref/></list>', /without ref/],
  ])('refuses %s', (_what, xml, message) => {
    expect(() => parseNode(xml)).toThrow(XmlError);
    expect(() => parseNode(xml)).toThrow(message);
  });
});
