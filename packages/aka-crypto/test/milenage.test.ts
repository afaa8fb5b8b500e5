import { createCipheriv, randomBytes } from 'node:crypto';
import { Aes128 } from '../src/aes';
import { Milenage, opcFromOp } from '../src/milenage';
import { h, hex, sets } from './vectors';

describe('AES-128 block cipher', () => {
  it('encrypts the FIPS 197 appendix C.1 example', () => {
    const aes = new Aes128(h('000102030405060708090a0b0c0d0e0f'));
    expect(hex(aes.encryptBlock(h('00112233445566778899aabbccddeeff')))).toBe(
      '69c4e0d86a7b0430d8cdb78070b4c55a',
    );
  });

  it('agrees with OpenSSL AES-128-ECB on 2000 random keys and blocks', () => {
    for (let i = 0; i < 2000; i++) {
      const k = randomBytes(16);
      const b = randomBytes(16);
      const c = createCipheriv('aes-128-ecb', k, null).setAutoPadding(false);
      expect(hex(new Aes128(k).encryptBlock(b))).toBe(hex(c.update(b)));
    }
  });

  it('rejects keys that are not 16 bytes', () => {
    expect(() => new Aes128(Buffer.alloc(15))).toThrow(/16 bytes/);
  });
});

describe('Milenage against TS 35.208 test sets 1-6', () => {
  it.each(sets)('set %s: OPc from OP', (_n, s) => {
    expect(hex(opcFromOp(h(s.K), h(s.OP)))).toBe(s.OPc);
    expect(hex(Milenage.fromOp(h(s.K), h(s.OP)).opcValue)).toBe(s.OPc);
  });

  it.each(sets)('set %s: f1, f1*, f2, f3, f4, f5, f5*', (_n, s) => {
    const m = new Milenage(h(s.K), h(s.OPc));
    const o = m.compute(h(s.RAND), h(s.SQN), h(s.AMF));
    expect({
      f1: hex(o.macA),
      f1star: hex(o.macS),
      f2: hex(o.res),
      f3: hex(o.ck),
      f4: hex(o.ik),
      f5: hex(o.ak),
      f5star: hex(o.akStar),
    }).toEqual({
      f1: s.f1,
      f1star: s.f1star,
      f2: s.f2_RES,
      f3: s.f3_CK,
      f4: s.f4_IK,
      f5: s.f5_AK,
      f5star: s.f5star_AKstar,
    });
  });

  it.each(sets)('set %s: the single-function entry points give the same values', (_n, s) => {
    const m = new Milenage(h(s.K), h(s.OPc));
    const f1 = m.f1(h(s.RAND), h(s.SQN), h(s.AMF));
    expect([hex(f1.macA), hex(f1.macS)]).toEqual([s.f1, s.f1star]);
    const f = m.f2345(h(s.RAND));
    expect([hex(f.res), hex(f.ck), hex(f.ik), hex(f.ak)]).toEqual([s.f2_RES, s.f3_CK, s.f4_IK, s.f5_AK]);
    expect(hex(m.f5star(h(s.RAND)))).toBe(s.f5star_AKstar);
  });

  it('one instance serves many RANDs without state leaking between calls', () => {
    const [, s1] = sets[0]!;
    const [, s2] = sets[1]!;
    const m = new Milenage(h(s1.K), h(s1.OPc));
    m.compute(h(s2.RAND), h(s2.SQN), h(s2.AMF));
    expect(hex(m.compute(h(s1.RAND), h(s1.SQN), h(s1.AMF)).macA)).toBe(s1.f1);
  });

  it('rejects wrong lengths with the field name', () => {
    const [, s] = sets[0]!;
    const m = new Milenage(h(s.K), h(s.OPc));
    expect(() => new Milenage(h(s.K), Buffer.alloc(8))).toThrow(/OPc/);
    expect(() => m.compute(Buffer.alloc(15), h(s.SQN), h(s.AMF))).toThrow(/RAND/);
    expect(() => m.compute(h(s.RAND), Buffer.alloc(5), h(s.AMF))).toThrow(/SQN/);
    expect(() => m.f1(h(s.RAND), h(s.SQN), Buffer.alloc(3))).toThrow(/AMF/);
  });
});
