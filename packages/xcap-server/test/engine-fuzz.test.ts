import { XcapError } from '../src/errors';
import type { SelectorContext } from '../src/types';
import {
  deleteNode,
  getNode,
  putDocument,
  putNode,
  scanDocument,
  type XmlDocument,
  type XmlElement,
} from '../src/engine';

/** What the scanner records of an element and its descendants, without the parent links. */
function treeOf(el: XmlElement): unknown {
  return { ...el, parent: undefined, namespaces: [...el.namespaces], children: el.children.map(treeOf) };
}

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const ctx: SelectorContext = {
  defaultNamespace: RL,
  bindings: new Map([['x', 'urn:example:ext']]),
  lenientLocalNames: true,
};

const DOC = `<?xml version='1.0' encoding='UTF-8'?>
<!-- buddies -->
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"
                xmlns:x="urn:example:ext">
  <list name='friends &amp; family'>
    <entry uri="sip:bob@example.com"
           x:tag="a&lt;b"><display-name>Bob &#xE9; Co</display-name></entry>
    <entry uri='sip:carol@example.com'/><![CDATA[ <x> ]]><?pi x?>
  </list>
  <list name="work"><entry uri="sip:dave@example.com"/></list>
</resource-lists>
`;

const SELECTORS = [
  'resource-lists/list[1]',
  'resource-lists/list[@name="work"]/entry',
  'resource-lists/list[1]/entry[2]',
  'resource-lists/*[2]/*[1]/@uri',
  'resource-lists/list[1]/entry[1]/@x:tag',
  'resource-lists/list/namespace::*',
  'resource-lists/list[2]/entry[@uri="sip:eve@example.com"]',
];

const SNIPPETS = [
  '<',
  '>',
  '&',
  '&amp;',
  '&#0;',
  ']]>',
  '<!DOCTYPE a>',
  '<!ENTITY e "x">',
  '<!--',
  '-->',
  '<?',
  '?>',
  '<![CDATA[',
  '"',
  "'",
  '=',
  '/',
  'xmlns:q="urn:q"',
  'q:',
  '<a>',
  '</a>',
  '<entry/>',
  '\u0000',
  '\uffff',
  ' ',
  '[',
  ']',
  '@',
  '*',
  '%22',
];

// a small deterministic generator, so a failure can be reproduced from the seed
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Buffer, rand: () => number): Buffer {
  let b = Buffer.from(src);
  const rounds = 1 + Math.floor(rand() * 4);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(rand() * (b.length + 1));
    const kind = Math.floor(rand() * 5);
    if (kind === 0 && b.length > 0) {
      // a random byte, invalid UTF-8 included
      b[Math.min(at, b.length - 1)] = Math.floor(rand() * 256);
    } else if (kind === 1) {
      const len = Math.floor(rand() * 20);
      b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + len))]);
    } else if (kind === 2) {
      const len = Math.floor(rand() * 40);
      b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
    } else {
      const s = SNIPPETS[Math.floor(rand() * SNIPPETS.length)] as string;
      b = Buffer.concat([b.subarray(0, at), Buffer.from(s, 'utf8'), b.subarray(at)]);
    }
  }
  return b;
}

/** Runs f; true if it succeeded, false if it threw an XcapError (anything else fails the test). */
function onlyXcapErrors(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (!(e instanceof XcapError)) throw e;
    expect([400, 404, 405, 409]).toContain(e.status);
    return false;
  }
}

describe('random mutations', () => {
  test('of the document: only XcapErrors, quickly', () => {
    const rand = rng(4825);
    const doc = Buffer.from(DOC, 'utf8');
    const started = Date.now();
    let accepted = 0;
    for (let k = 0; k < 3000; k++) {
      const m = mutate(doc, rand);
      const sel = SELECTORS[k % SELECTORS.length] as string;
      if (onlyXcapErrors(() => putDocument(m))) accepted++;
      onlyXcapErrors(() => getNode(scanDocument(m), sel, ctx));
      onlyXcapErrors(() => deleteNode(scanDocument(m), sel, ctx));
      onlyXcapErrors(() =>
        putNode(scanDocument(m), sel, Buffer.from('<entry uri="sip:z@example.com"/>'), ctx),
      );
    }
    expect(Date.now() - started).toBeLessThan(20000);
    // the mutations must exercise both sides: documents that still scan and documents that do not
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(2900);
  });

  test('of element and attribute bodies and of selectors', () => {
    const rand = rng(4826);
    const doc = scanDocument(Buffer.from(DOC, 'utf8'));
    const body = Buffer.from(
      '<entry uri="sip:z@example.com" x:tag="1"><display-name>Z</display-name></entry>',
    );
    for (let k = 0; k < 3000; k++) {
      const sel = SELECTORS[k % SELECTORS.length] as string;
      const mutatedSel = mutate(Buffer.from(sel), rand).toString('latin1');
      onlyXcapErrors(() => putNode(doc, sel, mutate(body, rand), ctx));
      onlyXcapErrors(() =>
        putNode(doc, 'resource-lists/list[1]/@name', mutate(Buffer.from('a &amp; b'), rand), ctx),
      );
      onlyXcapErrors(() => getNode(doc, mutatedSel, ctx));
      onlyXcapErrors(() => putNode(doc, mutatedSel, body, ctx));
      onlyXcapErrors(() => deleteNode(doc, mutatedSel, ctx));
    }
  });

  test('whatever a PUT or DELETE returns is a well-formed document, and its scan is what scanning finds', () => {
    const rand = rng(4827);
    const doc = scanDocument(Buffer.from(DOC, 'utf8'));
    const body = Buffer.from('<entry uri="sip:z@example.com"/>');
    let changed = 0;
    for (let k = 0; k < 2000; k++) {
      const sel = mutate(Buffer.from(SELECTORS[k % SELECTORS.length] as string), rand).toString('latin1');
      for (const op of [() => putNode(doc, sel, body, ctx).xml, () => deleteNode(doc, sel, ctx)]) {
        let out: XmlDocument | undefined;
        try {
          out = op();
        } catch (e) {
          if (!(e instanceof XcapError)) throw e;
        }
        if (out) {
          changed++;
          expect(JSON.stringify(treeOf(out.root))).toBe(JSON.stringify(treeOf(putDocument(out.bytes).root)));
        }
      }
    }
    expect(changed).toBeGreaterThan(0);
  });
});
