import {
  buildCer,
  buildCxMaa,
  buildCxMar,
  buildDwr,
  checkGrammar,
  decodeMessage,
  encodeMessage,
  readCapabilities,
  readCxMaa,
  readCxMar,
  summarize,
  VENDOR_3GPP,
} from '../src';
import { CER, DWR, MAA_USER_UNKNOWN, MAR, MAR_INPUT } from './vectors';

describe('golden messages written by hand', () => {
  it.each([
    ['CER', CER],
    ['DWR', DWR],
    ['MAR', MAR],
    ['MAA', MAA_USER_UNKNOWN],
  ])('%s decodes without error, conforms to its grammar and re-encodes byte for byte', (_n, bytes) => {
    const r = decodeMessage(bytes);
    expect(r.error).toBeUndefined();
    expect(checkGrammar(r.message!)).toBeUndefined();
    expect(encodeMessage(r.message!).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('reads the DWR header and AVPs', () => {
    const m = decodeMessage(DWR).message!;
    expect(m).toMatchObject({ version: 1, length: 72, flags: 0x80, commandCode: 280, applicationId: 0 });
    expect(m.hopByHop).toBe(0x11111111);
    expect(m.endToEnd).toBe(0x22222222);
    expect(m.avps.map((a) => [a.code, a.flags, a.data.length])).toEqual([
      [264, 0x40, 12],
      [296, 0x40, 9],
      [278, 0x40, 4],
    ]);
    expect(summarize(m)).toBe('DWR ap.home1.net');
    expect(
      encodeMessage(
        buildDwr({
          originHost: 'ap.home1.net',
          originRealm: 'home1.net',
          originStateId: 7,
          hopByHop: 0x11111111,
          endToEnd: 0x22222222,
        }),
      ).equals(DWR),
    ).toBe(true);
  });

  it('reads the CER capabilities with the address as text', () => {
    const c = readCapabilities(decodeMessage(CER).message!);
    expect(c).toEqual({
      originHost: 'ap.home1.net',
      originRealm: 'home1.net',
      hostIpAddresses: ['127.0.0.1'],
      vendorId: 0,
      productName: 'ut',
      supportedVendorIds: [10415],
      authApplicationIds: [],
      inbandSecurityIds: [],
      acctApplicationIds: [],
      vendorSpecificApplicationIds: [{ vendorId: 10415, authApplicationId: 16777216 }],
      firmwareRevision: 1,
    });
    const built = buildCer({
      originHost: 'ap.home1.net',
      originRealm: 'home1.net',
      hostIpAddresses: ['127.0.0.1'],
      vendorId: 0,
      productName: 'ut',
      supportedVendorIds: [10415],
      vendorSpecificApplicationIds: [{ vendorId: 10415, authApplicationId: 16777216 }],
      firmwareRevision: 1,
      hopByHop: 1,
      endToEnd: 2,
    });
    expect(encodeMessage(built).toString('hex')).toBe(CER.toString('hex'));
  });

  it('builds the golden MAR from a plain object and reads it back', () => {
    expect(encodeMessage(buildCxMar(MAR_INPUT)).toString('hex')).toBe(MAR.toString('hex'));
    const m = decodeMessage(MAR).message!;
    expect(readCxMar(m)).toEqual({
      sessionId: 'ap.home1.net;1;2',
      originHost: 'ap.home1.net',
      originRealm: 'home1.net',
      destinationRealm: 'home1.net',
      userName: 'user1_private@home1.net',
      publicIdentity: 'sip:user1_public1@home1.net',
      serverName: 'sip:ap.home1.net',
      sipNumberAuthItems: 1,
      item: { scheme: 'Digest-AKAv1-MD5' },
    });
    expect(summarize(m)).toBe('MAR user1_private@home1.net sip:user1_public1@home1.net');
  });

  it('builds the golden MAA with Experimental-Result and reads the typed result', () => {
    const request = decodeMessage(MAR).message!;
    const built = buildCxMaa(request, {
      sessionId: 'ap.home1.net;1;2',
      originHost: 'hss.home1.net',
      originRealm: 'home1.net',
      experimentalResult: { vendorId: VENDOR_3GPP, code: 5001 },
      userName: 'user1_private@home1.net',
      publicIdentity: 'sip:user1_public1@home1.net',
    });
    expect(encodeMessage(built).toString('hex')).toBe(MAA_USER_UNKNOWN.toString('hex'));
    const m = decodeMessage(MAA_USER_UNKNOWN).message!;
    expect(readCxMaa(m)).toEqual({
      sessionId: 'ap.home1.net;1;2',
      originHost: 'hss.home1.net',
      originRealm: 'home1.net',
      experimentalResult: { vendorId: 10415, code: 5001 },
      userName: 'user1_private@home1.net',
      publicIdentity: 'sip:user1_public1@home1.net',
      items: [],
      impuList: [],
    });
    expect(summarize(m)).toBe('MAA 10415:5001 user1_private@home1.net');
  });

  it('round-trips a successful MAA with a vector and the IMPU-List', () => {
    const request = buildCxMar(MAR_INPUT);
    const item = {
      itemNumber: 1,
      scheme: 'Digest-AKAv1-MD5',
      authenticate: Buffer.alloc(32, 0xa1),
      authorization: Buffer.alloc(8, 0xb2),
      confidentialityKey: Buffer.alloc(16, 0xc3),
      integrityKey: Buffer.alloc(16, 0xd4),
    };
    const bytes = encodeMessage(
      buildCxMaa(request, {
        sessionId: 's;1;2',
        originHost: 'hss.home1.net',
        originRealm: 'home1.net',
        resultCode: 2001,
        userName: 'user1_private@home1.net',
        publicIdentity: 'sip:user1_public1@home1.net',
        sipNumberAuthItems: 1,
        items: [item],
        impuList: ['sip:user1_public1@home1.net', 'tel:+15551234'],
      }),
    );
    const r = decodeMessage(bytes);
    expect(r.error).toBeUndefined();
    expect(checkGrammar(r.message!)).toBeUndefined();
    const maa = readCxMaa(r.message!);
    expect(maa.resultCode).toBe(2001);
    expect(maa.items).toEqual([item]);
    expect(maa.impuList).toEqual(['sip:user1_public1@home1.net', 'tel:+15551234']);
    // IMPU-List: code 1, V set, M clear, vendor 32473
    const impu = r.message!.avps.filter((a) => a.vendorId === 32473);
    expect(impu.map((a) => [a.code, a.flags])).toEqual([
      [1, 0x80],
      [1, 0x80],
    ]);
    expect(summarize(r.message!)).toBe('MAA 2001 user1_private@home1.net');
  });
});
