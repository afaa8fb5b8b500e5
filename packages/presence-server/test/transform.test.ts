/**
 * The privacy filtering of RFC 5025 3.3 on a composed PIDF document, and the polite-block document.
 * Every document transformPidf and neutralPidf return is validated with libxml2 against the schemas in
 * test/schemas: PIDF (RFC 3863 4.4), the data model and its common schema (RFC 4479 5.1), RPID (RFC 4480).
 * Other namespaces (CIPID, vendor and status extensions) are processed laxly, as the PIDF schema says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIDF_NS, XmlError } from '../src/pidf';
import { emptyTransformations, PROVIDE_ALL, type Transformations } from '../src/rules/pres-rules';
import { DATA_MODEL_NS, neutralPidf, RPID_NS, transformPidf } from '../src/rules/transform';
import { children, parseXml, textOf, type Element } from '../src/xml/dom';
import { schemaValidator } from './support-schema';

const FULL = readFileSync(join(__dirname, 'fixtures', 'rules', 'pidf-full.xml'), 'utf8');
const CIPID_NS = 'urn:ietf:params:xml:ns:pidf:cipid';
const FOO_NS = 'urn:vendor-specific:foo-namespace';

let schemaCheck: (xml: string) => string | undefined;

beforeAll(async () => {
  const driver =
    '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">' +
    `<xs:import namespace="${PIDF_NS}" schemaLocation="pidf.xsd"/>` +
    `<xs:import namespace="${DATA_MODEL_NS}" schemaLocation="data-model.xsd"/>` +
    `<xs:import namespace="${RPID_NS}" schemaLocation="rpid.xsd"/>` +
    '</xs:schema>';
  schemaCheck = await schemaValidator({ name: 'pidf-driver.xsd', text: driver }, [
    'pidf.xsd',
    'data-model.xsd',
    'rpid.xsd',
    'common-schema.xsd',
  ]);
});

/** The output, checked against the schemas, as a DOM root. */
function valid(xml: string): Element {
  expect(schemaCheck(xml)).toBeUndefined();
  return parseXml(xml).documentElement!;
}

function grant(over: Partial<Transformations>): Transformations {
  return { ...emptyTransformations(), ...over };
}
const ALL_SERVICES = { all: true, serviceUris: [], serviceUriSchemes: [], occurrenceIds: [], classes: [] };
const ALL_PERSONS = { all: true, occurrenceIds: [], classes: [] };
const ALL_DEVICES = { all: true, deviceIds: [], occurrenceIds: [], classes: [] };
const NO_SERVICES = { ...ALL_SERVICES, all: false };

const tuples = (root: Element) => children(root, PIDF_NS, 'tuple');
const ids = (els: Element[]) => els.map((e) => e.getAttribute('id'));
/** `{ns}local` of each element child */
const names = (el: Element) =>
  children(el).map((c) =>
    c.namespaceURI === PIDF_NS ? c.localName : `${prefixOf(c.namespaceURI)}:${c.localName}`,
  );
const prefixOf = (ns: string | null) =>
  ({ [DATA_MODEL_NS]: 'dm', [RPID_NS]: 'rpid', [CIPID_NS]: 'c', [FOO_NS]: 'v' })[ns ?? ''] ?? ns;
const person = (root: Element) => children(root, DATA_MODEL_NS, 'person')[0]!;

test("the fixture itself is valid (so a failure below is the transformation's)", () => {
  expect(schemaCheck(FULL)).toBeUndefined();
});

test('the schema check can fail, and checks the data model and RPID too', () => {
  const doc = (body: string) =>
    `<presence xmlns="${PIDF_NS}" xmlns:dm="${DATA_MODEL_NS}" xmlns:r="${RPID_NS}" entity="sip:a@b">${body}</presence>`;
  expect(schemaCheck(doc('<tuple id="x"/>'))).toMatch(/status/);
  expect(schemaCheck(doc('<dm:device id="d"><dm:note>no deviceID</dm:note></dm:device>'))).toMatch(
    /note|deviceID/,
  );
  expect(schemaCheck(doc('<dm:person id="p"><r:user-input>sleepy</r:user-input></dm:person>'))).toMatch(
    /sleepy|user-input/,
  );
  expect(schemaCheck(doc('<dm:person id="p"><r:user-input>idle</r:user-input></dm:person>'))).toBeUndefined();
});

test('nothing granted: no tuple, person, device or note is left, the root and entity are', () => {
  const root = valid(transformPidf(FULL, emptyTransformations()));
  expect(root.localName).toBe('presence');
  expect(root.getAttribute('entity')).toBe('sip:user2_public1@home1.net');
  expect(children(root)).toEqual([]);
});

test('all services, no attribute: status/basic, contact, service-class and timestamp stay (RFC 5025 3.3.2)', () => {
  const root = valid(transformPidf(FULL, grant({ services: ALL_SERVICES })));
  expect(ids(tuples(root))).toEqual(['t-sip', 't-mail', 't-none']);
  const [sip, mail] = tuples(root) as [Element, Element];
  expect(names(sip)).toEqual(['status', 'rpid:service-class', 'contact', 'timestamp']);
  const status = children(sip, PIDF_NS, 'status')[0]!;
  expect(names(status)).toEqual(['basic']);
  expect(textOf(status)).toBe('open');
  expect(textOf(children(mail, PIDF_NS, 'status')[0]!)).toBe('closed');
  expect(children(root, DATA_MODEL_NS, 'person')).toEqual([]);
  expect(children(root, DATA_MODEL_NS, 'device')).toEqual([]);
  expect(children(root, PIDF_NS, 'note')).toEqual([]);
});

describe('which services (RFC 5025 3.3.1.3)', () => {
  const shown = (services: Partial<Transformations['services']>) =>
    ids(tuples(valid(transformPidf(FULL, grant({ services: { ...NO_SERVICES, ...services } })))));

  test('by service URI scheme, case-sensitively; a tuple without contact has no scheme', () => {
    expect(shown({ serviceUriSchemes: ['sip'] })).toEqual(['t-sip']);
    expect(shown({ serviceUriSchemes: ['mailto', 'sip'] })).toEqual(['t-sip', 't-mail']);
    expect(shown({ serviceUriSchemes: ['SIP'] })).toEqual([]);
  });

  test('by service URI, with URI equivalence (host case)', () => {
    expect(
      shown({
        serviceUris: ['sip:user2_public1@home1.net;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6'],
      }),
    ).toEqual(['t-sip']);
    expect(shown({ serviceUris: ['sip:user2_public1@home1.net'] })).toEqual([]);
  });

  test('by occurrence id and by class', () => {
    expect(shown({ occurrenceIds: ['t-none'] })).toEqual(['t-none']);
    expect(shown({ classes: ['personal'] })).toEqual(['t-mail']);
    expect(shown({ classes: ['Personal'] })).toEqual([]);
  });
});

describe('which persons and devices (RFC 5025 3.3.1.1, 3.3.1.2)', () => {
  test('persons by class or occurrence id', () => {
    const t = (p: Partial<Transformations['persons']>) =>
      ids(
        children(
          valid(transformPidf(FULL, grant({ persons: { ...ALL_PERSONS, all: false, ...p } }))),
          DATA_MODEL_NS,
          'person',
        ),
      );
    expect(t({ classes: ['biz'] })).toEqual(['p1']);
    expect(t({ occurrenceIds: ['p1'] })).toEqual(['p1']);
    expect(t({ occurrenceIds: ['p2'] })).toEqual([]);
  });

  test('devices by deviceID (URN equivalence), class or occurrence id; deviceID and timestamp always stay', () => {
    const t = (d: Partial<Transformations['devices']>) =>
      children(
        valid(transformPidf(FULL, grant({ devices: { ...ALL_DEVICES, all: false, ...d } }))),
        DATA_MODEL_NS,
        'device',
      );
    const byId = t({ deviceIds: ['urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6'] });
    expect(ids(byId)).toEqual(['d1']);
    expect(names(byId[0]!)).toEqual(['dm:deviceID', 'dm:timestamp']);
    expect(ids(t({ classes: ['home'] }))).toEqual(['d2']);
    expect(ids(t({ occurrenceIds: ['d2', 'd1'] }))).toEqual(['d1', 'd2']);
  });
});

describe('person attributes (RFC 5025 3.3.2)', () => {
  const attrs = (over: Partial<Transformations>) =>
    names(person(valid(transformPidf(FULL, grant({ persons: ALL_PERSONS, ...over })))));

  test('without any attribute permission only the timestamp stays', () => {
    expect(attrs({})).toEqual(['dm:timestamp']);
  });

  test.each([
    ['activities', 'rpid:activities'],
    ['class', 'rpid:class'],
    ['mood', 'rpid:mood'],
    ['placeIs', 'rpid:place-is'],
    ['placeType', 'rpid:place-type'],
    ['privacy', 'rpid:privacy'],
    ['sphere', 'rpid:sphere'],
    ['statusIcon', 'rpid:status-icon'],
    ['timeOffset', 'rpid:time-offset'],
    ['note', 'dm:note'],
  ] as const)('provide %s shows %s and nothing else', (permission, element) => {
    expect(attrs({ [permission]: true })).toEqual([element, 'dm:timestamp']);
  });

  test('the notes inside a permitted element go with it, whatever provide-note says (3.3.2.13)', () => {
    const p = person(valid(transformPidf(FULL, grant({ persons: ALL_PERSONS, activities: true }))));
    const activities = children(p, RPID_NS, 'activities')[0]!;
    expect(textOf(children(activities, RPID_NS, 'note')[0]!)).toBe('lunch with Bob');
    expect(children(activities, RPID_NS, 'meal')).toHaveLength(1);
  });

  test('provide-unknown-attribute shows that element only; it cannot grant an RPID element (3.3.2.14)', () => {
    expect(
      attrs({
        unknownAttributes: [
          { ns: CIPID_NS, name: 'display-name' },
          { ns: RPID_NS, name: 'mood' },
        ],
      }),
    ).toEqual(['c:display-name', 'dm:timestamp']);
    expect(attrs({ unknownAttributes: [{ ns: FOO_NS, name: 'foo' }] })).toEqual(['v:foo', 'dm:timestamp']);
  });
});

describe('service attributes', () => {
  const sipTuple = (over: Partial<Transformations>) =>
    tuples(valid(transformPidf(FULL, grant({ services: ALL_SERVICES, ...over }))))[0]!;

  test("provide-deviceID shows the tuple's deviceID", () => {
    expect(names(sipTuple({ deviceID: true }))).toEqual([
      'status',
      'dm:deviceID',
      'rpid:service-class',
      'contact',
      'timestamp',
    ]);
  });

  test('provide-relationship, provide-privacy, provide-status-icon, provide-class, provide-note', () => {
    expect(
      names(sipTuple({ relationship: true, privacy: true, statusIcon: true, class: true, note: true })),
    ).toEqual([
      'status',
      'rpid:class',
      'rpid:privacy',
      'rpid:relationship',
      'rpid:service-class',
      'rpid:status-icon',
      'contact',
      'note',
      'timestamp',
    ]);
  });

  test('a status extension is an unknown attribute: shown only when granted', () => {
    const im = { ns: 'urn:ietf:params:xml:ns:pidf:im', name: 'im' };
    const status = (t: Element) => names(children(t, PIDF_NS, 'status')[0]!);
    expect(status(sipTuple({}))).toEqual(['basic']);
    expect(status(sipTuple({ unknownAttributes: [im] }))).toEqual([
      'basic',
      'urn:ietf:params:xml:ns:pidf:im:im',
    ]);
  });
});

describe('provide-user-input (RFC 5025 3.3.2.12)', () => {
  const userInput = (level: Transformations['userInput']) => {
    const root = valid(
      transformPidf(FULL, grant({ persons: ALL_PERSONS, services: ALL_SERVICES, userInput: level })),
    );
    const ui = (el: Element) => children(el, RPID_NS, 'user-input')[0];
    return { person: ui(person(root)), tuple: ui(tuples(root)[0]!) };
  };
  const attributes = (el: Element | undefined) =>
    el === undefined
      ? undefined
      : Array.from({ length: el.attributes.length }, (_, i) => el.attributes.item(i)!.name).sort();

  test('false removes the element', () => {
    const u = userInput('false');
    expect(u.person).toBeUndefined();
    expect(u.tuple).toBeUndefined();
  });

  test('bare keeps it without idle-threshold and last-input', () => {
    const u = userInput('bare');
    expect(textOf(u.person!)).toBe('active');
    expect(attributes(u.person)).toEqual(['id']);
    expect(attributes(u.tuple)).toEqual([]);
  });

  test('thresholds keeps the idle-threshold only', () => {
    const u = userInput('thresholds');
    expect(attributes(u.person)).toEqual(['id', 'idle-threshold']);
    expect(u.tuple!.getAttribute('idle-threshold')).toBe('600');
  });

  test('full keeps every attribute', () => {
    expect(attributes(userInput('full').person)).toEqual(['id', 'idle-threshold', 'last-input']);
  });
});

test("the presentity's note is under provide-note", () => {
  const note = (t: Transformations) => children(valid(transformPidf(FULL, t)), PIDF_NS, 'note').map(textOf);
  expect(note(grant({ note: true }))).toEqual(['Back at three']);
  expect(note(grant({}))).toEqual([]);
});

test('PROVIDE_ALL keeps every element and attribute of the document', () => {
  const out = transformPidf(FULL, PROVIDE_ALL);
  valid(out);
  const all = (xml: string) =>
    Array.from(parseXml(xml).documentElement!.getElementsByTagNameNS('*', '*')).map(
      (e) =>
        `${e.namespaceURI} ${e.localName} ${e.attributes.length} ${e.firstChild?.nodeValue?.trim() ?? ''}`,
    );
  expect(all(out)).toHaveLength(59);
  expect(all(out)).toEqual(all(FULL));
});

test.each([
  ['nothing', emptyTransformations()],
  ['services', grant({ services: ALL_SERVICES, userInput: 'bare' })],
  [
    'persons and attributes',
    grant({ persons: ALL_PERSONS, mood: true, note: true, userInput: 'thresholds' }),
  ],
  ['everything', PROVIDE_ALL],
])('filtering twice changes nothing (RFC 5025 section 4): %s', (_what, t) => {
  const once = transformPidf(FULL, t);
  expect(transformPidf(once, t)).toBe(once);
});

test('namespace declarations stay where they were written, prefixes keep working', () => {
  const doc =
    `<p:presence xmlns:p="${PIDF_NS}" entity="sip:a@home1.net"><p:tuple id="t1"><p:status><p:basic>open</p:basic></p:status>` +
    `<r:mood xmlns:r="${RPID_NS}"><r:sad/></r:mood><p:contact>sip:a@home1.net</p:contact></p:tuple>` +
    `<d:person xmlns:d="${DATA_MODEL_NS}" xmlns:r="${RPID_NS}" id="p"><r:mood><r:happy/></r:mood><d:note>x</d:note></d:person></p:presence>`;
  const out = transformPidf(doc, grant({ services: ALL_SERVICES, persons: ALL_PERSONS, mood: true }));
  expect(out).toContain('<p:presence xmlns:p="urn:ietf:params:xml:ns:pidf"');
  const root = valid(out);
  const p = person(root);
  expect(children(p, RPID_NS, 'mood')[0]!.firstChild!.localName).toBe('happy');
  expect(children(p, DATA_MODEL_NS, 'note')).toEqual([]);
  expect(names(tuples(root)[0]!)).toEqual(['status', 'rpid:mood', 'contact']);
});

test('comments and processing instructions are not passed on', () => {
  const doc = `<presence xmlns="${PIDF_NS}" entity="sip:a@b"><!-- private --><tuple id="t"><?pi x?><status><basic>open</basic><!-- c --></status></tuple></presence>`;
  const out = transformPidf(doc, PROVIDE_ALL);
  expect(out).not.toMatch(/<!--|<\?pi/);
  valid(out);
});

test.each([
  ['not XML', 'nope'],
  ['another root', `<presence xmlns="urn:example:other" entity="x"/>`],
  ['a PIDF root in no namespace', '<presence entity="x"/>'],
  ['unclosed', `<presence xmlns="${PIDF_NS}" entity="x">`],
])('%s: an XmlError', (_what, text) => {
  expect(() => transformPidf(text, PROVIDE_ALL)).toThrow(XmlError);
});

describe('neutralPidf (polite-block, RFC 5025 3.2.1)', () => {
  test('one closed service, no person, device, contact or note; the presentity as entity', () => {
    const root = valid(neutralPidf('sip:user2_public1@home1.net'));
    expect(root.getAttribute('entity')).toBe('sip:user2_public1@home1.net');
    expect(names(root)).toEqual(['tuple']);
    const t = tuples(root)[0]!;
    expect(names(t)).toEqual(['status']);
    expect(textOf(t)).toBe('closed');
  });

  test('the same document every time, the tuple id not telling what happened', () => {
    const a = neutralPidf('sip:user2_public1@home1.net');
    expect(neutralPidf('sip:user2_public1@home1.net')).toBe(a);
    expect(tuples(valid(a))[0]!.getAttribute('id')).toMatch(/^t[0-9a-f]{10}$/);
    expect(a).not.toMatch(/block/i);
  });

  test('an entity with XML special characters is escaped', () => {
    const root = valid(neutralPidf('sip:a&b@home1.net?x="<y>"'));
    expect(root.getAttribute('entity')).toBe('sip:a&b@home1.net?x="<y>"');
  });
});
