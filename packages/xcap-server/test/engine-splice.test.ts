/**
 * The scan a change returns is made from the scan before it (xml-splice.ts), not by scanning the new bytes:
 * these tests scan the new bytes anyway and require the same result, field by field.
 */
import { deleteNode, putNode, scanDocument, type XmlDocument, type XmlElement } from '../src/engine';
import { B, RL, X, ctx, rl } from './engine-support';

/** Everything the scanner records, parents as the path to them (so that a wrong parent shows). */
function shape(el: XmlElement, path = ''): unknown {
  const here = `${path}/${el.qname}@${el.start}`;
  return {
    ...el,
    namespaces: [...el.namespaces],
    parent: el.parent ? `${path}` : null,
    children: el.children.map((c) => {
      expect(c.parent).toBe(el);
      return shape(c, here);
    }),
  };
}

function expectSameAsScan(xml: XmlDocument): void {
  expect(xml.root.parent).toBeNull();
  expect(shape(xml.root)).toEqual(shape(scanDocument(xml.bytes).root));
}

const DOC = `<?xml version="1.0" encoding="UTF-8"?>
<!-- lists -->
<resource-lists xmlns="${RL}" xmlns:x="urn:x">
  <list name="a" x:tag='1'>
    <entry uri="sip:1@h"><display-name>One</display-name></entry>
    <entry uri="sip:2@h" x:n="2"/>
    <external anchor="http://h/x"/>
    <list name="inner"><entry uri="sip:i@h"/></list>
  </list>
  <list name="empty"></list>
  <list name="closed"/>
  <x:other a="1"><x:deep><x:deeper/></x:deep></x:other>
</resource-lists>
<?pi after?>
`;

describe('the scan after a change equals a scan of the new bytes', () => {
  const puts: [string, string][] = [
    // replacements: first, middle, last child, nested, with descendants, root
    [
      'resource-lists/list[1]/entry[1]',
      '<entry uri="sip:1@h"><display-name>Uno, longer</display-name></entry>',
    ],
    ['resource-lists/list[1]/entry[2]', '<entry uri="sip:2@h"/>'],
    ['resource-lists/list[1]/list', '<list name="inner"><entry uri="sip:a@h"/><entry uri="sip:b@h"/></list>'],
    ['resource-lists/list[1]/list/entry', '<entry uri="sip:i@h" x:more="yes"/>'],
    ['resource-lists/x:other', '<x:other a="2"/>'],
    ['resource-lists/list[@name="empty"]', '<list name="empty"><entry uri="sip:e@h"/></list>'],
    ['resource-lists', `<resource-lists xmlns="${RL}"><list name="new"/></resource-lists>`],
    // insertions: after the last, first position, middle, into an empty element, a new name
    ['resource-lists/list[1]/entry[3]', '<entry uri="sip:3@h"/>'],
    ['resource-lists/list[1]/entry[@uri="sip:0@h"]', '<entry uri="sip:0@h"/>'],
    ['resource-lists/list[4]', '<list name="fourth"/>'],
    ['resource-lists/list[1]/entry[1][@uri="sip:new@h"]', '<entry uri="sip:new@h"/>'],
    ['resource-lists/list[@name="empty"]/entry', '<entry uri="sip:first@h"/>'],
    ['resource-lists/list[1]/display-name', '<display-name xml:lang="en">A</display-name>'],
    // into a self-closing element (its start tag changes: scanned afresh)
    ['resource-lists/list[@name="closed"]/entry', '<entry uri="sip:c@h"/>'],
    // an element body with whitespace around it and its own declarations
    ['resource-lists/list[1]/entry[2]', '\n  <entry xmlns:y="urn:y" uri="sip:2@h" y:z="1"/>\n'],
  ];

  test.each(puts)('PUT %s', (sel, body) => {
    const r = putNode(X(DOC), sel, B(body), ctx(RL, { x: 'urn:x' }));
    expectSameAsScan(r.xml);
  });

  test.each([
    'resource-lists/list[1]/list',
    'resource-lists/list[1]/external',
    'resource-lists/x:other',
    'resource-lists/list[@name="closed"]',
    'resource-lists/list[1]/entry[@uri="sip:2@h"]',
  ])('DELETE %s', (sel) => {
    expectSameAsScan(deleteNode(X(DOC), sel, ctx(RL, { x: 'urn:x' })));
  });

  test('a chain of changes, each built on the scan the previous one returned', () => {
    let xml = X(DOC);
    for (let i = 0; i < 40; i++) {
      const sel = `resource-lists/list[1]/entry[${(i % 3) + 1}]`;
      xml =
        i % 7 === 6
          ? deleteNode(xml, `resource-lists/list[1]/entry[@uri="sip:${i - 1}@h"]`, rl)
          : putNode(xml, sel, B(`<entry uri="sip:${i}@h">${'x'.repeat(i)}</entry>`), rl).xml;
      expectSameAsScan(xml);
    }
  });

  test('the scan before the change is left as it was', () => {
    const before = X(DOC);
    const copy = shape(before.root);
    putNode(before, 'resource-lists/list[1]/entry[1]', B('<entry uri="sip:z@h"/>'), rl);
    deleteNode(before, 'resource-lists/list[1]/list', rl);
    expect(shape(before.root)).toEqual(copy);
  });

  test('an element that would nest deeper than the limit is refused', () => {
    const deep = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    const doc = X(`<resource-lists xmlns="${RL}"><list>${deep(240)}</list></resource-lists>`);
    // the 231st <a> is at depth 233: a replacement 24 levels deep reaches the limit of 256, one of 25 passes it
    const sel = `resource-lists/list/${'a/'.repeat(230)}a`;
    const e = (() => {
      try {
        putNode(doc, sel, B(deep(25)), rl);
      } catch (err) {
        return err as { detail?: { condition?: string } };
      }
      return undefined;
    })();
    expect(e?.detail?.condition).toBe('not-well-formed');
    expect(() => putNode(doc, sel, B(deep(24)), rl)).not.toThrow();
  });
});

describe('random chains of changes', () => {
  /** a small deterministic generator (mulberry32), so that a failure can be replayed */
  function rng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const NS = { x: 'urn:x' };
  const names = ['entry', 'list', 'x:item'];

  /** a positional selector for `el` (`*[n]` steps), and every element of the tree */
  function positional(el: XmlElement): string {
    const steps: string[] = [];
    for (let cur: XmlElement | null = el; cur; cur = cur.parent) {
      steps.unshift(cur.parent ? `*[${cur.parent.children.indexOf(cur) + 1}]` : 'resource-lists');
    }
    return steps.join('/');
  }
  function all(el: XmlElement): XmlElement[] {
    return [el, ...el.children.flatMap(all)];
  }
  function body(rand: () => number, depth = 0): string {
    const name = names[Math.floor(rand() * names.length)]!;
    const attrs = rand() < 0.5 ? ` a="${Math.floor(rand() * 100)}"` : '';
    if (depth > 2 || rand() < 0.4) return `<${name}${attrs}/>`;
    const kids = Array.from({ length: Math.floor(rand() * 3) }, () => body(rand, depth + 1));
    return `<${name}${attrs}>${rand() < 0.5 ? ' t&amp;' : ''}${kids.join('\n ')}</${name}>`;
  }

  test('replace, insert and delete anywhere: 3 seeds x 150 changes', () => {
    let checked = 0;
    for (const seed of [1, 2, 3]) {
      const rand = rng(seed);
      let xml = X(DOC);
      for (let i = 0; i < 150; i++) {
        const els = all(xml.root).filter((e) => e !== xml.root);
        const el = els[Math.floor(rand() * els.length)];
        const c = ctx(RL, NS);
        const op = rand();
        try {
          if (!el || op < 0.2) {
            // insert as a new last child of a random element
            const parent = all(xml.root)[Math.floor(rand() * all(xml.root).length)]!;
            xml = putNode(
              xml,
              `${positional(parent)}/*[${parent.children.length + 1}]`,
              B(body(rand)),
              c,
            ).xml;
          } else if (op < 0.35) {
            // insert in front of an element
            const parent = el.parent!;
            xml = putNode(
              xml,
              `${positional(parent)}/*[${parent.children.indexOf(el) + 1}][@new="${i}"]`,
              B(`<entry new="${i}"/>`),
              c,
            ).xml;
          } else if (op < 0.6) {
            xml = deleteNode(
              xml,
              `${positional(el)}[@${el.attributes[0]?.qname ?? 'none'}="${el.attributes[0]?.value ?? ''}"]`,
              c,
            );
          } else {
            xml = putNode(xml, positional(el), B(body(rand)), c).xml;
          }
        } catch (e) {
          // a change the RFC refuses (cannot-insert, cannot-delete, no match) leaves the document as it was
          if (!(e instanceof Error) || !('status' in e)) throw e;
          continue;
        }
        expectSameAsScan(xml);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });
});
