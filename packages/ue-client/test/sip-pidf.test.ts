/**
 * Reading PIDF and NOTIFY bodies without sockets: tuples under a prefixed namespace, references, CDATA and
 * comments in leaves, basic values outside the schema, the built document read back, and the statuses
 * decodeNotifyBody gives bodies it refuses.
 */
import { buildPidf, decodeNotifyBody, NotifyBodyError, readPresence } from '../src/sip';

const NS = 'urn:ietf:params:xml:ns:pidf';

describe('readPresence', () => {
  test('a prefixed PIDF namespace, references, CDATA and comments in leaves, extensions skipped', () => {
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<p:presence xmlns:p="${NS}" xmlns:x="urn:example" entity="sip:a&amp;b@home1.net">` +
      '<p:tuple id="t&#49;"><p:status><x:mood>ok</x:mood><p:basic> open </p:basic></p:status>' +
      '<x:ext p:attr="&gt;">ignored</x:ext>' +
      '<p:contact priority="0.8">sip:a@192.0.2.1</p:contact>' +
      '<p:note xml:lang="en">Fish &amp; <!-- no --><![CDATA[<chips>]]>&#x21;\r\nok</p:note><p:note>second</p:note></p:tuple>' +
      '<p:tuple id="t2"><p:status><p:basic>busy</p:basic></p:status></p:tuple>' +
      '<x:tuple id="t3"/><p:note>top note</p:note></p:presence>';
    expect(readPresence(body)).toEqual({
      entity: 'sip:a&b@home1.net',
      tuples: [
        { id: 't1', basic: 'open', contact: 'sip:a@192.0.2.1', note: 'Fish & <chips>!\nok' },
        { id: 't2' },
      ],
      note: 'top note',
      body,
    });
  });

  test('an empty status and an empty note', () => {
    const s = readPresence(
      `<presence xmlns="${NS}" entity="sip:a@home1.net"><tuple id="a"><status/><note/></tuple></presence>`,
    );
    expect(s.tuples).toEqual([{ id: 'a', note: '' }]);
  });

  test('what parsePidf refuses is refused', () => {
    expect(() => readPresence(`<presence xmlns="${NS}"/>`)).toThrow('no entity attribute');
    expect(() => readPresence(`<presence xmlns="${NS}" entity="x"><tuple/></presence>`)).toThrow(
      'a tuple without an id',
    );
    expect(() => readPresence('<presence entity="x"/>')).toThrow('not {urn:ietf:params:xml:ns:pidf}presence');
  });
});

describe('buildPidf', () => {
  test('one tuple, escaped text, read back the same', () => {
    const doc = buildPidf(
      'sip:a@home1.net',
      { basic: 'closed', note: 'a <b> & "c"', contact: 'tel:+1' },
      'tx',
    );
    expect(readPresence(doc).tuples).toEqual([
      { id: 'tx', basic: 'closed', note: 'a <b> & "c"', contact: 'tel:+1' },
    ]);
    expect(
      readPresence(buildPidf('sip:a@home1.net', { basic: 'open', tupleId: 'own' }, 'tx')).tuples,
    ).toEqual([{ id: 'own', basic: 'open' }]);
  });

  test('a tuple id that is not an xs:ID, a basic value outside the schema: TypeError', () => {
    expect(() => buildPidf('sip:a@home1.net', { basic: 'open', tupleId: '1st' }, 'tx')).toThrow(TypeError);
    expect(() => buildPidf('sip:a@home1.net', { basic: 'busy' as 'open' }, 'tx')).toThrow(TypeError);
  });
});

describe('decodeNotifyBody', () => {
  const status = (f: () => unknown): number | undefined => {
    try {
      f();
      return undefined;
    } catch (e) {
      return e instanceof NotifyBodyError ? e.status : -1;
    }
  };

  test('no body is fine for every kind, whatever the type', () => {
    expect(decodeNotifyBody('winfo', undefined, Buffer.alloc(0))).toEqual({ type: 'none' });
    expect(decodeNotifyBody('list', 'text/plain', Buffer.alloc(0))).toEqual({ type: 'none' });
  });

  test('400: no Content-Type, not UTF-8, not the document its type says; 415: a type not accepted', () => {
    const doc = Buffer.from(buildPidf('sip:a@home1.net', { basic: 'open' }, 'tx'));
    expect(status(() => decodeNotifyBody('presence', undefined, doc))).toBe(400);
    expect(
      status(() => decodeNotifyBody('presence', 'application/pidf+xml', Buffer.from([0x3c, 0xff]))),
    ).toBe(400);
    expect(status(() => decodeNotifyBody('winfo', 'application/watcherinfo+xml', doc))).toBe(400);
    expect(status(() => decodeNotifyBody('list', 'multipart/related;boundary=x', doc))).toBe(400);
    expect(status(() => decodeNotifyBody('winfo', 'application/pidf+xml', doc))).toBe(415);
    expect(status(() => decodeNotifyBody('presence', 'multipart/related;boundary=x', doc))).toBe(415);
    expect(decodeNotifyBody('presence', 'Application/PIDF+XML; charset=UTF-8', doc)).toMatchObject({
      type: 'presence',
      presence: { tuples: [{ id: 'tx', basic: 'open' }] },
    });
  });
});
