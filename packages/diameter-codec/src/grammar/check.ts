/**
 * Checks a decoded message against its command grammar: Session-Id first where the grammar fixes it (the only
 * order rule: requests arrive in any AVP order, DESIGN.md 11), required AVPs (5005 with an example Failed-AVP),
 * occurrence limits (5009), AVPs a closed grammar does not allow (5008), and the members of Grouped AVPs.
 */
import { AVP_FLAG_MANDATORY, AVP_FLAG_VENDOR, type Avp } from '../codec/avp';
import { FLAG_ERROR, FLAG_REQUEST } from '../codec/header';
import type { DiameterMessage } from '../codec/message';
import { protocolError, type ProtocolError } from '../codec/errors';
import { minimumSize } from '../codec/types';
import { defaultDictionary, type AvpDefinition, type Dictionary, type GroupMember } from '../dictionary';
import type { CommandGrammar } from './ccf';
import { ANSWER_MESSAGE, GRAMMARS } from './commands';

/** An AVP of the definition with a zero minimum payload, as RFC 6733 7.5 asks for in a 5005 Failed-AVP. */
export function exampleAvp(def: AvpDefinition): Avp {
  let flags = def.vendorId !== 0 ? AVP_FLAG_VENDOR : 0;
  if (def.sendMandatory ?? def.mandatory !== 'mustNot') flags |= AVP_FLAG_MANDATORY;
  const avp: Avp = {
    code: def.code,
    flags,
    vendorId: def.vendorId,
    data: Buffer.alloc(minimumSize(def.type)),
  };
  if (def.type === 'Grouped') avp.avps = [];
  return avp;
}

/** The grammar of a message: answer-message for answers with the E bit, else by command, application, R bit. */
export function grammarFor(m: DiameterMessage): CommandGrammar | undefined {
  const request = (m.flags & FLAG_REQUEST) !== 0;
  if (!request && m.flags & FLAG_ERROR) return ANSWER_MESSAGE;
  return GRAMMARS.find(
    (g) =>
      g.commandCode === m.commandCode &&
      g.request === request &&
      (g.applicationId === undefined || g.applicationId === m.applicationId),
  );
}

const key = (code: number, vendorId: number): string => `${code}:${vendorId}`;

function wrap(group: Avp | undefined, inner: Avp): Avp {
  return group
    ? { code: group.code, flags: group.flags, vendorId: group.vendorId, data: Buffer.alloc(0), avps: [inner] }
    : inner;
}

function checkCounts(
  list: readonly Avp[],
  rules: readonly GroupMember[],
  dict: Dictionary,
  group: Avp | undefined,
): ProtocolError | undefined {
  const seen = new Map<string, Avp[]>();
  for (const a of list) {
    const k = key(a.code, a.vendorId);
    const l = seen.get(k);
    if (l) l.push(a);
    else seen.set(k, [a]);
  }
  for (const r of rules) {
    const def = dict.named(r.name);
    const found = seen.get(key(def.code, def.vendorId)) ?? [];
    if (found.length < r.min) {
      return protocolError(
        'DIAMETER_MISSING_AVP',
        `${group ? `${dict.avp(group.code, group.vendorId)?.name ?? group.code}: ` : ''}missing ${r.name}`,
        wrap(group, exampleAvp(def)),
      );
    }
    if (found.length > r.max) {
      return protocolError(
        'DIAMETER_AVP_OCCURS_TOO_MANY_TIMES',
        `${r.name} occurs ${found.length} times, at most ${r.max} allowed`,
        wrap(group, found[r.max]!),
      );
    }
  }
  return undefined;
}

function checkGroups(list: readonly Avp[], dict: Dictionary): ProtocolError | undefined {
  for (const a of list) {
    const def = dict.avp(a.code, a.vendorId);
    if (!def?.members || !a.avps) continue;
    const e = checkCounts(a.avps, def.members, dict, a);
    if (e) return e;
    if (def.name === 'Vendor-Specific-Application-Id') {
      // RFC 6733 6.11: exactly one of Auth-Application-Id and Acct-Application-Id
      const auth = dict.named('Auth-Application-Id');
      const acct = dict.named('Acct-Application-Id');
      const has = (d: AvpDefinition) => a.avps!.filter((m) => m.code === d.code && m.vendorId === d.vendorId);
      const au = has(auth);
      const ac = has(acct);
      if (au.length === 0 && ac.length === 0) {
        return protocolError(
          'DIAMETER_MISSING_AVP',
          'Vendor-Specific-Application-Id: neither Auth-Application-Id nor Acct-Application-Id',
          wrap(a, exampleAvp(auth)),
        );
      }
      if (au.length > 0 && ac.length > 0) {
        return protocolError(
          'DIAMETER_AVP_OCCURS_TOO_MANY_TIMES',
          'Vendor-Specific-Application-Id: both Auth-Application-Id and Acct-Application-Id',
          wrap(a, ac[0]!),
        );
      }
    }
  }
  return undefined;
}

/** Checks `m` against a grammar; undefined when it conforms. */
export function checkAgainst(
  m: DiameterMessage,
  g: CommandGrammar,
  dict: Dictionary = defaultDictionary,
): ProtocolError | undefined {
  for (const r of g.rules) {
    if (!r.fixedHead) continue;
    const def = dict.named(r.name);
    const first = m.avps[0];
    if (first && first.code === def.code && first.vendorId === def.vendorId) continue;
    const elsewhere = m.avps.find((a) => a.code === def.code && a.vendorId === def.vendorId);
    if (elsewhere) {
      return protocolError(
        'DIAMETER_AVP_NOT_ALLOWED',
        `${g.abbrev}: ${r.name} is not the first AVP`,
        elsewhere,
      );
    }
  }
  const counts = checkCounts(m.avps, g.rules, dict, undefined);
  if (counts) return counts;
  if (!g.allowOther) {
    const allowed = new Set(g.rules.map((r) => dict.named(r.name)).map((d) => key(d.code, d.vendorId)));
    const extra = m.avps.find((a) => !allowed.has(key(a.code, a.vendorId)));
    if (extra)
      return protocolError('DIAMETER_AVP_NOT_ALLOWED', `${g.abbrev}: AVP ${extra.code} not allowed`, extra);
  }
  for (const names of g.oneOf) {
    const defs = names.map((n) => dict.named(n));
    if (!m.avps.some((a) => defs.some((d) => d.code === a.code && d.vendorId === a.vendorId))) {
      return protocolError(
        'DIAMETER_MISSING_AVP',
        `${g.abbrev}: missing ${names.join(' or ')}`,
        exampleAvp(defs[0]!),
      );
    }
  }
  return checkGroups(m.avps, dict);
}

/**
 * Checks `m` against the grammar of its command; undefined when it conforms or when the command has no grammar
 * here (the peer layer answers unknown commands with 3001).
 */
export function checkGrammar(
  m: DiameterMessage,
  dict: Dictionary = defaultDictionary,
): ProtocolError | undefined {
  const g = grammarFor(m);
  return g ? checkAgainst(m, g, dict) : undefined;
}
