/** Cx MAR/MAA (TS 29.229 sections 6.1.7 and 6.1.8) from plain objects, and back. */
import type { Avp } from '../codec/avp';
import type { DiameterHeader } from '../codec/header';
import type { DiameterMessage } from '../codec/message';
import { APPLICATION_CX, VENDOR_3GPP, defaultDictionary, type Dictionary } from '../dictionary';
import {
  avpValue,
  buildAnswer,
  buildMessage,
  findAvps,
  getBuffer,
  getGroup,
  getNumber,
  getString,
  opt,
  type AvpInput,
} from './avp';
import { vsaiInput, type Ids } from './base';

export const CMD_MULTIMEDIA_AUTH = 303;
/** Auth-Session-State NO_STATE_MAINTAINED: Cx sessions are implicitly terminated (TS 29.229 5). */
export const NO_STATE_MAINTAINED = 1;

export interface SipAuthDataItem {
  itemNumber?: number;
  scheme?: string;
  /** RAND || AUTN, 32 bytes. */
  authenticate?: Buffer;
  /** XRES in an answer; RAND || AUTS (30 bytes) in a resynchronisation request. */
  authorization?: Buffer;
  context?: Buffer;
  confidentialityKey?: Buffer;
  integrityKey?: Buffer;
}

export interface ExperimentalResult {
  vendorId: number;
  code: number;
}

export function authItemInput(i: SipAuthDataItem): AvpInput {
  return [
    'SIP-Auth-Data-Item',
    [
      ...opt('SIP-Item-Number', i.itemNumber),
      ...opt('SIP-Authentication-Scheme', i.scheme),
      ...opt('SIP-Authenticate', i.authenticate),
      ...opt('SIP-Authorization', i.authorization),
      ...opt('SIP-Authentication-Context', i.context),
      ...opt('Confidentiality-Key', i.confidentialityKey),
      ...opt('Integrity-Key', i.integrityKey),
    ],
  ];
}

export function readAuthItem(members: readonly Avp[], dict: Dictionary = defaultDictionary): SipAuthDataItem {
  const item: SipAuthDataItem = {};
  const n = getNumber(members, 'SIP-Item-Number', dict);
  if (n !== undefined) item.itemNumber = n;
  const s = getString(members, 'SIP-Authentication-Scheme', dict);
  if (s !== undefined) item.scheme = s;
  const bufs = [
    ['authenticate', 'SIP-Authenticate'],
    ['authorization', 'SIP-Authorization'],
    ['context', 'SIP-Authentication-Context'],
    ['confidentialityKey', 'Confidentiality-Key'],
    ['integrityKey', 'Integrity-Key'],
  ] as const;
  for (const [key, name] of bufs) {
    const b = getBuffer(members, name, dict);
    if (b !== undefined) item[key] = b;
  }
  return item;
}

export function resultInputs(r: {
  resultCode?: number;
  experimentalResult?: ExperimentalResult;
}): AvpInput[] {
  return [
    ...opt('Result-Code', r.resultCode),
    ...(r.experimentalResult
      ? [
          [
            'Experimental-Result',
            [
              ['Vendor-Id', r.experimentalResult.vendorId],
              ['Experimental-Result-Code', r.experimentalResult.code],
            ],
          ] as const,
        ]
      : []),
  ];
}

export function readResult(m: DiameterMessage, dict: Dictionary = defaultDictionary) {
  const out: { resultCode?: number; experimentalResult?: ExperimentalResult } = {};
  const rc = getNumber(m.avps, 'Result-Code', dict);
  if (rc !== undefined) out.resultCode = rc;
  const er = getGroup(m.avps, 'Experimental-Result', dict);
  const code = getNumber(er, 'Experimental-Result-Code', dict);
  if (code !== undefined) out.experimentalResult = { vendorId: getNumber(er, 'Vendor-Id', dict) ?? 0, code };
  return out;
}

export interface CxMarInput extends Ids {
  sessionId: string;
  originHost: string;
  originRealm: string;
  destinationRealm: string;
  destinationHost?: string;
  /** The IMPI. */
  userName: string;
  /** The IMPU. */
  publicIdentity: string;
  serverName: string;
  /** Vectors wanted (default 1). */
  sipNumberAuthItems?: number;
  /** Default Digest-AKAv1-MD5. */
  scheme?: string;
  /** RAND || AUTS on a resynchronisation. */
  authorization?: Buffer;
  /** AVPs appended after the standard ones. */
  extra?: readonly AvpInput[];
}

/** A Cx MAR in the TS 29.229 6.1.7 order: Proxiable, VSAI {10415, 16777216}, Auth-Session-State 1. */
export function buildCxMar(i: CxMarInput, dict: Dictionary = defaultDictionary): DiameterMessage {
  const m: { hopByHop?: number; endToEnd?: number } = {};
  if (i.hopByHop !== undefined) m.hopByHop = i.hopByHop;
  if (i.endToEnd !== undefined) m.endToEnd = i.endToEnd;
  return buildMessage(
    {
      commandCode: CMD_MULTIMEDIA_AUTH,
      applicationId: APPLICATION_CX,
      request: true,
      proxiable: true,
      ...m,
      avps: [
        ['Session-Id', i.sessionId],
        vsaiInput({ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_CX }),
        ['Auth-Session-State', NO_STATE_MAINTAINED],
        ['Origin-Host', i.originHost],
        ['Origin-Realm', i.originRealm],
        ['Destination-Realm', i.destinationRealm],
        ...opt('Destination-Host', i.destinationHost),
        ['User-Name', i.userName],
        ['Public-Identity', i.publicIdentity],
        authItemInput({
          scheme: i.scheme ?? 'Digest-AKAv1-MD5',
          ...(i.authorization ? { authorization: i.authorization } : {}),
        }),
        ['SIP-Number-Auth-Items', i.sipNumberAuthItems ?? 1],
        ['Server-Name', i.serverName],
        ...(i.extra ?? []),
      ],
    },
    dict,
  );
}

export interface CxMar {
  sessionId?: string;
  originHost?: string;
  originRealm?: string;
  destinationRealm?: string;
  destinationHost?: string;
  userName?: string;
  publicIdentity?: string;
  serverName?: string;
  sipNumberAuthItems?: number;
  item?: SipAuthDataItem;
}

function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v !== undefined) o[k] = v;
}

/** The values of a MAR (Cx or Zh); absent AVPs are absent keys (the grammar check reports them). */
export function readCxMar(m: DiameterMessage, dict: Dictionary = defaultDictionary): CxMar {
  const r: CxMar = {};
  put(r, 'sessionId', getString(m.avps, 'Session-Id', dict));
  put(r, 'originHost', getString(m.avps, 'Origin-Host', dict));
  put(r, 'originRealm', getString(m.avps, 'Origin-Realm', dict));
  put(r, 'destinationRealm', getString(m.avps, 'Destination-Realm', dict));
  put(r, 'destinationHost', getString(m.avps, 'Destination-Host', dict));
  put(r, 'userName', getString(m.avps, 'User-Name', dict));
  put(r, 'publicIdentity', getString(m.avps, 'Public-Identity', dict));
  put(r, 'serverName', getString(m.avps, 'Server-Name', dict));
  put(r, 'sipNumberAuthItems', getNumber(m.avps, 'SIP-Number-Auth-Items', dict));
  const item = findAvps(m.avps, 'SIP-Auth-Data-Item', dict)[0];
  if (item) r.item = readAuthItem(item.avps ?? [], dict);
  return r;
}

export interface CxMaaInput {
  sessionId: string;
  originHost: string;
  originRealm: string;
  /** 2001 on success (TS 29.229: MAA success is the base Result-Code). */
  resultCode?: number;
  /** Errors: {10415, 5001 ...}, and no Result-Code. */
  experimentalResult?: ExperimentalResult;
  userName?: string;
  publicIdentity?: string;
  sipNumberAuthItems?: number;
  items?: readonly SipAuthDataItem[];
  /** The testbed's IMPU-List (vendor 32473), one AVP per IMPU, after the standard AVPs. */
  impuList?: readonly string[];
  extra?: readonly AvpInput[];
}

/** A Cx MAA answering `request`, in the TS 29.229 6.1.8 order. */
export function buildCxMaa(
  request: DiameterHeader,
  i: CxMaaInput,
  dict: Dictionary = defaultDictionary,
): DiameterMessage {
  return buildAnswer(
    request,
    [
      ['Session-Id', i.sessionId],
      vsaiInput({ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_CX }),
      ...resultInputs(i),
      ['Auth-Session-State', NO_STATE_MAINTAINED],
      ['Origin-Host', i.originHost],
      ['Origin-Realm', i.originRealm],
      ...opt('User-Name', i.userName),
      ...opt('Public-Identity', i.publicIdentity),
      ...opt('SIP-Number-Auth-Items', i.sipNumberAuthItems),
      ...(i.items ?? []).map(authItemInput),
      ...(i.impuList ?? []).map((u) => ['IMPU-List', u] as const),
      ...(i.extra ?? []),
    ],
    {},
    dict,
  );
}

export interface CxMaa {
  sessionId?: string;
  originHost?: string;
  originRealm?: string;
  resultCode?: number;
  experimentalResult?: ExperimentalResult;
  userName?: string;
  publicIdentity?: string;
  sipNumberAuthItems?: number;
  items: SipAuthDataItem[];
  impuList: string[];
}

/** The typed values of an MAA (Cx or Zh). */
export function readCxMaa(m: DiameterMessage, dict: Dictionary = defaultDictionary): CxMaa {
  const r: CxMaa = { ...readResult(m, dict), items: [], impuList: [] };
  put(r, 'sessionId', getString(m.avps, 'Session-Id', dict));
  put(r, 'originHost', getString(m.avps, 'Origin-Host', dict));
  put(r, 'originRealm', getString(m.avps, 'Origin-Realm', dict));
  put(r, 'userName', getString(m.avps, 'User-Name', dict));
  put(r, 'publicIdentity', getString(m.avps, 'Public-Identity', dict));
  put(r, 'sipNumberAuthItems', getNumber(m.avps, 'SIP-Number-Auth-Items', dict));
  r.items = findAvps(m.avps, 'SIP-Auth-Data-Item', dict).map((a) => readAuthItem(a.avps ?? [], dict));
  r.impuList = findAvps(m.avps, 'IMPU-List', dict)
    .map((a) => avpValue(a, dict))
    .filter((v): v is string => typeof v === 'string');
  return r;
}
