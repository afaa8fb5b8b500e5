/** Sh UDR/UDA (TS 29.329 sections 6.1.1 and 6.1.2), the parts the testbed uses. */
import type { DiameterHeader } from '../codec/header';
import type { DiameterMessage } from '../codec/message';
import { APPLICATION_SH, VENDOR_3GPP, defaultDictionary, type Dictionary } from '../dictionary';
import { buildAnswer, buildMessage, getBuffer, getGroup, getString, many, opt, type AvpInput } from './avp';
import { vsaiInput, type Ids } from './base';
import { NO_STATE_MAINTAINED, readResult, resultInputs, type ExperimentalResult } from './cx';

export const CMD_USER_DATA = 306;

export interface UdrInput extends Ids {
  sessionId: string;
  originHost: string;
  originRealm: string;
  destinationRealm: string;
  destinationHost?: string;
  publicIdentity?: string;
  msisdn?: Buffer;
  /** Data-Reference values, e.g. 10 IMSPublicIdentity, 33 IMSPrivateUserIdentity. */
  dataReferences: readonly number[];
  identitySets?: readonly number[];
  serviceIndications?: readonly Buffer[];
}

export function buildUdr(i: UdrInput, dict: Dictionary = defaultDictionary): DiameterMessage {
  const m: Ids = {};
  if (i.hopByHop !== undefined) m.hopByHop = i.hopByHop;
  if (i.endToEnd !== undefined) m.endToEnd = i.endToEnd;
  return buildMessage(
    {
      commandCode: CMD_USER_DATA,
      applicationId: APPLICATION_SH,
      request: true,
      proxiable: true,
      ...m,
      avps: [
        ['Session-Id', i.sessionId],
        vsaiInput({ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_SH }),
        ['Auth-Session-State', NO_STATE_MAINTAINED],
        ['Origin-Host', i.originHost],
        ['Origin-Realm', i.originRealm],
        ...opt('Destination-Host', i.destinationHost),
        ['Destination-Realm', i.destinationRealm],
        ['User-Identity', [...opt('Public-Identity', i.publicIdentity), ...opt('MSISDN', i.msisdn)]],
        ...many('Service-Indication', i.serviceIndications),
        ...many('Data-Reference', i.dataReferences),
        ...many('Identity-Set', i.identitySets),
      ],
    },
    dict,
  );
}

export interface UdaInput {
  sessionId: string;
  originHost: string;
  originRealm: string;
  resultCode?: number;
  experimentalResult?: ExperimentalResult;
  /** The Sh-Data XML document. */
  userData?: string | Buffer;
  extra?: readonly AvpInput[];
}

export function buildUda(request: DiameterHeader, i: UdaInput, dict: Dictionary = defaultDictionary) {
  return buildAnswer(
    request,
    [
      ['Session-Id', i.sessionId],
      vsaiInput({ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_SH }),
      ...resultInputs(i),
      ['Auth-Session-State', NO_STATE_MAINTAINED],
      ['Origin-Host', i.originHost],
      ['Origin-Realm', i.originRealm],
      ...opt('Sh-User-Data', i.userData),
      ...(i.extra ?? []),
    ],
    {},
    dict,
  );
}

export function readUda(m: DiameterMessage, dict: Dictionary = defaultDictionary) {
  const r: { resultCode?: number; experimentalResult?: ExperimentalResult; userData?: string } = readResult(
    m,
    dict,
  );
  const d = getBuffer(m.avps, 'Sh-User-Data', dict);
  if (d) r.userData = d.toString('utf8');
  return r;
}

export function readUdrIdentity(
  m: DiameterMessage,
  dict: Dictionary = defaultDictionary,
): string | undefined {
  return getString(getGroup(m.avps, 'User-Identity', dict), 'Public-Identity', dict);
}
