/**
 * Reading what a scenario's trace recorded, for the expectations that look at the wire: one record per
 * message (in one process the sender and the receiver both record it), HTTP start lines and headers, Digest
 * parameters, and Diameter messages decoded.
 */
import { parseAuthenticationInfo, parseChallenges } from '@ut-testbed/aka-crypto';
import {
  decodeMessage,
  isRequest,
  readCxMaa,
  readCxMar,
  type DiameterMessage,
} from '@ut-testbed/diameter-codec';
import type { TraceEvent } from '@ut-testbed/trace';
import { groupRecords } from '../ladder/merge';
import type { ScenarioContext } from '../scenario/types';

/** The messages recorded from here on: `seen()` gives them, one record each, in time order. */
export function mark(t: ScenarioContext): { seen: () => TraceEvent[] } {
  const from = t.trace().length;
  return { seen: () => groupRecords(t.trace().slice(from)).map((g) => g[0]!) };
}

const head = (e: TraceEvent) => Buffer.from(e.bytes).toString('latin1').split('\r\n\r\n')[0]!;

/** A header of a recorded HTTP message (the first one, as sent). */
export function headerOf(e: TraceEvent, name: string): string | undefined {
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  return re.exec(head(e))?.[1]?.trim();
}

/** The status of a recorded HTTP response; undefined for a request. */
export function statusOf(e: TraceEvent): number | undefined {
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(head(e));
  return m ? Number(m[1]) : undefined;
}

/** The method of a recorded HTTP request; undefined for a response. */
export function methodOf(e: TraceEvent): string | undefined {
  return statusOf(e) === undefined ? /^([A-Z]+) /.exec(head(e))?.[1] : undefined;
}

/**
 * The parameters of a Digest challenge or credentials, or of an Authentication-Info value (aka-crypto's
 * parsers: quoted strings unescaped), by lower-case name.
 */
export function digestParams(header: string | undefined): Record<string, string> {
  if (header === undefined) return {};
  const params = /^\s*Digest\s/i.test(header)
    ? parseChallenges(header)[0]!.params
    : parseAuthenticationInfo(header);
  return Object.fromEntries(params.list.map((p) => [p.name.toLowerCase(), p.value]));
}

/** A recorded Diameter message, decoded; undefined for another protocol or bytes that do not decode. */
export function diameterOf(e: TraceEvent): DiameterMessage | undefined {
  return e.proto === 'diameter' ? decodeMessage(Buffer.from(e.bytes)).message : undefined;
}

/** One row per Cx/Sh message between the AP and the HSS: [command, code, request, User-Name or null]. */
export function diameterRows(events: readonly TraceEvent[], codes: readonly number[]) {
  return events.flatMap((e) => {
    const m = diameterOf(e);
    if (!m || !codes.includes(m.commandCode)) return [];
    const userName = m.commandCode === 303 ? readCxMar(m).userName : undefined;
    return [[e.summary.split(' ')[0]!, m.commandCode, isRequest(m), userName ?? null] as const];
  });
}

/** The SIP-Authenticate (RAND‖AUTN) of an MAA, or the SIP-Authorization of a MAR (RAND‖AUTS), as hex. */
export function authItem(m: DiameterMessage): { authenticate?: string; authorization?: string } {
  const item = isRequest(m) ? readCxMar(m).item : readCxMaa(m).items[0];
  return {
    ...(item?.authenticate ? { authenticate: item.authenticate.toString('hex') } : {}),
    ...(item?.authorization ? { authorization: item.authorization.toString('hex') } : {}),
  };
}
