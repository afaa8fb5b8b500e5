import type { SelectorContext } from '../src/types';
import { B, RL, X, ctx, rl, xcapError } from './engine-support';
import { deleteNode, getNode, putDocument, putNode } from '../src/engine';

const app = ctx('test-app');

function put(doc: string, sel: string, body: string | Buffer, c: SelectorContext) {
  const r = putNode(X(doc), sel, typeof body === 'string' ? B(body) : body, c);
  return { doc: r.xml.bytes.toString('utf8'), created: r.created };
}

function conflict(f: () => unknown): string | undefined {
  const e = xcapError(f);
  expect(e.status).toBe(409);
  return e.detail.condition;
}

// the OpenXCAP test_element_put.py document
const START = `<?xml version='1.0' encoding='UTF-8'?>
<root xmlns="test-app">
<el1 att="first"/>
<el1 att="second"/>
<!-- comment -->
<el2 att="first"/>
</root>`;

describe('element insertion (checks 25, 26, 29)', () => {
  const third = `<?xml version='1.0' encoding='UTF-8'?>
<root xmlns="test-app">
<el1 att="first"/>
<el1 att="second"/><el1 att="third"/>
<!-- comment -->
<el2 att="first"/>
</root>`;

  test.each(['root/el1[@att="third"]', '/root/el1[3][@att="third"]', 'root/*[3][@att="third"]'])(
    '%s goes right after the last el1; DELETE restores the bytes',
    (sel) => {
      const r = put(START, sel, '<el1 att="third"/>', app);
      expect(r).toEqual({ doc: third, created: true });
      expect(deleteNode(X(r.doc), sel, app).bytes.toString('utf8')).toBe(START);
    },
  );

  test('no sibling of that name: before the parent end tag', () => {
    const r = put(START, 'root/el3', '<el3 att="first"/>', app);
    expect(r.doc).toBe(`<?xml version='1.0' encoding='UTF-8'?>
<root xmlns="test-app">
<el1 att="first"/>
<el1 att="second"/>
<!-- comment -->
<el2 att="first"/>
<el3 att="first"/></root>`);
    expect(r.created).toBe(true);
    expect(deleteNode(X(r.doc), 'root/el3', app).bytes.toString('utf8')).toBe(START);
  });

  test.each(['root/el2[@att="2"]', 'root/el2[2][@att="2"]'])('%s goes after the last el2', (sel) => {
    const r = put(START, sel, '<el2 att="2"/>', app);
    expect(r.doc).toBe(`<?xml version='1.0' encoding='UTF-8'?>
<root xmlns="test-app">
<el1 att="first"/>
<el1 att="second"/>
<!-- comment -->
<el2 att="first"/><el2 att="2"/>
</root>`);
    expect(deleteNode(X(r.doc), sel, app).bytes.toString('utf8')).toBe(START);
  });

  test('*[2][@att="2"] becomes the second element child', () => {
    const r = put(START, 'root/*[2][@att="2"]', '<el2 att="2"/>', app);
    expect(r.doc).toBe(`<?xml version='1.0' encoding='UTF-8'?>
<root xmlns="test-app">
<el1 att="first"/><el2 att="2"/>
<el1 att="second"/>
<!-- comment -->
<el2 att="first"/>
</root>`);
    expect(deleteNode(X(r.doc), 'root/*[2][@att="2"]', app).bytes.toString('utf8')).toBe(START);
  });

  test('el2[1][@att="2"] goes in front of the first el2', () => {
    const r = put(START, 'root/el2[1][@att="2"]', '<el2 att="2"/>', app);
    expect(r.doc).toBe(`<?xml version='1.0' encoding='UTF-8'?>
<root xmlns="test-app">
<el1 att="first"/>
<el1 att="second"/>
<!-- comment -->
<el2 att="2"/><el2 att="first"/>
</root>`);
    expect(deleteNode(X(r.doc), 'root/el2[1][@att="2"]', app).bytes.toString('utf8')).toBe(START);
  });

  test('*[@att="2"] takes the name from the body (check 29)', () => {
    expect(put(START, 'root/*[@att="2"]', '<el1 att="2"/>', app).doc)
      .toBe(`<?xml version='1.0' encoding='UTF-8'?>
<root xmlns="test-app">
<el1 att="first"/>
<el1 att="second"/><el1 att="2"/>
<!-- comment -->
<el2 att="first"/>
</root>`);
    expect(put(START, 'root/*[@att="2"]', '<el2 att="2"/>', app).doc)
      .toBe(`<?xml version='1.0' encoding='UTF-8'?>
<root xmlns="test-app">
<el1 att="first"/>
<el1 att="second"/>
<!-- comment -->
<el2 att="first"/><el2 att="2"/>
</root>`);
    const r = put(START, 'root/*[@att="2"]', '<el3 att="2"/>', app);
    expect(r.doc).toBe(`<?xml version='1.0' encoding='UTF-8'?>
<root xmlns="test-app">
<el1 att="first"/>
<el1 att="second"/>
<!-- comment -->
<el2 att="first"/>
<el3 att="2"/></root>`);
    expect(deleteNode(X(r.doc), 'root/*[@att="2"]', app).bytes.toString('utf8')).toBe(START);
  });

  test('surrounding whitespace of the body is not inserted', () => {
    expect(put(START, 'root/el3', '\n  <el3/>\r\n', app).doc).toContain('<el2 att="first"/>\n<el3/></root>');
  });
});

describe('out-of-range positions (check 27)', () => {
  test.each(['root/el1[4][@att="third"]', 'root/*[0][@att="third"]', 'root/*[5]', 'root/el1[0]'])(
    '%s is 409 cannot-insert',
    (sel) => {
      expect(conflict(() => putNode(X(START), sel, B('<el1 att="third"/>'), app))).toBe('cannot-insert');
    },
  );
});

describe('GET-after-PUT (check 28)', () => {
  test.each(['root/el1[@att="third"]', 'root/el1[3][@att="third"]', 'root/*[3][@att="third"]'])(
    '%s with a body the URI would not select is cannot-insert',
    (sel) => {
      expect(conflict(() => putNode(X(START), sel, B('<el1 att="fourth"/>'), app))).toBe('cannot-insert');
    },
  );

  test('a body of another name', () => {
    expect(conflict(() => putNode(X(START), 'root/el1[@att="x"]', B('<el2 att="x"/>'), app))).toBe(
      'cannot-insert',
    );
    expect(conflict(() => putNode(X(START), 'root/el3', B('<el4/>'), app))).toBe('cannot-insert');
    // right name, other namespace
    expect(conflict(() => putNode(X(START), 'root/el3', B('<el3 xmlns="urn:x"/>'), app))).toBe(
      'cannot-insert',
    );
  });

  test.each(['root/el1[@att="first"]', 'root/el1[1][@att="first"]', 'root/*[1][@att="first"]'])(
    'replacing %s with an element that no longer has att="first" is refused',
    (sel) => {
      expect(conflict(() => putNode(X(START), sel, B('<el1 att="third"/>'), app))).toBe('cannot-insert');
    },
  );

  test.each(['root/el1[1]', 'root/*[1]'])(
    'compatible replacement of %s: 200, nothing else changes',
    (sel) => {
      expect(put(START, sel, '<el1 att="third"/>', app)).toEqual({
        doc: `<?xml version='1.0' encoding='UTF-8'?>
<root xmlns="test-app">
<el1 att="third"/>
<el1 att="second"/>
<!-- comment -->
<el2 att="first"/>
</root>`,
        created: false,
      });
    },
  );

  test('an ambiguous by-name selector cannot create a second match', () => {
    expect(conflict(() => putNode(X(START), 'root/el1', B('<el1/>'), app))).toBe('cannot-insert');
  });

  test('the document element: replaced if it matches, never a second one', () => {
    expect(
      put('<root xmlns="test-app"><a/></root>', 'root', '<root xmlns="test-app"><b/></root>', app),
    ).toEqual({
      doc: '<root xmlns="test-app"><b/></root>',
      created: false,
    });
    expect(conflict(() => putNode(X(START), 'other', B('<other xmlns="test-app"/>'), app))).toBe(
      'cannot-insert',
    );
  });
});

describe('fragments (checks 22, 30)', () => {
  const OX_FRAG_DOC = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
<list xmlns:gm="http://www.yyyyy.org">
<entry uri="sip:xxx@yyyyy.net">
<gm:group>Foo</gm:group>
</entry>
</list>
</resource-lists>`;
  const node = 'resource-lists/list/entry[@uri="sip:xxx@yyyyy.net"]';
  const fragment = `<entry uri="sip:xxx@yyyyy.net">
   <gm:group>Test</gm:group>
</entry>`;

  test('a prefix declared only on a stored ancestor is accepted and read back verbatim', () => {
    const r = put(OX_FRAG_DOC, node, fragment, rl);
    expect(r).toEqual({
      doc: `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
<list xmlns:gm="http://www.yyyyy.org">
${fragment}
</list>
</resource-lists>`,
      created: false,
    });
    const got = getNode(X(r.doc), node, rl);
    expect(got.kind === 'element' && got.bytes.toString('utf8')).toBe(fragment);
  });

  test.each([
    ['<tag></bag>', 'mismatched tag'],
    ['<ta g></ta g>', "'=' expected"],
    ['<tag1/><tag2/>', 'junk after the element'],
    ['<tag\\></tag\\>', 'whitespace required'],
    ['plain text', 'the body must be one element'],
    ['', 'no element'],
    ['<!-- c --><entry uri="sip:xxx@yyyyy.net"/>', 'the body must be one element'],
    ['<entry uri="sip:xxx@yyyyy.net"/>text', 'junk after the element'],
    ['<entry uri="sip:xxx@yyyyy.net">\n<display-name>Alice</display-name>\n', 'is not closed'],
    ['<entry uri="sip:xxx@yyyyy.net"><zz:group/></entry>', 'undeclared namespace prefix zz'],
    ['<!DOCTYPE entry><entry/>', 'the body must be one element'],
  ])('%j is not-xml-frag (%s)', (body, phrase) => {
    const e = xcapError(() => putNode(X(OX_FRAG_DOC), node, B(body), rl));
    expect(e.status).toBe(409);
    expect(e.detail.condition).toBe('not-xml-frag');
    expect(e.detail.phrase).toContain(phrase);
  });

  test('the OpenXCAP unbalanced fragment', () => {
    const broken = `<entry uri="sip:alice@example.com">
        <display-name>Alice</display-name>
      `;
    expect(conflict(() => putNode(X(OX_FRAG_DOC), 'resource-lists/list', B(broken), rl))).toBe(
      'not-xml-frag',
    );
  });

  test('invalid UTF-8 or UTF-16 in an element body is not-utf-8 (check 7)', () => {
    const bad = Buffer.concat([B('<entry uri="sip:'), Buffer.from([0xc3, 0x28]), B('@x"/>')]);
    expect(conflict(() => putNode(X(OX_FRAG_DOC), node, bad, rl))).toBe('not-utf-8');
    const utf16 = Buffer.from('\ufeff<entry uri="sip:xxx@yyyyy.net"/>', 'utf16le');
    expect(conflict(() => putNode(X(OX_FRAG_DOC), node, utf16, rl))).toBe('not-utf-8');
  });

  test('a leading XML declaration is tolerated and not inserted', () => {
    const r = put(
      OX_FRAG_DOC,
      node,
      `<?xml version="1.0" encoding="UTF-8"?>\n<entry uri="sip:xxx@yyyyy.net"/>`,
      rl,
    );
    expect(r.doc).toContain(
      '<list xmlns:gm="http://www.yyyyy.org">\n<entry uri="sip:xxx@yyyyy.net"/>\n</list>',
    );
  });
});

describe('no-parent (check 23)', () => {
  const doc = `<resource-lists xmlns="${RL}"><list name="friends"><entry uri="sip:a@x"/></list></resource-lists>`;

  test('the closest existing ancestor is reported as a node selector', () => {
    const e = xcapError(() =>
      putNode(X(doc), 'resource-lists/list[@name="others"]/entry[2]', B('<entry/>'), rl),
    );
    expect(e.detail.condition).toBe('no-parent');
    expect(e.detail.ancestorSelector).toBe('resource-lists');
    const deep = xcapError(() =>
      putNode(
        X(doc),
        '/resource-lists/list[@name="friends"]/entry[9]/display-name',
        B('<display-name/>'),
        rl,
      ),
    );
    expect(deep.detail.ancestorSelector).toBe('resource-lists/list[@name="friends"]');
  });

  test('not even the document element: the document is the ancestor', () => {
    const e = xcapError(() => putNode(X(doc), 'other/list', B('<list/>'), rl));
    expect(e.detail).toMatchObject({ condition: 'no-parent', ancestorSelector: '' });
  });

  test('an attribute of a missing element', () => {
    const e = xcapError(() => putNode(X(doc), 'resource-lists/list[@name="x"]/@name', B('y'), rl));
    expect(e.detail).toMatchObject({ condition: 'no-parent', ancestorSelector: 'resource-lists' });
  });

  test('no-parent comes before the body checks', () => {
    const e = xcapError(() => putNode(X(doc), 'resource-lists/list[@name="others"]/entry', B('<bad'), rl));
    expect(e.detail.condition).toBe('no-parent');
  });
});

describe('empty parents (check 31)', () => {
  test('*[@name="friends"]/entry[1] into an empty list', () => {
    const doc = `<resource-lists xmlns="${RL}">\n  <list name="friends"/>\n</resource-lists>`;
    expect(
      put(doc, 'resource-lists/*[@name="friends"]/entry[1]', '<entry uri="sip:a@example.com"/>', rl),
    ).toEqual({
      doc: `<resource-lists xmlns="${RL}">\n  <list name="friends"><entry uri="sip:a@example.com"/></list>\n</resource-lists>`,
      created: true,
    });
    const spaced = `<resource-lists xmlns="${RL}"><list name="friends" /></resource-lists>`;
    expect(put(spaced, 'resource-lists/list/entry', '<entry/>', rl).doc).toBe(
      `<resource-lists xmlns="${RL}"><list name="friends" ><entry/></list></resource-lists>`,
    );
    const open = `<resource-lists xmlns="${RL}"><list name="friends">\n</list></resource-lists>`;
    expect(put(open, 'resource-lists/list/entry', '<entry/>', rl).doc).toBe(
      `<resource-lists xmlns="${RL}"><list name="friends">\n<entry/></list></resource-lists>`,
    );
  });
});

describe('attribute PUT (checks 34, 35, 36)', () => {
  const OX_ATT = `<resource-lists xmlns="${RL}">
     <list name="friends">
      <entry uri="sip:joe@example.com"/>
     </list>
   </resource-lists>`;

  test('new attribute 201, replacement 200, other bytes untouched', () => {
    const doc = `<?xml version="1.0" encoding="UTF-8"?><resource-lists xmlns="${RL}"><list/></resource-lists>`;
    const created = put(doc, 'resource-lists/list/@name', 'enemies', rl);
    expect(created).toEqual({
      doc: `<?xml version="1.0" encoding="UTF-8"?><resource-lists xmlns="${RL}"><list name="enemies"/></resource-lists>`,
      created: true,
    });
    expect(put(created.doc, 'resource-lists/list/@name', 'friends', rl)).toEqual({
      doc: `<?xml version="1.0" encoding="UTF-8"?><resource-lists xmlns="${RL}"><list name="friends"/></resource-lists>`,
      created: false,
    });
  });

  test('added after the last attribute of a multi-line start tag; quotes kept on replace', () => {
    const doc = `<resource-lists xmlns="${RL}"><list name='a'\n      xmlns:x="urn:x"\n/></resource-lists>`;
    expect(put(doc, 'resource-lists/list/@name', 'b&amp;c', rl).doc).toBe(
      `<resource-lists xmlns="${RL}"><list name='b&amp;c'\n      xmlns:x="urn:x"\n/></resource-lists>`,
    );
    expect(put(doc, 'resource-lists/list/@id', '7', rl).doc).toBe(
      `<resource-lists xmlns="${RL}"><list name='a'\n      xmlns:x="urn:x" id="7"\n/></resource-lists>`,
    );
    const got = getNode(
      X(put(doc, 'resource-lists/list/@name', 'b&amp;c', rl).doc),
      'resource-lists/list/@name',
      rl,
    );
    expect(got).toEqual({ kind: 'attribute', value: 'b&c' });
  });

  test('a namespaced attribute uses the prefix in scope, or declares one', () => {
    const doc = `<resource-lists xmlns="${RL}" xmlns:e="urn:x"><list/></resource-lists>`;
    const c = ctx(RL, { x: 'urn:x', y: 'urn:y' });
    expect(put(doc, 'resource-lists/list/@x:tag', 'v', c).doc).toBe(
      `<resource-lists xmlns="${RL}" xmlns:e="urn:x"><list e:tag="v"/></resource-lists>`,
    );
    expect(put(doc, 'resource-lists/list/@y:tag', 'v', c).doc).toBe(
      `<resource-lists xmlns="${RL}" xmlns:e="urn:x"><list y:tag="v" xmlns:y="urn:y"/></resource-lists>`,
    );
  });

  test('@some-attribute is created by the engine (the schema refusal of check 34 is the usage validator)', () => {
    expect(put(OX_ATT, 'resource-lists/list[@name="friends"]/@some-attribute', 'coworkers', rl).created).toBe(
      true,
    );
  });

  test('@name = "enemies" under list[@name="friends"]: the URI would no longer select it (check 34)', () => {
    expect(
      conflict(() => putNode(X(OX_ATT), 'resource-lists/list[@name="friends"]/@name', B('enemies'), rl)),
    ).toBe('cannot-insert');
    // the same value is fine
    expect(put(OX_ATT, 'resource-lists/list[@name="friends"]/@name', 'friends', rl)).toEqual({
      doc: OX_ATT,
      created: false,
    });
  });

  test.each(['<badattvalue', "'badattvalue", '"badattvalue', 'a&b', 'a&unknown;b', 'a&#0;b'])(
    '%j is not-xml-att-value (check 35)',
    (body) => {
      expect(conflict(() => putNode(X(OX_ATT), 'resource-lists/list/@name', B(body), rl))).toBe(
        'not-xml-att-value',
      );
    },
  );

  test('invalid UTF-8 in an attribute body is not-utf-8', () => {
    expect(
      conflict(() => putNode(X(OX_ATT), 'resource-lists/list/@name', Buffer.from([0x61, 0xff]), rl)),
    ).toBe('not-utf-8');
  });

  test('xmlns is not an attribute', () => {
    expect(conflict(() => putNode(X(OX_ATT), 'resource-lists/list/@xmlns', B('urn:x'), rl))).toBe(
      'cannot-insert',
    );
  });
});

describe('namespace bindings are read-only (check 37)', () => {
  test('PUT and DELETE are 405 with Allow: GET', () => {
    const doc = `<resource-lists xmlns="${RL}"><list/></resource-lists>`;
    for (const f of [
      () => putNode(X(doc), 'resource-lists/list/namespace::*', B('<list/>'), rl),
      () => deleteNode(X(doc), 'resource-lists/list/namespace::*', rl),
    ]) {
      const e = xcapError(f);
      expect(e.status).toBe(405);
      expect(e.detail.allow).toEqual(['GET']);
    }
  });
});

describe('simservs element PUTs as phones send them', () => {
  const SS = 'http://uri.etsi.org/ngn/params/xml/simservs/xcap';
  const ss = ctx(SS, {}, true);
  const doc = `<?xml version="1.0" encoding="UTF-8"?>
<simservs xmlns="${SS}" xmlns:cp="urn:ietf:params:xml:ns:common-policy">
  <communication-diversion active="true">
    <cp:ruleset>
      <cp:rule id="call-diversion-unconditional">
        <cp:conditions><rule-deactivated/></cp:conditions>
      </cp:rule>
    </cp:ruleset>
  </communication-diversion>
</simservs>`;
  const rule = 'simservs/communication-diversion/ruleset/rule%5B@id=%22call-diversion-unconditional%22%5D';

  test('conditions replaced with an undeclared cp: prefix', () => {
    const r = put(doc, `${rule}/conditions`, '<cp:conditions>\n        </cp:conditions>', ss);
    expect(r).toEqual({
      doc: doc.replace(
        '<cp:conditions><rule-deactivated/></cp:conditions>',
        '<cp:conditions>\n        </cp:conditions>',
      ),
      created: false,
    });
  });

  test('a new rule goes after the last cp:rule', () => {
    const body = '<cp:rule id="call-diversion-busy"><cp:conditions><busy/></cp:conditions></cp:rule>';
    const r = put(doc, 'simservs/communication-diversion/ruleset/rule[@id="call-diversion-busy"]', body, ss);
    expect(r.created).toBe(true);
    expect(r.doc).toBe(doc.replace('      </cp:rule>\n', `      </cp:rule>${body}\n`));
  });

  test('a whole service into simservs', () => {
    const r = put(doc, 'simservs/communication-waiting', '<communication-waiting active="true"/>', ss);
    expect(r.doc).toBe(
      doc.replace(
        '</communication-diversion>\n',
        '</communication-diversion>\n<communication-waiting active="true"/>',
      ),
    );
  });
});

describe('putDocument (checks 4, 7)', () => {
  test('returns the body unchanged', () => {
    const body = B(START);
    expect(putDocument(body).bytes).toBe(body);
  });

  test.each(['xxx', '<a></b>', '<a>', '<a/><b/>', '', '<?xml version="1.0"?>'])(
    '%j is not-well-formed',
    (body) => {
      expect(conflict(() => putDocument(B(body)))).toBe('not-well-formed');
    },
  );

  test('UTF-16 declared, UTF-16 byte order marks, invalid UTF-8: not-utf-8', () => {
    const doc = `<resource-lists xmlns="${RL}"/>`;
    expect(conflict(() => putDocument(B(`<?xml version="1.0" encoding="UTF-16"?>${doc}`)))).toBe('not-utf-8');
    expect(conflict(() => putDocument(B(`<?xml version='1.0' encoding='ISO-8859-1'?>${doc}`)))).toBe(
      'not-utf-8',
    );
    expect(conflict(() => putDocument(Buffer.from(`\ufeff${doc}`, 'utf16le')))).toBe('not-utf-8');
    expect(conflict(() => putDocument(Buffer.from(`\ufeff${doc}`, 'utf16le').swap16()))).toBe('not-utf-8');
    expect(conflict(() => putDocument(Buffer.from(doc, 'utf16le')))).toBe('not-utf-8');
    expect(conflict(() => putDocument(Buffer.concat([B(doc), Buffer.from([0xff, 0xfe])])))).toBe('not-utf-8');
    expect(conflict(() => putDocument(Buffer.concat([B('<a>'), Buffer.from([0xe2, 0x82]), B('</a>')])))).toBe(
      'not-utf-8',
    );
  });

  test('a UTF-8 byte order mark and an explicit utf-8 declaration are fine', () => {
    expect(() => putDocument(B(`\ufeff<?xml version="1.0" encoding="utf-8"?><a/>`))).not.toThrow();
  });
});
