/** RFC 6733 base messages: CER/CEA (5.3), DWR/DWA (5.5), DPR/DPA (5.4) and the answer-message (7.2). */
import { AVP_FLAG_MANDATORY, type Avp } from '../codec/avp';
import { checkValue } from '../codec/types';
import type { DiameterHeader } from '../codec/header';
import type { DiameterMessage } from '../codec/message';
import type { ProtocolError } from '../codec/errors';
import { APPLICATION_COMMON, defaultDictionary, type Dictionary } from '../dictionary';
import {
  avpValue,
  buildAnswer,
  buildMessage,
  findAvp,
  findAvps,
  getNumber,
  getString,
  many,
  opt,
  type AvpInput,
} from './avp';

export const CMD_CAPABILITIES_EXCHANGE = 257;
export const CMD_DEVICE_WATCHDOG = 280;
export const CMD_DISCONNECT_PEER = 282;

export interface VendorSpecificApplicationId {
  vendorId: number;
  authApplicationId?: number;
  acctApplicationId?: number;
}

export interface Capabilities {
  originHost: string;
  originRealm: string;
  hostIpAddresses: string[];
  vendorId: number;
  productName: string;
  originStateId?: number;
  supportedVendorIds?: number[];
  authApplicationIds?: number[];
  inbandSecurityIds?: number[];
  acctApplicationIds?: number[];
  vendorSpecificApplicationIds?: VendorSpecificApplicationId[];
  firmwareRevision?: number;
}

export interface Ids {
  hopByHop?: number;
  endToEnd?: number;
}

export function vsaiInput(v: VendorSpecificApplicationId): AvpInput {
  return [
    'Vendor-Specific-Application-Id',
    [
      ['Vendor-Id', v.vendorId],
      ...opt('Auth-Application-Id', v.authApplicationId),
      ...opt('Acct-Application-Id', v.acctApplicationId),
    ],
  ];
}

function capabilityAvps(c: Capabilities): AvpInput[] {
  return [
    ['Origin-Host', c.originHost],
    ['Origin-Realm', c.originRealm],
    ...many('Host-IP-Address', c.hostIpAddresses),
    ['Vendor-Id', c.vendorId],
    ['Product-Name', c.productName],
    ...opt('Origin-State-Id', c.originStateId),
    ...many('Supported-Vendor-Id', c.supportedVendorIds),
    ...many('Auth-Application-Id', c.authApplicationIds),
    ...many('Inband-Security-Id', c.inbandSecurityIds),
    ...many('Acct-Application-Id', c.acctApplicationIds),
    ...(c.vendorSpecificApplicationIds ?? []).map(vsaiInput),
    ...opt('Firmware-Revision', c.firmwareRevision),
  ];
}

export function buildCer(c: Capabilities & Ids, dict: Dictionary = defaultDictionary): DiameterMessage {
  return buildMessage(
    {
      commandCode: CMD_CAPABILITIES_EXCHANGE,
      applicationId: APPLICATION_COMMON,
      request: true,
      ...ids(c),
      avps: capabilityAvps(c),
    },
    dict,
  );
}

export interface CeaInput extends Capabilities {
  resultCode: number;
  errorMessage?: string;
  failedAvp?: Avp;
}

export function buildCea(
  request: DiameterHeader,
  c: CeaInput,
  dict: Dictionary = defaultDictionary,
): DiameterMessage {
  return buildAnswer(
    request,
    [
      ['Result-Code', c.resultCode],
      ...capabilityAvps(c),
      ...opt('Error-Message', c.errorMessage),
      ...(c.failedAvp ? [['Failed-AVP', [c.failedAvp]] as const] : []),
    ],
    {},
    dict,
  );
}

/** The capabilities of a CER or CEA; missing required values read as empty / 0 (the grammar reports them). */
export function readCapabilities(m: DiameterMessage, dict: Dictionary = defaultDictionary) {
  const nums = (name: string) =>
    findAvps(m.avps, name, dict)
      .map((a) => avpValue(a, dict))
      .filter((v): v is number => typeof v === 'number');
  const strs = (name: string) =>
    findAvps(m.avps, name, dict)
      .map((a) => avpValue(a, dict))
      .filter((v): v is string => typeof v === 'string');
  const vsai = findAvps(m.avps, 'Vendor-Specific-Application-Id', dict).map((g) => {
    const v: VendorSpecificApplicationId = { vendorId: getNumber(g.avps ?? [], 'Vendor-Id', dict) ?? 0 };
    const auth = getNumber(g.avps ?? [], 'Auth-Application-Id', dict);
    const acct = getNumber(g.avps ?? [], 'Acct-Application-Id', dict);
    if (auth !== undefined) v.authApplicationId = auth;
    if (acct !== undefined) v.acctApplicationId = acct;
    return v;
  });
  const c: Capabilities & { resultCode?: number; errorMessage?: string } = {
    originHost: getString(m.avps, 'Origin-Host', dict) ?? '',
    originRealm: getString(m.avps, 'Origin-Realm', dict) ?? '',
    hostIpAddresses: strs('Host-IP-Address'),
    vendorId: getNumber(m.avps, 'Vendor-Id', dict) ?? 0,
    productName: getString(m.avps, 'Product-Name', dict) ?? '',
    supportedVendorIds: nums('Supported-Vendor-Id'),
    authApplicationIds: nums('Auth-Application-Id'),
    inbandSecurityIds: nums('Inband-Security-Id'),
    acctApplicationIds: nums('Acct-Application-Id'),
    vendorSpecificApplicationIds: vsai,
  };
  const osi = getNumber(m.avps, 'Origin-State-Id', dict);
  if (osi !== undefined) c.originStateId = osi;
  const fw = getNumber(m.avps, 'Firmware-Revision', dict);
  if (fw !== undefined) c.firmwareRevision = fw;
  const rc = getNumber(m.avps, 'Result-Code', dict);
  if (rc !== undefined) c.resultCode = rc;
  const em = getString(m.avps, 'Error-Message', dict);
  if (em !== undefined) c.errorMessage = em;
  return c;
}

export interface PeerIdentity {
  originHost: string;
  originRealm: string;
  originStateId?: number;
}

function ids(i: Ids): Ids {
  const o: Ids = {};
  if (i.hopByHop !== undefined) o.hopByHop = i.hopByHop;
  if (i.endToEnd !== undefined) o.endToEnd = i.endToEnd;
  return o;
}

export function buildDwr(p: PeerIdentity & Ids, dict: Dictionary = defaultDictionary): DiameterMessage {
  return buildMessage(
    {
      commandCode: CMD_DEVICE_WATCHDOG,
      applicationId: APPLICATION_COMMON,
      request: true,
      ...ids(p),
      avps: [
        ['Origin-Host', p.originHost],
        ['Origin-Realm', p.originRealm],
        ...opt('Origin-State-Id', p.originStateId),
      ],
    },
    dict,
  );
}

export function buildDwa(
  request: DiameterHeader,
  p: PeerIdentity & { resultCode: number },
  dict: Dictionary = defaultDictionary,
): DiameterMessage {
  return buildAnswer(
    request,
    [
      ['Result-Code', p.resultCode],
      ['Origin-Host', p.originHost],
      ['Origin-Realm', p.originRealm],
      ...opt('Origin-State-Id', p.originStateId),
    ],
    {},
    dict,
  );
}

export const DISCONNECT_CAUSE = { REBOOTING: 0, BUSY: 1, DO_NOT_WANT_TO_TALK_TO_YOU: 2 } as const;

export function buildDpr(
  p: PeerIdentity & Ids & { disconnectCause: number },
  dict: Dictionary = defaultDictionary,
): DiameterMessage {
  return buildMessage(
    {
      commandCode: CMD_DISCONNECT_PEER,
      applicationId: APPLICATION_COMMON,
      request: true,
      ...ids(p),
      avps: [
        ['Origin-Host', p.originHost],
        ['Origin-Realm', p.originRealm],
        ['Disconnect-Cause', p.disconnectCause],
      ],
    },
    dict,
  );
}

export function buildDpa(
  request: DiameterHeader,
  p: PeerIdentity & { resultCode: number },
  dict: Dictionary = defaultDictionary,
): DiameterMessage {
  return buildAnswer(
    request,
    [
      ['Result-Code', p.resultCode],
      ['Origin-Host', p.originHost],
      ['Origin-Realm', p.originRealm],
    ],
    {},
    dict,
  );
}

/**
 * The answer-message of RFC 6733 section 7.2, `< Diameter Header: code, ERR [, PXY] >`: the request's command,
 * application and ids, R clear, E set, P copied; Session-Id copied from the request, Origin-Host,
 * Origin-Realm, Result-Code, Error-Message (the reason), Failed-AVP. It is the form for 3xxx protocol errors
 * (section 7.1.3) and the allowed form for any other error when the command's own answer cannot be built
 * (section 7.1.5), so the E bit is always set; an application that can build its own answer (e.g. an MAA
 * with Result-Code 5005 and the E bit clear) builds that instead.
 */
export function buildErrorAnswer(
  request: DiameterMessage,
  p: { originHost: string; originRealm: string; error: ProtocolError; originStateId?: number },
  dict: Dictionary = defaultDictionary,
): DiameterMessage {
  // the Session-Id's bytes as received, with the flags it is sent with; one that is not valid UTF-8 (it may be
  // the error being reported) cannot be echoed in a well-formed answer and is left out (0*1 < Session-Id >)
  const sid = findAvp(request.avps, 'Session-Id', dict);
  const sidOut: Avp | undefined =
    sid && checkValue('UTF8String', sid.data) === undefined
      ? { code: sid.code, flags: AVP_FLAG_MANDATORY, vendorId: 0, data: sid.data }
      : undefined;
  return buildAnswer(
    request,
    [
      ...(sidOut ? [sidOut] : []),
      ['Origin-Host', p.originHost],
      ['Origin-Realm', p.originRealm],
      ['Result-Code', p.error.resultCode],
      ...opt('Origin-State-Id', p.originStateId),
      ['Error-Message', p.error.reason],
      ...(p.error.failedAvp ? [['Failed-AVP', [p.error.failedAvp]] as const] : []),
    ],
    { error: true },
    dict,
  );
}
