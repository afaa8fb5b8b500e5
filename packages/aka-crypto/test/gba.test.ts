import {
  bTid,
  kdf,
  ksFromCkIk,
  ksNaf,
  nafId,
  TLS_CIPHER_SUITES,
  UA_PROTOCOL,
  uaProtocolForTls,
} from '../src/gba';
import { createHmac } from 'node:crypto';
import { h, hex, sets } from './vectors';

const [, set1] = sets[0]!;
const IMPI = '001010000000001@ims.mnc001.mcc001.3gppnetwork.org';
const NAF = 'xcap.ims.mnc001.mcc001.pub.3gppnetwork.org';

describe('GBA (TS 33.220 Annex B) on TS 35.208 set 1', () => {
  const ks = ksFromCkIk(h(set1.f3_CK), h(set1.f4_IK));

  it('Ks = CK || IK', () => {
    expect(hex(ks)).toBe('b40ba9a3c58b2a05bbf0d987b21bf8cbf769bcd751044604127672711c6d3441');
  });

  it('the KDF frames S = FC || P0 || L0 || P1 || L1 with two-octet lengths', () => {
    const key = Buffer.alloc(32, 7);
    const s = Buffer.concat([
      Buffer.from([0x01]),
      Buffer.from('ab'),
      Buffer.from([0, 2]),
      Buffer.from([9]),
      Buffer.from([0, 1]),
    ]);
    expect(hex(kdf(key, 0x01, ['ab', Buffer.from([9])]))).toBe(
      createHmac('sha256', key).update(s).digest('hex'),
    );
  });

  it.each([
    [
      UA_PROTOCOL.httpDigest,
      '93668d166fc81bf2fc089744797407aefdd077e807c47be1aaebc8a8328b51d6',
      'k2aNFm/IG/L8CJdEeXQHrv3Qd+gHxHvhquvIqDKLUdY=',
    ],
    [
      uaProtocolForTls(0x002f),
      '48c8af2cca711a075591539cc8ddec584275180df476636666b942ff2c2bf158',
      'SMivLMpxGgdVkVOcyN3sWEJ1GA30dmNmZrlC/ywr8Vg=',
    ],
    [
      uaProtocolForTls(TLS_CIPHER_SUITES.TLS_AES_128_GCM_SHA256!),
      'f5d7b194808656ccddb596354df19d27237502dd1edc5dbd4c84da0ed64adbd3',
      '9dexlICGVszdtZY1TfGdJyN1At0e3F29TITaDtZK29M=',
    ],
  ])('Ks_NAF for Ua id %s', (ua, expected, password) => {
    const k = ksNaf(ks, h(set1.RAND), IMPI, nafId(NAF, ua));
    expect(hex(k)).toBe(expected);
    expect(k.toString('base64')).toBe(password);
  });

  it('gba-u gives a different key than gba-me', () => {
    const naf = nafId(NAF, UA_PROTOCOL.httpDigest);
    expect(hex(ksNaf(ks, h(set1.RAND), IMPI, naf, 'gba-u'))).not.toBe(
      hex(ksNaf(ks, h(set1.RAND), IMPI, naf)),
    );
  });

  it('B-TID = base64(RAND)@BSF', () => {
    expect(bTid(h(set1.RAND), 'bsf.mnc001.mcc001.pub.3gppnetwork.org')).toBe(
      'I1U8vpY3qJ0hiuZNrke/NQ==@bsf.mnc001.mcc001.pub.3gppnetwork.org',
    );
  });

  it('NAF_Id = FQDN || 5-octet Ua id; TLS ids carry the cipher suite', () => {
    expect(hex(uaProtocolForTls(0x1301))).toBe('0100011301');
    expect(hex(nafId('a.b', UA_PROTOCOL.httpDigest))).toBe('612e620100000002');
    expect(() => nafId('a', Buffer.alloc(4))).toThrow(/Ua/);
    expect(() => uaProtocolForTls(0x10000)).toThrow(/two octets/);
  });
});
