// Golden messages written by hand from the RFC 6733 section 3 / 4.1 layouts (one line per AVP:
// code | flags | length (24 bits, without padding) | [vendor] | data | padding), not produced by the encoder.
export const hex = (lines: string[]): Buffer => Buffer.from(lines.join('').replace(/\s+/g, ''), 'hex');

const ORIGIN_HOST_AP = '00000108 40 000014 61702e686f6d65312e6e6574'; // Origin-Host "ap.home1.net"
const ORIGIN_REALM = '00000128 40 000011 686f6d65312e6e6574 000000'; // Origin-Realm "home1.net"
const VSAI_CX =
  '00000104 40 000020' + // Vendor-Specific-Application-Id, 32 bytes
  ' 0000010a 40 00000c 000028af' + //   Vendor-Id 10415
  ' 00000102 40 00000c 01000000'; //   Auth-Application-Id 16777216
const SESSION_ID = '00000107 40 000018 61702e686f6d65312e6e65743b313b32'; // Session-Id "ap.home1.net;1;2"
const USER_NAME = '00000001 40 00001f 75736572315f7072697661746540686f6d65312e6e6574 00'; // "user1_private@home1.net"
const PUBLIC_IDENTITY = // Public-Identity (601, V M, vendor 10415) "sip:user1_public1@home1.net"
  '00000259 c0 000027 000028af 7369703a75736572315f7075626c69633140686f6d65312e6e6574 00';

/** DWR (280), R set, application 0, hop-by-hop 0x11111111, end-to-end 0x22222222, 72 bytes. */
export const DWR = hex([
  '01 000048 80 000118 00000000 11111111 22222222',
  ORIGIN_HOST_AP,
  ORIGIN_REALM,
  '00000116 40 00000c 00000007', // Origin-State-Id 7
]);

/** CER (257): Host-IP-Address 127.0.0.1, Vendor-Id 0, Product-Name "ut", VSAI Cx, Firmware-Revision 1. */
export const CER = hex([
  '01 00009c 80 000101 00000000 00000001 00000002',
  ORIGIN_HOST_AP,
  ORIGIN_REALM,
  '00000101 40 00000e 0001 7f000001 0000', // Host-IP-Address, family 1 (IPv4)
  '0000010a 40 00000c 00000000', // Vendor-Id 0
  '0000010d 00 00000a 7574 0000', // Product-Name "ut", M clear
  '00000109 40 00000c 000028af', // Supported-Vendor-Id 10415
  VSAI_CX,
  '0000010b 00 00000c 00000001', // Firmware-Revision 1, M clear
]);

/** Cx MAR (303, R P, application 16777216) in the TS 29.229 6.1.7 order, 304 bytes. */
export const MAR = hex([
  '01 000130 c0 00012f 01000000 00000001 00000002',
  SESSION_ID,
  VSAI_CX,
  '00000115 40 00000c 00000001', // Auth-Session-State NO_STATE_MAINTAINED
  ORIGIN_HOST_AP,
  ORIGIN_REALM,
  '0000011b 40 000011 686f6d65312e6e6574 000000', // Destination-Realm "home1.net"
  USER_NAME,
  PUBLIC_IDENTITY,
  '00000264 c0 000028 000028af' + // SIP-Auth-Data-Item, 40 bytes
    ' 00000260 c0 00001c 000028af 4469676573742d414b4176312d4d4435', //   SIP-Authentication-Scheme "Digest-AKAv1-MD5"
  '0000025f c0 000010 000028af 00000001', // SIP-Number-Auth-Items 1
  '0000025a c0 00001c 000028af 7369703a61702e686f6d65312e6e6574', // Server-Name "sip:ap.home1.net"
]);

/** Cx MAA (303, P) with Experimental-Result {10415, 5001 DIAMETER_ERROR_USER_UNKNOWN} and no Result-Code. */
export const MAA_USER_UNKNOWN = hex([
  '01 0000ec 40 00012f 01000000 00000001 00000002',
  SESSION_ID,
  VSAI_CX,
  '00000129 40 000020' + // Experimental-Result, 32 bytes
    ' 0000010a 40 00000c 000028af' + //   Vendor-Id 10415
    ' 0000012a 40 00000c 00001389', //   Experimental-Result-Code 5001
  '00000115 40 00000c 00000001', // Auth-Session-State
  '00000108 40 000015 6873732e686f6d65312e6e6574 000000', // Origin-Host "hss.home1.net"
  ORIGIN_REALM,
  USER_NAME,
  PUBLIC_IDENTITY,
]);

export const MAR_INPUT = {
  sessionId: 'ap.home1.net;1;2',
  originHost: 'ap.home1.net',
  originRealm: 'home1.net',
  destinationRealm: 'home1.net',
  userName: 'user1_private@home1.net',
  publicIdentity: 'sip:user1_public1@home1.net',
  serverName: 'sip:ap.home1.net',
  hopByHop: 1,
  endToEnd: 2,
};
