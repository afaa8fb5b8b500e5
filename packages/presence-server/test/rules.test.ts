/**
 * Presence authorization rules: parsing, each condition of RFC 4745 section 7 / RFC 5025 3.1 and the OMA
 * extensions, the combination of all matching rules (RFC 4745 section 10), the default, and the documents
 * clients write (checked against the XCAP server's schemas first, so the fixtures are what it would accept).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XmlError } from '../src/pidf';
import {
  COMMON_POLICY_NS,
  DEFAULT_SUB_HANDLING,
  OMA_POLICY_NS,
  PRES_RULES_NS,
  PROVIDE_ALL,
  emptyTransformations,
  evaluate,
  externalListRefs,
  normalizeIdentity,
  parseDateTime,
  parsePresRules,
  transformationsKey,
  type EvaluationContext,
  type Watcher,
} from '../src/rules/pres-rules';
import { schemaValidator } from './support-schema';

const FIXTURES = join(__dirname, 'fixtures', 'rules');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

const USER1 = 'sip:user1_public1@home1.net';
const USER2 = 'sip:user2_public1@home1.net';
const USER3 = 'sip:user3_public1@home1.net';
const NOW = new Date('2026-12-04T12:00:00Z');

const who = (...identities: string[]): Watcher => ({ identities, anonymous: false });
const ANONYMOUS: Watcher = { identities: [], anonymous: true };
const ctx = (extra: Partial<EvaluationContext> = {}): EvaluationContext => ({ now: NOW, ...extra });

const ruleset = (...rules: string[]) =>
  `<cr:ruleset xmlns:cr="${COMMON_POLICY_NS}" xmlns:pr="${PRES_RULES_NS}" xmlns:ocp="${OMA_POLICY_NS}">` +
  rules.join('') +
  '</cr:ruleset>';
/** a rule; `conditions` undefined: no <conditions> element at all */
const rule = (id: string, conditions: string | undefined, sub = 'allow', transformations = '') =>
  `<cr:rule id="${id}">` +
  (conditions === undefined ? '' : `<cr:conditions>${conditions}</cr:conditions>`) +
  `<cr:actions><pr:sub-handling>${sub}</pr:sub-handling></cr:actions>` +
  (transformations ? `<cr:transformations>${transformations}</cr:transformations>` : '') +
  '</cr:rule>';
const one = (...ids: string[]) =>
  `<cr:identity>${ids.map((i) => `<cr:one id="${i}"/>`).join('')}</cr:identity>`;

/** What user1 is granted by rules without conditions, one a transformations (and sub-handling) pair. */
const granted = (...rules: (string | [sub: string, transformations: string])[]) =>
  evaluate(
    parsePresRules(
      ruleset(
        ...rules.map((r, i) =>
          typeof r === 'string' ? rule(`r${i}`, undefined, 'allow', r) : rule(`r${i}`, undefined, ...r),
        ),
      ),
    ),
    who(USER1),
    ctx(),
  );

/** Whether the watcher matches a one-rule set with these conditions. */
const matches = (conditions: string | undefined, watcher: Watcher, c: EvaluationContext = ctx()) =>
  evaluate(parsePresRules(ruleset(rule('r', conditions))), watcher, c).matched.includes('r');

describe('the fixtures are what the XCAP server accepts', () => {
  let check: (xml: string) => string | undefined;
  beforeAll(async () => {
    const driver =
      '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">' +
      `<xs:import namespace="${COMMON_POLICY_NS}" schemaLocation="common-policy.xsd"/>` +
      `<xs:import namespace="${PRES_RULES_NS}" schemaLocation="pres-rules.xsd"/>` +
      `<xs:import namespace="${OMA_POLICY_NS}" schemaLocation="oma-common-policy.xsd"/>` +
      '</xs:schema>';
    check = await schemaValidator({ name: 'driver.xsd', text: driver }, [
      'common-policy.xsd',
      'pres-rules.xsd',
      'oma-common-policy.xsd',
    ]);
  });

  test.each(['oma-pres-rules.xml', 'rfc5025-example.xml'])('%s is schema-valid', (name) => {
    expect(check(fixture(name))).toBeUndefined();
  });

  test('the check can fail: a sub-handling value outside the enumeration is refused', () => {
    expect(check(ruleset(rule('r', undefined, 'maybe')))).toMatch(/sub-handling|maybe/);
  });
});

describe('parsing', () => {
  test('a document whose root is not <cp:ruleset> is an XmlError', () => {
    expect(() => parsePresRules(`<ruleset xmlns="${PRES_RULES_NS}"/>`)).toThrow(XmlError);
    expect(() => parsePresRules(`<ruleset xmlns="${PRES_RULES_NS}"/>`)).toThrow(
      /not \{urn:ietf:params:xml:ns:common-policy\}ruleset/,
    );
  });

  test.each([
    ['not XML', 'not xml at all'],
    ['unclosed', `<cr:ruleset xmlns:cr="${COMMON_POLICY_NS}">`],
    ['a DOCTYPE', `<!DOCTYPE x><cr:ruleset xmlns:cr="${COMMON_POLICY_NS}"/>`],
    ['empty', ''],
    ['a rule without id', `<cr:ruleset xmlns:cr="${COMMON_POLICY_NS}"><cr:rule/></cr:ruleset>`],
  ])('%s: an XmlError and nothing else', (_what, text) => {
    expect(() => parsePresRules(text)).toThrow(XmlError);
  });

  test('rules are read in document order with their sub-handling', () => {
    const r = parsePresRules(fixture('oma-pres-rules.xml'));
    expect(r.rules.map((x) => [x.id, x.subHandling])).toEqual([
      ['wp_prs_allow_own', 'allow'],
      ['wp_prs_grantedcontacts', 'allow'],
      ['wp_prs_blockedcontacts', 'block'],
      ['wp_prs_unlisted', 'confirm'],
      ['wp_prs_block_anonymous', 'block'],
      ['allow_user1', 'allow'],
      ['block_spammer', 'block'],
      ['home1_colleagues', 'polite-block'],
    ]);
  });

  test('externalListRefs lists every external-list entry once, as written', () => {
    const doc = ruleset(
      rule(
        'a',
        '<ocp:external-list><ocp:entry anc="http://x/l1"/><ocp:entry anc="http://x/l2"/></ocp:external-list>',
      ),
      rule('b', '<ocp:external-list><ocp:entry anc="http://x/l1"/></ocp:external-list>'),
    );
    expect(externalListRefs(parsePresRules(doc))).toEqual(['http://x/l1', 'http://x/l2']);
    expect(externalListRefs(parsePresRules(fixture('oma-pres-rules.xml')))).toEqual([
      'https://xcap.home1.net/xcap-root/resource-lists/users/sip:user2_public1@home1.net/index/~~/resource-lists/list%5B@name=%22oma_grantedcontacts%22%5D',
      'https://xcap.home1.net/xcap-root/resource-lists/users/sip:user2_public1@home1.net/index/~~/resource-lists/list%5B@name=%22oma_blockedcontacts%22%5D',
    ]);
  });

  test('xs:dateTime values with and without zones', () => {
    expect(parseDateTime('2003-12-24T17:00:00+01:00')).toBe(Date.UTC(2003, 11, 24, 16, 0, 0));
    expect(parseDateTime('2003-08-15T10:20:00.000-05:00')).toBe(Date.UTC(2003, 7, 15, 15, 20, 0));
    expect(parseDateTime('2003-12-24T17:00:00Z')).toBe(Date.UTC(2003, 11, 24, 17, 0, 0));
    expect(parseDateTime('2003-12-24T17:00:00')).toBe(Date.UTC(2003, 11, 24, 17, 0, 0));
    expect(parseDateTime('2003-02-30T00:00:00Z')).toBeUndefined();
    expect(parseDateTime('yesterday')).toBeUndefined();
  });
});

describe('<identity> (RFC 4745 7.1, RFC 5025 3.1.1)', () => {
  test('<one>: the host compares case-insensitively, the user part does not', () => {
    const cond = one('sip:user1_public1@HOME1.NET');
    expect(matches(cond, who(USER1))).toBe(true);
    expect(matches(cond, who('sip:USER1_public1@home1.net'))).toBe(false);
    expect(matches(cond, who(USER3))).toBe(false);
  });

  test('<one>: parameters and port of the rule URI are not part of the AOR; escapes are decoded', () => {
    expect(matches(one('sip:user1_public1@home1.net:5060;transport=tcp'), who(USER1))).toBe(true);
    expect(matches(one('sip:user1%5Fpublic1@home1.net'), who(USER1))).toBe(true);
  });

  test('<one>: tel URIs compare exactly and never equal a sip URI with the same number', () => {
    expect(matches(one('tel:+1-212-555-1234'), who('tel:+1-212-555-1234'))).toBe(true);
    expect(matches(one('tel:+1-212-555-1234'), who('tel:+12125551234'))).toBe(false);
    expect(matches(one('tel:+1-212-555-1234'), who('sip:+1-212-555-1234@home1.net;user=phone'))).toBe(false);
    expect(matches(one('sip:+12125551234@home1.net'), who('tel:+12125551234'))).toBe(false);
  });

  test('the children of <identity> are ORed', () => {
    const cond = one(USER1, USER3);
    expect(matches(cond, who(USER1))).toBe(true);
    expect(matches(cond, who(USER3))).toBe(true);
    expect(matches(cond, who(USER2))).toBe(false);
  });

  test('with several asserted identities, any of them matching <one> is a match', () => {
    expect(matches(one(USER1), who('tel:+4930123', USER1))).toBe(true);
  });

  test('<many/> without a domain matches any authenticated identity, never an anonymous one', () => {
    const cond = '<cr:identity><cr:many/></cr:identity>';
    expect(matches(cond, who('sip:anyone@elsewhere.example'))).toBe(true);
    expect(matches(cond, who('tel:+4930123'))).toBe(true);
    expect(matches(cond, ANONYMOUS)).toBe(false);
    // the anonymous flag wins over identities the caller still passes (Privacy: id)
    expect(matches(cond, { identities: [USER1], anonymous: true })).toBe(false);
  });

  test('<many> without a domain, with <except domain> and <except id>', () => {
    const cond =
      '<cr:identity><cr:many>' +
      '<cr:except domain="example.com"/><cr:except id="sip:alice@bad.example.net"/><cr:except id="tel:+1-212-555-1234"/>' +
      '</cr:many></cr:identity>';
    expect(matches(cond, who('sip:carol@good.example.net'))).toBe(true);
    expect(matches(cond, who('sip:bob@example.com'))).toBe(false);
    expect(matches(cond, who('sip:bob@EXAMPLE.COM'))).toBe(false);
    expect(matches(cond, who('sip:alice@bad.example.net'))).toBe(false);
    expect(matches(cond, who('sip:bob@bad.example.net'))).toBe(true);
    expect(matches(cond, who('tel:+1-212-555-1234'))).toBe(false);
    // an excepted identity among several asserted ones excludes the watcher
    expect(matches(cond, who('sip:carol@good.example.net', 'sip:carol@example.com'))).toBe(false);
  });

  test('<many domain> with <except id> matches the domain but the excepted users', () => {
    const cond = `<cr:identity><cr:many domain="home1.net"><cr:except id="${USER3}"/></cr:many></cr:identity>`;
    expect(matches(cond, who(USER1))).toBe(true);
    expect(matches(cond, who('sip:someone@HOME1.net'))).toBe(true);
    expect(matches(cond, who(USER3))).toBe(false);
    expect(matches(cond, who('sip:user1_public1@home2.net'))).toBe(false);
    expect(matches(cond, who('sip:user1@sub.home1.net'))).toBe(false);
    expect(matches(cond, who('tel:+4930123'))).toBe(false);
    expect(matches(cond, ANONYMOUS)).toBe(false);
  });

  test('<many domain>: internationalized domains compare after ToASCII (RFC 4745 7.1.3)', () => {
    const cond = '<cr:identity><cr:many domain="bücher.example"/></cr:identity>';
    expect(matches(cond, who('sip:anna@xn--bcher-kva.example'))).toBe(true);
    expect(matches(cond, who('sip:anna@bucher.example'))).toBe(false);
  });

  test('a child of <identity> in an unknown namespace is FALSE, the others still count', () => {
    const cond = `<cr:identity><x:vip xmlns:x="urn:example:x"/><cr:one id="${USER1}"/></cr:identity>`;
    expect(matches(cond, who(USER1))).toBe(true);
    expect(matches(cond, who(USER3))).toBe(false);
    expect(matches('<cr:identity><x:vip xmlns:x="urn:example:x"/></cr:identity>', who(USER3))).toBe(false);
  });
});

describe('rules without identity', () => {
  test('a rule without <conditions> matches everyone, anonymous included', () => {
    expect(matches(undefined, ANONYMOUS)).toBe(true);
    expect(matches(undefined, who(USER1))).toBe(true);
  });

  test('an empty <conditions> matches everyone, anonymous included', () => {
    expect(matches('', ANONYMOUS)).toBe(true);
    expect(matches('', who(USER3))).toBe(true);
  });

  test('a condition in an unknown namespace is FALSE (RFC 4745 7)', () => {
    expect(matches('<x:weather xmlns:x="urn:example:x" value="sunny"/>', who(USER1))).toBe(false);
  });
});

describe('<sphere> (RFC 4745 7.3)', () => {
  const cond = '<cr:sphere value="work home"/>';
  test('matches when the presentity is in one of the listed spheres, case-insensitively', () => {
    expect(matches(cond, who(USER1), ctx({ sphere: 'home' }))).toBe(true);
    expect(matches(cond, who(USER1), ctx({ sphere: 'Work' }))).toBe(true);
    expect(matches(cond, who(USER1), ctx({ sphere: 'travel' }))).toBe(false);
  });
  test('an undefined sphere matches no sphere condition', () => {
    expect(matches(cond, who(USER1), ctx())).toBe(false);
  });
});

describe('<validity> (RFC 4745 7.4)', () => {
  const cond =
    '<cr:validity>' +
    '<cr:from>2026-12-04T08:00:00+01:00</cr:from><cr:until>2026-12-04T10:00:00+01:00</cr:until>' +
    '<cr:from>2026-12-04T12:00:00Z</cr:from><cr:until>2026-12-04T13:00:00Z</cr:until>' +
    '</cr:validity>';
  test.each([
    ['inside the first interval (zone +01:00)', '2026-12-04T08:30:00Z', true],
    ['between the intervals', '2026-12-04T11:00:00Z', false],
    ['at the start of the second (from is inclusive)', '2026-12-04T12:00:00Z', true],
    ['inside the second', '2026-12-04T12:59:59Z', true],
    ['at its end (until is exclusive)', '2026-12-04T13:00:00Z', false],
    ['before every interval', '2026-12-04T06:59:59Z', false],
  ])('%s', (_what, at, expected) => {
    expect(matches(cond, who(USER1), ctx({ now: new Date(at) }))).toBe(expected);
  });
});

describe('conditions are ANDed (RFC 4745 10.1)', () => {
  const cond = `${one(USER1)}<cr:sphere value="work"/>`;
  test('identity and sphere must both hold', () => {
    expect(matches(cond, who(USER1), ctx({ sphere: 'work' }))).toBe(true);
    expect(matches(cond, who(USER1), ctx({ sphere: 'home' }))).toBe(false);
    expect(matches(cond, who(USER3), ctx({ sphere: 'work' }))).toBe(false);
  });
});

describe('OMA conditions', () => {
  test('<anonymous-request/> matches anonymous watchers only', () => {
    expect(matches('<ocp:anonymous-request/>', ANONYMOUS)).toBe(true);
    expect(matches('<ocp:anonymous-request/>', who(USER1))).toBe(false);
    // no authenticated identity is an anonymous request whatever the flag says
    expect(matches('<ocp:anonymous-request/>', { identities: [], anonymous: false })).toBe(true);
  });

  test('<external-list> matches members of the resolved list; an unresolved list matches nobody', () => {
    const cond =
      '<ocp:external-list><ocp:entry anc="http://xcap/l1"/><ocp:entry anc="http://xcap/l2"/></ocp:external-list>';
    const lists = new Map([['http://xcap/l2', new Set(['sip:friend@Other.NET', USER1])]]);
    expect(matches(cond, who('sip:friend@other.net'), ctx({ externalLists: lists }))).toBe(true);
    expect(matches(cond, who(USER1), ctx({ externalLists: lists }))).toBe(true);
    expect(matches(cond, who(USER3), ctx({ externalLists: lists }))).toBe(false);
    expect(matches(cond, who(USER1), ctx())).toBe(false);
    expect(matches(cond, ANONYMOUS, ctx({ externalLists: lists }))).toBe(false);
  });

  describe('<other-identity/>: matches when no identity condition of the rule set matched', () => {
    const doc = parsePresRules(
      ruleset(
        rule('friends', one(USER1), 'allow'),
        rule(
          'friends-in-office-hours',
          `${one(USER3)}<cr:validity><cr:from>2020-01-01T00:00:00Z</cr:from><cr:until>2020-01-02T00:00:00Z</cr:until></cr:validity>`,
          'allow',
        ),
        rule('unlisted', '<ocp:other-identity/>', 'confirm'),
        rule('anon', '<ocp:anonymous-request/>', 'block'),
      ),
    );
    test('a listed watcher is not "other"', () => {
      expect(evaluate(doc, who(USER1), ctx()).matched).toEqual(['friends']);
    });
    test('an unlisted watcher is', () => {
      expect(evaluate(doc, who('sip:stranger@other.net'), ctx())).toMatchObject({
        matched: ['unlisted'],
        subHandling: 'confirm',
      });
    });
    test('a watcher named by a rule whose validity has passed is still listed, not "other"', () => {
      expect(evaluate(doc, who(USER3), ctx()).matched).toEqual([]);
    });
    test('an anonymous watcher the anonymous-request rule takes is not "other"', () => {
      expect(evaluate(doc, ANONYMOUS, ctx())).toMatchObject({ matched: ['anon'], subHandling: 'block' });
    });
    test('without an anonymous-request rule, an anonymous watcher is "other"', () => {
      const noAnon = parsePresRules(
        ruleset(rule('friends', one(USER1)), rule('unlisted', '<ocp:other-identity/>', 'confirm')),
      );
      expect(evaluate(noAnon, ANONYMOUS, ctx()).matched).toEqual(['unlisted']);
    });
  });
});

describe('combining (RFC 4745 section 10, RFC 5025 3.2.1)', () => {
  test('two matching rules combine; the first match does not win (unlike Kamailio)', () => {
    const doc = parsePresRules(
      ruleset(
        rule(
          'colleagues',
          '<cr:identity><cr:many domain="home1.net"/></cr:identity>',
          'confirm',
          '<pr:provide-mood>true</pr:provide-mood><pr:provide-services><pr:service-uri-scheme>sip</pr:service-uri-scheme></pr:provide-services>',
        ),
        rule(
          'user1',
          one(USER1),
          'allow',
          '<pr:provide-activities>true</pr:provide-activities><pr:provide-services><pr:service-uri-scheme>mailto</pr:service-uri-scheme><pr:occurrence-id>t1</pr:occurrence-id></pr:provide-services>',
        ),
      ),
    );
    const p = evaluate(doc, who(USER1), ctx());
    expect(p.matched).toEqual(['colleagues', 'user1']);
    expect(p.subHandling).toBe('allow');
    expect(p.transformations.mood).toBe(true);
    expect(p.transformations.activities).toBe(true);
    expect(p.transformations.note).toBe(false);
    expect(p.transformations.services.serviceUriSchemes).toEqual(['mailto', 'sip']);
    expect(p.transformations.services.occurrenceIds).toEqual(['t1']);
    // the colleague who is not user1 gets only the first rule
    const q = evaluate(doc, who(USER3), ctx());
    expect(q).toMatchObject({ matched: ['colleagues'], subHandling: 'confirm' });
    expect(q.transformations.activities).toBe(false);
  });

  test('sub-handling is the maximum: block 0 < confirm 10 < polite-block 20 < allow 30', () => {
    const all = (...subs: string[]) => granted(...subs.map((x): [string, string] => [x, ''])).subHandling;
    expect(all('block', 'polite-block')).toBe('polite-block');
    expect(all('allow', 'block')).toBe('allow');
    expect(all('confirm', 'block')).toBe('confirm');
    expect(all('polite-block', 'confirm')).toBe('polite-block');
    expect(all('block')).toBe('block');
  });

  test('a matching rule without sub-handling counts as block, and still grants its transformations', () => {
    const doc = parsePresRules(
      ruleset(
        `<cr:rule id="r"><cr:transformations><pr:provide-note>true</pr:provide-note></cr:transformations></cr:rule>`,
      ),
    );
    const p = evaluate(doc, who(USER1), ctx());
    expect(p.subHandling).toBe('block');
    expect(p.transformations.note).toBe(true);
  });

  test('booleans OR: false in one rule and true in another is true', () => {
    const t = granted(
      '<pr:provide-mood>false</pr:provide-mood><pr:provide-sphere>0</pr:provide-sphere>',
      '<pr:provide-mood>true</pr:provide-mood>',
    ).transformations;
    expect(t.mood).toBe(true);
    expect(t.sphere).toBe(false);
  });

  test('provide-user-input combines by its numeric value (false 0, bare 10, thresholds 20, full 30)', () => {
    const ui = (...v: string[]) =>
      granted(...v.map((x) => `<pr:provide-user-input>${x}</pr:provide-user-input>`)).transformations
        .userInput;
    expect(ui('bare', 'thresholds')).toBe('thresholds');
    expect(ui('full', 'false')).toBe('full');
    expect(ui('false')).toBe('false');
  });

  test('sets union: devices and unknown attributes from two rules', () => {
    const t = granted(
      '<pr:provide-devices><pr:deviceID>urn:uuid:F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6</pr:deviceID><pr:class>biz</pr:class></pr:provide-devices>' +
        '<pr:provide-unknown-attribute ns="urn:x" name="b">true</pr:provide-unknown-attribute>',
      '<pr:provide-devices><pr:class>home</pr:class><pr:class>biz</pr:class></pr:provide-devices>' +
        '<pr:provide-unknown-attribute ns="urn:x" name="a">true</pr:provide-unknown-attribute>' +
        '<pr:provide-unknown-attribute ns="urn:x" name="c">false</pr:provide-unknown-attribute>',
    ).transformations;
    expect(t.devices).toEqual({
      all: false,
      deviceIds: ['urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6'],
      occurrenceIds: [],
      classes: ['biz', 'home'],
    });
    expect(t.unknownAttributes).toEqual([
      { ns: 'urn:x', name: 'a' },
      { ns: 'urn:x', name: 'b' },
    ]);
  });
});

describe('the default', () => {
  test('DEFAULT_SUB_HANDLING is block (RFC 5025 3.2.1)', () => {
    expect(DEFAULT_SUB_HANDLING).toBe('block');
  });

  test('no rule matched: sub-handling undefined, nothing granted, nothing matched', () => {
    const p = evaluate(parsePresRules(ruleset(rule('r', one(USER1)))), who(USER3), ctx());
    expect(p.subHandling).toBeUndefined();
    expect(p.matched).toEqual([]);
    expect(p.transformations).toEqual(emptyTransformations());
  });

  test('an empty rule set (as good as no document) matches nobody', () => {
    expect(evaluate(parsePresRules(ruleset()), who(USER1), ctx()).subHandling).toBeUndefined();
  });
});

describe("the phone document (OMA rules and the user's own)", () => {
  const doc = parsePresRules(fixture('oma-pres-rules.xml'));
  const [granted, blocked] = externalListRefs(doc) as [string, string];
  const lists = new Map([
    [granted, new Set(['sip:friend@other.net', 'sip:spammer@evil.example.com'])],
    [blocked, new Set(['sip:pest@other.net'])],
  ]);
  const c = ctx({ externalLists: lists });

  test('wp_prs_allow_own: the presentity watching itself gets everything, the same as PROVIDE_ALL', () => {
    const p = evaluate(doc, who(USER2), c);
    expect(p.matched).toEqual(['wp_prs_allow_own', 'home1_colleagues']);
    expect(p.subHandling).toBe('allow');
    expect(transformationsKey(p.transformations)).toBe(transformationsKey(PROVIDE_ALL));
  });

  test('the allow list rule for user1 combines with the domain rule', () => {
    const p = evaluate(doc, who(USER1), c);
    expect(p.matched).toEqual(['allow_user1', 'home1_colleagues']);
    expect(p.subHandling).toBe('allow');
    expect(p.transformations).toMatchObject({ activities: true, note: true, mood: true, userInput: 'bare' });
    expect(p.transformations.services).toMatchObject({ all: false, serviceUriSchemes: ['sip'] });
    expect(p.transformations.persons.all).toBe(true);
    expect(p.transformations.devices.all).toBe(false);
  });

  test.each([
    [
      'a colleague from the domain is polite-blocked',
      who('sip:user4_public1@home1.net'),
      'home1_colleagues',
      'polite-block',
    ],
    [
      'user3, excepted from the domain rule and named nowhere else, is unlisted',
      who(USER3),
      'wp_prs_unlisted',
      'confirm',
    ],
    [
      'a blocked contact (external list) is blocked',
      who('sip:pest@other.net'),
      'wp_prs_blockedcontacts',
      'block',
    ],
    [
      'an anonymous watcher is blocked by wp_prs_block_anonymous',
      ANONYMOUS,
      'wp_prs_block_anonymous',
      'block',
    ],
    ['a stranger is unlisted', who('sip:stranger@other.net'), 'wp_prs_unlisted', 'confirm'],
  ] as const)('%s', (_what, watcher, rule, subHandling) => {
    expect(evaluate(doc, watcher, c)).toMatchObject({ matched: [rule], subHandling });
  });

  test('a granted contact (external list) is allowed with all attributes', () => {
    const p = evaluate(doc, who('sip:friend@other.net'), c);
    expect(p).toMatchObject({ matched: ['wp_prs_grantedcontacts'], subHandling: 'allow' });
    expect(p.transformations.allAttributes).toBe(true);
  });

  test('NOTE WELL (RFC 5025 3.2.1): a block rule does not win over an allow rule that also matches', () => {
    expect(evaluate(doc, who('sip:spammer@evil.example.com'), c)).toMatchObject({
      matched: ['wp_prs_grantedcontacts', 'block_spammer'],
      subHandling: 'allow',
    });
    // without the list the spammer is only blocked (and named, so not "other")
    expect(evaluate(doc, who('sip:spammer@evil.example.com'), ctx())).toMatchObject({
      matched: ['block_spammer'],
      subHandling: 'block',
    });
  });
});

test('the RFC 5025 section 6 example: what user@example.com is granted', () => {
  const p = evaluate(parsePresRules(fixture('rfc5025-example.xml')), who('sip:user@example.com'), ctx());
  expect(p.subHandling).toBe('allow');
  expect(p.transformations).toEqual({
    ...emptyTransformations(),
    services: {
      all: false,
      serviceUris: [],
      serviceUriSchemes: ['mailto', 'sip'],
      occurrenceIds: [],
      classes: [],
    },
    persons: { all: true, occurrenceIds: [], classes: [] },
    activities: true,
    userInput: 'bare',
    unknownAttributes: [{ ns: 'urn:vendor-specific:foo-namespace', name: 'foo' }],
  });
});

describe('transformationsKey and PROVIDE_ALL', () => {
  const doc = (a: string, b: string) => granted(a, b).transformations;
  const sip = '<pr:provide-services><pr:service-uri-scheme>sip</pr:service-uri-scheme></pr:provide-services>';
  const mailto =
    '<pr:provide-services><pr:service-uri-scheme>mailto</pr:service-uri-scheme></pr:provide-services>';

  test('equal grants written in another order have equal keys', () => {
    expect(transformationsKey(doc(sip, mailto))).toBe(transformationsKey(doc(mailto, sip)));
  });

  test('different grants have different keys', () => {
    expect(transformationsKey(doc(sip, ''))).not.toBe(transformationsKey(doc(mailto, '')));
    expect(transformationsKey(doc(sip, '<pr:provide-note>true</pr:provide-note>'))).not.toBe(
      transformationsKey(doc(sip, '')),
    );
    expect(transformationsKey(emptyTransformations())).not.toBe(transformationsKey(PROVIDE_ALL));
  });

  test('sets that cannot matter under all-services do not change the key', () => {
    const all = '<pr:provide-services><pr:all-services/></pr:provide-services>';
    expect(transformationsKey(doc(all, sip))).toBe(transformationsKey(doc(all, '')));
  });

  test('the key is plain JSON and the value plain data', () => {
    expect(() => JSON.parse(transformationsKey(PROVIDE_ALL))).not.toThrow();
    expect(JSON.parse(JSON.stringify(PROVIDE_ALL))).toEqual(PROVIDE_ALL);
  });

  test('PROVIDE_ALL grants every component and attribute and cannot be changed', () => {
    expect(PROVIDE_ALL).toMatchObject({
      services: { all: true },
      persons: { all: true },
      devices: { all: true },
      allAttributes: true,
      userInput: 'full',
    });
    expect(() => {
      (PROVIDE_ALL as { note: boolean }).note = false;
    }).toThrow(TypeError);
    expect(() => PROVIDE_ALL.unknownAttributes.push({ ns: 'x', name: 'y' })).toThrow(TypeError);
  });
});

test('identities are normalized as src/identity.ts does (sips as sip, no port, host lower case)', () => {
  expect(normalizeIdentity('sips:Alice@Example.COM:5061;transport=tls')).toBe('sip:Alice@example.com');
  expect(normalizeIdentity('SIP:bob@[2001:DB8::1]:5060')).toBe('sip:bob@[2001:db8::1]');
  expect(normalizeIdentity('TEL:+1-212-555-1234')).toBe('tel:+1-212-555-1234');
});
