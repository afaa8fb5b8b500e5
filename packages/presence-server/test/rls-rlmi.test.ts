/**
 * RLMI documents (RFC 4662 section 5) against the schema of section 5.1 (test/schemas/rlmi.xsd, validated
 * by libxml2), their parsing, and the multipart/related NOTIFY body (RFC 4662 section 5, RFC 2387).
 */
import { buildMultipart, parseMultipart } from '@ut-testbed/sip-core';
import { XmlError } from '../src/pidf';
import {
  buildListNotifyBody,
  buildRlmi,
  isContentId,
  ListBodyError,
  ListIds,
  parseListNotifyBody,
  parseRlmi,
  RLMI_TYPE,
  type InstanceBody,
  type RlmiList,
} from '../src/rls/rlmi';
import { schemaValidator } from './support-schema';

let validate: (xml: string) => string | undefined;

beforeAll(async () => {
  validate = await schemaValidator('rlmi.xsd', []);
});

const LIST: RlmiList = {
  uri: 'sip:alice-friends@home1.net',
  version: 0,
  fullState: true,
  name: 'Friends & family',
  resources: [
    {
      uri: 'sip:bob@home1.net',
      name: 'Bob <the builder>',
      instances: [{ id: 'juT8hZ', state: 'active', cid: 'bUZBsM.1@rls.home1.net' }],
    },
    { uri: 'sip:carol@home1.net', instances: [{ id: 'hqzsuX', state: 'pending' }] },
    { uri: 'sip:dave@home1.net', instances: [{ id: 'Ytq0ea', state: 'terminated', reason: 'rejected' }] },
    { uri: 'sip:erin@home1.net', instances: [] },
  ],
};

const PIDF = (entity: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${entity}"/>`;

describe('RLMI documents', () => {
  it('buildRlmi writes a document the RFC 4662 schema accepts', () => {
    const xml = buildRlmi(LIST);
    expect(validate(xml)).toBeUndefined();
    expect(xml).toContain(
      '<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:alice-friends@home1.net" version="0" fullState="true">',
    );
    expect(xml).toContain('<name>Friends &amp; family</name>');
    expect(xml).toContain('<instance id="juT8hZ" state="active" cid="bUZBsM.1@rls.home1.net"/>');
    expect(xml).toContain('<instance id="Ytq0ea" state="terminated" reason="rejected"/>');
  });

  it('a partial-state document validates too', () => {
    expect(
      validate(buildRlmi({ ...LIST, version: 7, fullState: false, resources: [LIST.resources[1]!] })),
    ).toBe(undefined);
  });

  it.each([
    [
      'an unknown instance state',
      '<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:l@h" version="1" fullState="true"><resource uri="sip:a@h"><instance id="1" state="busy"/></resource></list>',
      /state/,
    ],
    ['no version', '<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:l@h" fullState="true"/>', /version/],
    [
      'a negative version',
      '<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:l@h" version="-1" fullState="true"/>',
      /version/,
    ],
    [
      'an instance without id',
      '<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:l@h" version="1" fullState="true"><resource uri="sip:a@h"><instance state="active"/></resource></list>',
      /id/,
    ],
  ])('the schema rejects %s, and so does parseRlmi', (_what, xml, message) => {
    expect(validate(xml)).toMatch(message);
    expect(() => parseRlmi(xml)).toThrow(XmlError);
  });

  it('the schema rejects a name after a resource (parseRlmi reads it: element order is the schema’s check)', () => {
    const xml =
      '<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:l@h" version="1" fullState="true"><resource uri="sip:a@h"/><name>x</name></list>';
    expect(validate(xml)).toMatch(/name.*not expected/);
    expect(parseRlmi(xml).name).toBe('x');
  });

  it('the schema accepts a hand-written document in the form of RFC 4662 section 6', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:adam-friends@pres.vancouver.example.com" version="1" fullState="true">
  <name xml:lang="en">Buddy List at COM</name>
  <resource uri="sip:bob@vancouver.example.com">
    <name>Bob Smith</name>
    <instance id="juwigmtboe" state="active" cid="bUZBsM@pres.vancouver.example.com"/>
  </resource>
  <resource uri="sip:ed@dallas.example.net">
    <instance id="rfypqlkbmg" state="terminated" reason="rejected"/>
  </resource>
</list>`;
    expect(validate(xml)).toBeUndefined();
    expect(parseRlmi(xml).resources[0]).toEqual({
      uri: 'sip:bob@vancouver.example.com',
      name: 'Bob Smith',
      instances: [{ id: 'juwigmtboe', state: 'active', cid: 'bUZBsM@pres.vancouver.example.com' }],
    });
  });

  it('build → parse gives the same list', () => {
    expect(parseRlmi(buildRlmi(LIST))).toEqual(LIST);
    const bare: RlmiList = { uri: 'sip:l@h', version: 4294967295, fullState: false, resources: [] };
    expect(parseRlmi(buildRlmi(bare))).toEqual(bare);
  });

  it('parseRlmi reads the xs:boolean forms 1 and 0', () => {
    const doc = (v: string) =>
      `<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:l@h" version="2" fullState="${v}"/>`;
    expect(parseRlmi(doc('1')).fullState).toBe(true);
    expect(parseRlmi(doc('0')).fullState).toBe(false);
    expect(() => parseRlmi(doc('yes'))).toThrow(/fullState/);
    expect(() => parseRlmi('<list uri="sip:l@h" version="2" fullState="true"/>')).toThrow(/not an RLMI/);
    expect(() =>
      parseRlmi(
        '<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:l@h" version="4294967296" fullState="true"/>',
      ),
    ).toThrow(/version/);
  });

  it('buildRlmi refuses a cid on a pending or terminated instance (they have no body part) and a bad version', () => {
    const withCid = (state: 'pending' | 'terminated'): RlmiList => ({
      ...LIST,
      resources: [{ uri: 'sip:a@h', instances: [{ id: '1', state, cid: 'x@h' }] }],
    });
    expect(() => buildRlmi(withCid('pending'))).toThrow(/no body part/);
    expect(() => buildRlmi(withCid('terminated'))).toThrow(/no body part/);
    expect(() => buildRlmi({ ...LIST, version: -1 })).toThrow(RangeError);
    expect(() => buildRlmi({ ...LIST, version: 1.5 })).toThrow(RangeError);
    expect(() => buildRlmi({ ...LIST, name: 'bell \u0007' })).toThrow(/character/);
  });
});

describe('the multipart/related NOTIFY body', () => {
  const part: InstanceBody = {
    cid: 'bUZBsM.1@rls.home1.net',
    contentType: 'application/pidf+xml;charset="UTF-8"',
    body: PIDF('sip:bob@home1.net'),
  };

  it('type and start name the RLMI part; each active instance’s cid has its part; none for the others', () => {
    const { contentType, body } = buildListNotifyBody(LIST, [part], { rootCid: 'root.1@rls.home1.net' });
    expect(contentType).toMatch(
      /^multipart\/related;type="application\/rlmi\+xml";start="<root\.1@rls\.home1\.net>";boundary="[^"]+"$/,
    );
    const parts = parseMultipart(contentType, body);
    expect(parts).toHaveLength(2);
    const h = (i: number, name: string) => parts[i]!.headers.find((x) => x.name === name)?.value;
    expect(h(0, 'Content-ID')).toBe('<root.1@rls.home1.net>');
    expect(h(0, 'Content-Type')).toBe('application/rlmi+xml;charset="UTF-8"');
    expect(validate(parts[0]!.body.toString('utf8'))).toBeUndefined();
    expect(h(1, 'Content-ID')).toBe('<bUZBsM.1@rls.home1.net>');
    expect(h(1, 'Content-Type')).toBe('application/pidf+xml;charset="UTF-8"');
    expect(parts[1]!.body.toString('utf8')).toBe(part.body);
  });

  it('a generated root Content-ID takes the list URI’s host', () => {
    const { contentType } = buildListNotifyBody(LIST, [part]);
    const start = /start="<([^>]+)>"/.exec(contentType)![1]!;
    expect(start).toMatch(/@home1\.net$/);
    expect(isContentId(start)).toBe(true);
  });

  it('parseListNotifyBody gives back the list and the parts by cid, bytes as sent', () => {
    const binary: InstanceBody = {
      cid: 'bin.2@rls.home1.net',
      contentType: 'application/octet-stream',
      body: Buffer.from([0, 255, 13, 10, 45, 45]),
    };
    const list: RlmiList = {
      ...LIST,
      resources: [
        ...LIST.resources,
        { uri: 'sip:frank@home1.net', instances: [{ id: 'f1', state: 'active', cid: binary.cid }] },
      ],
    };
    const { contentType, body } = buildListNotifyBody(list, [binary, part]);
    const parsed = parseListNotifyBody(contentType, body);
    expect(parsed.list).toEqual(list);
    expect([...parsed.parts.keys()]).toEqual([part.cid, binary.cid]);
    expect(parsed.parts.get(part.cid)!.body.toString()).toBe(part.body);
    expect(parsed.parts.get(part.cid)!.contentType).toBe(part.contentType);
    expect(Buffer.compare(parsed.parts.get(binary.cid)!.body as Buffer, binary.body as Buffer)).toBe(0);
  });

  it('buildListNotifyBody refuses an instance without its part, a part no instance names, a cid twice', () => {
    expect(() => buildListNotifyBody(LIST, [])).toThrow(/no part for instance juT8hZ/);
    expect(() => buildListNotifyBody(LIST, [part, { ...part, cid: 'other@h' }])).toThrow(
      /parts no instance names: other@h/,
    );
    expect(() => buildListNotifyBody(LIST, [part, part])).toThrow(/used twice/);
    const twice: RlmiList = {
      ...LIST,
      resources: [
        LIST.resources[0]!,
        { uri: 'sip:x@h', instances: [{ id: 'x', state: 'active', cid: part.cid }] },
      ],
    };
    expect(() => buildListNotifyBody(twice, [part])).toThrow(/two instances name the part/);
    expect(() => buildListNotifyBody(LIST, [{ ...part, cid: '<bUZBsM.1@rls.home1.net>' }])).toThrow(
      /not a Content-ID/,
    );
  });

  /** A body assembled by hand, to break one rule at a time. */
  function handmade(
    rlmi: string,
    others: { cid?: string; type?: string; body: string }[],
    o: { type?: string; start?: string | null; rootCid?: string; rootType?: string } = {},
  ) {
    const root = o.rootCid ?? 'root@h';
    const mp = buildMultipart([
      {
        headers: [
          { name: 'Content-ID', value: `<${root}>` },
          { name: 'Content-Type', value: o.rootType ?? RLMI_TYPE },
        ],
        body: Buffer.from(rlmi),
      },
      ...others.map((p) => ({
        headers: [
          ...(p.cid ? [{ name: 'Content-ID', value: `<${p.cid}>` }] : []),
          { name: 'Content-Type', value: p.type ?? 'application/pidf+xml' },
        ],
        body: Buffer.from(p.body),
      })),
    ]);
    const start = o.start === null ? '' : `;start="<${o.start ?? root}>"`;
    return {
      contentType: `multipart/related;type="${o.type ?? RLMI_TYPE}"${start};boundary=${mp.boundary}`,
      body: mp.body,
    };
  }

  const rlmi = (instances: string) =>
    `<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:l@h" version="3" fullState="false"><resource uri="sip:a@h">${instances}</resource></list>`;
  const ACTIVE = '<instance id="i1" state="active" cid="a1@h"/>';

  it('a hand-made body that keeps the rules parses; without start the first part is the root', () => {
    const ok = handmade(rlmi(ACTIVE), [{ cid: 'a1@h', body: PIDF('sip:a@h') }], { start: null });
    const parsed = parseListNotifyBody(ok.contentType, ok.body);
    expect(parsed.list.version).toBe(3);
    expect(parsed.parts.get('a1@h')!.body.toString()).toBe(PIDF('sip:a@h'));
  });

  it.each([
    ['a missing part', () => handmade(rlmi(ACTIVE), []), /no part for instance i1 of sip:a@h \(cid a1@h\)/],
    [
      'a cid on a terminated instance',
      () => handmade(rlmi('<instance id="i1" state="terminated" cid="a1@h"/>'), [{ cid: 'a1@h', body: 'x' }]),
      /terminated and names part a1@h/,
    ],
    [
      'type other than RLMI',
      () => handmade(rlmi(ACTIVE), [{ cid: 'a1@h', body: 'x' }], { type: 'application/pidf+xml' }),
      /not application\/rlmi\+xml/,
    ],
    [
      'a start that names no part',
      () => handmade(rlmi(ACTIVE), [{ cid: 'a1@h', body: 'x' }], { start: 'nobody@h' }),
      /no part has the start Content-ID <nobody@h>/,
    ],
    [
      'a root that is not RLMI',
      () => handmade(rlmi(ACTIVE), [{ cid: 'a1@h', body: 'x' }], { rootType: 'application/pidf+xml' }),
      /the root part is application\/pidf\+xml/,
    ],
    [
      'an RLMI root that is not RLMI',
      () => handmade('<list/>', []),
      /the RLMI document: not an RLMI document/,
    ],
    [
      'a part without Content-ID',
      () => handmade(rlmi(ACTIVE), [{ cid: 'a1@h', body: 'x' }, { body: 'y' }]),
      /without Content-ID/,
    ],
    [
      'a Content-ID twice',
      () =>
        handmade(rlmi(ACTIVE), [
          { cid: 'a1@h', body: 'x' },
          { cid: 'a1@h', body: 'y' },
        ]),
      /Content-ID <a1@h> twice/,
    ],
  ])('parseListNotifyBody refuses %s', (_what, make, message) => {
    const { contentType, body } = make();
    expect(() => parseListNotifyBody(contentType, body)).toThrow(ListBodyError);
    expect(() => parseListNotifyBody(contentType, body)).toThrow(message);
  });

  it('parseListNotifyBody refuses what is not multipart/related or has no delimiters', () => {
    expect(() => parseListNotifyBody('application/rlmi+xml', Buffer.from(rlmi('')))).toThrow(
      /not multipart\/related/,
    );
    expect(() =>
      parseListNotifyBody('multipart/related-ish;type="application/rlmi+xml";boundary=b', Buffer.from('')),
    ).toThrow(/not multipart\/related/);
    expect(() =>
      parseListNotifyBody(
        'multipart/related;type="application/rlmi+xml";boundary=b',
        Buffer.from('no parts here'),
      ),
    ).toThrow(/the multipart body: /);
  });
});

describe('ListIds', () => {
  it('instance ids: stable per resource, distinct across resources, new after renewInstance', () => {
    const ids = new ListIds('rls.home1.net');
    const bob = ids.instanceId('sip:bob@home1.net');
    expect(ids.instanceId('sip:bob@home1.net')).toBe(bob);
    const carol = ids.instanceId('sip:carol@home1.net');
    expect(carol).not.toBe(bob);
    const renewed = ids.renewInstance('sip:bob@home1.net');
    expect(renewed).not.toBe(bob);
    expect(ids.instanceId('sip:bob@home1.net')).toBe(renewed);
    // another list subscription has ids of its own, not one constant for everyone
    expect(new ListIds('rls.home1.net').instanceId('sip:bob@home1.net')).not.toBe(bob);
  });

  it('Content-IDs: local@domain, a new one each time', () => {
    const ids = new ListIds('rls.home1.net');
    const all = new Set(Array.from({ length: 1000 }, () => ids.contentId()));
    expect(all.size).toBe(1000);
    for (const c of all) {
      expect(isContentId(c)).toBe(true);
      expect(c.endsWith('@rls.home1.net')).toBe(true);
    }
    expect(() => new ListIds('bad domain')).toThrow(/Content-ID/);
    expect(isContentId('a@[2001:db8::1]')).toBe(true);
    expect(isContentId('a..b@h')).toBe(false);
  });
});
