import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import type { TraceEvent } from '@ut-testbed/trace';
import { hexDump, renderHtml } from '../src/ladder';
import { record } from './fixtures/ladder/events';
import {
  MAR,
  PUBLISH,
  publishRetransmission,
  section3Records,
  textMessage,
} from './fixtures/ladder/section3';

const XHTML = 'http://www.w3.org/1999/xhtml';
const SVG = 'http://www.w3.org/2000/svg';

/** A body that would end a script element, a CDATA section or a comment, with entities and non-ASCII. */
const HOSTILE_BODY =
  '<?xml version="1.0" encoding="UTF-8"?>\n<note><![CDATA[ ]]> </script><script>alert(1)</script> <!-- ' +
  '&amp; &lt; é 🙂 \u2028 \\u003c "q" \'a\' https://evil.example/x.js ]]></note>\n';
const HOSTILE = textMessage(
  ['HTTP/1.1 200 OK', 'Content-Type: application/xml', `Content-Length: ${Buffer.byteLength(HOSTILE_BODY)}`],
  HOSTILE_BODY,
);

function trace(): TraceEvent[] {
  return [
    ...section3Records(),
    ...publishRetransmission(),
    record({
      ts: section3Records()[0]!.ts + 700,
      from: ['ap', 8443],
      to: ['ue', 50000],
      summary: '200 OK <b>&amp;</b> ]]>',
      bytes: HOSTILE,
    }),
  ];
}

function parse(page: string): Document {
  const problems: string[] = [];
  const doc = new DOMParser({
    onError: (level, message) => {
      problems.push(`${level}: ${message}`);
    },
  }).parseFromString(page, 'text/xml');
  expect(problems).toEqual([]);
  return doc;
}

const byClass = (doc: Document, ns: string, tag: string, cls: string): Element[] =>
  Array.from(doc.getElementsByTagNameNS(ns, tag)).filter((e) =>
    (e.getAttribute('class') ?? '').split(' ').includes(cls),
  );
const child = (e: Element, tag: string, cls?: string): Element | undefined =>
  Array.from(e.getElementsByTagNameNS(SVG, tag)).find(
    (c) => cls === undefined || c.getAttribute('class') === cls,
  );
const byId = (doc: Document, id: string): Element => {
  const all = Array.from(doc.getElementsByTagName('*')).filter((e) => e.getAttribute('id') === id);
  expect(all).toHaveLength(1);
  return all[0]!;
};

interface View {
  summary: string;
  iface: string;
  transport: string;
  from: string;
  to: string;
  text?: string;
  textNote?: string;
  hex: string;
  decoded?: string;
  records: { route: string }[];
}
const messages = (doc: Document): View[] => JSON.parse(byId(doc, 'ladder-messages').textContent!) as View[];

/** The page's script run against stand-ins for the few DOM calls it makes, to press keys and click. */
function runScript(doc: Document, hash = '') {
  const panel = new Map<string, { textContent: string; hidden: boolean; open: boolean }>();
  const json = byId(doc, 'ladder-messages').textContent!;
  let focused = -1;
  const arrows = byClass(doc, SVG, 'g', 'msg').map((_, i) => {
    const listeners = new Map<string, (e: unknown) => void>();
    const attributes = new Map<string, string>();
    const classes = new Set<string>();
    return {
      listeners,
      attributes,
      classes,
      addEventListener: (type: string, f: (e: unknown) => void) => listeners.set(type, f),
      setAttribute: (name: string, value: string) => attributes.set(name, value),
      classList: { toggle: (name: string, on: boolean) => (on ? classes.add(name) : classes.delete(name)) },
      focus: () => {
        focused = i;
      },
    };
  });
  const element = (id: string) => {
    if (id === 'ladder-messages') return { textContent: json };
    byId(doc, id); // the page has it
    if (!panel.has(id)) panel.set(id, { textContent: '', hidden: false, open: false });
    return panel.get(id);
  };
  const document = {
    getElementById: element,
    querySelectorAll: (selector: string) => (selector === '.msg' ? arrows : []),
  };
  const script = Array.from(doc.getElementsByTagNameNS(XHTML, 'script')).find(
    (e) => !e.hasAttribute('type'),
  )!;
  runInNewContext(script.textContent!, { document, location: { hash } });
  const press = (i: number, key: string) => {
    let prevented = false;
    arrows[i]!.listeners.get('keydown')!({ key, preventDefault: () => (prevented = true) });
    return prevented;
  };
  return {
    arrows,
    panel,
    press,
    click: (i: number) => arrows[i]!.listeners.get('click')!({}),
    focused: () => focused,
  };
}

describe('renderHtml', () => {
  const page = renderHtml(trace(), { title: 'section3 <replay> & "more"' });
  const doc = parse(page);

  it('is an XHTML document with the title escaped', () => {
    expect(doc.documentElement!.namespaceURI).toBe(XHTML);
    expect(doc.documentElement!.localName).toBe('html');
    expect(doc.getElementsByTagNameNS(XHTML, 'title')[0]!.textContent).toBe('section3 <replay> & "more"');
    expect(page.startsWith('<!DOCTYPE html>\n')).toBe(true);
  });

  it('draws one focusable arrow per message, each with its summary', () => {
    const svg = doc.getElementsByTagNameNS(SVG, 'svg');
    expect(svg).toHaveLength(1);
    const arrows = byClass(doc, SVG, 'g', 'msg');
    expect(arrows).toHaveLength(15);
    const summaries = arrows.map((a) => child(a, 'text', 'summary')!.textContent);
    expect(summaries.slice(0, 4)).toEqual([
      'PUT /services/resource-lists/users/sip:user1_public1@home1.net/index',
      'UDR sip:user1_public1@home1.net',
      'UDA 2001',
      MAR.summary,
    ]);
    expect(summaries[14]).toBe('200 OK <b>&amp;</b> ]]>');
    for (const [i, a] of arrows.entries()) {
      expect(a.getAttribute('tabindex')).toBe('0');
      expect(a.getAttribute('role')).toBe('button');
      expect(a.getAttribute('data-index')).toBe(String(i));
      expect(child(a, 'line') ?? child(a, 'path')).toBeDefined();
      expect(child(a, 'polygon')).toBeDefined(); // the arrowhead
    }
    expect(arrows[0]!.getAttribute('aria-label')).toBe(
      '1. UE to AP, Ut: PUT /services/resource-lists/users/sip:user1_public1@home1.net/index',
    );
    // UE → AP points right: the head's tip is the AP lane, right of the line's start
    const line = child(arrows[0]!, 'line')!;
    const tip = child(arrows[0]!, 'polygon')!.getAttribute('points')!.split(' ')[0]!.split(',').map(Number);
    expect(tip[0]).toBeGreaterThan(Number(line.getAttribute('x1')));
    expect(byClass(doc, SVG, 'line', 'lane')).toHaveLength(5);
  });

  it('carries every message in the JSON, with the exact text of HTTP and SIP', () => {
    const views = messages(doc);
    expect(views).toHaveLength(15);
    const hostile = views[14]!;
    expect(hostile.text).toBe(HOSTILE.toString('utf8'));
    expect(hostile.text).toContain('</script><script>alert(1)</script>');
    expect(hostile.text).toContain(']]>');
    expect(hostile.textNote).toBeUndefined();
    expect(views[10]!.text).toBe(PUBLISH.toString('utf8'));
    expect(views[0]!).toMatchObject({
      iface: 'Ut',
      transport: 'tls',
      from: 'ue 127.0.0.1:50000',
      to: 'xcap.home1.net 127.0.0.1:8443',
      records: [
        { route: 'ue 127.0.0.1:50000 -> xcap.home1.net 127.0.0.1:8443' },
        { route: 'ue [::ffff:127.0.0.1]:50000 -> ap [::ffff:127.0.0.1]:8443' },
      ],
    });
  });

  it('keeps markup out of the raw page: the closing tags and CDATA ends are all its own', () => {
    expect(page.split('</script>')).toHaveLength(3); // the JSON's and the script's
    expect(page).not.toContain('alert(1)</');
    expect(page).not.toContain('<![CDATA[');
    const json = byId(doc, 'ladder-messages').textContent!;
    expect(json).toMatch(/^[\x20-\x7e]*$/);
    expect(json).not.toMatch(/[<>&]/);
  });

  it('shows Diameter as a hex dump, and as the tree the caller decodes', () => {
    const plain = messages(doc)[3]!;
    expect(plain.text).toBeUndefined();
    expect(plain.decoded).toBeUndefined();
    expect(plain.hex).toBe(hexDump(MAR.bytes));
    expect(plain.hex.split('\n')[0]).toBe(
      '00000000  01 00 00 34 c0 00 01 2f  01 00 00 00 5a 3c 00 01  |...4.../....Z<..|',
    );
    const decoded = messages(
      parse(
        renderHtml(section3Records(), {
          title: 't',
          decode: (e) => {
            if (e.proto !== 'diameter') return undefined;
            if (e.summary.startsWith('UDA')) throw new Error('no dictionary for Sh');
            return `${e.summary}\n  User-Name <${e.to.name}>`;
          },
        }),
      ),
    );
    expect(decoded[3]!.decoded).toBe(`${MAR.summary}\n  User-Name <hss>`);
    expect(decoded[2]!.decoded).toBe('could not decode: no dictionary for Sh');
    expect(decoded[0]!.decoded).toBeUndefined();
  });

  it('dumps bytes in the hexdump -C layout', () => {
    expect(hexDump(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n'))).toBe(
      [
        '00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|',
        '00000010  48 6f 73 74 3a 20 61 0d  0a                       |Host: a..|',
        '00000019',
      ].join('\n'),
    );
    expect(hexDump(new Uint8Array(0))).toBe('00000000');
  });

  it('says when a text message is not valid UTF-8, and keeps the exact bytes in the hex dump', () => {
    const bytes = Buffer.concat([
      Buffer.from('MESSAGE sip:a@b SIP/2.0\r\n\r\n'),
      Buffer.from([0xff, 0xfe, 0x41]),
    ]);
    const views = messages(
      parse(
        renderHtml(
          [record({ ts: 0, iface: 'Gm', from: ['ue', 1], to: ['ps', 2], summary: 'MESSAGE', bytes })],
          { title: 't' },
        ),
      ),
    );
    expect(views[0]!.text).toBe('MESSAGE sip:a@b SIP/2.0\r\n\r\n\ufffd\ufffdA');
    expect(views[0]!.textNote).toMatch(/not valid UTF-8/);
    expect(views[0]!.hex).toContain(' ff fe 41 ');
  });

  it('refers to nothing outside the page', () => {
    const urls = page.match(/https?:\/\/[^\s"'<>)]*/g) ?? [];
    expect(new Set(urls)).toEqual(new Set([XHTML, SVG]));
    expect(page.match(/xmlns="https?:\/\/[^"]*"/g)).toEqual([`xmlns="${XHTML}"`, `xmlns="${SVG}"`]);
    expect(urls).toHaveLength(2); // each only in its xmlns
    for (const e of Array.from(doc.getElementsByTagName('*'))) {
      for (const attr of ['src', 'href', 'xlink:href', 'srcset', 'action', 'style'])
        expect(e.hasAttribute(attr)).toBe(false);
      expect(['link', 'img', 'iframe', 'object', 'embed', 'image', 'use', 'foreignObject']).not.toContain(
        e.localName,
      );
    }
    const style = doc.getElementsByTagNameNS(XHTML, 'style')[0]!.textContent!;
    expect(style).not.toMatch(/url\(|@import/);
    const scripts = Array.from(doc.getElementsByTagNameNS(XHTML, 'script'));
    expect(scripts.map((s) => s.getAttribute('src'))).toEqual([null, null]);
  });

  it('allows by its Content-Security-Policy exactly its own style and script', () => {
    const meta = Array.from(doc.getElementsByTagNameNS(XHTML, 'meta')).find(
      (m) => m.getAttribute('http-equiv') === 'Content-Security-Policy',
    )!;
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const style = doc.getElementsByTagNameNS(XHTML, 'style')[0]!.textContent!;
    const script = Array.from(doc.getElementsByTagNameNS(XHTML, 'script')).find(
      (s) => !s.hasAttribute('type'),
    )!;
    const policy = meta.getAttribute('content')!;
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain(`style-src ${hash(style)}`);
    expect(policy).toContain(`script-src ${hash(script.textContent!)}`);
    // the same text as HTML: no markup or entity in either that an HTML parser would read otherwise
    expect(style + script.textContent).not.toMatch(/[<&]|\]\]>/);
  });

  it('has a panel for the chosen message that starts hidden', () => {
    expect(byId(doc, 'd-body').getAttribute('hidden')).toBe('hidden');
    for (const id of [
      'd-title',
      'd-iface',
      'd-from',
      'd-to',
      'd-time',
      'd-text',
      'd-hex',
      'd-decoded',
      'd-records',
    ])
      expect(byId(doc, id).textContent).toBe('');
    expect(byId(doc, 'detail').getAttribute('aria-live')).toBe('polite');
  });

  it('shows a message when its arrow is chosen with Enter or a click, and moves between arrows with the keys', () => {
    const page = runScript(doc);
    expect(page.panel.get('d-title')).toBeUndefined(); // nothing shown before a choice
    expect(page.press(3, 'Enter')).toBe(true);
    expect(page.panel.get('d-title')!.textContent).toBe(`4. ${MAR.summary}`);
    expect(page.panel.get('d-iface')!.textContent).toBe('Cx, diameter over tcp');
    expect(page.panel.get('d-from')!.textContent).toBe('AP: ap 127.0.0.1:40001');
    expect(page.panel.get('d-to')!.textContent).toBe('HSS: hss 127.0.0.1:3868');
    expect(page.panel.get('d-length')!.textContent).toBe(`${MAR.bytes.length} bytes`);
    expect(page.panel.get('d-text')!.hidden).toBe(true);
    expect(page.panel.get('d-hex')!.textContent).toBe(hexDump(MAR.bytes));
    expect(page.panel.get('d-hex-box')!.open).toBe(true);
    expect(page.panel.get('d-body')!.hidden).toBe(false);
    expect(page.arrows.map((a) => a.attributes.get('aria-pressed'))).toEqual(
      Array.from({ length: 15 }, (_, i) => (i === 3 ? 'true' : 'false')),
    );
    expect(page.press(3, 'ArrowDown')).toBe(true);
    expect(page.focused()).toBe(4);
    page.press(4, 'ArrowUp');
    expect(page.focused()).toBe(3);
    expect(page.press(0, 'ArrowUp')).toBe(false); // nothing above the first
    page.press(0, 'End');
    expect(page.focused()).toBe(14);
    expect(page.press(0, 'x')).toBe(false);

    page.click(14);
    expect(page.focused()).toBe(14);
    expect(page.panel.get('d-text')!).toMatchObject({ hidden: false, textContent: HOSTILE.toString('utf8') });
    expect(page.panel.get('d-hex-box')!.open).toBe(false);
    expect(page.arrows[14]!.classes.has('selected')).toBe(true);
    expect(page.arrows[3]!.classes.has('selected')).toBe(false);
    page.press(0, ' ');
    expect(page.panel.get('d-records')!.textContent).toBe(
      '+0.000 ms  ue 127.0.0.1:50000 -> xcap.home1.net 127.0.0.1:8443\n' +
        '+0.400 ms  ue [::ffff:127.0.0.1]:50000 -> ap [::ffff:127.0.0.1]:8443',
    );
  });

  it('shows the message a #msg-N link names when it opens', () => {
    expect(runScript(doc, '#msg-6').panel.get('d-title')!.textContent).toBe('6. 401 Unauthorized');
    expect(runScript(doc, '#msg-99').panel.get('d-title')).toBeUndefined();
  });

  it('draws an empty trace as the columns alone', () => {
    const empty = parse(renderHtml([], { title: 'nothing' }));
    expect(byClass(empty, SVG, 'g', 'msg')).toHaveLength(0);
    expect(byClass(empty, SVG, 'g', 'node')).toHaveLength(5);
    expect(messages(empty)).toEqual([]);
  });
});
