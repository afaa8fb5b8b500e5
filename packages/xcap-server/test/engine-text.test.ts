import { scanDocument, textContent } from '../src/engine';

const text = (
  xml: string,
  pick: (root: ReturnType<typeof scanDocument>['root']) => typeof root = (r) => r,
) => {
  const doc = scanDocument(Buffer.from(xml, 'utf8'));
  return textContent(doc, pick(doc.root));
};

describe('textContent (the string-value of an element)', () => {
  test('text of the element and its descendants, in document order', () => {
    expect(text('<a>one <b>two <c>three</c></b> four</a>')).toBe('one two three four');
  });

  test('references decoded, CDATA literal, comments and processing instructions left out', () => {
    expect(text('<a>x &amp; y &#x41;&#66;<!-- no --><?pi no?><![CDATA[<&amp;>]]>z</a>')).toBe(
      'x & y AB<&amp;>z',
    );
  });

  test('line ends normalised to LF, in text and in CDATA', () => {
    expect(text('<a>1\r\n2\r3<![CDATA[\r\n4]]></a>')).toBe('1\n2\n3\n4');
  });

  test('an empty-element tag and an element without text have none', () => {
    expect(text('<a/>')).toBe('');
    expect(text('<a><b/><c></c></a>')).toBe('');
  });

  test('of a child element only', () => {
    expect(text('<a>out<b> in &lt;b&gt; </b>out</a>', (r) => r.children[0]!)).toBe(' in <b> ');
  });
});
