import { Milenage } from '../src/milenage';
import { computeAuts, resyncFromAuts, verifyAuts } from '../src/resync';
import {
  DEFAULT_DELTA,
  IndAllocator,
  indOf,
  makeSqn,
  seqOf,
  SqnExhaustedError,
  SqnGenerator,
  sqnFromBytes,
  sqnToBytes,
  SQN_MAX,
} from '../src/sqn';
import { Usim, UsimSqnArray } from '../src/usim';
import { VectorFactory } from '../src/vector';
import { h, hex, sets, vectors } from './vectors';

describe('SQN = SEQ || IND (TS 33.102 Annex C, 5-bit IND)', () => {
  it('splits and joins', () => {
    const sqn = makeSqn(0x123456789, 17);
    expect(seqOf(sqn)).toBe(0x123456789);
    expect(indOf(sqn)).toBe(17);
    expect(sqn).toBe(0x123456789 * 32 + 17);
    expect(hex(sqnToBytes(sqn))).toBe((0x123456789 * 32 + 17).toString(16).padStart(12, '0'));
    expect(sqnFromBytes(h('ff9bb4d0b607'))).toBe(0xff9bb4d0b607);
    expect(sqnFromBytes(sqnToBytes(SQN_MAX))).toBe(SQN_MAX);
  });

  it('rejects out-of-range parts', () => {
    expect(() => makeSqn(0, 32)).toThrow(/IND/);
    expect(() => makeSqn(2 ** 43, 0)).toThrow(/SEQ/);
    expect(() => sqnToBytes(2 ** 48)).toThrow(/SQN/);
    expect(() => sqnFromBytes(Buffer.alloc(5))).toThrow(/SQN/);
  });
});

describe('HE side: SqnGenerator', () => {
  it('advances SEQ by one per vector and puts the consumer IND in the low bits', () => {
    const g = new SqnGenerator(41);
    const a = g.next(3);
    const b = g.next(7);
    expect([seqOf(a), indOf(a)]).toEqual([42, 3]);
    expect([seqOf(b), indOf(b)]).toEqual([43, 7]);
    expect(g.seqHe).toBe(43);
  });

  it('resync moves SEQ_HE to SEQ(SQN_MS) when the next SQN would be refused, never by +1 on raw SQN', () => {
    const g = new SqnGenerator(5);
    expect(g.resync(makeSqn(1000, 9))).toBe(true);
    expect(g.seqHe).toBe(1000);
    const next = g.next(9);
    expect(seqOf(next)).toBe(1001);
    expect(indOf(next)).toBe(9);
  });

  it('refuses to hand out an SQN twice once SEQ is at its maximum', () => {
    const max = 2 ** 43 - 1;
    const g = new SqnGenerator(max - 1);
    expect(seqOf(g.next(0))).toBe(max);
    expect(() => g.next(0)).toThrow(SqnExhaustedError);
    expect(() => g.next(1)).toThrow(SqnExhaustedError);
    expect(g.seqHe).toBe(max);
  });

  it('resync keeps SEQ_HE when its next SQN is already acceptable', () => {
    const g = new SqnGenerator(2000);
    expect(g.resync(makeSqn(1000, 0))).toBe(false);
    expect(g.seqHe).toBe(2000);
  });

  it('resync pulls SEQ_HE back when it ran more than delta ahead', () => {
    const g = new SqnGenerator(DEFAULT_DELTA + 10);
    expect(g.resync(makeSqn(5, 0))).toBe(true);
    expect(g.seqHe).toBe(5);
  });
});

describe('IndAllocator: one IND per consumer', () => {
  it('gives each consumer its own IND and keeps it', () => {
    const a = new IndAllocator();
    expect(a.indFor('ap.home1.net')).toBe(0);
    expect(a.indFor('scscf.home1.net')).toBe(1);
    expect(a.indFor('ap.home1.net')).toBe(0);
    const b = new IndAllocator(5, a.entries());
    expect(b.indFor('scscf.home1.net')).toBe(1);
    expect(b.indFor('third')).toBe(2);
  });

  it('after a restore, gives a new consumer the lowest free IND, never a taken one', () => {
    const a = new IndAllocator(5, [
      ['y', 3],
      ['x', 31],
    ]);
    expect([a.indFor('n0'), a.indFor('n1'), a.indFor('n2'), a.indFor('n3')]).toEqual([0, 1, 2, 4]);
    expect(() => new IndAllocator(5, [['z', 40]])).toThrow(/IND 40/);
  });

  it('wraps round robin after 32 consumers', () => {
    const a = new IndAllocator();
    for (let i = 0; i < 32; i++) a.indFor(`peer${i}`);
    expect(a.indFor('peer32')).toBe(0);
  });
});

describe('USIM side: the Annex C.2 array', () => {
  it('accepts increasing SEQ per IND and refuses a replay in the same IND', () => {
    const arr = new UsimSqnArray();
    expect(arr.check(makeSqn(5, 1))).toEqual({ fresh: true });
    arr.accept(makeSqn(5, 1));
    expect(arr.check(makeSqn(5, 1))).toEqual({ fresh: false, reason: 'replay' });
    // an older SEQ in another IND is still fresh: that slot never saw it
    expect(arr.check(makeSqn(3, 2))).toEqual({ fresh: true });
    arr.accept(makeSqn(3, 2));
    expect(arr.entry(1)).toBe(5);
    expect(arr.entry(2)).toBe(3);
    expect(arr.sqnMs).toBe(makeSqn(5, 1));
  });

  it('refuses a jump of more than delta', () => {
    const arr = new UsimSqnArray({ delta: 100 });
    expect(arr.check(makeSqn(100, 0)).fresh).toBe(true);
    expect(arr.check(makeSqn(101, 0))).toEqual({ fresh: false, reason: 'delta' });
  });

  it('applies the optional limit L', () => {
    const arr = UsimSqnArray.startingAt(makeSqn(50, 0), { limit: 10 });
    expect(arr.check(makeSqn(41, 1)).fresh).toBe(true);
    expect(arr.check(makeSqn(40, 1))).toEqual({ fresh: false, reason: 'limit' });
  });
});

describe('AUTS and resynchronisation', () => {
  const ex = vectors.auts_example;

  it('recovers SQN_MS from the libosmocore AUTS example and checks MAC-S', () => {
    const m = new Milenage(h(ex.K), h(ex.OPc));
    const r = verifyAuts(m, h(ex.RAND), h(ex.AUTS));
    expect(r.macSOk).toBe(true);
    expect(hex(sqnToBytes(r.sqnMs))).toBe(ex.SQN_MS);
  });

  it('computes the libosmocore AUTS from its SQN_MS', () => {
    const m = new Milenage(h(ex.K), h(ex.OPc));
    expect(hex(computeAuts(m, h(ex.RAND), sqnFromBytes(h(ex.SQN_MS))))).toBe(ex.AUTS);
  });

  it('computes the self-derived set 1 AUTS (SQN_MS 000000000100, AMF* 0000)', () => {
    const [, s] = sets[0]!;
    const m = new Milenage(h(s.K), h(s.OPc));
    const auts = computeAuts(m, h(s.RAND), 0x100);
    expect(hex(auts)).toBe('451e8beca53b8506fa82045c245c');
    expect(auts.toString('base64')).toBe('RR6L7KU7hQb6ggRcJFw=');
  });

  it('resyncFromAuts: a bad MAC-S is reported and never moves SQN_HE; a good one does', () => {
    const [, s] = sets[0]!;
    const m = new Milenage(h(s.K), h(s.OPc));
    const auts = computeAuts(m, h(s.RAND), makeSqn(5000, 0));
    const g = new SqnGenerator(7);
    for (let byte = 0; byte < 14; byte++) {
      const bad = Buffer.from(auts);
      bad[byte]! ^= 0x01;
      const r = resyncFromAuts(g, m, h(s.RAND), bad);
      expect(r.macSOk).toBe(false);
      expect(r.changed).toBe(false);
      expect(g.seqHe).toBe(7);
    }
    expect(resyncFromAuts(g, m, h(s.RAND), auts)).toEqual({
      sqnMs: makeSqn(5000, 0),
      macSOk: true,
      changed: true,
    });
    expect(g.seqHe).toBe(5000);
  });

  it('round trip: USIM ahead -> AUTS -> HSS resync -> fresh vector accepted', () => {
    const [, s] = sets[1]!;
    const k = h(s.K);
    const opc = h(s.OPc);
    const usim = new Usim(k, opc, UsimSqnArray.startingAt(makeSqn(900, 4)));
    const gen = new SqnGenerator(10);
    const f = VectorFactory.forKeys(k, opc, h(s.AMF));
    const stale = f.one(gen.next(4));
    const r1 = usim.authenticate(stale.rand, stale.autn);
    expect(r1.result).toBe('sync-failure');
    if (r1.result !== 'sync-failure') return;
    const check = verifyAuts(new Milenage(k, opc), stale.rand, r1.auts);
    expect(check).toEqual({ sqnMs: makeSqn(900, 4), macSOk: true });
    expect(gen.resync(check.sqnMs)).toBe(true);
    const fresh = f.one(gen.next(4));
    const r2 = usim.authenticate(fresh.rand, fresh.autn);
    expect(r2.result).toBe('ok');
    expect(seqOf(fresh.sqn)).toBe(901);
  });
});
