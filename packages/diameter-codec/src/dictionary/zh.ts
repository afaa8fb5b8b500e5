/**
 * Zh (TS 29.109 section 6.3, BSF-HSS, application 16777221, vendor 10415). Codes and types from Wireshark's
 * diameter/dictionary.xml. TS 29.109 table 6.3.1 gives V must for all of them, M must for all but
 * GUSS-Timestamp, which is M must not (as Alcatel-Lucent's GAA definitions have it; Cipango's Zh dictionary
 * sets M on every Zh AVP, GUSS-Timestamp included). Wireshark leaves M open. So every Zh AVP is accepted
 * with either M value and sent with the table's M: set, and clear for GUSS-Timestamp.
 */
import type { AvpDefinition, DictionaryPart } from './types';
import { VENDOR_3GPP } from './cx';

export const APPLICATION_ZH = 16777221;
export const APPLICATION_ZN = 16777220;

const z = (
  code: number,
  name: string,
  type: AvpDefinition['type'],
  values?: Record<number, string>,
  sendMandatory = true,
): AvpDefinition => ({
  code,
  vendorId: VENDOR_3GPP,
  name,
  type,
  mandatory: 'may',
  sendMandatory,
  ref: `TS 29.109 6.3 (${code})`,
  ...(values ? { values } : {}),
});

export const zhDictionary: DictionaryPart = {
  name: 'TS 29.109 Zh',
  applications: [
    { id: APPLICATION_ZH, name: '3GPP Zh' },
    { id: APPLICATION_ZN, name: '3GPP Zn' },
  ],
  commands: [
    {
      code: 303,
      applicationId: APPLICATION_ZH,
      name: 'Multimedia-Auth',
      requestAbbrev: 'MAR',
      answerAbbrev: 'MAA',
    },
  ],
  avps: [
    z(400, 'GBA-UserSecSettings', 'OctetString'),
    z(401, 'Transaction-Identifier', 'OctetString'),
    z(402, 'NAF-Id', 'OctetString'),
    z(403, 'GAA-Service-Identifier', 'OctetString'),
    z(404, 'Key-ExpiryTime', 'Time'),
    z(405, 'ME-Key-Material', 'OctetString'),
    z(406, 'UICC-Key-Material', 'OctetString'),
    z(407, 'GBA_U-Awareness-Indicator', 'Enumerated', { 0: 'NO', 1: 'YES' }),
    z(408, 'BootstrapInfoCreationTime', 'Time'),
    z(409, 'GUSS-Timestamp', 'Time', undefined, false),
    z(410, 'GBA-Type', 'Enumerated', { 0: '3G GBA', 1: '2G GBA' }),
    z(411, 'UE-Id', 'OctetString'),
    z(412, 'UE-Id-Type', 'Enumerated', { 0: 'Private user identity', 1: 'Public user identity' }),
    z(413, 'UICC-App-Label', 'OctetString'),
    z(414, 'UICC-ME', 'Enumerated', { 0: 'GBA_ME', 1: 'GBA_U' }),
    z(415, 'Requested-Key-Lifetime', 'Time'),
    z(416, 'Private-Identity-Request', 'Enumerated', {
      0: 'Private identity requested',
      1: 'Private identity not requested',
    }),
    z(417, 'GBA-Push-Info', 'OctetString'),
    z(418, 'NAF-SA-Identifier', 'OctetString'),
  ],
};
