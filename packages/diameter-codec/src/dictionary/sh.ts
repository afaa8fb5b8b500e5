/**
 * Sh basics (TS 29.329 section 6.3, AS-HSS, application 16777217, vendor 10415): the AVPs of UDR/UDA.
 * Codes, flags and enumerations checked against Wireshark's diameter/TGPP.xml (which also gives
 * Service-Indication V must-not, an old-release mistake: TS 29.329 has V and M set, as sent here).
 * Identity-Set is M must not in TS 29.329 and M must in Wireshark: accepted either way, sent with M clear.
 */
import type { AvpDefinition, DictionaryPart } from './types';
import { members } from './types';
import { VENDOR_3GPP } from './cx';

export const APPLICATION_SH = 16777217;

const s = (
  code: number,
  name: string,
  type: AvpDefinition['type'],
  extra: Partial<AvpDefinition> = {},
): AvpDefinition => ({
  code,
  vendorId: VENDOR_3GPP,
  name,
  type,
  mandatory: 'must',
  ref: `TS 29.329 6.3 (${code})`,
  ...extra,
});

export const SH_DATA_REFERENCE: Readonly<Record<number, string>> = {
  0: 'RepositoryData',
  10: 'IMSPublicIdentity',
  11: 'IMSUserState',
  12: 'S-CSCFName',
  13: 'InitialFilterCriteria',
  14: 'LocationInformation',
  15: 'UserState',
  16: 'ChargingInformation',
  17: 'MSISDN',
  18: 'PSIActivation',
  19: 'DSAI',
  21: 'ServiceLevelTraceInfo',
  22: 'IPAddressSecureBindingInformation',
  23: 'ServicePriorityLevel',
  24: 'SMSRegistrationInfo',
  25: 'UEReachabilityForIP',
  26: 'TADSinformation',
  27: 'STN-SR',
  28: 'UE-SRVCC-Capability',
  29: 'ExtendedPriority',
  30: 'CSRN',
  31: 'ReferenceLocationInformation',
  32: 'IMSI',
  33: 'IMSPrivateUserIdentity',
  34: 'IMEISV',
  35: 'UE-5G-SRVCC-Capability',
};

export const SH_EXPERIMENTAL_RESULTS: Readonly<Record<number, string>> = {
  4100: 'DIAMETER_USER_DATA_NOT_AVAILABLE',
  4101: 'DIAMETER_PRIOR_UPDATE_IN_PROGRESS',
  5100: 'DIAMETER_ERROR_USER_DATA_NOT_RECOGNIZED',
  5101: 'DIAMETER_ERROR_OPERATION_NOT_ALLOWED',
  5102: 'DIAMETER_ERROR_USER_DATA_CANNOT_BE_READ',
  5103: 'DIAMETER_ERROR_USER_DATA_CANNOT_BE_MODIFIED',
  5104: 'DIAMETER_ERROR_USER_DATA_CANNOT_BE_NOTIFIED',
  5105: 'DIAMETER_ERROR_TRANSPARENT_DATA_OUT_OF_SYNC',
  5106: 'DIAMETER_ERROR_SUBS_DATA_ABSENT',
  5107: 'DIAMETER_ERROR_NO_SUBSCRIPTION_TO_DATA',
  5108: 'DIAMETER_ERROR_DSAI_NOT_AVAILABLE',
};

export const shDictionary: DictionaryPart = {
  name: 'TS 29.329 Sh',
  applications: [{ id: APPLICATION_SH, name: '3GPP Sh' }],
  experimentalResults: { vendorId: VENDOR_3GPP, values: SH_EXPERIMENTAL_RESULTS },
  commands: [
    {
      code: 306,
      applicationId: APPLICATION_SH,
      name: 'User-Data',
      requestAbbrev: 'UDR',
      answerAbbrev: 'UDA',
    },
    {
      code: 307,
      applicationId: APPLICATION_SH,
      name: 'Profile-Update',
      requestAbbrev: 'PUR',
      answerAbbrev: 'PUA',
    },
    {
      code: 308,
      applicationId: APPLICATION_SH,
      name: 'Subscribe-Notifications',
      requestAbbrev: 'SNR',
      answerAbbrev: 'SNA',
    },
    {
      code: 309,
      applicationId: APPLICATION_SH,
      name: 'Push-Notification',
      requestAbbrev: 'PNR',
      answerAbbrev: 'PNA',
    },
  ],
  avps: [
    s(700, 'User-Identity', 'Grouped', { members: members('[Public-Identity] [MSISDN]') }),
    s(701, 'MSISDN', 'OctetString'),
    s(702, 'Sh-User-Data', 'OctetString'),
    s(703, 'Data-Reference', 'Enumerated', { values: SH_DATA_REFERENCE }),
    s(704, 'Service-Indication', 'OctetString'),
    s(705, 'Subs-Req-Type', 'Enumerated', { values: { 0: 'Subscribe', 1: 'Unsubscribe' } }),
    s(706, 'Requested-Domain', 'Enumerated', { values: { 0: 'CS-Domain', 1: 'PS-Domain' } }),
    s(707, 'Current-Location', 'Enumerated', {
      values: { 0: 'DoNotNeedInitiateActiveLocationRetrieval', 1: 'InitiateActiveLocationRetrieval' },
    }),
    // TS 29.329: V must, M must not (freeDiameter fixes M clear); Wireshark's TGPP.xml has M must
    s(708, 'Identity-Set', 'Enumerated', {
      mandatory: 'may',
      sendMandatory: false,
      values: {
        0: 'ALL_IDENTITIES',
        1: 'REGISTERED_IDENTITIES',
        2: 'IMPLICIT_IDENTITIES',
        3: 'ALIAS_IDENTITIES',
      },
    }),
  ],
};
