/** The dictionary data model: AVP definitions keyed by (code, vendor), applications, commands. */
import type { AvpType } from '../codec/types';

/** must / must not / may, as the flag rules tables of RFC 6733 section 4.5 and TS 29.229 6.3 say. */
export type FlagRule = 'must' | 'mustNot' | 'may';

/** A member of a Grouped AVP in CCF form: `{Vendor-Id}` is min 1 max 1, `*[Proxy-Host]` min 0 max Infinity. */
export interface GroupMember {
  name: string;
  min: number;
  max: number;
}

export interface AvpDefinition {
  code: number;
  /** 0 for IETF AVPs (V clear), the IANA enterprise number otherwise (V set). */
  vendorId: number;
  name: string;
  type: AvpType;
  /** The M bit rule; a received AVP that breaks it is answered with 3009 INVALID_AVP_BITS. */
  mandatory: FlagRule;
  /** Whether the encoder sets M; defaults to `mandatory !== 'mustNot'`. */
  sendMandatory?: boolean;
  /** Enumerated names by value (also names for Unsigned32 code tables such as Result-Code). */
  values?: Readonly<Record<number, string>>;
  /** Grouped members; `*[AVP]` is implied (extra members are allowed). */
  members?: readonly GroupMember[];
  /** Where the definition comes from, e.g. `RFC 6733 8.8`. */
  ref: string;
}

export interface ApplicationDefinition {
  id: number;
  name: string;
}

export interface CommandDefinition {
  code: number;
  /** The application whose command this is; undefined for base protocol commands valid in any application. */
  applicationId?: number;
  /** e.g. `Multimedia-Auth`. */
  name: string;
  requestAbbrev: string;
  answerAbbrev: string;
}

/** One dictionary part (base, Cx, Zh, Sh, IMPU-List); `Dictionary` merges parts. */
export interface DictionaryPart {
  name: string;
  vendors?: Readonly<Record<number, string>>;
  applications?: readonly ApplicationDefinition[];
  commands?: readonly CommandDefinition[];
  avps: readonly AvpDefinition[];
  /** Experimental-Result-Code names of this part's vendor. */
  experimentalResults?: { vendorId: number; values: Readonly<Record<number, string>> };
}

/** `members('{Vendor-Id} *[Proxy-Host]')`: grouped members in CCF notation. */
export function members(ccf: string): GroupMember[] {
  return ccf
    .trim()
    .split(/\s+/)
    .map((token) => {
      const m = /^(\d*)(\*?)(\d*)([[{])([A-Za-z0-9_-]+)[\]}]$/.exec(token);
      if (!m) throw new Error(`bad CCF member ${token}`);
      const [, lo = '', star = '', hi = '', open = '', name = ''] = m;
      const required = open === '{';
      if (star === '') return { name, min: required ? 1 : 0, max: 1 };
      return {
        name,
        min: lo === '' ? (required ? 1 : 0) : Number(lo),
        max: hi === '' ? Infinity : Number(hi),
      };
    });
}
