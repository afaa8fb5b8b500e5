/**
 * Presence authorization rules: the common-policy framework (RFC 4745) with its presence usage (RFC 5025) and
 * the OMA condition extensions (OMA-TS-XDM_Core, namespace urn:oma:xml:xdm:common-policy).
 *
 * What it implements: parsing a `<cp:ruleset>` into plain data; the conditions of RFC 4745 section 7
 * (`<identity>` with `<one>` and `<many>`/`<except>`, `<sphere>`, `<validity>`), as RFC 5025 section 3.1 makes
 * them concrete for SIP, and the OMA `<anonymous-request>`, `<other-identity>` and `<external-list>`; the
 * `<sub-handling>` action (RFC 5025 3.2.1) and the provide-* transformations (RFC 5025 3.3); the combination
 * of every matching rule (RFC 4745 section 10), not the first match only as Kamailio's presence_xml does.
 *
 * What it does not: fetch the resource lists an `<external-list>` points at (the caller resolves the URIs of
 * {@link externalListRefs}), compute the presentity's sphere (RFC 5025 3.1.2: the caller passes it), rewrite the
 * PIDF document (./transform), or know the OMA pres-rules extension namespace (urn:oma:xml:prs:pres-rules:
 * provide-willingness, service-id ...): its permissions are ignored, which only ever shows less (RFC 4745
 * section 4, "permit only"). Conditions in a namespace it does not know are FALSE (RFC 4745 section 7).
 */
import { domainToASCII } from 'node:url';
import { XmlError } from '../pidf';
import { attr, children, parseXml, textOf, type Element } from '../xml/dom';

export const COMMON_POLICY_NS = 'urn:ietf:params:xml:ns:common-policy';
export const PRES_RULES_NS = 'urn:ietf:params:xml:ns:pres-rules';
export const OMA_POLICY_NS = 'urn:oma:xml:xdm:common-policy';

export type SubHandling = 'block' | 'confirm' | 'polite-block' | 'allow';

/** RFC 5025 3.2.1: sub-handling is an enumerated integer; combining takes the maximum. */
const SUB_HANDLING_VALUE: Record<SubHandling, number> = {
  block: 0,
  confirm: 10,
  'polite-block': 20,
  allow: 30,
};

/**
 * RFC 5025 3.2.1: "block ... has the value of zero, and it represents the default value"; RFC 4745 10.2: a
 * permission no matching rule sets takes its lowest value. So a watcher that no rule matches (and every
 * watcher when the presentity has no rules document, an empty rule set) is blocked. Kamailio answers pending
 * when there is no document (RFC 3857's "subscribe, no policy" branch): a caller that wants the presentity
 * asked first (winfo) decides that itself; OMA clients write that default as a rule (`<other-identity/>`
 * with confirm).
 */
export const DEFAULT_SUB_HANDLING: SubHandling = 'block';

export type UserInputPermission = 'false' | 'bare' | 'thresholds' | 'full';
/** RFC 5025 3.3.2.12: the numeric values of provide-user-input. */
const USER_INPUT_VALUE: Record<UserInputPermission, number> = {
  false: 0,
  bare: 10,
  thresholds: 20,
  full: 30,
};

/** RFC 5025 3.3.1.3: the services (tuples) a watcher may see. Sets hold normalized values, sorted. */
export interface ServicePermission {
  all: boolean;
  /** URI-normalized (see {@link normalizeServiceUri}) */
  serviceUris: string[];
  /** compared case-sensitively with the scheme of the tuple's contact */
  serviceUriSchemes: string[];
  occurrenceIds: string[];
  classes: string[];
}

/** RFC 5025 3.3.1.2 */
export interface PersonPermission {
  all: boolean;
  occurrenceIds: string[];
  classes: string[];
}

/** RFC 5025 3.3.1.1 */
export interface DevicePermission {
  all: boolean;
  /** URI-normalized */
  deviceIds: string[];
  occurrenceIds: string[];
  classes: string[];
}

export interface UnknownAttribute {
  ns: string;
  name: string;
}

/** The combined provide-* permissions of RFC 5025 3.3, plain data (JSON-safe). */
export interface Transformations {
  services: ServicePermission;
  persons: PersonPermission;
  devices: DevicePermission;
  allAttributes: boolean;
  activities: boolean;
  class: boolean;
  deviceID: boolean;
  mood: boolean;
  placeIs: boolean;
  placeType: boolean;
  privacy: boolean;
  relationship: boolean;
  statusIcon: boolean;
  sphere: boolean;
  timeOffset: boolean;
  note: boolean;
  userInput: UserInputPermission;
  /** granted (value true) provide-unknown-attribute permissions, sorted by ns then name */
  unknownAttributes: UnknownAttribute[];
}

export type IdentityMatcher =
  | { kind: 'one'; id: string }
  | { kind: 'many'; domain?: string; exceptIds: string[]; exceptDomains: string[]; understood: boolean }
  /** a child of `<identity>` in a namespace not known here: FALSE (RFC 4745 7.1.1) */
  | { kind: 'unknown'; name: string };

export type Condition =
  | { kind: 'identity'; matchers: IdentityMatcher[] }
  /** tokens lower-cased: compared case-insensitively (RFC 4745 7.3) */
  | { kind: 'sphere'; values: string[] }
  /** [from, until) in ms since the epoch; an unparsable pair is dropped (it can never be valid) */
  | { kind: 'validity'; intervals: [number, number][] }
  | { kind: 'external-list'; ancs: string[] }
  | { kind: 'anonymous-request' }
  | { kind: 'other-identity' }
  | { kind: 'unknown'; name: string };

export interface Rule {
  id: string;
  conditions: Condition[];
  /** undefined when the rule has no sub-handling action */
  subHandling?: SubHandling;
  transformations: Transformations;
}

export interface PresRules {
  rules: Rule[];
}

export interface Watcher {
  /** the watcher's authenticated identities as AORs ('sip:user@host', host lower case) or tel URIs; empty when anonymous */
  identities: string[];
  anonymous: boolean; // Privacy: id, or no authenticated identity
}

export interface EvaluationContext {
  now: Date;
  /** the presentity's current sphere (RPID <sphere> of its composed PIDF), if any */
  sphere?: string;
  /** members (AORs) of each external list, by its anc URI, as resolved by the caller; an unresolved list matches nobody */
  externalLists?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface Permissions {
  /** undefined when no rule matched */
  subHandling?: SubHandling;
  transformations: Transformations;
  /** ids of the rules that matched, in document order (for logs and tests) */
  matched: string[];
}

/** Every permission at its lowest value (nothing granted) or at its highest. */
function uniform(all: boolean): Transformations {
  return {
    services: { all, serviceUris: [], serviceUriSchemes: [], occurrenceIds: [], classes: [] },
    persons: { all, occurrenceIds: [], classes: [] },
    devices: { all, deviceIds: [], occurrenceIds: [], classes: [] },
    allAttributes: all,
    activities: all,
    class: all,
    deviceID: all,
    mood: all,
    placeIs: all,
    placeType: all,
    privacy: all,
    relationship: all,
    statusIcon: all,
    sphere: all,
    timeOffset: all,
    note: all,
    userInput: all ? 'full' : 'false',
    unknownAttributes: [],
  };
}

/** Nothing granted: the value of every permission when no rule grants it (RFC 4745 10.2). */
export function emptyTransformations(): Transformations {
  return uniform(false);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The transformations that provide everything (the presentity watching itself). */
export const PROVIDE_ALL: Transformations = deepFreeze(uniform(true));

// ---------------------------------------------------------------------------------------------------------
// URIs and domains

/** The scheme (case-folded: RFC 3986 3.1) and the rest of a URI; undefined without a scheme. */
function splitScheme(uri: string): [string, string] | undefined {
  const s = uri.trim();
  const colon = s.indexOf(':');
  return colon > 0 ? [s.slice(0, colon).toLowerCase(), s.slice(colon + 1)] : undefined;
}

/**
 * An identity URI in the form the watcher's identities come in (src/identity.ts `aor`): sip and sips as
 * `sip:user@host`, host lower case, escapes in the user decoded, no port, parameters or headers; the user part
 * stays case-sensitive (RFC 3261 19.1.4). tel URIs are compared exactly (only the scheme's case is folded);
 * other schemes likewise. Folding sips into sip follows identity.ts: the scheme says how the watcher reached
 * us, not who it is.
 */
export function normalizeIdentity(uri: string): string {
  const parts = splitScheme(uri);
  if (!parts) return uri.trim();
  const [scheme, rest] = parts;
  if (scheme !== 'sip' && scheme !== 'sips') return `${scheme}:${rest}`;
  const at = rest.lastIndexOf('@');
  let user = at >= 0 ? rest.slice(0, at) : undefined;
  let hostPart = at >= 0 ? rest.slice(at + 1) : rest;
  hostPart = hostPart.split(/[;?]/)[0]!;
  let host: string;
  if (hostPart.startsWith('[')) {
    const end = hostPart.indexOf(']');
    host = end > 0 ? hostPart.slice(0, end + 1) : hostPart;
  } else {
    host = hostPart.split(':')[0]!;
  }
  if (user !== undefined) {
    user = user.split(':')[0]!; // a password is not part of who it is
    try {
      user = decodeURIComponent(user);
    } catch {
      // kept as written
    }
  }
  return user !== undefined && user !== ''
    ? `sip:${user}@${host.toLowerCase()}`
    : `sip:${host.toLowerCase()}`;
}

/** The domain of an identity for `<many domain>` and `<except domain>`; tel URIs have none. */
function domainOf(identity: string): string | undefined {
  const colon = identity.indexOf(':');
  const scheme = identity.slice(0, colon).toLowerCase();
  if (scheme === 'tel' || colon < 0) return undefined;
  const rest = identity.slice(colon + 1);
  const at = rest.lastIndexOf('@');
  const hostPart = at >= 0 ? rest.slice(at + 1) : rest;
  const host = hostPart.startsWith('[')
    ? hostPart.slice(0, hostPart.indexOf(']') + 1)
    : hostPart.split(/[;?:/>]/)[0]!;
  return host === '' ? undefined : host;
}

/**
 * RFC 4745 7.1.3: percent-decoding, then ToASCII (RFC 3490), then ASCII equality per label (case-folded, as
 * DNS labels are). A domain that does not convert equals nothing.
 */
function asciiDomain(d: string): string | undefined {
  let s = d.trim();
  try {
    s = decodeURIComponent(s);
  } catch {
    // kept as written
  }
  if (s === '') return undefined;
  const a = domainToASCII(s.toLowerCase());
  return a === '' ? undefined : a.toLowerCase();
}

function sameDomain(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = asciiDomain(a);
  return x !== undefined && x === asciiDomain(b);
}

/**
 * URI equivalence for `<service-uri>` and `<deviceID>` (RFC 5025 3.3.1): the scheme case-folded; sip/sips as
 * {@link normalizeIdentity} but keeping the port and parameters; for URNs the namespace identifier folded, and
 * the whole of a urn:uuid (RFC 4122 3: hex digits compare case-insensitively). Other URIs compare as written.
 */
export function normalizeServiceUri(uri: string): string {
  const parts = splitScheme(uri);
  if (!parts) return uri.trim();
  const [scheme, rest] = parts;
  if (scheme === 'sip' || scheme === 'sips') {
    const at = rest.lastIndexOf('@');
    const user = at >= 0 ? rest.slice(0, at + 1) : '';
    const hostAndParams = at >= 0 ? rest.slice(at + 1) : rest;
    const cut = hostAndParams.search(/[;?]/);
    const host = cut >= 0 ? hostAndParams.slice(0, cut) : hostAndParams;
    const tail = cut >= 0 ? hostAndParams.slice(cut) : '';
    return `${scheme}:${user}${host.toLowerCase()}${tail}`;
  }
  if (scheme === 'urn') {
    const c2 = rest.indexOf(':');
    if (c2 < 0) return `urn:${rest.toLowerCase()}`;
    const nid = rest.slice(0, c2).toLowerCase();
    const nss = rest.slice(c2 + 1);
    return `urn:${nid}:${nid === 'uuid' ? nss.toLowerCase() : nss}`;
  }
  return `${scheme}:${rest}`;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

/** xs:dateTime to ms since the epoch; a value without a zone is taken as UTC. undefined when it is not one. */
export function parseDateTime(text: string): number | undefined {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(
    text.trim(),
  );
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || mi > 59 || se > 59) return undefined;
  if (h > 24 || (h === 24 && (mi !== 0 || se !== 0))) return undefined;
  const ms = m[7] ? Math.floor(Number(m[7]) * 1000) : 0;
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, se, ms));
  date.setUTCFullYear(y);
  let t = date.getTime();
  if (Number.isNaN(t)) return undefined;
  // Date.UTC rolls 31 February over into March: the day must exist in that month
  const probe = new Date(Date.UTC(2000, mo - 1, 1));
  probe.setUTCFullYear(y);
  probe.setUTCMonth(mo, 0);
  if (d > probe.getUTCDate()) return undefined;
  const zone = m[8];
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 14 || zm > 59) return undefined;
    t -= sign * (zh * 60 + zm) * 60_000;
  }
  return t;
}

function parseBoolean(el: Element): boolean {
  const v = textOf(el);
  return v === 'true' || v === '1';
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

function parseIdentity(el: Element): Condition {
  const matchers: IdentityMatcher[] = [];
  for (const c of children(el)) {
    if (c.namespaceURI === COMMON_POLICY_NS && c.localName === 'one') {
      matchers.push({ kind: 'one', id: normalizeIdentity(attr(c, 'id') ?? '') });
    } else if (c.namespaceURI === COMMON_POLICY_NS && c.localName === 'many') {
      const exceptIds: string[] = [];
      const exceptDomains: string[] = [];
      let understood = true;
      for (const e of children(c)) {
        if (e.namespaceURI === COMMON_POLICY_NS && e.localName === 'except') {
          const id = attr(e, 'id');
          const domain = attr(e, 'domain');
          if (id !== undefined) exceptIds.push(normalizeIdentity(id));
          if (domain !== undefined) exceptDomains.push(domain);
        } else {
          // an extension inside <many> may narrow it in a way not understood here: privacy-safe FALSE
          understood = false;
        }
      }
      const domain = attr(c, 'domain');
      matchers.push({
        kind: 'many',
        ...(domain !== undefined ? { domain } : {}),
        exceptIds,
        exceptDomains,
        understood,
      });
    } else {
      matchers.push({ kind: 'unknown', name: `{${c.namespaceURI ?? ''}}${c.localName}` });
    }
  }
  return { kind: 'identity', matchers };
}

function parseValidity(el: Element): Condition {
  const intervals: [number, number][] = [];
  let from: number | undefined;
  let pending = false;
  for (const c of children(el, COMMON_POLICY_NS)) {
    if (c.localName === 'from') {
      from = parseDateTime(textOf(c));
      pending = true;
    } else if (c.localName === 'until' && pending) {
      const until = parseDateTime(textOf(c));
      if (from !== undefined && until !== undefined) intervals.push([from, until]);
      pending = false;
    }
  }
  return { kind: 'validity', intervals };
}

function parseCondition(c: Element): Condition {
  const ns = c.namespaceURI;
  const name = c.localName ?? '';
  if (ns === COMMON_POLICY_NS) {
    if (name === 'identity') return parseIdentity(c);
    if (name === 'sphere') {
      const values = (attr(c, 'value') ?? '')
        .split(/\s+/)
        .filter((v) => v !== '')
        .map((v) => v.toLowerCase());
      return { kind: 'sphere', values };
    }
    if (name === 'validity') return parseValidity(c);
  } else if (ns === OMA_POLICY_NS) {
    if (name === 'anonymous-request') return { kind: 'anonymous-request' };
    if (name === 'other-identity') return { kind: 'other-identity' };
    if (name === 'external-list') {
      const ancs: string[] = [];
      for (const e of children(c, OMA_POLICY_NS, 'entry')) {
        const anc = attr(e, 'anc')?.trim();
        if (anc) ancs.push(anc);
      }
      return { kind: 'external-list', ancs };
    }
  }
  return { kind: 'unknown', name: `{${ns ?? ''}}${name}` };
}

const BOOLEAN_PERMISSIONS = {
  'provide-activities': 'activities',
  'provide-class': 'class',
  'provide-deviceID': 'deviceID',
  'provide-mood': 'mood',
  'provide-place-is': 'placeIs',
  'provide-place-type': 'placeType',
  'provide-privacy': 'privacy',
  'provide-relationship': 'relationship',
  'provide-status-icon': 'statusIcon',
  'provide-sphere': 'sphere',
  'provide-time-offset': 'timeOffset',
  'provide-note': 'note',
} as const satisfies Record<string, keyof Transformations>;

function parseTransformations(el: Element | undefined): Transformations {
  const t = emptyTransformations();
  if (!el) return t;
  const unknown = new Map<string, UnknownAttribute>();
  for (const c of children(el, PRES_RULES_NS)) {
    const name = c.localName ?? '';
    const kids = children(c, PRES_RULES_NS);
    const values = (local: string) => kids.filter((k) => k.localName === local).map((k) => textOf(k));
    if (name === 'provide-services') {
      t.services = {
        all: kids.some((k) => k.localName === 'all-services'),
        serviceUris: sortedUnique(values('service-uri').map(normalizeServiceUri)),
        serviceUriSchemes: sortedUnique(values('service-uri-scheme')),
        occurrenceIds: sortedUnique(values('occurrence-id')),
        classes: sortedUnique(values('class')),
      };
    } else if (name === 'provide-persons') {
      t.persons = {
        all: kids.some((k) => k.localName === 'all-persons'),
        occurrenceIds: sortedUnique(values('occurrence-id')),
        classes: sortedUnique(values('class')),
      };
    } else if (name === 'provide-devices') {
      t.devices = {
        all: kids.some((k) => k.localName === 'all-devices'),
        deviceIds: sortedUnique(values('deviceID').map(normalizeServiceUri)),
        occurrenceIds: sortedUnique(values('occurrence-id')),
        classes: sortedUnique(values('class')),
      };
    } else if (name === 'provide-all-attributes') {
      t.allAttributes = true;
    } else if (name === 'provide-user-input') {
      const v = textOf(c);
      if (Object.hasOwn(USER_INPUT_VALUE, v))
        t.userInput = maxUserInput(t.userInput, v as UserInputPermission);
    } else if (name === 'provide-unknown-attribute') {
      const ns = attr(c, 'ns');
      const local = attr(c, 'name');
      if (ns !== undefined && local !== undefined && parseBoolean(c))
        unknown.set(`${ns} ${local}`, { ns, name: local });
    } else if (Object.hasOwn(BOOLEAN_PERMISSIONS, name)) {
      const key = BOOLEAN_PERMISSIONS[name as keyof typeof BOOLEAN_PERMISSIONS];
      t[key] = t[key] || parseBoolean(c);
    }
  }
  t.unknownAttributes = sortUnknown(unknown.values());
  return t;
}

function sortUnknown(u: Iterable<UnknownAttribute>): UnknownAttribute[] {
  const byKey = new Map<string, UnknownAttribute>();
  for (const a of u) byKey.set(`${a.ns} ${a.name}`, { ns: a.ns, name: a.name });
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

function maxUserInput(a: UserInputPermission, b: UserInputPermission): UserInputPermission {
  return USER_INPUT_VALUE[b] > USER_INPUT_VALUE[a] ? b : a;
}

function maxSubHandling(a: SubHandling | undefined, b: SubHandling | undefined): SubHandling | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return SUB_HANDLING_VALUE[b] > SUB_HANDLING_VALUE[a] ? b : a;
}

/** Parses a pres-rules document (RFC 5025, OMA). XmlError when it is not XML or its root is not `<cp:ruleset>`. */
export function parsePresRules(xml: string): PresRules {
  const doc = parseXml(xml);
  const root = doc.documentElement!;
  if (root.namespaceURI !== COMMON_POLICY_NS || root.localName !== 'ruleset')
    throw new XmlError(
      `the root element is {${root.namespaceURI ?? ''}}${root.localName}, not {${COMMON_POLICY_NS}}ruleset`,
    );
  const rules: Rule[] = [];
  for (const r of children(root, COMMON_POLICY_NS, 'rule')) {
    const id = attr(r, 'id');
    if (id === undefined) throw new XmlError('a rule without an id attribute');
    const conditionsEl = children(r, COMMON_POLICY_NS, 'conditions')[0];
    const conditions = conditionsEl ? children(conditionsEl).map(parseCondition) : [];
    let subHandling: SubHandling | undefined;
    for (const a of children(r, COMMON_POLICY_NS, 'actions')) {
      for (const s of children(a, PRES_RULES_NS, 'sub-handling')) {
        const v = textOf(s);
        if (Object.hasOwn(SUB_HANDLING_VALUE, v)) subHandling = maxSubHandling(subHandling, v as SubHandling);
      }
    }
    const transformations = parseTransformations(children(r, COMMON_POLICY_NS, 'transformations')[0]);
    rules.push({ id, conditions, ...(subHandling !== undefined ? { subHandling } : {}), transformations });
  }
  return { rules };
}

/** absolute URIs of every OMA <external-list><entry anc="..."> in the rules, for the caller to resolve */
export function externalListRefs(rules: PresRules): string[] {
  const out = new Set<string>();
  for (const r of rules.rules)
    for (const c of r.conditions) if (c.kind === 'external-list') for (const a of c.ancs) out.add(a);
  return [...out];
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation

interface Subject {
  identities: string[];
  anonymous: boolean;
}

function matchesOne(m: IdentityMatcher, w: Subject): boolean {
  // RFC 4745 7.1.1: only authenticated identities match; RFC 5025 3.1.1.2: with several asserted identities,
  // any of them matching a <one> or an <except> counts
  if (w.anonymous || w.identities.length === 0) return false;
  if (m.kind === 'one') return w.identities.includes(m.id);
  if (m.kind === 'unknown' || !m.understood) return false;
  const inScope = w.identities.some((i) => m.domain === undefined || sameDomain(domainOf(i), m.domain));
  if (!inScope) return false;
  const excluded = w.identities.some(
    (i) => m.exceptIds.includes(i) || m.exceptDomains.some((d) => sameDomain(domainOf(i), d)),
  );
  return !excluded;
}

/** The watcher's identity conditions (identity, external-list, anonymous-request) that OMA's other-identity looks at. */
function identityLikeTrue(c: Condition, w: Subject, ctx: EvaluationContext): boolean {
  switch (c.kind) {
    case 'identity':
      // RFC 4745 7.1.1: the children of <identity> are ORed
      return c.matchers.some((m) => matchesOne(m, w));
    case 'external-list':
      if (w.anonymous || w.identities.length === 0) return false;
      return c.ancs.some((anc) => {
        const members = ctx.externalLists?.get(anc);
        if (!members) return false;
        return [...members].some((m) => w.identities.includes(normalizeIdentity(m)));
      });
    case 'anonymous-request':
      return w.anonymous;
    default:
      return false;
  }
}

function conditionTrue(c: Condition, w: Subject, ctx: EvaluationContext, listedElsewhere: boolean): boolean {
  switch (c.kind) {
    case 'identity':
    case 'external-list':
    case 'anonymous-request':
      return identityLikeTrue(c, w, ctx);
    case 'other-identity':
      return !listedElsewhere;
    case 'sphere': {
      if (ctx.sphere === undefined) return false;
      const current = ctx.sphere.trim().toLowerCase();
      return current !== '' && c.values.includes(current);
    }
    case 'validity': {
      // RFC 4745 7.4: now >= from and now < until, for any pair
      const now = ctx.now.getTime();
      return c.intervals.some(([from, until]) => now >= from && now < until);
    }
    case 'unknown':
      return false;
  }
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return sortedUnique([...a, ...b]);
}

/** The boolean permissions of {@link Transformations}, in a fixed order (the key depends on it). */
const BOOLEAN_FIELDS = [
  'allAttributes',
  'activities',
  'class',
  'deviceID',
  'mood',
  'placeIs',
  'placeType',
  'privacy',
  'relationship',
  'statusIcon',
  'sphere',
  'timeOffset',
  'note',
] as const satisfies readonly (keyof Transformations)[];

/** RFC 4745 10.2: booleans OR, integers (enumerated) max, sets union. */
export function combineTransformations(a: Transformations, b: Transformations): Transformations {
  // the booleans are set below; a's values only fill the object
  const out: Transformations = {
    ...a,
    services: {
      all: a.services.all || b.services.all,
      serviceUris: union(a.services.serviceUris, b.services.serviceUris),
      serviceUriSchemes: union(a.services.serviceUriSchemes, b.services.serviceUriSchemes),
      occurrenceIds: union(a.services.occurrenceIds, b.services.occurrenceIds),
      classes: union(a.services.classes, b.services.classes),
    },
    persons: {
      all: a.persons.all || b.persons.all,
      occurrenceIds: union(a.persons.occurrenceIds, b.persons.occurrenceIds),
      classes: union(a.persons.classes, b.persons.classes),
    },
    devices: {
      all: a.devices.all || b.devices.all,
      deviceIds: union(a.devices.deviceIds, b.devices.deviceIds),
      occurrenceIds: union(a.devices.occurrenceIds, b.devices.occurrenceIds),
      classes: union(a.devices.classes, b.devices.classes),
    },
    userInput: maxUserInput(a.userInput, b.userInput),
    unknownAttributes: sortUnknown([...a.unknownAttributes, ...b.unknownAttributes]),
  };
  for (const k of BOOLEAN_FIELDS) out[k] = a[k] || b[k];
  return out;
}

/**
 * The permissions of every rule whose conditions all hold (RFC 4745 10.1: the conditions of a rule are ANDed,
 * and the rule set is unordered: no first match), combined per RFC 4745 10.2.
 *
 * An anonymous watcher (the caller's `anonymous`) matches no identity condition even if identities are given:
 * the presentity's rule for anonymous requests then decides, which is the privacy-safe reading when RFC 5025
 * 3.1.1.2 (an asserted identity behind Privacy: id still counts) and OMA's anonymous-request disagree.
 *
 * OMA `<other-identity>` is TRUE when no `<identity>`, `<external-list>` or `<anonymous-request>` condition
 * of any rule of the set is TRUE for this watcher, judged on that condition alone (a listed watcher whose rule
 * is out of its validity is still listed, not "other"): it is the catch-all for watchers the presentity has
 * not classified.
 */
export function evaluate(rules: PresRules, watcher: Watcher, ctx: EvaluationContext): Permissions {
  // no authenticated identity is anonymous too (RFC 5025 3.1.1.1), whatever the flag says
  const anonymous = watcher.anonymous || watcher.identities.length === 0;
  const w: Subject = {
    anonymous,
    identities: anonymous ? [] : [...new Set(watcher.identities.map(normalizeIdentity))],
  };
  const listedElsewhere = rules.rules.some((r) => r.conditions.some((c) => identityLikeTrue(c, w, ctx)));
  let subHandling: SubHandling | undefined;
  let matchedAny = false;
  let transformations = emptyTransformations();
  const matched: string[] = [];
  for (const r of rules.rules) {
    if (!r.conditions.every((c) => conditionTrue(c, w, ctx, listedElsewhere))) continue;
    matched.push(r.id);
    matchedAny = true;
    // a matching rule without the action contributes the lowest value, block (RFC 4745 10.2, RFC 5025 3.2.1)
    subHandling = maxSubHandling(subHandling, r.subHandling ?? 'block');
    transformations = combineTransformations(transformations, r.transformations);
  }
  return { ...(matchedAny ? { subHandling } : {}), transformations, matched };
}

/**
 * A stable string key for a Transformations value (watchers with equal keys get the same NOTIFY body: used as a
 * cache key). Values that cannot change the body are left out: the identifying sets of a component granted in
 * full, and the per-attribute permissions once provide-all-attributes grants them all.
 */
export function transformationsKey(t: Transformations): string {
  const all = t.allAttributes;
  const canonical = {
    s: t.services.all
      ? true
      : [
          t.services.serviceUris,
          t.services.serviceUriSchemes,
          t.services.occurrenceIds,
          t.services.classes,
        ].map((a) => [...a].sort()),
    p: t.persons.all ? true : [t.persons.occurrenceIds, t.persons.classes].map((a) => [...a].sort()),
    d: t.devices.all
      ? true
      : [t.devices.deviceIds, t.devices.occurrenceIds, t.devices.classes].map((a) => [...a].sort()),
    a: all
      ? true
      : {
          b: BOOLEAN_FIELDS.filter((k) => k !== 'allAttributes')
            .map((k) => (t[k] ? 1 : 0))
            .join(''),
          u: t.userInput,
          x: sortUnknown(t.unknownAttributes).map((u) => [u.ns, u.name]),
        },
  };
  return JSON.stringify(canonical);
}
