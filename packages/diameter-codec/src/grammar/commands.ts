/**
 * The grammars the testbed checks: RFC 6733 CER/CEA, DWR/DWA, DPR/DPA and answer-message; TS 29.229 Cx MAR/MAA;
 * TS 29.109 Zh MAR/MAA; TS 29.329 Sh UDR/UDA. AVPs the dictionaries do not define (DRMP, OC-Supported-Features,
 * OC-OLR, Load) are left out: they fall under `*[AVP]`.
 */
import { APPLICATION_CX, APPLICATION_SH, APPLICATION_ZH } from '../dictionary';
import { grammar, type CommandGrammar } from './ccf';

const RESULT = [['Result-Code', 'Experimental-Result']];

export const CER = grammar(
  'CER',
  257,
  undefined,
  true,
  'RFC 6733 5.3.1',
  '{Origin-Host} {Origin-Realm} 1*{Host-IP-Address} {Vendor-Id} {Product-Name} [Origin-State-Id] ' +
    '*[Supported-Vendor-Id] *[Auth-Application-Id] *[Inband-Security-Id] *[Acct-Application-Id] ' +
    '*[Vendor-Specific-Application-Id] [Firmware-Revision] *[AVP]',
);

export const CEA = grammar(
  'CEA',
  257,
  undefined,
  false,
  'RFC 6733 5.3.2',
  '{Result-Code} {Origin-Host} {Origin-Realm} 1*{Host-IP-Address} {Vendor-Id} {Product-Name} [Origin-State-Id] ' +
    '[Error-Message] [Failed-AVP] *[Supported-Vendor-Id] *[Auth-Application-Id] *[Inband-Security-Id] ' +
    '*[Acct-Application-Id] *[Vendor-Specific-Application-Id] [Firmware-Revision] *[AVP]',
);

export const DPR = grammar(
  'DPR',
  282,
  undefined,
  true,
  'RFC 6733 5.4.1',
  '{Origin-Host} {Origin-Realm} {Disconnect-Cause} *[AVP]',
);
export const DPA = grammar(
  'DPA',
  282,
  undefined,
  false,
  'RFC 6733 5.4.2',
  '{Result-Code} {Origin-Host} {Origin-Realm} [Error-Message] [Failed-AVP] *[AVP]',
);
export const DWR = grammar(
  'DWR',
  280,
  undefined,
  true,
  'RFC 6733 5.5.1',
  '{Origin-Host} {Origin-Realm} [Origin-State-Id] *[AVP]',
);
export const DWA = grammar(
  'DWA',
  280,
  undefined,
  false,
  'RFC 6733 5.5.2',
  '{Result-Code} {Origin-Host} {Origin-Realm} [Error-Message] [Failed-AVP] [Origin-State-Id] *[AVP]',
);

/** Any answer with the E bit set (RFC 6733 7.2). */
export const ANSWER_MESSAGE = grammar(
  'answer-message',
  0,
  undefined,
  false,
  'RFC 6733 7.2',
  '0*1<Session-Id> {Origin-Host} {Origin-Realm} {Result-Code} [Origin-State-Id] [Error-Message] ' +
    '[Error-Reporting-Host] [Failed-AVP] [Experimental-Result] *[Proxy-Info] *[AVP]',
);

export const CX_MAR = grammar(
  'MAR',
  303,
  APPLICATION_CX,
  true,
  'TS 29.229 6.1.7',
  '<Session-Id> {Vendor-Specific-Application-Id} {Auth-Session-State} {Origin-Host} {Origin-Realm} ' +
    '{Destination-Realm} [Destination-Host] {User-Name} *[Supported-Features] {Public-Identity} ' +
    '{SIP-Auth-Data-Item} {SIP-Number-Auth-Items} {Server-Name} *[AVP] *[Proxy-Info] *[Route-Record]',
);

export const CX_MAA = grammar(
  'MAA',
  303,
  APPLICATION_CX,
  false,
  'TS 29.229 6.1.8',
  '<Session-Id> {Vendor-Specific-Application-Id} [Result-Code] [Experimental-Result] {Auth-Session-State} ' +
    '{Origin-Host} {Origin-Realm} [User-Name] *[Supported-Features] [Public-Identity] [SIP-Number-Auth-Items] ' +
    '*[SIP-Auth-Data-Item] *[AVP] [Failed-AVP] *[Proxy-Info] *[Route-Record]',
  RESULT,
);

export const ZH_MAR = grammar(
  'MAR',
  303,
  APPLICATION_ZH,
  true,
  'TS 29.109 6.1.1',
  '<Session-Id> {Vendor-Specific-Application-Id} {Auth-Session-State} {Origin-Host} {Origin-Realm} ' +
    '{Destination-Realm} [Destination-Host] [User-Name] [Public-Identity] [SIP-Auth-Data-Item] ' +
    '[GUSS-Timestamp] *[AVP] *[Proxy-Info] *[Route-Record]',
);

export const ZH_MAA = grammar(
  'MAA',
  303,
  APPLICATION_ZH,
  false,
  'TS 29.109 6.1.2',
  '<Session-Id> {Vendor-Specific-Application-Id} [Result-Code] [Experimental-Result] {Auth-Session-State} ' +
    '{Origin-Host} {Origin-Realm} [User-Name] [Public-Identity] [SIP-Auth-Data-Item] [GBA-UserSecSettings] ' +
    '*[AVP] *[Proxy-Info] *[Route-Record]',
  RESULT,
);

export const SH_UDR = grammar(
  'UDR',
  306,
  APPLICATION_SH,
  true,
  'TS 29.329 6.1.1',
  '<Session-Id> {Vendor-Specific-Application-Id} {Auth-Session-State} {Origin-Host} {Origin-Realm} ' +
    '[Destination-Host] {Destination-Realm} *[Supported-Features] {User-Identity} [Wildcarded-Public-Identity] ' +
    '[Server-Name] *[Service-Indication] 1*{Data-Reference} *[Identity-Set] [Requested-Domain] ' +
    '[Current-Location] *[AVP] *[Proxy-Info] *[Route-Record]',
);

export const SH_UDA = grammar(
  'UDA',
  306,
  APPLICATION_SH,
  false,
  'TS 29.329 6.1.2',
  '<Session-Id> {Vendor-Specific-Application-Id} [Result-Code] [Experimental-Result] {Auth-Session-State} ' +
    '{Origin-Host} {Origin-Realm} *[Supported-Features] [Wildcarded-Public-Identity] [Sh-User-Data] *[AVP] ' +
    '[Failed-AVP] *[Proxy-Info] *[Route-Record]',
  RESULT,
);

export const GRAMMARS: readonly CommandGrammar[] = [
  CER,
  CEA,
  DPR,
  DPA,
  DWR,
  DWA,
  CX_MAR,
  CX_MAA,
  ZH_MAR,
  ZH_MAA,
  SH_UDR,
  SH_UDA,
];
