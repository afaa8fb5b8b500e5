import { randomBytes } from 'node:crypto';
import { Milenage } from '../src/milenage';
import { sqnFromBytes, makeSqn, SqnGenerator } from '../src/sqn';
import { Usim, UsimSqnArray } from '../src/usim';
import { cryptoRandom, VectorFactory } from '../src/vector';
import { h, hex, sets } from './vectors';

describe('authentication vectors', () => {
  it.each(sets)('set %s: XRES, CK, IK, AK and AUTN = SQN^AK || AMF || MAC-A', (_n, s) => {
    const f = VectorFactory.forKeys(h(s.K), h(s.OPc), h(s.AMF));
    const v = f.one(sqnFromBytes(h(s.SQN)), h(s.RAND));
    expect({
      rand: hex(v.rand),
      xres: hex(v.xres),
      ck: hex(v.ck),
      ik: hex(v.ik),
      ak: hex(v.ak),
      autn: hex(v.autn),
    }).toEqual({
      rand: s.RAND,
      xres: s.f2_RES,
      ck: s.f3_CK,
      ik: s.f4_IK,
      ak: s.f5_AK,
      autn: s.AUTN_computed,
    });
  });

  it('a batch equals the same vectors made one at a time', () => {
    const [, s] = sets[2]!;
    const f = VectorFactory.forKeys(h(s.K), h(s.OPc), h(s.AMF));
    const rands = randomBytes(16 * 5);
    const sqns = [33, 65, 97, 2 ** 47, 2 ** 48 - 1];
    const batch = f.many(sqns, rands);
    sqns.forEach((sqn, i) => {
      const one = f.one(sqn, rands.subarray(i * 16, i * 16 + 16));
      expect(hex(batch[i]!.autn)).toBe(hex(one.autn));
      expect(hex(batch[i]!.xres)).toBe(hex(one.xres));
      expect(batch[i]!.sqn).toBe(sqn);
    });
  });

  it('draws RAND from the injected source', () => {
    const [, s] = sets[0]!;
    let calls = 0;
    const f = VectorFactory.forKeys(h(s.K), h(s.OPc), h(s.AMF), (out) => {
      calls++;
      out.set(h(s.RAND));
    });
    expect(hex(f.one(sqnFromBytes(h(s.SQN))).autn)).toBe(s.AUTN_computed);
    expect(calls).toBe(1);
  });

  it('the default source gives a different RAND every time', () => {
    const [, s] = sets[0]!;
    const f = VectorFactory.forKeys(h(s.K), h(s.OPc), h(s.AMF));
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(hex(f.one(32 + i).rand));
    expect(seen.size).toBe(1000);
    const big = Buffer.alloc(8192);
    cryptoRandom(big);
    expect(big.equals(Buffer.alloc(8192))).toBe(false);
  });

  it('rejects an SQN outside 48 bits', () => {
    const [, s] = sets[0]!;
    const f = VectorFactory.forKeys(h(s.K), h(s.OPc), h(s.AMF));
    expect(() => f.one(2 ** 48)).toThrow(/SQN/);
    expect(() => f.one(-1)).toThrow(/SQN/);
  });
});

describe('network side and USIM side agree (property tests)', () => {
  const cases = 200;
  const bits = 256; // every bit of AUTN (128) and RAND (128)

  it(`the USIM accepts what the network generates (${cases} random subscribers)`, () => {
    for (let i = 0; i < cases; i++) {
      const k = randomBytes(16);
      const opc = randomBytes(16);
      const amf = randomBytes(2);
      const gen = new SqnGenerator(Math.floor(Math.random() * 1000));
      const f = new VectorFactory(new Milenage(k, opc), amf);
      const usim = new Usim(k, opc);
      const v = f.one(gen.next(i % 32));
      const r = usim.authenticate(v.rand, v.autn);
      expect(r.result).toBe('ok');
      if (r.result !== 'ok') continue;
      expect(hex(r.res)).toBe(hex(v.xres));
      expect(hex(r.ck)).toBe(hex(v.ck));
      expect(hex(r.ik)).toBe(hex(v.ik));
      expect(r.sqn).toBe(v.sqn);
      expect(hex(r.amf)).toBe(hex(amf));
    }
  });

  it(`a flipped bit anywhere in AUTN (SQN^AK, AMF, MAC-A) or in RAND is a MAC failure (all ${bits} bits)`, () => {
    for (let i = 0; i < bits; i++) {
      const k = randomBytes(16);
      const opc = randomBytes(16);
      const f = new VectorFactory(new Milenage(k, opc), randomBytes(2));
      const v = f.one(makeSqn(1 + i, i % 32));
      const usim = new Usim(k, opc);
      const autn = Buffer.from(v.autn);
      const rand = Buffer.from(v.rand);
      const bit = i;
      if (bit < 128) autn[Math.floor(bit / 8)]! ^= 1 << (bit % 8);
      else rand[Math.floor((bit - 128) / 8)]! ^= 1 << (bit % 8);
      expect(usim.authenticate(rand, autn).result).toBe('mac-failure');
      // the failed attempt did not move the USIM's SQN state
      expect(usim.sqnArray.sqnMs).toBe(0);
    }
  });

  it('a replayed vector is a sync failure whose AUTS the network verifies', () => {
    const [, s] = sets[0]!;
    const f = VectorFactory.forKeys(h(s.K), h(s.OPc), h(s.AMF));
    const usim = new Usim(h(s.K), h(s.OPc), new UsimSqnArray());
    const v = f.one(makeSqn(10, 3));
    expect(usim.authenticate(v.rand, v.autn).result).toBe('ok');
    const again = usim.authenticate(v.rand, v.autn);
    expect(again.result).toBe('sync-failure');
    if (again.result === 'sync-failure') {
      expect(again.reason).toBe('replay');
      expect(again.sqnMs).toBe(makeSqn(10, 3));
      expect(again.auts.length).toBe(14);
    }
  });
});
