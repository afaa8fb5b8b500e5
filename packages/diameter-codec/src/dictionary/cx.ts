/**
 * Cx/Dx (TS 29.229 section 6.3, vendor 10415, application 16777216). AVP codes and flags checked against
 * TS 29.229 table 6.3.0.1, Wireshark's diameter/TGPP.xml and freeDiameter's dict_dcca_3gpp. Every AVP the
 * table marks M must not (631, 632, 634 and 635-647; Wireshark has M must for 631, 632 and 634, and
 * Kamailio sets M on every Cx AVP) and the Supported-Features members, where the sources disagree, are
 * accepted with either M value and sent with M clear, as the table has it.
 */
import type { AvpDefinition, DictionaryPart } from './types';
import { members } from './types';

export const VENDOR_3GPP = 10415;
export const VENDOR_ETSI = 13019;
export const APPLICATION_CX = 16777216;

export const CX_EXPERIMENTAL_RESULTS: Readonly<Record<number, string>> = {
  2001: 'DIAMETER_FIRST_REGISTRATION',
  2002: 'DIAMETER_SUBSEQUENT_REGISTRATION',
  2003: 'DIAMETER_UNREGISTERED_SERVICE',
  2004: 'DIAMETER_SUCCESS_SERVER_NAME_NOT_STORED',
  5001: 'DIAMETER_ERROR_USER_UNKNOWN',
  5002: 'DIAMETER_ERROR_IDENTITIES_DONT_MATCH',
  5003: 'DIAMETER_ERROR_IDENTITY_NOT_REGISTERED',
  5004: 'DIAMETER_ERROR_ROAMING_NOT_ALLOWED',
  5005: 'DIAMETER_ERROR_IDENTITY_ALREADY_REGISTERED',
  5006: 'DIAMETER_ERROR_AUTH_SCHEME_NOT_SUPPORTED',
  5007: 'DIAMETER_ERROR_IN_ASSIGNMENT_TYPE',
  5008: 'DIAMETER_ERROR_TOO_MUCH_DATA',
  5009: 'DIAMETER_ERROR_NOT_SUPPORTED_USER_DATA',
  5011: 'DIAMETER_ERROR_FEATURE_UNSUPPORTED',
  5012: 'DIAMETER_ERROR_SERVING_NODE_FEATURE_UNSUPPORTED',
};

const t = (
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
  ref: `TS 29.229 6.3 (${code})`,
  ...extra,
});

export const cxDictionary: DictionaryPart = {
  name: 'TS 29.229 Cx/Dx',
  vendors: { [VENDOR_3GPP]: '3GPP', [VENDOR_ETSI]: 'ETSI' },
  applications: [{ id: APPLICATION_CX, name: '3GPP Cx' }],
  commands: [
    {
      code: 300,
      applicationId: APPLICATION_CX,
      name: 'User-Authorization',
      requestAbbrev: 'UAR',
      answerAbbrev: 'UAA',
    },
    {
      code: 301,
      applicationId: APPLICATION_CX,
      name: 'Server-Assignment',
      requestAbbrev: 'SAR',
      answerAbbrev: 'SAA',
    },
    {
      code: 302,
      applicationId: APPLICATION_CX,
      name: 'Location-Info',
      requestAbbrev: 'LIR',
      answerAbbrev: 'LIA',
    },
    {
      code: 303,
      applicationId: APPLICATION_CX,
      name: 'Multimedia-Auth',
      requestAbbrev: 'MAR',
      answerAbbrev: 'MAA',
    },
    {
      code: 304,
      applicationId: APPLICATION_CX,
      name: 'Registration-Termination',
      requestAbbrev: 'RTR',
      answerAbbrev: 'RTA',
    },
    {
      code: 305,
      applicationId: APPLICATION_CX,
      name: 'Push-Profile',
      requestAbbrev: 'PPR',
      answerAbbrev: 'PPA',
    },
  ],
  experimentalResults: { vendorId: VENDOR_3GPP, values: CX_EXPERIMENTAL_RESULTS },
  avps: [
    t(600, 'Visited-Network-Identifier', 'OctetString'),
    t(601, 'Public-Identity', 'UTF8String'),
    t(602, 'Server-Name', 'UTF8String'),
    t(603, 'Server-Capabilities', 'Grouped', {
      members: members('*[Mandatory-Capability] *[Optional-Capability] *[Server-Name]'),
    }),
    t(604, 'Mandatory-Capability', 'Unsigned32'),
    t(605, 'Optional-Capability', 'Unsigned32'),
    t(606, 'User-Data', 'OctetString'),
    t(607, 'SIP-Number-Auth-Items', 'Unsigned32'),
    t(608, 'SIP-Authentication-Scheme', 'UTF8String'),
    t(609, 'SIP-Authenticate', 'OctetString'),
    t(610, 'SIP-Authorization', 'OctetString'),
    t(611, 'SIP-Authentication-Context', 'OctetString'),
    t(612, 'SIP-Auth-Data-Item', 'Grouped', {
      members: members(
        '[SIP-Item-Number] [SIP-Authentication-Scheme] [SIP-Authenticate] [SIP-Authorization] ' +
          '[SIP-Authentication-Context] [Confidentiality-Key] [Integrity-Key] [SIP-Digest-Authenticate]',
      ),
    }),
    t(613, 'SIP-Item-Number', 'Unsigned32'),
    t(614, 'Server-Assignment-Type', 'Enumerated', {
      values: {
        0: 'NO_ASSIGNMENT',
        1: 'REGISTRATION',
        2: 'RE_REGISTRATION',
        3: 'UNREGISTERED_USER',
        4: 'TIMEOUT_DEREGISTRATION',
        5: 'USER_DEREGISTRATION',
        6: 'TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME',
        7: 'USER_DEREGISTRATION_STORE_SERVER_NAME',
        8: 'ADMINISTRATIVE_DEREGISTRATION',
        9: 'AUTHENTICATION_FAILURE',
        10: 'AUTHENTICATION_TIMEOUT',
        11: 'DEREGISTRATION_TOO_MUCH_DATA',
        12: 'AAA_USER_DATA_REQUEST',
        13: 'PGW_UPDATE',
        14: 'RESTORATION',
      },
    }),
    t(615, 'Deregistration-Reason', 'Grouped', { members: members('{Reason-Code} [Reason-Info]') }),
    t(616, 'Reason-Code', 'Enumerated', {
      values: {
        0: 'PERMANENT_TERMINATION',
        1: 'NEW_SERVER_ASSIGNED',
        2: 'SERVER_CHANGE',
        3: 'REMOVE_S-CSCF',
      },
    }),
    t(617, 'Reason-Info', 'UTF8String'),
    t(618, 'Charging-Information', 'Grouped'),
    t(619, 'Primary-Event-Charging-Function-Name', 'DiameterURI'),
    t(620, 'Secondary-Event-Charging-Function-Name', 'DiameterURI'),
    t(621, 'Primary-Charging-Collection-Function-Name', 'DiameterURI'),
    t(622, 'Secondary-Charging-Collection-Function-Name', 'DiameterURI'),
    t(623, 'User-Authorization-Type', 'Enumerated', {
      values: { 0: 'REGISTRATION', 1: 'DE_REGISTRATION', 2: 'REGISTRATION_AND_CAPABILITIES' },
    }),
    t(624, 'User-Data-Already-Available', 'Enumerated', {
      values: { 0: 'USER_DATA_NOT_AVAILABLE', 1: 'USER_DATA_ALREADY_AVAILABLE' },
    }),
    t(625, 'Confidentiality-Key', 'OctetString'),
    t(626, 'Integrity-Key', 'OctetString'),
    t(628, 'Supported-Features', 'Grouped', {
      mandatory: 'may',
      members: members('{Vendor-Id} {Feature-List-ID} {Feature-List}'),
    }),
    t(629, 'Feature-List-ID', 'Unsigned32', { mandatory: 'may', sendMandatory: false }),
    t(630, 'Feature-List', 'Unsigned32', { mandatory: 'may', sendMandatory: false }),
    // TS 29.229 table 6.3.0.1: V must, M must not; Wireshark's TGPP.xml has M must
    t(631, 'Supported-Applications', 'Grouped', { mandatory: 'may', sendMandatory: false }),
    t(632, 'Associated-Identities', 'Grouped', {
      mandatory: 'may',
      sendMandatory: false,
      members: members('*[User-Name]'),
    }),
    t(633, 'Originating-Request', 'Enumerated', { values: { 0: 'ORIGINATING' } }),
    t(634, 'Wildcarded-Public-Identity', 'UTF8String', { mandatory: 'may', sendMandatory: false }),
    t(635, 'SIP-Digest-Authenticate', 'Grouped', { mandatory: 'may', sendMandatory: false }),
    t(636, 'Wildcarded-IMPU', 'UTF8String', { mandatory: 'may', sendMandatory: false }),
    t(637, 'UAR-Flags', 'Unsigned32', { mandatory: 'may', sendMandatory: false }),
    t(638, 'Loose-Route-Indication', 'Enumerated', {
      mandatory: 'may',
      sendMandatory: false,
      values: { 0: 'LOOSE_ROUTE_NOT_REQUIRED', 1: 'LOOSE_ROUTE_REQUIRED' },
    }),
    t(639, 'SCSCF-Restoration-Info', 'Grouped', { mandatory: 'may', sendMandatory: false }),
    t(640, 'Path', 'OctetString', { mandatory: 'may', sendMandatory: false }),
    t(641, 'Contact', 'OctetString', { mandatory: 'may', sendMandatory: false }),
    t(642, 'Subscription-Info', 'Grouped', { mandatory: 'may', sendMandatory: false }),
    t(647, 'Associated-Registered-Identities', 'Grouped', { mandatory: 'may', sendMandatory: false }),
  ],
};
