/** The well-formedness scanner and the PIDF checks (what a PUBLISH body must pass), and composition. */
import { composePidf, parsePidf, scanXml, XmlError } from '../src';

const P = 'xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@home1.net"';

test.each([
  [
    'a declaration, comments, a PI, CDATA, references',
    `<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><?pi x?><presence ${P}><tuple id="a"><status><basic>open</basic></status><note>&lt;&amp;&#65;&#x42;<![CDATA[<raw>]]></note></tuple></presence>\n<!-- end -->`,
  ],
  [
    'single-quoted attributes and a BOM',
    `\uFEFF<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:a@home1.net'/>`,
  ],
  [
    'a prefixed root',
    '<p:presence xmlns:p="urn:ietf:params:xml:ns:pidf" entity="x"><p:tuple id="a"/></p:presence>',
  ],
])('accepted: %s', (_what, text) => {
  expect(parsePidf(text).entity).toBeDefined();
});

test.each([
  ['unclosed', `<presence ${P}>`, /ends inside/],
  ['crossed tags', `<presence ${P}><a><b></a></b></presence>`, /does not close/],
  ['two roots', `<presence ${P}/><presence ${P}/>`, /after the root/],
  ['text after the root', `<presence ${P}/>x`, /after the root/],
  ['an undefined entity', `<presence ${P}><note>&nbsp;</note></presence>`, /entity reference/],
  ['a bare ampersand', `<presence ${P}><note>a & b</note></presence>`, /entity reference/],
  ['a NUL character reference', `<presence ${P}><note>&#0;</note></presence>`, /non-XML character/],
  ['a control character', `<presence ${P}><note>\u0001</note></presence>`, /does not allow/],
  ['an unquoted attribute', '<presence entity=x/>', /not quoted/],
  ['a repeated attribute', `<presence ${P} entity="y"/>`, /repeated/],
  [
    'the same attribute through two prefixes',
    `<presence ${P} xmlns:a="u" xmlns:b="u" a:x="1" b:x="2"/>`,
    /repeated/,
  ],
  ['an undeclared prefix', `<presence ${P}><x:y/></presence>`, /not declared/],
  ['a bad name', `<presence ${P}><1a/></presence>`, /well-formed name/],
  ['"<" in an attribute', '<presence entity="<"/>', /"<"/],
  ['a DOCTYPE', `<!DOCTYPE x><presence ${P}/>`, /DOCTYPE/],
  ['a late XML declaration', `<!-- x --><?xml version="1.0"?><presence ${P}/>`, /not at the start/],
  ['"--" in a comment', `<presence ${P}><!-- a -- b --></presence>`, /--/],
  ['no whitespace between attributes', '<presence a="1"b="2"/>', /whitespace/],
  ['deep nesting', `<presence ${P}>${'<a>'.repeat(100)}${'</a>'.repeat(100)}</presence>`, /levels/],
  ['empty', '', /no root/],
])('not well formed: %s', (_what, text, reason) => {
  expect(() => scanXml(text)).toThrow(XmlError);
  expect(() => scanXml(text)).toThrow(reason);
});

test.each([
  [
    'another root',
    '<foo xmlns="urn:ietf:params:xml:ns:pidf"/>',
    /not \{urn:ietf:params:xml:ns:pidf\}presence/,
  ],
  ['the pidf root in no namespace', '<presence entity="x"/>', /root element/],
  ['no entity', '<presence xmlns="urn:ietf:params:xml:ns:pidf"/>', /entity/],
  ['a tuple without id', `<presence ${P}><tuple/></presence>`, /without an id/],
  ['a repeated id', `<presence ${P}><tuple id="a"/><tuple id="a"/></presence>`, /repeated/],
])('not PIDF: %s', (_what, text, reason) => {
  expect(() => parsePidf(text)).toThrow(reason);
});

test('composition: schema order, duplicate ids dropped, identical notes once, the entity escaped', () => {
  const newer = parsePidf(
    `<presence ${P}><note>n</note><tuple id="a"><status/></tuple><x xmlns="urn:ext" id="e"/></presence>`,
  );
  const older = parsePidf(
    `<presence ${P}><tuple id="a"/><tuple id="b"/><note>n</note><x xmlns="urn:ext" id="e"/></presence>`,
  );
  const out = composePidf('sip:a&b@home1.net', [newer, older]);
  const doc = parsePidf(out);
  expect(doc.entity).toBe('sip:a&amp;b@home1.net');
  expect(doc.children.map((c) => [c.local, c.attrs.get('id')])).toEqual([
    ['tuple', 'a'],
    ['tuple', 'b'],
    ['note', undefined],
    ['x', 'e'],
  ]);
  expect(doc.children[0]!.text).toContain('<status/>');
});
