/** Building AVPs and messages from names and plain values, and reading typed values back. */
import { randomInt } from 'node:crypto';
import { AVP_FLAG_MANDATORY, AVP_FLAG_VENDOR, encodeAvps, type Avp } from '../codec/avp';
import {
  FLAG_ERROR,
  FLAG_PROXIABLE,
  FLAG_REQUEST,
  FLAG_RETRANSMIT,
  type DiameterHeader,
} from '../codec/header';
import type { DiameterMessage } from '../codec/message';
import { decodeValue, encodeValue, ValueError, type AvpScalar } from '../codec/types';
import { defaultDictionary, type Dictionary } from '../dictionary';

/** An AVP given as a ready Avp, or as [name, value]; a Grouped value is a list of inputs. */
export type AvpInput = Avp | readonly [name: string, value: AvpInputValue];
export type AvpInputValue = AvpScalar | readonly AvpInput[];

/** One AVP by dictionary name, flags from the dictionary (V with a vendor, M unless the rule says clear). */
export function avp(name: string, value: AvpInputValue, dict: Dictionary = defaultDictionary): Avp {
  const def = dict.named(name);
  let flags = def.vendorId !== 0 ? AVP_FLAG_VENDOR : 0;
  if (def.sendMandatory ?? def.mandatory !== 'mustNot') flags |= AVP_FLAG_MANDATORY;
  if (def.type === 'Grouped') {
    if (!Array.isArray(value)) throw new ValueError(`${name} is Grouped: give its members as a list`);
    const children = avps(value as readonly AvpInput[], dict);
    return { code: def.code, flags, vendorId: def.vendorId, data: encodeAvps(children), avps: children };
  }
  let v = value as AvpScalar;
  if (def.type === 'Enumerated' && typeof v === 'string') {
    const hit = Object.entries(def.values ?? {}).find(([, n]) => n === v);
    if (!hit) throw new ValueError(`${name} has no value named ${v}`);
    v = Number(hit[0]);
  }
  return { code: def.code, flags, vendorId: def.vendorId, data: encodeValue(def.type, v) };
}

export function avps(inputs: readonly AvpInput[], dict: Dictionary = defaultDictionary): Avp[] {
  return inputs.map((i) => (isTuple(i) ? avp(i[0], i[1], dict) : i));
}

function isTuple(i: AvpInput): i is readonly [string, AvpInputValue] {
  return Array.isArray(i);
}

/** The first AVP of a name in a list. */
export function findAvp(
  list: readonly Avp[],
  name: string,
  dict: Dictionary = defaultDictionary,
): Avp | undefined {
  const def = dict.named(name);
  return list.find((a) => a.code === def.code && a.vendorId === def.vendorId);
}

export function findAvps(list: readonly Avp[], name: string, dict: Dictionary = defaultDictionary): Avp[] {
  const def = dict.named(name);
  return list.filter((a) => a.code === def.code && a.vendorId === def.vendorId);
}

/** The typed value of an AVP; undefined for unknown AVPs, Grouped AVPs and invalid data. */
export function avpValue(a: Avp, dict: Dictionary = defaultDictionary): AvpScalar | undefined {
  const def = dict.avp(a.code, a.vendorId);
  return def ? decodeValue(def.type, a.data) : undefined;
}

export function getString(list: readonly Avp[], name: string, dict: Dictionary = defaultDictionary) {
  const a = findAvp(list, name, dict);
  const v = a && avpValue(a, dict);
  return typeof v === 'string' ? v : undefined;
}

export function getNumber(list: readonly Avp[], name: string, dict: Dictionary = defaultDictionary) {
  const a = findAvp(list, name, dict);
  const v = a && avpValue(a, dict);
  return typeof v === 'number' ? v : undefined;
}

export function getBuffer(list: readonly Avp[], name: string, dict: Dictionary = defaultDictionary) {
  const a = findAvp(list, name, dict);
  const v = a && avpValue(a, dict);
  return Buffer.isBuffer(v) ? v : undefined;
}

export function getDate(list: readonly Avp[], name: string, dict: Dictionary = defaultDictionary) {
  const a = findAvp(list, name, dict);
  const v = a && avpValue(a, dict);
  return v instanceof Date ? v : undefined;
}

/** Members of the first Grouped AVP of a name (empty when absent). */
export function getGroup(list: readonly Avp[], name: string, dict: Dictionary = defaultDictionary): Avp[] {
  return findAvp(list, name, dict)?.avps ?? [];
}

export interface MessageInput {
  commandCode: number;
  applicationId: number;
  request?: boolean;
  proxiable?: boolean;
  error?: boolean;
  retransmit?: boolean;
  /** Default: random for a request (the peer layer assigns real ones), required in practice for answers. */
  hopByHop?: number;
  endToEnd?: number;
  avps: readonly AvpInput[];
}

export function buildMessage(input: MessageInput, dict: Dictionary = defaultDictionary): DiameterMessage {
  const flags =
    (input.request ? FLAG_REQUEST : 0) |
    (input.proxiable ? FLAG_PROXIABLE : 0) |
    (input.error ? FLAG_ERROR : 0) |
    (input.retransmit ? FLAG_RETRANSMIT : 0);
  const list = avps(input.avps, dict);
  return {
    version: 1,
    length: 0,
    flags,
    commandCode: input.commandCode,
    applicationId: input.applicationId,
    hopByHop: input.hopByHop ?? randomInt(0, 2 ** 32 - 1),
    endToEnd: input.endToEnd ?? randomInt(0, 2 ** 32 - 1),
    avps: list,
  };
}

/** An answer to a request: same command, application and ids, R clear, P copied (RFC 6733 6.2). */
export function buildAnswer(
  request: Pick<DiameterHeader, 'flags' | 'commandCode' | 'applicationId' | 'hopByHop' | 'endToEnd'>,
  list: readonly AvpInput[],
  options: { error?: boolean } = {},
  dict: Dictionary = defaultDictionary,
): DiameterMessage {
  return buildMessage(
    {
      commandCode: request.commandCode,
      applicationId: request.applicationId,
      proxiable: (request.flags & FLAG_PROXIABLE) !== 0,
      error: options.error ?? false,
      hopByHop: request.hopByHop,
      endToEnd: request.endToEnd,
      avps: list,
    },
    dict,
  );
}

/** Optional input entries: `opt('Destination-Host', host)` is [] when host is undefined. */
export function opt(name: string, value: AvpInputValue | undefined): AvpInput[] {
  return value === undefined ? [] : [[name, value]];
}

export function many(name: string, values: readonly AvpInputValue[] | undefined): AvpInput[] {
  return (values ?? []).map((v) => [name, v] as const);
}
