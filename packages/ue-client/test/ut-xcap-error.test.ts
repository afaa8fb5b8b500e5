/**
 * xcap-error bodies (RFC 4825 11) as the xcap-server writes them, read back into what a caller sees; the
 * small XML reader's refusals (DOCTYPE, undeclared prefixes, bad nesting, size).
 */
import { XcapError as ServerXcapError, xcapErrorBody } from '@ut-testbed/xcap-server';
import { parseXcapErrorBody, xcapErrorFrom, XCAP_ERROR_NS } from '../src/xcap/xcap-error';
import { MAX_XML_CHARS, readXml, XmlReadError } from '../src/xcap/xml-reader';

describe('xcap-error bodies', () => {
  it('no-parent with its ancestor and phrase', () => {
    const body = xcapErrorBody(
      ServerXcapError.conflict('no-parent', 'no list "x" & no <entry>', {
        ancestor: 'https://xcap.home1.net:8443/services/resource-lists/users/sip:a@b/index',
      }),
    );
    expect(parseXcapErrorBody(body)).toEqual({
      condition: 'no-parent',
      conditionNs: XCAP_ERROR_NS,
      phrase: 'no list "x" & no <entry>',
      ancestor: 'https://xcap.home1.net:8443/services/resource-lists/users/sip:a@b/index',
    });
  });

  it('uniqueness-failure with every field and its alternative values', () => {
    const body = xcapErrorBody(
      ServerXcapError.conflict('uniqueness-failure', 'taken', {
        exists: [
          { field: '/rls-services/service[1]/@uri', altValues: ['sip:a1@home1.net', 'sip:a2@home1.net'] },
          { field: '/rls-services/service[2]/@uri' },
        ],
      }),
    );
    const d = parseXcapErrorBody(body);
    expect(d.condition).toBe('uniqueness-failure');
    expect(d.exists).toEqual([
      { field: '/rls-services/service[1]/@uri', altValues: ['sip:a1@home1.net', 'sip:a2@home1.net'] },
      { field: '/rls-services/service[2]/@uri', altValues: [] },
    ]);
  });

  it.each([
    'not-well-formed',
    'not-xml-frag',
    'cannot-insert',
    'cannot-delete',
    'constraint-failure',
    'not-utf-8',
  ] as const)('%s with its phrase', (condition) => {
    const d = parseXcapErrorBody(xcapErrorBody(ServerXcapError.conflict(condition, `why ${condition}`)));
    expect(d).toEqual({ condition, conditionNs: XCAP_ERROR_NS, phrase: `why ${condition}` });
  });

  it('a prefixed body and an extension condition in its own namespace', () => {
    const body =
      '<?xml version="1.0"?>\n<!-- from elsewhere -->\n' +
      `<e:xcap-error xmlns:e="${XCAP_ERROR_NS}"><x:quota-exceeded xmlns:x="urn:example:ext" phrase="full"/></e:xcap-error>`;
    expect(parseXcapErrorBody(body)).toEqual({
      condition: 'quota-exceeded',
      conditionNs: 'urn:example:ext',
      phrase: 'full',
    });
  });

  it('an error a caller can read: status, condition, phrase, and 412 flagged', () => {
    const body = xcapErrorBody(ServerXcapError.conflict('cannot-insert', 'position 5 of 2'));
    const e = xcapErrorFrom({
      status: 409,
      method: 'PUT',
      uri: '/x',
      contentType: 'application/xcap-error+xml; charset=utf-8',
      body,
    });
    expect(e).toMatchObject({ status: 409, condition: 'cannot-insert', phrase: 'position 5 of 2' });
    expect(e.message).toBe('PUT /x: 409 cannot-insert (position 5 of 2)');
    expect(e.preconditionFailed).toBe(false);
    const stale = xcapErrorFrom({ status: 412, method: 'PUT', uri: '/x', contentType: undefined, body: '' });
    expect(stale.preconditionFailed).toBe(true);
    expect(stale.condition).toBeUndefined();
    expect(stale.message).toMatch(/412 precondition failed/);
    const garbled = xcapErrorFrom({
      status: 409,
      method: 'PUT',
      uri: '/x',
      contentType: 'application/xcap-error+xml',
      body: '<xcap-error>',
    });
    expect(garbled.condition).toBeUndefined();
    expect(garbled.bodyProblem).toMatch(/not closed/);
  });

  it('a body that is not xcap-error is refused', () => {
    expect(() => parseXcapErrorBody('<xcap-error/>')).toThrow(/not xcap-error/);
    expect(() => parseXcapErrorBody(`<xcap-error xmlns="${XCAP_ERROR_NS}"/>`)).toThrow(/0 conditions/);
    expect(() => parseXcapErrorBody(`<xcap-error xmlns="${XCAP_ERROR_NS}"><a/><b/></xcap-error>`)).toThrow(
      /2 conditions/,
    );
  });
});

describe('XML reader', () => {
  it('resolves namespaces, entities, CDATA and attribute normalisation', () => {
    const el = readXml(
      '<a xmlns="urn:a" xmlns:b="urn:b" b:x="1&#9;2\t3" y=\'&lt;&quot;\'><b:c>t&amp;<![CDATA[<raw>]]></b:c></a>',
    );
    expect(el).toMatchObject({ ns: 'urn:a', local: 'a' });
    expect([...el.attrs]).toEqual([
      ['{urn:b}x', '1\t2 3'],
      ['y', '<"'],
    ]);
    expect(el.children[0]).toMatchObject({ ns: 'urn:b', local: 'c', text: 't&<raw>' });
  });

  it.each([
    ['a DOCTYPE', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', /DOCTYPE/],
    ['an undefined entity', '<a>&x;</a>', /undefined entity/],
    ['an undeclared prefix', '<p:a/>', /not declared/],
    ['crossed tags', '<a><b></a></b>', /does not match/],
    ['an unclosed element', '<a><b/>', /not closed/],
    ['two document elements', '<a/><b/>', /second document element/],
    ['a repeated attribute', '<a x="1" x="2"/>', /twice/],
    ['text outside', 'x<a/>', /outside/],
    ['a control character reference', '<a>&#1;</a>', /not an XML character/],
  ])('refuses %s', (_what, text, why) => {
    expect(() => readXml(text)).toThrow(XmlReadError);
    expect(() => readXml(text)).toThrow(why);
  });

  it('refuses documents over its bounds', () => {
    expect(() => readXml(`<a>${' '.repeat(MAX_XML_CHARS)}</a>`)).toThrow(/longer than/);
    expect(() => readXml('<a>'.repeat(40) + '</a>'.repeat(40))).toThrow(/deeper than/);
  });
});
