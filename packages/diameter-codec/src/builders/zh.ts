/** Zh MAR/MAA (TS 29.109 sections 6.1.1 and 6.1.2): one vector, GUSS in the answer. */
import type { DiameterHeader } from '../codec/header';
import type { DiameterMessage } from '../codec/message';
import { APPLICATION_ZH, VENDOR_3GPP, defaultDictionary, type Dictionary } from '../dictionary';
import { buildAnswer, buildMessage, getBuffer, getDate, opt, type AvpInput } from './avp';
import { vsaiInput, type Ids } from './base';
import {
  CMD_MULTIMEDIA_AUTH,
  NO_STATE_MAINTAINED,
  authItemInput,
  readCxMaa,
  readCxMar,
  resultInputs,
  type CxMaa,
  type CxMar,
  type ExperimentalResult,
  type SipAuthDataItem,
} from './cx';

export interface ZhMarInput extends Ids {
  sessionId: string;
  originHost: string;
  originRealm: string;
  destinationRealm: string;
  destinationHost?: string;
  userName?: string;
  publicIdentity?: string;
  /** Scheme, or RAND || AUTS on a resynchronisation. */
  item?: SipAuthDataItem;
  gussTimestamp?: Date;
}

export function buildZhMar(i: ZhMarInput, dict: Dictionary = defaultDictionary): DiameterMessage {
  const m: Ids = {};
  if (i.hopByHop !== undefined) m.hopByHop = i.hopByHop;
  if (i.endToEnd !== undefined) m.endToEnd = i.endToEnd;
  return buildMessage(
    {
      commandCode: CMD_MULTIMEDIA_AUTH,
      applicationId: APPLICATION_ZH,
      request: true,
      proxiable: true,
      ...m,
      avps: [
        ['Session-Id', i.sessionId],
        vsaiInput({ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_ZH }),
        ['Auth-Session-State', NO_STATE_MAINTAINED],
        ['Origin-Host', i.originHost],
        ['Origin-Realm', i.originRealm],
        ['Destination-Realm', i.destinationRealm],
        ...opt('Destination-Host', i.destinationHost),
        ...opt('User-Name', i.userName),
        ...opt('Public-Identity', i.publicIdentity),
        ...(i.item ? [authItemInput(i.item)] : []),
        ...opt('GUSS-Timestamp', i.gussTimestamp),
      ],
    },
    dict,
  );
}

export function readZhMar(
  m: DiameterMessage,
  dict: Dictionary = defaultDictionary,
): CxMar & { gussTimestamp?: Date } {
  const r: CxMar & { gussTimestamp?: Date } = readCxMar(m, dict);
  const t = getDate(m.avps, 'GUSS-Timestamp', dict);
  if (t) r.gussTimestamp = t;
  return r;
}

export interface ZhMaaInput {
  sessionId: string;
  originHost: string;
  originRealm: string;
  resultCode?: number;
  experimentalResult?: ExperimentalResult;
  userName?: string;
  publicIdentity?: string;
  item?: SipAuthDataItem;
  /** The GUSS XML document. */
  gbaUserSecSettings?: string | Buffer;
  extra?: readonly AvpInput[];
}

export function buildZhMaa(
  request: DiameterHeader,
  i: ZhMaaInput,
  dict: Dictionary = defaultDictionary,
): DiameterMessage {
  return buildAnswer(
    request,
    [
      ['Session-Id', i.sessionId],
      vsaiInput({ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_ZH }),
      ...resultInputs(i),
      ['Auth-Session-State', NO_STATE_MAINTAINED],
      ['Origin-Host', i.originHost],
      ['Origin-Realm', i.originRealm],
      ...opt('User-Name', i.userName),
      ...opt('Public-Identity', i.publicIdentity),
      ...(i.item ? [authItemInput(i.item)] : []),
      ...opt('GBA-UserSecSettings', i.gbaUserSecSettings),
      ...(i.extra ?? []),
    ],
    {},
    dict,
  );
}

export function readZhMaa(
  m: DiameterMessage,
  dict: Dictionary = defaultDictionary,
): CxMaa & { guss?: string } {
  const r: CxMaa & { guss?: string } = readCxMaa(m, dict);
  const g = getBuffer(m.avps, 'GBA-UserSecSettings', dict);
  if (g) r.guss = g.toString('utf8');
  return r;
}
