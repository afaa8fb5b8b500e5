import type { SelectorContext } from '../src/types';
import { OX, RL, X, ctx, rl, xcapError } from './engine-support';
import { attributeBody, getNode } from '../src/engine';

function element(doc: string, sel: string, c: SelectorContext = rl): string {
  const r = getNode(X(doc), sel, c);
  if (r.kind !== 'element') throw new Error(`not an element: ${r.kind}`);
  return r.bytes.toString('utf8');
}

function attribute(doc: string, sel: string, c: SelectorContext = rl): string {
  const r = getNode(X(doc), sel, c);
  if (r.kind !== 'attribute') throw new Error(`not an attribute: ${r.kind}`);
  return r.value;
}

function namespaces(doc: string, sel: string, c: SelectorContext = rl): string {
  const r = getNode(X(doc), sel, c);
  if (r.kind !== 'namespaces') throw new Error(`not namespaces: ${r.kind}`);
  return r.bytes.toString('utf8');
}

const OX_LIST = `<list name="friends">
      <entry uri="sip:joe@example.com">
        <display-name>Joe Smith</display-name>
      </entry>
      <entry uri="sip:nancy@example.com">
        <display-name>Nancy Gross</display-name>
      </entry>
      <entry uri="sip:petri@example.com">
        <display-name>Petri Aukia</display-name>
      </entry>
      <external anchor="http://xcap.example.org/resource-lists/users/sip:a@example.org/index/~~/resource-lists/list%5b@name=%22mkting%22%5d"/>
     </list>`;

const OX_NANCY = `<entry uri="sip:nancy@example.com">
        <display-name>Nancy Gross</display-name>
      </entry>`;

// comments, single quotes, references, a multi-line start tag, a second namespace
const RICH = `<?xml version='1.0' encoding='UTF-8'?>
<!-- buddies of alice -->
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"
                xmlns:x="urn:example:ext">
  <list name='friends &amp; family'>
    <!-- the first entry -->
    <entry uri="sip:bob@example.com"
           x:tag="a&lt;b" x:note="line one
   line two"><display-name>Bob &amp; Co</display-name></entry>
    <entry uri='sip:carol@example.com'/>
  </list>
  <list name="work"><entry uri="sip:dave@example.com"/></list>
</resource-lists>
`;

const RICH_BOB = `<entry uri="sip:bob@example.com"
           x:tag="a&lt;b" x:note="line one
   line two"><display-name>Bob &amp; Co</display-name></entry>`;

describe('GET of elements (check 19)', () => {
  test('by attribute: exactly the stored text', () => {
    expect(element(OX, 'resource-lists/list[@name="friends"]')).toBe(OX_LIST);
    expect(element(OX, '/resource-lists/list[@name="friends"]')).toBe(OX_LIST);
  });

  test('by position and by * position', () => {
    expect(element(OX, 'resource-lists/list[@name="friends"]/entry[2]')).toBe(OX_NANCY);
    expect(element(OX, 'resource-lists/list[@name="friends"]/*[2]')).toBe(OX_NANCY);
    expect(element(OX, 'resource-lists/list/entry[2]/display-name')).toBe(
      '<display-name>Nancy Gross</display-name>',
    );
  });

  test('missing nodes are 404', () => {
    for (const sel of [
      'resource-lists/list[@name="other"]',
      'resource-lists/list/entry[4]',
      'resource-lists/list/entry',
      'resource-lists/list/entry[0]',
      'other/list',
      'resource-lists/list[@name="friends"]/@some-attribute',
      'resource-lists/list[@name="other"]/@some-attribute',
    ]) {
      expect(xcapError(() => getNode(X(OX), sel, rl)).status).toBe(404);
    }
  });

  test('the position counts same-name siblings; the attribute test applies after it', () => {
    const doc = `<resource-lists xmlns="${RL}"><list><external anchor="x"/><entry uri="a"/><entry uri="b"/></list></resource-lists>`;
    expect(element(doc, 'resource-lists/list/entry[1]')).toBe('<entry uri="a"/>');
    expect(element(doc, 'resource-lists/list/*[2]')).toBe('<entry uri="a"/>');
    expect(element(doc, 'resource-lists/list/entry[2][@uri="b"]')).toBe('<entry uri="b"/>');
    // the first entry does not have uri="b": no match, although another entry has
    expect(xcapError(() => getNode(X(doc), 'resource-lists/list/entry[1][@uri="b"]', rl)).status).toBe(404);
  });

  test('no ancestor namespace declarations are added', () => {
    expect(element(RICH, 'resource-lists/list[@name="friends &amp; family"]/entry[1]')).toBe(RICH_BOB);
    expect(element(RICH, "resource-lists/list[@name='friends &amp; family']/entry[2]")).toBe(
      `<entry uri='sip:carol@example.com'/>`,
    );
  });

  test('percent-style quoting and brackets in predicates', () => {
    expect(element(RICH, 'resource-lists/list[@name=%22work%22]/entry')).toBe(
      '<entry uri="sip:dave@example.com"/>',
    );
    expect(element(RICH, 'resource-lists/list%5B@name=%22work%22%5D/entry%5b1%5d')).toBe(
      '<entry uri="sip:dave@example.com"/>',
    );
    // a %22 inside a '"'-quoted value is part of the value
    const pct = `<resource-lists xmlns="${RL}"><list name="a%22b"/></resource-lists>`;
    expect(element(pct, 'resource-lists/list[@name="a%22b"]')).toBe('<list name="a%22b"/>');
    // &quot; inside a value
    const doc = `<resource-lists xmlns="${RL}"><list name='say "hi"'/></resource-lists>`;
    expect(element(doc, 'resource-lists/list[@name="say &quot;hi&quot;"]')).toBe(`<list name='say "hi"'/>`);
    expect(element(doc, `resource-lists/list[@name='say "hi"']`)).toBe(`<list name='say "hi"'/>`);
  });

  test('a "/" inside a quoted value is not a step separator', () => {
    const doc = `<resource-lists xmlns="${RL}"><list><external anchor="http://x/a/b"/></list></resource-lists>`;
    expect(element(doc, 'resource-lists/list/external[@anchor="http://x/a/b"]')).toBe(
      '<external anchor="http://x/a/b"/>',
    );
  });

  test('the document element itself', () => {
    expect(element(`<resource-lists xmlns="${RL}"/>`, 'resource-lists')).toBe(
      `<resource-lists xmlns="${RL}"/>`,
    );
  });
});

describe('GET of attributes (check 32)', () => {
  test('values', () => {
    expect(attribute(OX, 'resource-lists/list[@name="friends"]/@name')).toBe('friends');
    expect(attribute(OX, 'resource-lists/list[@name="friends"]/external/@anchor')).toBe(
      'http://xcap.example.org/resource-lists/users/sip:a@example.org/index/~~/resource-lists/list%5b@name=%22mkting%22%5d',
    );
  });

  test('decoded and normalised; attributeBody writes a valid AttValue', () => {
    const x = ctx(RL, { x: 'urn:example:ext' });
    expect(attribute(RICH, 'resource-lists/list[1]/@name')).toBe('friends & family');
    expect(attributeBody('friends & family')).toBe('friends &amp; family');
    expect(attribute(RICH, 'resource-lists/list[1]/entry[1]/@x:tag', x)).toBe('a<b');
    expect(attributeBody('a<b')).toBe('a&lt;b');
    expect(attribute(RICH, 'resource-lists/list[1]/entry[1]/@x:note', x)).toBe('line one    line two');
    expect(attributeBody(`"it's"\n`)).toBe('&quot;it&apos;s&quot;&#10;');
  });

  test('an unprefixed attribute name is in no namespace', () => {
    const x = ctx(RL, { x: 'urn:example:ext' });
    expect(xcapError(() => getNode(X(RICH), 'resource-lists/list[1]/entry[1]/@tag', x)).status).toBe(404);
  });

  test('namespace declarations are not attributes', () => {
    expect(xcapError(() => getNode(X(OX), 'resource-lists/@xmlns', rl)).status).toBe(404);
  });

  test('empty predicate is 400', () => {
    expect(
      xcapError(() => getNode(X(OX), 'resource-lists/list[@name="friends"]/external[]/@anchor', rl)).status,
    ).toBe(400);
  });
});

describe('namespace bindings (check 37)', () => {
  test('the selected element with every namespace in scope', () => {
    expect(namespaces(OX, 'resource-lists/list[@name="friends"]/namespace::*')).toBe(`<list xmlns="${RL}"/>`);
    expect(namespaces(RICH, 'resource-lists/list[2]/entry/namespace::*')).toBe(
      `<entry xmlns="${RL}" xmlns:x="urn:example:ext"/>`,
    );
  });

  test('prefixed element, inherited and redeclared bindings', () => {
    const doc = `<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="urn:ietf:params:xml:ns:common-policy"><cr:rule id="a" xmlns:cr="urn:other" xmlns:pr="urn:p&amp;r"/></cr:ruleset>`;
    const c = ctx('urn:ietf:params:xml:ns:pres-rules', {
      cp: 'urn:ietf:params:xml:ns:common-policy',
      o: 'urn:other',
    });
    expect(namespaces(doc, 'cp:ruleset/namespace::*', c)).toBe(
      '<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="urn:ietf:params:xml:ns:common-policy"/>',
    );
    expect(namespaces(doc, 'cp:ruleset/o:rule/namespace::*', c)).toBe(
      '<cr:rule xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="urn:other" xmlns:pr="urn:p&amp;r"/>',
    );
  });

  test('an undeclared default namespace is not listed', () => {
    const doc = `<a xmlns="urn:a"><b xmlns=""/></a>`;
    expect(namespaces(doc, 'a/namespace::*', ctx('urn:a'))).toBe('<a xmlns="urn:a"/>');
    expect(namespaces(doc, 'p:a/b/namespace::*', ctx('', { p: 'urn:a' }))).toBe('<b/>');
  });

  test('missing element is 404', () => {
    expect(xcapError(() => getNode(X(OX), 'resource-lists/list[@name="x"]/namespace::*', rl)).status).toBe(
      404,
    );
  });
});

describe('prefixes (check 38)', () => {
  test('an unbound prefix is 400', () => {
    const e = xcapError(() => getNode(X(OX), 'pre:resource-lists/pre:list', rl));
    expect(e.status).toBe(400);
    expect(e.message).toContain('prefix "pre" is not bound');
    expect(xcapError(() => getNode(X(OX), 'resource-lists/list/@pre:name', rl)).status).toBe(400);
    expect(xcapError(() => getNode(X(OX), 'resource-lists/list[@pre:name="a"]', rl)).status).toBe(400);
  });

  test('bound by the xmlns() query, the prefix selects by namespace, not by the document prefix', () => {
    const pre = ctx(RL, { pre: RL });
    expect(element(OX, 'pre:resource-lists/pre:list', pre)).toBe(OX_LIST);
    expect(element(OX, 'pre:resource-lists/list/pre:entry[2]', pre)).toBe(OX_NANCY);
    // bound to another namespace: nothing matches
    expect(xcapError(() => getNode(X(OX), 'p:resource-lists', ctx(RL, { p: 'urn:x' }))).status).toBe(404);
  });

  test('unprefixed names are in the default namespace', () => {
    expect(xcapError(() => getNode(X(OX), 'resource-lists', ctx('urn:other'))).status).toBe(404);
    const noNs = '<root><a/></root>';
    expect(element(noNs, 'root/a', ctx(''))).toBe('<a/>');
  });
});

describe('lenient local names (simservs as phones send it)', () => {
  const SS = 'http://uri.etsi.org/ngn/params/xml/simservs/xcap';
  const doc = `<?xml version="1.0" encoding="UTF-8"?>
<simservs xmlns="${SS}" xmlns:cp="urn:ietf:params:xml:ns:common-policy">
  <communication-diversion active="true">
    <NoReplyTimer>20</NoReplyTimer>
    <cp:ruleset>
      <cp:rule id="call-diversion-unconditional">
        <cp:conditions>
          <rule-deactivated/>
        </cp:conditions>
        <cp:actions><forward-to><target>tel:+491701234567</target></forward-to></cp:actions>
      </cp:rule>
      <cp:rule id="call-diversion-busy">
        <cp:conditions><busy/></cp:conditions>
      </cp:rule>
    </cp:ruleset>
  </communication-diversion>
</simservs>`;
  const sel = 'simservs/communication-diversion/ruleset/rule[@id="call-diversion-unconditional"]';

  test('unprefixed common-policy steps match by local name', () => {
    expect(element(doc, sel, ctx(SS, {}, true))).toBe(`<cp:rule id="call-diversion-unconditional">
        <cp:conditions>
          <rule-deactivated/>
        </cp:conditions>
        <cp:actions><forward-to><target>tel:+491701234567</target></forward-to></cp:actions>
      </cp:rule>`);
    expect(element(doc, 'simservs/communication-diversion/NoReplyTimer', ctx(SS, {}, true))).toBe(
      '<NoReplyTimer>20</NoReplyTimer>',
    );
  });

  test('strict mode: they are in the default namespace, so nothing matches', () => {
    expect(xcapError(() => getNode(X(doc), sel, ctx(SS))).status).toBe(404);
  });

  test('prefixed steps are never lenient', () => {
    const c = ctx(SS, { ss: SS }, true);
    expect(
      xcapError(() => getNode(X(doc), 'ss:simservs/ss:communication-diversion/ss:ruleset', c)).status,
    ).toBe(404);
  });
});
