import {
  avp,
  avpValue,
  buildMessage,
  decodeMessage,
  decodeValue,
  encodeMessage,
  encodeValue,
  ValueError,
  type AvpType,
} from '../src';

describe('RFC 6733 data formats', () => {
  it.each<[AvpType, Parameters<typeof encodeValue>[1], string]>([
    ['OctetString', Buffer.from('0102', 'hex'), '0102'],
    ['Integer32', -2, 'fffffffe'],
    ['Integer64', -2n, 'fffffffffffffffe'],
    ['Unsigned32', 0xfffffffe, 'fffffffe'],
    ['Unsigned64', 0xfffffffffffffffen, 'fffffffffffffffe'],
    ['Float32', 1.5, '3fc00000'],
    ['Float64', -0.25, 'bfd0000000000000'],
    ['UTF8String', 'é', 'c3a9'],
    ['DiameterIdentity', 'hss.home1.net', Buffer.from('hss.home1.net').toString('hex')],
    [
      'DiameterURI',
      'aaa://hss.home1.net:3868;transport=tcp',
      Buffer.from('aaa://hss.home1.net:3868;transport=tcp').toString('hex'),
    ],
    ['Enumerated', 1, '00000001'],
    ['Address', '192.0.2.1', '0001c0000201'],
    ['Address', '2001:db8::1', '000220010db8000000000000000000000001'],
    ['Address', '::ffff:192.0.2.1', '000200000000000000000000ffffc0000201'],
  ])('%s %p encodes as %s and decodes back', (type, value, hexData) => {
    const data = encodeValue(type, value);
    expect(data.toString('hex')).toBe(hexData);
    const back = decodeValue(type, data);
    if (type === 'Address' && value === '::ffff:192.0.2.1') expect(back).toBe('::ffff:c000:201');
    else expect(back).toEqual(value);
  });

  it('Time counts seconds from 1900 (NTP) and handles the 2036 era', () => {
    expect(encodeValue('Time', new Date('1970-01-01T00:00:00Z')).toString('hex')).toBe('83aa7e80');
    expect(decodeValue('Time', Buffer.from('83aa7e80', 'hex'))).toEqual(new Date('1970-01-01T00:00:00Z'));
    const after2036 = new Date('2040-01-01T00:00:00Z');
    const data = encodeValue('Time', after2036);
    expect(data[0]! & 0x80).toBe(0);
    expect(decodeValue('Time', data)).toEqual(after2036);
  });

  it('an Address of another family keeps family and bytes', () => {
    expect(decodeValue('Address', Buffer.from('0008aabb', 'hex'))).toEqual({
      family: 8,
      data: Buffer.from('aabb', 'hex'),
    });
  });

  it('decodeValue returns undefined for invalid data and never throws', () => {
    expect(decodeValue('Unsigned32', Buffer.alloc(3))).toBeUndefined();
    expect(decodeValue('Address', Buffer.from('000100', 'hex'))).toBeUndefined();
    expect(decodeValue('UTF8String', Buffer.from('ff', 'hex'))).toBeUndefined();
  });

  it('UTF-8 is checked the same on both sides of the 64-byte ASCII scan', () => {
    for (const n of [1, 63, 64, 65, 200]) {
      const ascii = Buffer.alloc(n, 0x61);
      expect(decodeValue('UTF8String', ascii)).toBe('a'.repeat(n));
      // a lone continuation byte or a truncated sequence at the end, after an ASCII run
      for (const tail of ['80', 'c3', 'e282', 'ff']) {
        const bad = Buffer.concat([ascii.subarray(1), Buffer.from(tail, 'hex')]);
        expect(decodeValue('DiameterIdentity', bad)).toBeUndefined();
      }
      const euro = Buffer.concat([ascii.subarray(1), Buffer.from('e282ac', 'hex')]);
      expect(decodeValue('UTF8String', euro)).toBe(`${'a'.repeat(n - 1)}\u20ac`);
    }
    expect(decodeValue('DiameterIdentity', Buffer.alloc(0))).toBeUndefined();
    expect(decodeValue('UTF8String', Buffer.alloc(0))).toBe('');
  });

  it('encodeValue rejects values that do not fit', () => {
    expect(() => encodeValue('Unsigned32', -1)).toThrow(ValueError);
    expect(() => encodeValue('Address', 'not an address')).toThrow(ValueError);
    expect(() => encodeValue('Integer32', 2 ** 31)).toThrow(ValueError);
  });

  it('builds AVPs by name with the dictionary flags, enumerations by name', () => {
    const a = avp('Auth-Session-State', 'NO_STATE_MAINTAINED');
    expect(a).toEqual({ code: 277, flags: 0x40, vendorId: 0, data: Buffer.from('00000001', 'hex') });
    expect(avp('IMPU-List', 'sip:a@b').flags).toBe(0x80);
    expect(avp('Product-Name', 'x').flags).toBe(0);
    expect(avp('Public-Identity', 'sip:a@b').flags).toBe(0xc0);
    expect(avpValue(avp('Host-IP-Address', '::1'))).toBe('::1');
    expect(() => avp('No-Such-AVP', 1)).toThrow(/unknown AVP name/);
  });

  it.each<[string, Parameters<typeof avp>[1], number]>([
    // TS 29.229 table 6.3.0.1: V must, M must not
    ['Supported-Applications', [], 0x80],
    ['Associated-Identities', [['User-Name', 'a@b']], 0x80],
    ['Wildcarded-Public-Identity', 'sip:!.*!@b', 0x80],
    // TS 29.329: M must not
    ['Identity-Set', 'ALL_IDENTITIES', 0x80],
    // TS 29.109 table 6.3.1: GUSS-Timestamp M must not, the other Zh AVPs M must
    ['GUSS-Timestamp', new Date('2024-01-01T00:00:00Z'), 0x80],
    ['GBA-UserSecSettings', Buffer.from('<guss/>'), 0xc0],
    ['BootstrapInfoCreationTime', new Date('2024-01-01T00:00:00Z'), 0xc0],
  ])('%s is sent with the flags of its table and accepted with M set or clear', (name, value, flags) => {
    const a = avp(name, value);
    expect(a.flags).toBe(flags);
    for (const f of [0x80, 0xc0]) {
      const m = buildMessage({ commandCode: 303, applicationId: 16777216, request: true, avps: [] });
      const r = decodeMessage(encodeMessage({ ...m, avps: [{ ...a, flags: f }] }));
      expect(r.error).toBeUndefined();
    }
  });
});
