/**
 * XCAP URIs from parts (RFC 4825 6), each tricky case read back with what the real servers parse: the
 * xcap-server's `parseXcapUri` and `parseSelector`, and the AP's `xuiOf` (which identity it authenticates).
 */
import { xuiOf } from '@ut-testbed/ap';
import { parseSelector, parseXcapUri } from '@ut-testbed/xcap-server';
import { UtClient } from '../src/http/ut-client';
import { UsimModel } from '../src/usim/usim-model';
import {
  attValue,
  encodeNamespaceQuery,
  xcapPath,
  XcapUriError,
  type XcapNodeRef,
  type XcapStep,
} from '../src/xcap/uri';
import { XcapClient } from '../src/xcap/xcap-client';

const RL_NS = 'urn:ietf:params:xml:ns:resource-lists';
const CP_NS = 'urn:ietf:params:xml:ns:common-policy';
const XUI = 'sip:user1_public1@home1.net';

const http = new UtClient({
  ap: 'https://xcap.home1.net:8443',
  impi: 'user1_private@home1.net',
  impus: [XUI],
  usim: new UsimModel({ k: '00'.repeat(16), opc: '00'.repeat(16) }),
});
const xcap = new XcapClient({ root: 'https://xcap.home1.net:8443/services', http });

/** What the xcap-server reads from the path of a reference. */
function serverView(ref: XcapNodeRef, defaultNamespace = RL_NS) {
  const path = xcap.path(ref);
  const u = parseXcapUri(path, '/services');
  const sel =
    u.nodeSelector === undefined
      ? undefined
      : parseSelector(u.nodeSelector, { defaultNamespace, bindings: u.bindings });
  return { path, u, sel };
}

const list = (name: string): XcapStep => ({ name: 'list', attr: ['name', name] });

describe('document URIs', () => {
  it('keeps ":" "@" and "+" of SIP and tel XUIs as they are', () => {
    expect(xcap.documentUri({ auid: 'resource-lists', document: 'index' })).toBe(
      'https://xcap.home1.net:8443/services/resource-lists/users/sip:user1_public1@home1.net/index',
    );
    const tel = serverView({ auid: 'resource-lists', xui: 'tel:+12125551111', document: 'index' });
    expect(tel.path).toBe('/services/resource-lists/users/tel:+12125551111/index');
    expect(tel.u.xui).toBe('tel:+12125551111');
    expect(xuiOf(tel.path, '/services')).toBe('tel:+12125551111');
  });

  it('percent-encodes "/", "?", "#", "%", spaces, "~" and non-ASCII in the XUI, and both servers read it back', () => {
    const xui = 'sip:a/b?c#d%e f~~g;user=phone@hömé.net';
    const v = serverView({ auid: 'resource-lists', xui, document: 'index' });
    expect(v.path).toBe(
      '/services/resource-lists/users/sip:a%2Fb%3Fc%23d%25e%20f%7E%7Eg;user=phone@h%C3%B6m%C3%A9.net/index',
    );
    expect(v.u.xui).toBe(xui);
    expect(v.u.nodeSelector).toBeUndefined();
    expect(xuiOf(v.path, '/services')).toBe(xui);
  });

  it('writes the global tree, sub-directories and encoded document names', () => {
    expect(xcap.documentUri({ auid: 'rls-services', global: true, document: 'index' })).toBe(
      'https://xcap.home1.net:8443/services/rls-services/global/index',
    );
    const v = serverView({ auid: 'resource-lists', document: 'dir/my list~~1' });
    expect(v.path).toBe('/services/resource-lists/users/sip:user1_public1@home1.net/dir/my%20list%7E%7E1');
    expect(v.u.documentPath).toBe('dir/my list~~1');
    expect(v.u.nodeSelector).toBeUndefined();
  });

  it('refuses empty and dot segments, and a users reference without an XUI', () => {
    expect(() => xcap.path({ auid: 'resource-lists', document: 'a//b' })).toThrow(XcapUriError);
    expect(() => xcap.path({ auid: 'resource-lists', document: '../index' })).toThrow(
      /cannot be a path segment/,
    );
    expect(() => xcapPath('/services', { auid: 'resource-lists', document: 'index' })).toThrow(
      /needs an XUI/,
    );
  });
});

describe('node selectors', () => {
  it('writes [ ] and " percent-encoded (RFC 4825 6.3), as AOSP sends a rule selector', () => {
    const path = xcap.path({
      auid: 'simservs.ngn.etsi.org',
      document: 'simservs.xml',
      node: [
        'simservs',
        'communication-diversion',
        'ruleset',
        { name: 'rule', attr: ['id', 'call-diversion-unconditional'] },
      ],
    });
    expect(path).toBe(
      '/services/simservs.ngn.etsi.org/users/sip:user1_public1@home1.net/simservs.xml/~~/simservs/communication-diversion/ruleset/rule%5B@id=%22call-diversion-unconditional%22%5D',
    );
  });

  it('positions, attribute tests, both, and * steps parse to the same steps', () => {
    const v = serverView({
      auid: 'resource-lists',
      document: 'index',
      node: ['resource-lists', list('friends'), { name: 'entry', position: 2, attr: ['uri', 'sip:x@y'] }],
    });
    expect(
      v.path.endsWith(
        '/~~/resource-lists/list%5B@name=%22friends%22%5D/entry%5B2%5D%5B@uri=%22sip:x@y%22%5D',
      ),
    ).toBe(true);
    const steps = v.sel!.steps;
    expect(steps.map((s) => s.name.local)).toEqual(['resource-lists', 'list', 'entry']);
    expect(steps.every((s) => s.name.nsUri === RL_NS)).toBe(true);
    expect(steps[1]!.attr).toMatchObject({ local: 'name', value: 'friends' });
    expect(steps[2]!.position).toBe(2);
    expect(steps[2]!.attr).toMatchObject({ local: 'uri', value: 'sip:x@y' });
    const any = serverView({
      auid: 'resource-lists',
      document: 'index',
      node: ['resource-lists', { name: '*', position: 3 }],
    });
    expect(any.sel!.steps[1]).toMatchObject({ name: { any: true }, position: 3 });
  });

  it.each([
    ['a double quote', 'say "hi"'],
    ['ampersand and less-than', 'a&b<c'],
    ['square brackets', 'x]y[z'],
    ['a slash and dot-dot', '../a/b'],
    ['query and fragment characters', 'a?b#c'],
    ['a literal %22 and %5D', 'p%22q%5Dr'],
    ['an apostrophe', "it's"],
    ['tab, newline and carriage return', 'a\tb\nc\rd'],
    ['non-ASCII', 'Jürgen 日本'],
    ['the ~~ separator', 'a~~b'],
    ['the /~~/ separator', 'x/~~/y'],
  ])('an attribute value with %s reaches the server unchanged', (_what, value) => {
    const v = serverView({
      auid: 'resource-lists',
      document: 'index',
      node: ['resource-lists', list(value)],
    });
    expect(v.u.documentPath).toBe('index');
    expect(v.sel!.steps).toHaveLength(2);
    expect(v.sel!.steps[1]!.attr!.value).toBe(value);
    // nothing a URI path may not hold is left raw, and the separator appears once
    expect(v.path).toMatch(/^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]+$/);
    expect(v.path.split('~~')).toHaveLength(2);
  });

  it('writes an attribute value as an XML AttValue', () => {
    expect(attValue('a&b<c"d\te\nf\rg>h\'')).toBe("a&amp;b&lt;c&quot;d&#9;e&#10;f&#13;g>h'");
  });

  it('binds prefixes with xmlns() in the query, and the server resolves them', () => {
    const v = serverView(
      {
        auid: 'pres-rules',
        document: 'index',
        node: ['cr:ruleset', { name: 'cr:rule', attr: ['id', 'wp_prs_allow_own'] }, 'cr:conditions'],
        namespaces: { cr: CP_NS },
      },
      'urn:ietf:params:xml:ns:pres-rules',
    );
    expect(v.path).toBe(
      '/services/pres-rules/users/sip:user1_public1@home1.net/index/~~/cr:ruleset/cr:rule%5B@id=%22wp_prs_allow_own%22%5D/cr:conditions?xmlns(cr=urn:ietf:params:xml:ns:common-policy)',
    );
    expect([...v.u.bindings]).toEqual([['cr', CP_NS]]);
    expect(v.sel!.steps.map((s) => s.name.nsUri)).toEqual([CP_NS, CP_NS, CP_NS]);
  });

  it('encodes "+" and "&" of a namespace in the query, and refuses what xmlns() cannot hold', () => {
    const q = encodeNamespaceQuery({ a: 'urn:x:a+b&c', b: 'http://e.org/p?q' });
    expect(q).toBe('xmlns(a=urn:x:a%2Bb%26c)xmlns(b=http://e.org/p?q)');
    const path = `/services/resource-lists/users/sip:u@h/index/~~/a:x?${q}`;
    expect([...parseXcapUri(path, '/services').bindings]).toEqual([
      ['a', 'urn:x:a+b&c'],
      ['b', 'http://e.org/p?q'],
    ]);
    expect(() => encodeNamespaceQuery({ a: 'urn:(x)' })).toThrow(XcapUriError);
    expect(() => encodeNamespaceQuery({ 'a:b': 'urn:x' })).toThrow(/not a namespace prefix/);
  });

  it('refuses an unbound prefix before the server would (400)', () => {
    expect(() => xcap.path({ auid: 'pres-rules', document: 'index', node: ['cr:ruleset'] })).toThrow(
      /prefix "cr" of step "cr:ruleset" is not bound/,
    );
    expect(() =>
      xcap.path({
        auid: 'resource-lists',
        document: 'index',
        node: [{ name: 'list', attr: ['x:name', 'a'] }],
      }),
    ).toThrow(/prefix "x"/);
  });

  it('ends in an attribute (prefixed too) or in namespace::*', () => {
    const a = serverView({
      auid: 'resource-lists',
      document: 'index',
      node: ['resource-lists', list('friends')],
      attribute: 'name',
    });
    expect(a.path.endsWith('/list%5B@name=%22friends%22%5D/@name')).toBe(true);
    expect(a.sel!.terminal).toMatchObject({ kind: 'attribute', local: 'name', nsUri: null });
    const p = serverView({
      auid: 'resource-lists',
      document: 'index',
      node: ['resource-lists'],
      attribute: 'x:flag',
      namespaces: { x: 'urn:example:x' },
    });
    expect(p.sel!.terminal).toMatchObject({ kind: 'attribute', local: 'flag', nsUri: 'urn:example:x' });
    const n = serverView({
      auid: 'resource-lists',
      document: 'index',
      node: ['resource-lists', list('f')],
      namespaceBindings: true,
    });
    expect(n.path.endsWith('/namespace::*')).toBe(true);
    expect(n.sel!.terminal).toMatchObject({ kind: 'namespaces' });
    expect(
      xcap.attributeUri({
        auid: 'resource-lists',
        document: 'index',
        node: ['resource-lists'],
        attribute: 'a',
      }),
    ).toBe(
      'https://xcap.home1.net:8443/services/resource-lists/users/sip:user1_public1@home1.net/index/~~/resource-lists/@a',
    );
  });

  it('refuses selectors the grammar does not have', () => {
    const base = { auid: 'resource-lists', document: 'index' };
    expect(() => xcap.path({ ...base, node: [{ name: 'entry', position: 0 }] })).toThrow(/positive integer/);
    expect(() => xcap.path({ ...base, node: ['a b'] })).toThrow(/not a QName/);
    expect(() => xcap.path({ ...base, node: ['a:b:c'] })).toThrow(/not a QName/);
    expect(() => xcap.path({ ...base, attribute: 'x' })).toThrow(/needs element steps/);
    expect(() => xcap.path({ ...base, node: ['a'], attribute: 'x', namespaceBindings: true })).toThrow(
      /not both/,
    );
    expect(() => xcap.elementUri({ ...base, node: ['a'], attribute: 'x' })).toThrow(/ends in an element/);
  });

  it('refuses a root on another server than the Ut client', () => {
    expect(() => new XcapClient({ root: 'https://other.home1.net:8443/services', http })).toThrow(
      /is not the Ut client/,
    );
  });
});
