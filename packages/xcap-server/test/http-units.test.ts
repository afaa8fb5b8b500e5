import { scanDocument } from '../src/engine';
import { XcapError } from '../src/errors';
import { checkPreconditions } from '../src/http/conditional';
import { isTrusted, parseAssertedIdentities, sameIdentity } from '../src/http/identity';
import { ScanCache } from '../src/http/scan-cache';
import { parseBindings, parseXcapUri } from '../src/http/xcap-uri';

describe('XCAP URI (RFC 4825 6)', () => {
  const root = '/services';

  it('splits AUID, users tree, XUI, document and node selector, percent-decoding each', () => {
    const u = parseXcapUri(
      '/services/resource-lists/users/sip:alice%40home1.net/index/~~/resource-lists/list%5B@name=%22friends%22%5D',
      root,
    );
    expect(u).toMatchObject({
      auid: 'resource-lists',
      tree: 'users',
      xui: 'sip:alice@home1.net',
      documentPath: 'index',
      nodeSelector: 'resource-lists/list[@name="friends"]',
      documentSelector: 'resource-lists/users/sip:alice%40home1.net/index',
    });
    expect(u.bindings.size).toBe(0);
  });

  it('reads the global tree and xmlns() bindings from the query', () => {
    const u = parseXcapUri('/services/xcap-caps/global/index', root);
    expect(u).toMatchObject({ auid: 'xcap-caps', tree: 'global', documentPath: 'index' });
    expect(u.xui).toBeUndefined();
    const b = parseXcapUri(
      '/services/pres-rules/users/sip:a@b/index/~~/cr:ruleset?xmlns(cr=urn:ietf:params:xml:ns:common-policy)xmlns(pr=urn:ietf:params:xml:ns:pres-rules)',
      root,
    );
    expect([...b.bindings]).toEqual([
      ['cr', 'urn:ietf:params:xml:ns:common-policy'],
      ['pr', 'urn:ietf:params:xml:ns:pres-rules'],
    ]);
    expect([
      ...parseBindings('xmlns(ss=http%3A%2F%2Furi.etsi.org%2Fngn%2Fparams%2Fxml%2Fsimservs%2Fxcap)'),
    ]).toEqual([['ss', 'http://uri.etsi.org/ngn/params/xml/simservs/xcap']]);
  });

  it.each([
    ['/other/resource-lists/users/sip:a@b/index', 404],
    ['/services/', 404],
    ['/services/resource-lists', 404],
    ['/services/resource-lists/user/sip:a@b/index', 404],
    ['/services/resource-lists/users', 404],
    ['/services/resource-lists/users/sip:a@b', 404],
    ['/services/resource-lists/users/sip:a@b/', 404],
    ['/services/resource-lists/users/sip:a@b/index.xml~~', 400],
    ['/services/resource-lists/users/sip:a@b/index/~~/', 400],
    ['/services/resource-lists/users/sip:a@b/index?garbage', 400],
    ['/services/resource-lists/users/sip:a%zz@b/index', 400],
  ])('%s -> %i', (path, status) => {
    let err: unknown;
    try {
      parseXcapUri(path, root);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(XcapError);
    expect((err as XcapError).status).toBe(status);
  });
});

describe('preconditions (RFC 9110 13.1, RFC 4825 7.11)', () => {
  const c = (h: Record<string, string>, cur: string | undefined, safe = false) =>
    checkPreconditions(h, cur, safe);
  it('If-Match: current, *, lists, bare values match; others and weak tags do not', () => {
    expect(c({ 'if-match': '"abc"' }, 'abc')).toEqual({ ok: true });
    expect(c({ 'if-match': 'abc' }, 'abc')).toEqual({ ok: true });
    expect(c({ 'if-match': '"x", "abc"' }, 'abc')).toEqual({ ok: true });
    expect(c({ 'if-match': '*' }, 'abc')).toEqual({ ok: true });
    expect(c({ 'if-match': '"other"' }, 'abc')).toEqual({ ok: false, status: 412 });
    expect(c({ 'if-match': 'W/"abc"' }, 'abc')).toEqual({ ok: false, status: 412 });
    expect(c({ 'if-match': '*' }, undefined)).toEqual({ ok: false, status: 412 });
    expect(c({ 'if-match': '12345asdf' }, undefined)).toEqual({ ok: false, status: 412 });
  });
  it('If-None-Match: 304 on GET, 412 on PUT; * means "exists"', () => {
    expect(c({ 'if-none-match': '"abc"' }, 'abc', true)).toEqual({ ok: false, status: 304 });
    expect(c({ 'if-none-match': '*' }, 'abc', true)).toEqual({ ok: false, status: 304 });
    expect(c({ 'if-none-match': '"other"' }, 'abc', true)).toEqual({ ok: true });
    expect(c({ 'if-none-match': '*' }, undefined)).toEqual({ ok: true });
    expect(c({ 'if-none-match': '*' }, 'abc')).toEqual({ ok: false, status: 412 });
    expect(c({ 'if-none-match': 'W/"abc"' }, 'abc')).toEqual({ ok: false, status: 412 });
  });
});

describe('asserted identity and XUI equivalence', () => {
  it('reads quoted, bracketed, bare and listed identities', () => {
    expect(parseAssertedIdentities('"sip:alice@home1.net"')).toEqual(['sip:alice@home1.net']);
    expect(parseAssertedIdentities('<sip:alice@home1.net>, "tel:+1555"')).toEqual([
      'sip:alice@home1.net',
      'tel:+1555',
    ]);
    expect(parseAssertedIdentities(['sip:a@b', 'sip:c@d'])).toEqual(['sip:a@b', 'sip:c@d']);
    expect(parseAssertedIdentities(undefined)).toEqual([]);
  });
  it('compares SIP URIs per RFC 3261 19.1.4 and tel URIs ignoring separators', () => {
    expect(sameIdentity('sip:alice@HOME1.net', 'SIP:alice@home1.net')).toBe(true);
    expect(sameIdentity('sip:Alice@home1.net', 'sip:alice@home1.net')).toBe(false);
    expect(sameIdentity('sip:%61lice@home1.net', 'sip:alice@home1.net')).toBe(true);
    expect(sameIdentity('sip:alice@home1.net;transport=tcp', 'sip:alice@home1.net')).toBe(false);
    expect(sameIdentity('sip:alice@home1.net;foo=bar', 'sip:alice@home1.net')).toBe(true);
    expect(sameIdentity('sips:alice@home1.net', 'sip:alice@home1.net')).toBe(false);
    expect(sameIdentity('tel:+1-212-555-1111', 'tel:+12125551111')).toBe(true);
    expect(sameIdentity('tel:+12125551111', 'sip:+12125551111@home1.net')).toBe(false);
  });
  it('trusts exact addresses only, IPv4-mapped included', () => {
    expect(isTrusted('127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(isTrusted('::ffff:127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(isTrusted('127.0.0.2', ['127.0.0.1'])).toBe(false);
    expect(isTrusted(undefined, ['127.0.0.1'])).toBe(false);
  });
});

describe('scan cache', () => {
  const scan = (n: number) => scanDocument(Buffer.from(`<a>${'x'.repeat(n)}</a>`));

  test('a hit needs the same document and ETag', () => {
    const c = new ScanCache(1000);
    const xml = scan(10);
    c.set('d', 'e1', xml);
    expect(c.get('d', 'e1')).toBe(xml);
    expect(c.get('d', 'e2')).toBeUndefined();
    expect(c.get('other', 'e1')).toBeUndefined();
    c.delete('d');
    expect(c.get('d', 'e1')).toBeUndefined();
  });

  test('bounded by the documents’ size, least recently used out first; too large is not kept', () => {
    const c = new ScanCache(100);
    c.set('a', '1', scan(33)); // 40 bytes each
    c.set('b', '1', scan(33));
    expect(c.get('a', '1')).toBeDefined(); // a is now the most recently used
    c.set('c', '1', scan(33)); // 120 > 100: b goes
    expect(c.get('b', '1')).toBeUndefined();
    expect(c.get('a', '1')).toBeDefined();
    expect(c.get('c', '1')).toBeDefined();
    c.set('big', '1', scan(200));
    expect(c.get('big', '1')).toBeUndefined();
    expect(c.get('a', '1')).toBeDefined();
  });
});
