/**
 * RFC 6733 base protocol AVPs (section 4.5 table, sections 5-8), applications and commands. Product-Name and
 * Firmware-Revision are sent with M clear as the table says but accepted with either M value, since CERs from
 * deployed peers differ there.
 */
import type { AvpDefinition, DictionaryPart } from './types';
import { members } from './types';
import { RESULT_CODES } from '../codec/errors';

export const APPLICATION_COMMON = 0;
export const APPLICATION_RELAY = 0xffffffff;

const RESULT_CODE_VALUES = Object.fromEntries(Object.entries(RESULT_CODES).map(([k, v]) => [v, k]));

const b = (
  code: number,
  name: string,
  type: AvpDefinition['type'],
  ref: string,
  extra: Partial<AvpDefinition> = {},
): AvpDefinition => ({ code, vendorId: 0, name, type, mandatory: 'must', ref, ...extra });

export const baseDictionary: DictionaryPart = {
  name: 'RFC 6733 base',
  vendors: { 0: 'IETF' },
  applications: [
    { id: APPLICATION_COMMON, name: 'Diameter Common Messages' },
    { id: 3, name: 'Diameter Base Accounting' },
    { id: APPLICATION_RELAY, name: 'Relay' },
  ],
  commands: [
    { code: 257, name: 'Capabilities-Exchange', requestAbbrev: 'CER', answerAbbrev: 'CEA' },
    { code: 258, name: 'Re-Auth', requestAbbrev: 'RAR', answerAbbrev: 'RAA' },
    { code: 271, name: 'Accounting', requestAbbrev: 'ACR', answerAbbrev: 'ACA' },
    { code: 274, name: 'Abort-Session', requestAbbrev: 'ASR', answerAbbrev: 'ASA' },
    { code: 275, name: 'Session-Termination', requestAbbrev: 'STR', answerAbbrev: 'STA' },
    { code: 280, name: 'Device-Watchdog', requestAbbrev: 'DWR', answerAbbrev: 'DWA' },
    { code: 282, name: 'Disconnect-Peer', requestAbbrev: 'DPR', answerAbbrev: 'DPA' },
  ],
  avps: [
    b(1, 'User-Name', 'UTF8String', 'RFC 6733 8.14'),
    b(25, 'Class', 'OctetString', 'RFC 6733 8.20'),
    b(27, 'Session-Timeout', 'Unsigned32', 'RFC 6733 8.13'),
    b(33, 'Proxy-State', 'OctetString', 'RFC 6733 6.7.4'),
    b(44, 'Accounting-Session-Id', 'OctetString', 'RFC 6733 9.8.4'),
    b(50, 'Acct-Multi-Session-Id', 'UTF8String', 'RFC 6733 9.8.5'),
    b(55, 'Event-Timestamp', 'Time', 'RFC 6733 8.21'),
    b(85, 'Acct-Interim-Interval', 'Unsigned32', 'RFC 6733 9.8.2'),
    b(257, 'Host-IP-Address', 'Address', 'RFC 6733 5.3.5'),
    b(258, 'Auth-Application-Id', 'Unsigned32', 'RFC 6733 6.8'),
    b(259, 'Acct-Application-Id', 'Unsigned32', 'RFC 6733 6.9'),
    b(260, 'Vendor-Specific-Application-Id', 'Grouped', 'RFC 6733 6.11', {
      members: members('{Vendor-Id} [Auth-Application-Id] [Acct-Application-Id]'),
    }),
    b(261, 'Redirect-Host-Usage', 'Enumerated', 'RFC 6733 6.13', {
      values: {
        0: 'DONT_CACHE',
        1: 'ALL_SESSION',
        2: 'ALL_REALM',
        3: 'REALM_AND_APPLICATION',
        4: 'ALL_APPLICATION',
        5: 'ALL_HOST',
        6: 'ALL_USER',
      },
    }),
    b(262, 'Redirect-Max-Cache-Time', 'Unsigned32', 'RFC 6733 6.14'),
    b(263, 'Session-Id', 'UTF8String', 'RFC 6733 8.8'),
    b(264, 'Origin-Host', 'DiameterIdentity', 'RFC 6733 6.3'),
    b(265, 'Supported-Vendor-Id', 'Unsigned32', 'RFC 6733 5.3.6'),
    b(266, 'Vendor-Id', 'Unsigned32', 'RFC 6733 5.3.3'),
    b(267, 'Firmware-Revision', 'Unsigned32', 'RFC 6733 5.3.4', { mandatory: 'may', sendMandatory: false }),
    b(268, 'Result-Code', 'Unsigned32', 'RFC 6733 7.1', { values: RESULT_CODE_VALUES }),
    b(269, 'Product-Name', 'UTF8String', 'RFC 6733 5.3.7', { mandatory: 'may', sendMandatory: false }),
    b(270, 'Session-Binding', 'Unsigned32', 'RFC 6733 8.17'),
    b(271, 'Session-Server-Failover', 'Enumerated', 'RFC 6733 8.18', {
      values: { 0: 'REFUSE_SERVICE', 1: 'TRY_AGAIN', 2: 'ALLOW_SERVICE', 3: 'TRY_AGAIN_ALLOW_SERVICE' },
    }),
    b(272, 'Multi-Round-Time-Out', 'Unsigned32', 'RFC 6733 8.19'),
    b(273, 'Disconnect-Cause', 'Enumerated', 'RFC 6733 5.4.3', {
      values: { 0: 'REBOOTING', 1: 'BUSY', 2: 'DO_NOT_WANT_TO_TALK_TO_YOU' },
    }),
    b(274, 'Auth-Request-Type', 'Enumerated', 'RFC 6733 8.7', {
      values: { 1: 'AUTHENTICATE_ONLY', 2: 'AUTHORIZE_ONLY', 3: 'AUTHORIZE_AUTHENTICATE' },
    }),
    b(276, 'Auth-Grace-Period', 'Unsigned32', 'RFC 6733 8.10'),
    b(277, 'Auth-Session-State', 'Enumerated', 'RFC 6733 8.11', {
      values: { 0: 'STATE_MAINTAINED', 1: 'NO_STATE_MAINTAINED' },
    }),
    b(278, 'Origin-State-Id', 'Unsigned32', 'RFC 6733 8.16'),
    b(279, 'Failed-AVP', 'Grouped', 'RFC 6733 7.5'),
    b(280, 'Proxy-Host', 'DiameterIdentity', 'RFC 6733 6.7.3'),
    b(281, 'Error-Message', 'UTF8String', 'RFC 6733 7.3', { mandatory: 'mustNot' }),
    b(282, 'Route-Record', 'DiameterIdentity', 'RFC 6733 6.7.1'),
    b(283, 'Destination-Realm', 'DiameterIdentity', 'RFC 6733 6.6'),
    b(284, 'Proxy-Info', 'Grouped', 'RFC 6733 6.7.2', { members: members('{Proxy-Host} {Proxy-State}') }),
    b(285, 'Re-Auth-Request-Type', 'Enumerated', 'RFC 6733 8.12', {
      values: { 0: 'AUTHORIZE_ONLY', 1: 'AUTHORIZE_AUTHENTICATE' },
    }),
    b(287, 'Accounting-Sub-Session-Id', 'Unsigned64', 'RFC 6733 9.8.6'),
    b(291, 'Authorization-Lifetime', 'Unsigned32', 'RFC 6733 8.9'),
    b(292, 'Redirect-Host', 'DiameterURI', 'RFC 6733 6.12'),
    b(293, 'Destination-Host', 'DiameterIdentity', 'RFC 6733 6.5'),
    b(294, 'Error-Reporting-Host', 'DiameterIdentity', 'RFC 6733 7.4', { mandatory: 'mustNot' }),
    b(295, 'Termination-Cause', 'Enumerated', 'RFC 6733 8.15', {
      values: {
        1: 'DIAMETER_LOGOUT',
        2: 'DIAMETER_SERVICE_NOT_PROVIDED',
        3: 'DIAMETER_BAD_ANSWER',
        4: 'DIAMETER_ADMINISTRATIVE',
        5: 'DIAMETER_LINK_BROKEN',
        6: 'DIAMETER_AUTH_EXPIRED',
        7: 'DIAMETER_USER_MOVED',
        8: 'DIAMETER_SESSION_TIMEOUT',
      },
    }),
    b(296, 'Origin-Realm', 'DiameterIdentity', 'RFC 6733 6.4'),
    b(297, 'Experimental-Result', 'Grouped', 'RFC 6733 7.6', {
      members: members('{Vendor-Id} {Experimental-Result-Code}'),
    }),
    b(298, 'Experimental-Result-Code', 'Unsigned32', 'RFC 6733 7.7'),
    b(299, 'Inband-Security-Id', 'Unsigned32', 'RFC 6733 6.10', {
      values: { 0: 'NO_INBAND_SECURITY', 1: 'TLS' },
    }),
    b(480, 'Accounting-Record-Type', 'Enumerated', 'RFC 6733 9.8.1', {
      values: { 1: 'EVENT_RECORD', 2: 'START_RECORD', 3: 'INTERIM_RECORD', 4: 'STOP_RECORD' },
    }),
    b(483, 'Accounting-Realtime-Required', 'Enumerated', 'RFC 6733 9.8.7', {
      values: { 1: 'DELIVER_AND_GRANT', 2: 'GRANT_AND_STORE', 3: 'GRANT_AND_LOSE' },
    }),
    b(485, 'Accounting-Record-Number', 'Unsigned32', 'RFC 6733 9.8.3'),
  ],
};
