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

/** `levels` Grouped AVPs of `code` (M set) around a Vendor-Id. */
function nested(code: number, levels: number): Buffer {
  let inner = Buffer.from('0000010a4000000c00000000', 'hex');
  for (let i = 0; i < levels; i++) {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(code, 0);
    h.writeUInt32BE((0x40 << 24) | (8 + inner.length), 4);
    inner = Buffer.concat([h, inner]);
  }
  return inner;
}

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
  it('3008 for the T bit in an answer (RFC 6733 3: it MUST NOT be set in answers)', () => {
    const e = failed(msg([OH, OR, '0000010c 40 00000c 000007d1'], { flags: 0x10 }));
    expect(e).toMatchObject({ resultCode: 3008, reason: 'the T bit is set in an answer' });
  });
  it('the T bit in a request and the E bit in an answer are fine', () => {
    expect(decodeMessage(msg([OH, OR], { flags: 0x90 })).error).toBeUndefined();
    expect(
      decodeMessage(msg([OH, OR, '0000010c 40 00000c 00000bb9'], { flags: 0x20 })).error,
    ).toBeUndefined();
  });
  it('ignores reserved command flag bits (RFC 6733 3) and keeps them as received', () => {
    for (const flags of [0x81, 0x8f, 0xcf]) {
      const r = decodeMessage(msg([OH, OR], { flags }));
      expect(r.error).toBeUndefined();
      expect(r.message!.flags).toBe(flags);
    }
  });
  it('5011 UNSUPPORTED_VERSION for version 2', () => {
    const b = Buffer.from(DWR);
    b[0] = 2;
    expect(failed(b).resultCode).toBe(5011);
  });
  it('ignores reserved AVP flag bits (RFC 6733 4.1) and keeps them as received', () => {
    const r = decodeMessage(msg([OH, '00000128 5f 000011 686f6d65312e6e6574 000000']));
    expect(r.error).toBeUndefined();
    expect(r.message!.avps[1]).toEqual(avp(296, 0x5f, '686f6d65312e6e6574'));
    // the M rule still applies with reserved bits set: Origin-Host 0x01 has M clear
    expect(failed(msg(['00000108 01 000014 61702e686f6d65312e6e6574', OR])).resultCode).toBe(3009);
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
    const inner = nested(284, 10); // Proxy-Info, Grouped
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

describe('Failed-AVP: the AVPs the peer received, checked for their lengths only (RFC 6733 7.5, 7.1.5)', () => {
  // an answer-message (E set) to a MAR; Result-Code 3009 or 5004 ..., then the Failed-AVP under test
  const answer = (failedHex: string, rc = '00000bb9') =>
    msg([OH, OR, `0000010c 40 00000c ${rc}`, failedHex], { flags: 0x60, command: 303, app: 16777216 });
  const failedAvp = (membersHex: string) => {
    const members = Buffer.from(membersHex.replace(/\s+/g, ''), 'hex');
    const h = Buffer.alloc(8);
    h.writeUInt32BE(279, 0);
    h.writeUInt32BE((0x40 << 24) | (8 + members.length), 4);
    return Buffer.concat([h, members]).toString('hex');
  };

  it.each([
    ['Origin-Host without its M bit (3009 in a request)', '00000108 00 000014 61702e686f6d65312e6e6574'],
    ['Error-Message with M set (3009)', '00000119 40 00000a 6f6b 0000'],
    ['a User-Name that is not UTF-8 (5004)', '00000001 40 00000a c328 0000'],
    ['an empty Origin-Realm: the zero payload of a 5014 example', '00000128 40 000008'],
    ['an Origin-State-Id of 5 bytes (5014 in a request)', '00000116 40 00000d 0000000707 000000'],
    [
      'an IPv4 Host-IP-Address with 16 address bytes (5004)',
      `00000101 40 00001a 0001${'00'.repeat(16)} 0000`,
    ],
    ['an unknown AVP with M set (5001)', '0000270f 40 00000c deadbeef'],
    ['reserved flag bits', '00000128 5f 000011 686f6d65312e6e6574 000000'],
    ['an empty Grouped (a 5014 example of a Grouped AVP)', '00000104 40 000008'],
    ['a Grouped holding a member with a wrong M bit', '00000104 40 000014 0000010a 00 00000c 000028af'],
  ])('an answer whose Failed-AVP holds %s decodes with no error', (_what, member) => {
    const r = decodeMessage(answer(failedAvp(member)));
    expect(r.error).toBeUndefined();
    const f = r.message!.avps[3]!;
    expect(f.code).toBe(279);
    expect(f.avps).toHaveLength(1);
    expect(f.avps![0]!.code).toBe(Buffer.from(member.replace(/\s+/g, ''), 'hex').readUInt32BE(0));
  });

  it('a Grouped member whose own contents cannot be framed is kept raw, with no error', () => {
    // Vendor-Specific-Application-Id (3009 for its M bit in the request) holding a member of length 0
    const r = decodeMessage(answer(failedAvp('00000104 00 000014 0000010a 40 000000 000028af')));
    expect(r.error).toBeUndefined();
    const vsai = r.message!.avps[3]!.avps![0]!;
    expect(vsai.avps).toBeUndefined();
    expect(vsai.data.toString('hex')).toBe('0000010a40000000000028af');
  });

  it('Grouped members nested deeper than maxDepth are kept raw, with no error', () => {
    const r = decodeMessage(answer(failedAvp(nested(284, 12).toString('hex'))), { maxDepth: 4 });
    expect(r.error).toBeUndefined();
    let g = r.message!.avps[3]!.avps![0]!;
    let depth = 1;
    while (g.avps) {
      g = g.avps[0]!;
      depth++;
    }
    expect(depth).toBe(4);
    expect(g.code).toBe(284);
    expect(g.data.length).toBeGreaterThan(0);
  });

  it('a member whose length runs past the Failed-AVP is still 5014: nothing is read past its bounds', () => {
    const e = failed(answer(failedAvp('00000108 40 000040 61702e686f6d65312e6e6574')));
    expect(e.resultCode).toBe(5014);
    expect(e.failedAvp).toEqual(avp(279, 0x40, '', 0, [avp(264, 0x40, '')]));
  });

  it('the Failed-AVP itself still follows its own rules (M must)', () => {
    const mClear = failedAvp('0000010a 40 00000c 000028af').replace(/^0000011740/, '0000011700');
    expect(failed(answer(mClear)).resultCode).toBe(3009);
  });
});
