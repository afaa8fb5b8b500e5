import { decodeMessage, encodeMessage, type Avp } from '../src';
import { DWR, MAR } from './vectors';

/** A message around hand-written AVP hex; the Message Length is the real size unless `length` is given. */
function msg(
  avpHex: string[],
  opts: { flags?: number; command?: number; app?: number; length?: number } = {},
) {
  const body = Buffer.from(avpHex.join('').replace(/\s+/g, ''), 'hex');
  const h = Buffer.alloc(20);
  h.writeUInt32BE(((1 << 24) | (opts.length ?? 20 + body.length)) >>> 0, 0);
  h.writeUInt32BE((((opts.flags ?? 0x80) << 24) | (opts.command ?? 280)) >>> 0, 4);
  h.writeUInt32BE(opts.app ?? 0, 8);
  return Buffer.concat([h, body]);
}

const OH = '00000108 40 000014 61702e686f6d65312e6e6574';
const OR = '00000128 40 000011 686f6d65312e6e6574 000000';
const avp = (code: number, flags: number, data: string, vendorId = 0, avps?: Avp[]): Avp => {
  const a: Avp = { code, flags, vendorId, data: Buffer.from(data, 'hex') };
  if (avps) a.avps = avps;
  return a;
};

function failed(bytes: Buffer) {
  const r = decodeMessage(bytes);
  expect(r.error).toBeDefined();
  return r.error!;
}

describe('5014 DIAMETER_INVALID_AVP_LENGTH with the Failed-AVP of RFC 6733 7.5', () => {
  it('length past the end of the message: header + zero payload of the type minimum (Unsigned32: 4 bytes)', () => {
    const e = failed(msg([OH, OR, '00000116 40 000100 00000007']));
    expect(e).toMatchObject({ resultCode: 5014, name: 'DIAMETER_INVALID_AVP_LENGTH', eBit: false });
    expect(e.failedAvp).toEqual(avp(278, 0x40, '00000000'));
    expect(e.reason).toMatch(/Origin-State-Id|278/);
  });

  it('length past the end for a DiameterIdentity: header + empty payload', () => {
    const e = failed(msg([OH, '00000128 40 0000ff 686f6d65312e6e6574 000000']));
    expect(e.resultCode).toBe(5014);
    expect(e.failedAvp).toEqual(avp(296, 0x40, ''));
  });

  it('length 0 (below the header): stops, does not loop, header + minimum payload', () => {
    const e = failed(msg([OH, '00000116 40 000000 00000007']));
    expect(e.resultCode).toBe(5014);
    expect(e.failedAvp).toEqual(avp(278, 0x40, '00000000'));
  });

  it('a vendor AVP with length 8 (below its 12-byte header) keeps its vendor in the Failed-AVP', () => {
    const e = failed(msg([OH, '00000259 c0 000008 000028af']));
    expect(e.resultCode).toBe(5014);
    expect(e.failedAvp).toEqual(avp(601, 0xc0, '', 10415));
  });

  it('an AVP header cut short (4 bytes left): the header zero-padded to 8 bytes', () => {
    const e = failed(msg([OH, '00000116']));
    expect(e.resultCode).toBe(5014);
    expect(e.failedAvp).toEqual(avp(278, 0x00, '00000000'));
  });

  it('a fixed-size type with the wrong size: the AVP itself', () => {
    const e = failed(msg([OH, OR, '00000116 40 00000d 0000000707 000000']));
    expect(e.resultCode).toBe(5014);
    expect(e.failedAvp).toEqual(avp(278, 0x40, '0000000707'));
  });

  it('inside a Grouped AVP: the Failed-AVP is the group holding the offending member', () => {
    const e = failed(
      msg([OH, OR, '00000104 40 000020 0000010a 40 000030 000028af 00000102 40 00000c 01000000'], {
        command: 257,
      }),
    );
    expect(e.resultCode).toBe(5014);
    expect(e.failedAvp).toEqual(avp(260, 0x40, '', 0, [avp(266, 0x40, '00000000')]));
    // and it encodes as a well-formed Failed-AVP member
    expect(
      encodeMessage({
        flags: 0,
        commandCode: 257,
        applicationId: 0,
        hopByHop: 0,
        endToEnd: 0,
        avps: [e.failedAvp!],
      }).toString('hex'),
    ).toBe('01000028000001010000000000000000000000000000010440000014' + '0000010a4000000c00000000');
  });
});

describe('5015 DIAMETER_INVALID_MESSAGE_LENGTH', () => {
  it('a header shorter than 20 bytes: no message, a clear reason', () => {
    const r = decodeMessage(DWR.subarray(0, 19));
    expect(r.message).toBeUndefined();
    expect(r.error).toMatchObject({
      resultCode: 5015,
      reason: expect.stringMatching(/truncated header: 19 bytes/),
    });
  });
  it('a Message Length larger than the bytes', () => {
    const e = failed(DWR.subarray(0, 60));
    expect(e.resultCode).toBe(5015);
    expect(e.reason).toBe('message length 72: only 60 bytes arrived');
    expect(e.failedAvp).toBeUndefined();
  });
  it('a Message Length that is not a multiple of 4', () => {
    expect(failed(msg([OH], { length: 39 })).resultCode).toBe(5015);
  });
  it('a Message Length below 20', () => {
    expect(failed(msg([OH], { length: 12 })).reason).toMatch(/below the 20-byte header/);
  });
  it('a Message Length above the limit', () => {
    const e = decodeMessage(DWR, { maxLength: 64 }).error!;
    expect(e.resultCode).toBe(5015);
    expect(e.reason).toMatch(/above the 64-byte limit/);
  });
});

describe('header and flag bits', () => {
  it('3008 INVALID_HDR_BITS for the E bit in a request, answered with E', () => {
    const e = failed(msg([OH, OR], { flags: 0xa0 }));
    expect(e).toMatchObject({ resultCode: 3008, name: 'DIAMETER_INVALID_HDR_BITS', eBit: true });
    expect(e.failedAvp).toBeUndefined();
  });
  it('3008 for reserved command flag bits', () => {
    expect(failed(msg([OH, OR], { flags: 0x81 })).resultCode).toBe(3008);
  });
  it('5011 UNSUPPORTED_VERSION for version 2', () => {
    const b = Buffer.from(DWR);
    b[0] = 2;
    expect(failed(b).resultCode).toBe(5011);
  });
  it('3009 INVALID_AVP_BITS for a reserved AVP flag bit, Failed-AVP the AVP', () => {
    const e = failed(msg([OH, '00000128 41 000011 686f6d65312e6e6574 000000']));
    expect(e).toMatchObject({ resultCode: 3009, eBit: true });
    expect(e.failedAvp).toEqual(avp(296, 0x41, '686f6d65312e6e6574'));
  });
  it('3009 for Origin-Host without the M bit its definition requires', () => {
    const e = failed(msg(['00000108 00 000014 61702e686f6d65312e6e6574', OR]));
    expect(e.resultCode).toBe(3009);
    expect(e.failedAvp).toEqual(avp(264, 0x00, '61702e686f6d65312e6e6574'));
  });
  it('3009 for Error-Message with the M bit its definition forbids', () => {
    expect(failed(msg([OH, OR, '00000119 40 00000a 6f6b 0000'])).resultCode).toBe(3009);
  });
});

describe('values and unknown AVPs', () => {
  it('5004 INVALID_AVP_VALUE for an IPv4 Host-IP-Address with 16 address bytes', () => {
    const data = '0001' + '00'.repeat(16);
    const e = failed(msg([OH, OR, `00000101 40 00001a ${data} 0000`], { command: 257 }));
    expect(e).toMatchObject({ resultCode: 5004, name: 'DIAMETER_INVALID_AVP_VALUE' });
    expect(e.failedAvp).toEqual(avp(257, 0x40, data));
  });
  it('5004 for a User-Name that is not UTF-8', () => {
    const e = failed(msg([OH, OR, '00000001 40 00000a c328 0000']));
    expect(e.resultCode).toBe(5004);
    expect(e.failedAvp).toEqual(avp(1, 0x40, 'c328'));
  });
  it('5001 AVP_UNSUPPORTED for an unknown AVP with M set, Failed-AVP the AVP', () => {
    const e = failed(msg([OH, OR, '0000270f 40 00000c deadbeef']));
    expect(e).toMatchObject({ resultCode: 5001, name: 'DIAMETER_AVP_UNSUPPORTED' });
    expect(e.failedAvp).toEqual(avp(9999, 0x40, 'deadbeef'));
  });
  it('keeps an unknown AVP with M clear as code, vendor, flags and raw data, with no error', () => {
    const r = decodeMessage(msg([OH, OR, '0000270f 80 000010 00007ed9 cafebabe']));
    expect(r.error).toBeUndefined();
    expect(r.message!.avps[2]).toEqual(avp(9999, 0x80, 'cafebabe', 32473));
  });
  it('accepts an unknown M-set member inside a known Grouped AVP (Kamailio puts ETSI AVPs in the item)', () => {
    const item = '00000264 c0 00001c 000028af' + ' 000001f5 c0 000010 000032db 01020304'; // vendor 13019
    const r = decodeMessage(msg([OH, OR, item]));
    expect(r.error).toBeUndefined();
    expect(r.message!.avps[2]!.avps).toEqual([avp(501, 0xc0, '01020304', 13019)]);
  });
  it('bounds the Grouped nesting depth (5004 beyond maxDepth)', () => {
    let inner = Buffer.from('0000010a4000000c00000000', 'hex'); // Vendor-Id
    for (let i = 0; i < 10; i++) {
      const h = Buffer.alloc(8);
      h.writeUInt32BE(279, 0); // Failed-AVP, Grouped
      h.writeUInt32BE((0x40 << 24) | (8 + inner.length), 4);
      inner = Buffer.concat([h, inner]);
    }
    const e = decodeMessage(msg([OH, OR, inner.toString('hex')]), { maxDepth: 4 }).error!;
    expect(e.resultCode).toBe(5004);
    expect(e.reason).toMatch(/deeper than 4/);
    expect(decodeMessage(msg([OH, OR, inner.toString('hex')]), { maxDepth: 12 }).error).toBeUndefined();
  });
  it('reports only the first error', () => {
    const e = failed(msg(['0000270f 40 00000c deadbeef', '00000116 40 000000 00000007']));
    expect(e.resultCode).toBe(5001);
  });
  it('a well-formed MAR has no error at all', () => {
    expect(decodeMessage(MAR).error).toBeUndefined();
  });
});
