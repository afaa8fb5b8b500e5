import { XcapError } from '../src/errors';
import type { SelectorContext } from '../src/types';
import { XML_NS, parseSelector, scanDocument, scanFragment, type XmlElement } from '../src/engine';

const B = (s: string) => Buffer.from(s, 'utf8');

function xcapError(f: () => unknown): XcapError {
  try {
    f();
  } catch (e) {
    if (e instanceof XcapError) return e;
    throw e;
  }
  throw new Error('no XcapError thrown');
}

function wellFormedError(doc: string | Buffer): string {
  const e = xcapError(() => scanDocument(typeof doc === 'string' ? B(doc) : doc));
  expect(e.status).toBe(409);
  expect(e.detail.condition).toBe('not-well-formed');
  return e.detail.phrase ?? '';
}

describe('scanDocument: the tree and its offsets', () => {
  const doc = `<?xml version="1.0"?>\n<!-- c --><?pi data?>\n<r xmlns="urn:r" xmlns:p="urn:p">\n  <p:a  k = 'v&amp;w' p:k="2"/><b>t<![CDATA[<not markup>]]>é<c/></b>\n</r>\n<!-- after -->\n`;
  const x = scanDocument(B(doc));
  const slice = (s: number, e: number) => B(doc).subarray(s, e).toString('utf8');

  test('names, namespaces, children', () => {
    const r = x.root;
    expect([r.qname, r.nsUri, r.children.map((c) => c.qname)]).toEqual(['r', 'urn:r', ['p:a', 'b']]);
    const a = r.children[0] as XmlElement;
    expect([a.prefix, a.local, a.nsUri, a.selfClosing]).toEqual(['p', 'a', 'urn:p', true]);
    expect([...a.namespaces]).toEqual([
      ['', 'urn:r'],
      ['p', 'urn:p'],
    ]);
    expect(r.nsDecls.map((d) => d.qname)).toEqual(['xmlns', 'xmlns:p']);
    const b = r.children[1] as XmlElement;
    expect(b.children.map((c) => c.qname)).toEqual(['c']);
  });

  test('attributes: decoded values, namespaces, offsets', () => {
    const a = x.root.children[0] as XmlElement;
    expect(a.attributes.map((t) => [t.qname, t.nsUri, t.value, t.quote])).toEqual([
      ['k', null, 'v&w', "'"],
      ['p:k', 'urn:p', '2', '"'],
    ]);
    const k = a.attributes[0]!;
    expect(slice(k.start, k.end)).toBe(`k = 'v&amp;w'`);
    expect(slice(k.valueStart, k.valueEnd)).toBe('v&amp;w');
    expect(slice(a.start, a.end)).toBe(`<p:a  k = 'v&amp;w' p:k="2"/>`);
    expect(a.startTagEnd).toBe(a.end);
    expect(slice(a.start, a.nameEnd)).toBe('<p:a');
    expect(slice(a.start, a.attrsEnd)).toBe(`<p:a  k = 'v&amp;w' p:k="2"`);
  });

  test('byte offsets count UTF-8 bytes', () => {
    const b = x.root.children[1] as XmlElement;
    expect(slice(b.start, b.end)).toBe('<b>t<![CDATA[<not markup>]]>é<c/></b>');
    expect(slice(b.contentEnd, b.end)).toBe('</b>');
    const c = b.children[0] as XmlElement;
    expect(slice(c.start, c.end)).toBe('<c/>');
    expect(B(doc).subarray(x.root.end).toString('utf8')).toBe('\n<!-- after -->\n');
  });

  test('xml: prefix is implicit; non-ASCII names', () => {
    const d = scanDocument(B('<r xml:lang="de"><ä:ö xmlns:ä="urn:ä"/></r>'));
    expect(d.root.attributes[0]?.nsUri).toBe(XML_NS);
    expect(d.root.children[0]?.local).toBe('ö');
    // a combining mark may follow the first character of a name
    expect(scanDocument(B('<e\u0301·/>')).root.local).toBe('e\u0301·');
  });
});

describe('scanDocument: well-formedness', () => {
  test.each([
    ['<a><b></a></b>', 'mismatched tag'],
    ['<a>', 'is not closed'],
    ['<a/><b/>', 'junk after the document element'],
    ['text<a/>', 'text before the document element'],
    ['<a/>text', 'junk after the document element'],
    ['<a x="1" x="2"/>', 'duplicate attribute x'],
    ['<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>', 'given twice'],
    ['<a x="1"y="2"/>', 'whitespace required'],
    ['<a x=1/>', 'must be quoted'],
    ['<a x="<"/>', "'<' in an attribute value"],
    ['<a x="&"/>', "'&' not starting"],
    ['<a>&nbsp;</a>', 'undefined entity &nbsp;'],
    ['<a>&#0;</a>', 'invalid character reference'],
    ['<a>&#xD800;</a>', 'invalid character reference'],
    ['<a>x]]>y</a>', "']]>' in character data"],
    ['<p:a/>', 'undeclared namespace prefix p'],
    ['<a p:x="1"/>', 'undeclared namespace prefix p'],
    ['<a xmlns:p=""/>', 'empty namespace name'],
    ['<a xmlns:xmlns="u"/>', 'cannot be declared'],
    ['<a xmlns:xml="u"/>', 'cannot be bound'],
    ['<a:b:c xmlns:a="u"/>', 'invalid element name'],
    ['<1a/>', 'invalid element name'],
    ['<a\u00a0b/>', 'invalid element name'],
    ['<a \u0301x="1"/>', 'invalid attribute name'],
    ['<a><!-- x -- y --></a>', "'--' inside a comment"],
    ['<a><!-- x </a>', 'unterminated comment'],
    ['<a><![CDATA[x</a>', 'unterminated CDATA'],
    ['<a><?xml version="1.0"?></a>', 'XML declaration not at the start'],
    [' <?xml version="1.0"?><a/>', 'XML declaration not at the start'],
    ['<?xml version="2"?><a/>', 'malformed XML declaration'],
    ['<a>\u0001</a>', 'character U+0001'],
    ['<a>\uffff</a>', 'U+FFFE or U+FFFF'],
    ['<a', 'unterminated start tag'],
    ['<a></a >x', 'junk after the document element'],
    ['<a></a b>', "'>' expected in end tag"],
  ])('%j: %s', (doc, phrase) => {
    expect(wellFormedError(doc)).toContain(phrase);
  });

  test('end tags may carry whitespace; empty-element tags too', () => {
    expect(() => scanDocument(B('<a ></a\n><!-- end -->'))).not.toThrow();
    expect(() => scanDocument(B('<a\n/>'))).not.toThrow();
  });
});

describe('DTDs are refused', () => {
  test.each([
    '<!DOCTYPE a><a/>',
    '<?xml version="1.0"?>\n<!DOCTYPE a SYSTEM "http://example.com/x.dtd"><a/>',
    '<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>',
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
    '<a><!ENTITY x "y"></a>',
    '<a><!DOCTYPE a></a>',
  ])('%j', (doc) => {
    expect(wellFormedError(doc)).toContain('DTDs are not allowed');
  });
});

describe('limits', () => {
  test('nesting depth', () => {
    const deep = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    expect(() => scanDocument(B(deep(256)))).not.toThrow();
    expect(wellFormedError(deep(257))).toContain('nested deeper than 256');
    expect(() => scanDocument(B(deep(10)), { maxDepth: 9 })).toThrow(XcapError);
    // the recursion stays bounded far below the stack limit even for a hostile body
    expect(wellFormedError(B('<a>'.repeat(200000)))).toContain('nested deeper than 256');
  });

  test('attributes per element', () => {
    const attrs = (n: number) => `<a ${Array.from({ length: n }, (_, k) => `a${k}="v"`).join(' ')}/>`;
    expect(() => scanDocument(B(attrs(256)))).not.toThrow();
    expect(wellFormedError(attrs(257))).toContain('more than 256 attributes');
  });
});

describe('scanFragment', () => {
  const scope = new Map([
    ['', 'urn:r'],
    ['gm', 'urn:gm'],
  ]);

  test('prefixes resolve in the context plus the body declarations', () => {
    const f = scanFragment(B('  <entry><gm:group/><q:x xmlns:q="urn:q"/></entry>\n'), scope);
    expect(f.element.nsUri).toBe('urn:r');
    expect(f.element.children.map((c) => c.nsUri)).toEqual(['urn:gm', 'urn:q']);
    expect([f.element.start, f.element.end]).toEqual([2, 50]);
  });

  test('errors are not-xml-frag', () => {
    for (const body of ['<a><b></a>', '<a/><b/>', 'x', '<zz:a/>', '<a/><!-- c -->', '</a>']) {
      const e = xcapError(() => scanFragment(B(body), scope));
      expect(e.detail.condition).toBe('not-xml-frag');
    }
  });
});

describe('parseSelector', () => {
  const ctx: SelectorContext = { defaultNamespace: 'urn:d', bindings: new Map([['p', 'urn:p']]) };
  const bad = (s: string) => {
    const e = xcapError(() => parseSelector(s, ctx));
    expect(e.status).toBe(400);
    return e.message;
  };

  test('steps, predicates and terminals', () => {
    const s = parseSelector('/a/p:b[2]/*[3][@p:x="v &amp; &#x41;"]/c[@y=\'1\']/@z', ctx);
    expect(
      s.steps.map((t) => [
        t.name.any ? '*' : `{${t.name.nsUri}}${t.name.local}`,
        t.position,
        t.attr?.nsUri,
        t.attr?.value,
      ]),
    ).toEqual([
      ['{urn:d}a', undefined, undefined, undefined],
      ['{urn:p}b', 2, undefined, undefined],
      ['*', 3, 'urn:p', 'v & A'],
      ['{urn:d}c', undefined, null, '1'],
    ]);
    expect(s.steps.map((t) => t.source)).toEqual(['a', 'p:b[2]', '*[3][@p:x="v &amp; &#x41;"]', "c[@y='1']"]);
    expect(s.terminal).toMatchObject({ kind: 'attribute', local: 'z', nsUri: null });
    expect(parseSelector('a/namespace::*', ctx).terminal).toEqual({
      kind: 'namespaces',
      source: 'namespace::*',
    });
  });

  test('position 0 is grammatical (1*DIGIT) and selects nothing', () => {
    expect(parseSelector('a/b[0]', ctx).steps[1]?.position).toBe(0);
  });

  test('an empty default namespace means no namespace', () => {
    expect(parseSelector('a', { defaultNamespace: '', bindings: new Map() }).steps[0]?.name.nsUri).toBeNull();
  });

  test.each([
    ['', 'empty node selector'],
    ['/', 'empty node selector'],
    ['a//b', 'element name expected'],
    ['a/', 'empty step'],
    ['a/b[]', 'empty predicate'],
    ['a/b[', 'empty predicate'],
    ['a/b[1', "']' expected"],
    ['a/b]', "'/' expected"],
    ['a/b[@x]', "'=' expected"],
    ['a/b[@x=v]', 'quoted attribute value expected'],
    ['a/b[@x="v]', 'unterminated attribute value'],
    ['a/b[@x="a<b"]', "'<' in an attribute value"],
    ['a/b[@x="a&b"]', "'&' not starting"],
    ['a/b[@x="1"][2]', 'a position must be the first predicate'],
    ['a/b[1][2]', 'a position must be the first predicate'],
    ['a/b[@x="1"][@y="2"]', 'only one attribute test'],
    ['a/b[x]', 'position or @attribute test expected'],
    ['a/b[-1]', 'position or @attribute test expected'],
    ['a/@x/b', 'an attribute selector must be the last step'],
    ['a/namespace::*/b', 'namespace::* must be the last step'],
    ['@x', 'an element step must come first'],
    ['namespace::*', 'an element step must come first'],
    ['a/1b', 'invalid element name'],
    ['a/b:c:d', 'invalid element name'],
    ['a/q:b', 'prefix "q" is not bound'],
    ['a/b[@q:x="1"]', 'prefix "q" is not bound'],
    ['a/@q:x', 'prefix "q" is not bound'],
    ['a/text()', 'invalid element name'],
  ])('%j is 400 (%s)', (s, phrase) => {
    expect(bad(s)).toContain(phrase);
  });
});
