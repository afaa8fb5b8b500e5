/**
 * The USIM model against the network side of aka-crypto: vectors from VectorFactory and SqnGenerator, AUTS
 * checked with verifyAuts / resyncFromAuts. TS 33.102 Annex C.2: replay per IND, delta, the limit L, IND
 * wrapping round, vectors of different INDs out of order; the sqnAhead, corruptMac and wrongRes knobs; no key in logs.
 */
import { inspect } from 'node:util';
import {
  makeSqn,
  Milenage,
  resyncFromAuts,
  SqnGenerator,
  VectorFactory,
  verifyAuts,
  type AuthVector,
} from '@ut-testbed/aka-crypto';
import { DEFAULT_SQN_AHEAD, UsimModel } from '../src/usim/usim-model';

// TS 35.208 test set 1
const K = '465b5ce8b199b49faa5f0a2ee238a6bc';
const OPC = 'cd63cb71954a9f4e48a5994e37a02baf';
const RAND1 = Buffer.from('23553cbe9637a89d218ae64dae47bf35', 'hex');
const AMF = Buffer.from('b9b9', 'hex');

const factory = VectorFactory.forKeys(Buffer.from(K, 'hex'), Buffer.from(OPC, 'hex'), AMF);
const milenage = new Milenage(Buffer.from(K, 'hex'), Buffer.from(OPC, 'hex'));
const vector = (seq: number, ind: number, rand?: Buffer): AuthVector => factory.one(makeSqn(seq, ind), rand);
const run = (usim: UsimModel, v: AuthVector) => usim.authenticate(v.rand, v.autn);

describe('USIM model: TS 33.102 Annex C.2', () => {
  it('accepts fresh vectors, stores SEQ per IND, and returns RES/CK/IK of the vector', () => {
    const usim = new UsimModel({ k: K, opc: OPC });
    const v = vector(1, 0);
    const r = run(usim, v);
    if (r.result !== 'ok') throw new Error(`expected ok, got ${r.result}`);
    expect(r.res.equals(v.xres)).toBe(true);
    expect(r.ck.equals(v.ck)).toBe(true);
    expect(r.ik.equals(v.ik)).toBe(true);
    expect(r.sqn).toBe(makeSqn(1, 0));
    expect(run(usim, vector(2, 5)).result).toBe('ok');
    const s = usim.state;
    expect(s.seqMs).toHaveLength(32);
    expect(s.seqMs[0]).toBe(1);
    expect(s.seqMs[5]).toBe(2);
    expect(s.seqMs.filter((x) => x !== 0)).toEqual([1, 2]);
    expect(s.sqnMs).toBe(makeSqn(2, 5));
    expect(s.runs).toBe(2);
    expect(s.outcomes).toEqual({ ok: 2, 'sync-failure': 0, 'mac-failure': 0 });
  });

  it('a replayed vector is a synchronisation failure whose AUTS carries SQN_MS under a valid MAC-S', () => {
    const usim = new UsimModel({ k: K, opc: OPC });
    const v = vector(7, 3);
    expect(run(usim, v).result).toBe('ok');
    const again = run(usim, v);
    if (again.result !== 'sync-failure') throw new Error(`expected sync-failure, got ${again.result}`);
    expect(again.reason).toBe('replay');
    expect(again.auts).toHaveLength(14);
    const check = verifyAuts(milenage, v.rand, again.auts);
    expect(check).toEqual({ macSOk: true, sqnMs: makeSqn(7, 3) });
    // a lower SEQ in the same entry is a replay too, and the state did not move
    expect(run(usim, vector(6, 3)).result).toBe('sync-failure');
    expect(usim.state.seqMs[3]).toBe(7);
    expect(usim.state.last).toEqual({ result: 'sync-failure', reason: 'replay' });
  });

  it('a jump of more than delta beyond the highest SEQ accepted is refused (reason delta)', () => {
    const usim = new UsimModel({ k: K, opc: OPC, profile: { delta: 1000 } });
    expect(run(usim, vector(10, 0)).result).toBe('ok');
    expect(run(usim, vector(1010, 1)).result).toBe('ok'); // exactly delta: accepted
    const far = run(usim, vector(2011, 2));
    expect(far.result === 'sync-failure' && far.reason).toBe('delta');
    // the default delta is 2^28
    const usim2 = new UsimModel({ k: K, opc: OPC });
    const r = run(usim2, vector(2 ** 28 + 1, 0));
    expect(r.result === 'sync-failure' && r.reason).toBe('delta');
  });

  it('IND wraps round: vectors of consecutive INDs are accepted lap after lap, an old lap is a replay', () => {
    const usim = new UsimModel({ k: K, opc: OPC });
    const gen = new SqnGenerator(0);
    const issued: AuthVector[] = [];
    for (let i = 0; i < 70; i++) issued.push(factory.one(gen.next(i % 32)));
    for (const v of issued) expect(run(usim, v).result).toBe('ok');
    // vector i has SEQ i + 1 and IND i mod 32: IND 3 took SEQ 4, 36 and 68; IND 6 has not seen the third lap
    expect(usim.state.seqMs[3]).toBe(68);
    expect(usim.state.seqMs[6]).toBe(39);
    expect(usim.state.seqMs[31]).toBe(64);
    const old = run(usim, issued[35]!);
    expect(old.result === 'sync-failure' && old.reason).toBe('replay');
    const { seq, ind } = usim.split(usim.state.sqnMs);
    expect({ seq, ind }).toEqual({ seq: 70, ind: 5 });
  });

  it('vectors for different INDs are accepted out of order (the point of the array)', () => {
    const usim = new UsimModel({ k: K, opc: OPC });
    expect(run(usim, vector(40, 7)).result).toBe('ok');
    expect(run(usim, vector(39, 6)).result).toBe('ok');
    expect(run(usim, vector(12, 0)).result).toBe('ok');
    expect(usim.state.sqnMs).toBe(makeSqn(40, 7));
  });

  it('with the limit L, a SEQ too far below the highest is refused even in an unused entry', () => {
    const usim = new UsimModel({ k: K, opc: OPC, limit: 8 });
    expect(run(usim, vector(100, 0)).result).toBe('ok');
    expect(run(usim, vector(93, 1)).result).toBe('ok'); // 100 - 93 = 7 < L
    const r = run(usim, vector(92, 2)); // 100 - 92 = 8, not < L
    expect(r.result === 'sync-failure' && r.reason).toBe('limit');
  });

  it('gives the AUTS of the reference notes for set 1 with SQN_MS = 000000000100', () => {
    // SEQ 8, IND 0 = 0x100
    const usim = new UsimModel({ k: K, opc: OPC, sqnAhead: 8 });
    expect(usim.state.sqnMs).toBe(0x100);
    const r = run(usim, vector(3, 0, RAND1));
    if (r.result !== 'sync-failure') throw new Error(`expected sync-failure, got ${r.result}`);
    expect(r.auts.toString('hex')).toBe('451e8beca53b8506fa82045c245c');
    expect(r.auts.toString('base64')).toBe('RR6L7KU7hQb6ggRcJFw=');
  });
});

describe('USIM model: knobs', () => {
  it('sqnAhead: the first vector of an HSS behind it fails whatever its IND; resync through AUTS fixes it', () => {
    for (const ind of [0, 5, 31]) {
      const usim = new UsimModel({ k: K, opc: OPC, sqnAhead: true });
      expect(usim.state.seqMs.every((s) => s === DEFAULT_SQN_AHEAD)).toBe(true);
      const gen = new SqnGenerator(0);
      const v = factory.one(gen.next(ind));
      const r = run(usim, v);
      if (r.result !== 'sync-failure') throw new Error(`IND ${ind}: expected sync-failure, got ${r.result}`);
      const resynced = resyncFromAuts(gen, milenage, v.rand, r.auts);
      expect(resynced).toEqual({ macSOk: true, sqnMs: makeSqn(DEFAULT_SQN_AHEAD, 0), changed: true });
      expect(gen.seqHe).toBe(DEFAULT_SQN_AHEAD);
      const next = run(usim, factory.one(gen.next(ind)));
      expect(next.result).toBe('ok');
      expect(usim.state.seqMs[ind]).toBe(DEFAULT_SQN_AHEAD + 1);
    }
  });

  it('corruptMac: a good vector is answered as a MAC failure and leaves SQN state alone', () => {
    const usim = new UsimModel({ k: K, opc: OPC, corruptMac: true });
    const v = vector(5, 1);
    expect(run(usim, v)).toEqual({ result: 'mac-failure' });
    expect(usim.state.seqMs[1]).toBe(0);
    expect(usim.state.last).toEqual({ result: 'mac-failure', simulated: true });
    usim.corruptMac = false;
    // the same vector is still fresh: the simulated failure did not consume it
    expect(run(usim, v).result).toBe('ok');
    expect(usim.state.outcomes).toEqual({ ok: 1, 'sync-failure': 0, 'mac-failure': 1 });
  });

  it('wrongRes: the vector is accepted (SQN stored) but RES differs from XRES in its last octet', () => {
    const usim = new UsimModel({ k: K, opc: OPC, wrongRes: true });
    const v = vector(3, 2);
    const r = run(usim, v);
    if (r.result !== 'ok') throw new Error(`expected ok, got ${r.result}`);
    expect(r.res.subarray(0, -1).equals(v.xres.subarray(0, -1))).toBe(true);
    expect(r.res[r.res.length - 1]).toBe(v.xres[v.xres.length - 1]! ^ 0xff);
    expect(r.ck.equals(v.ck)).toBe(true);
    expect(usim.state.seqMs[2]).toBe(3);
  });

  it('a vector made with another key is a real MAC failure', () => {
    const other = VectorFactory.forKeys(Buffer.alloc(16, 1), Buffer.from(OPC, 'hex'), AMF).one(makeSqn(1, 0));
    const usim = new UsimModel({ k: K, opc: OPC });
    expect(run(usim, other)).toEqual({ result: 'mac-failure' });
    expect(usim.state.last).toEqual({ result: 'mac-failure' });
  });

  it('prints and serialises without K or OPc', () => {
    const usim = new UsimModel({ k: K, opc: OPC });
    run(usim, vector(1, 0));
    const shown = `${JSON.stringify(usim)} ${inspect(usim, { showHidden: true, depth: 5 })} ${JSON.stringify(usim.state)}`;
    expect(shown).toContain('sqnMs');
    expect(shown).not.toContain(K);
    expect(shown).not.toContain(OPC);
    expect(shown).not.toContain('465b5ce8');
  });

  it('refuses keys of the wrong length', () => {
    expect(() => new UsimModel({ k: K.slice(2), opc: OPC })).toThrow(/K: expected 16 bytes/);
  });
});
