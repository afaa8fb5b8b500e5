/**
 * The testbed's IMPU-List AVP: every public user identity of the subscriber, sent by the HSS simulator in
 * the MAA. Vendor 32473 (RFC 5612, IANA's enterprise number for documentation use: never 3GPP's 10415), V set,
 * M clear (RFC 6733 section 1.3.4: no new M-bit AVPs without a new application), so peers that do not know it
 * ignore it. Form: a repeated UTF8String AVP, one instance per IMPU (a SIP or tel URI), in the order the
 * HSS lists them, the default IMPU first; instances follow the standard AVPs of the answer.
 * Wireshark dictionary fragment: wireshark/ut-testbed.xml.
 */
import type { DictionaryPart } from './types';

export const VENDOR_TESTBED = 32473;
export const AVP_IMPU_LIST = 1;

export const impuListDictionary: DictionaryPart = {
  name: 'Ut testbed IMPU-List',
  vendors: { [VENDOR_TESTBED]: 'Example Enterprise Number for Documentation Use (Ut testbed)' },
  avps: [
    {
      code: AVP_IMPU_LIST,
      vendorId: VENDOR_TESTBED,
      name: 'IMPU-List',
      type: 'UTF8String',
      mandatory: 'mustNot',
      ref: 'Ut testbed (packages/diameter-codec/README.md)',
    },
  ],
};
