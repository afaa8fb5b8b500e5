/**
 * The USIM side of UMTS AKA (TS 33.102 6.3.3): verify MAC-A, recover SQN, check freshness with the
 * Annex C.2 array, and answer with RES/CK/IK, a synchronisation failure (AUTS) or a MAC failure.
 */
import { timingSafeEqual } from 'node:crypto';
import { requireLength } from './hex';
import { Milenage } from './milenage';
import { computeAuts } from './resync';
import { DEFAULT_PROFILE, seqOf, indOf, sqnFromBytes, type SqnProfile } from './sqn';

export type FreshnessVerdict = { fresh: true } | { fresh: false; reason: 'replay' | 'delta' | 'limit' };

/**
 * SEQ_MS(0..a-1) of Annex C.2.2, all starting at 0, plus the optional limit L. SQN_MS, the value
 * reported on a sync failure, is the highest accepted SQN anywhere in the array.
 */
export class UsimSqnArray {
  readonly profile: SqnProfile;
  readonly limit: number | undefined;
  private readonly seqMs: number[];
  private highestSqn = 0;

  constructor(options: Partial<SqnProfile> & { limit?: number } = {}) {
    this.profile = {
      indBits: options.indBits ?? DEFAULT_PROFILE.indBits,
      delta: options.delta ?? DEFAULT_PROFILE.delta,
    };
    this.limit = options.limit;
    this.seqMs = new Array<number>(2 ** this.profile.indBits).fill(0);
  }

  /** SQN_MS: SEQ_MS || IND_MS of the highest previously accepted sequence number. */
  get sqnMs(): number {
    return this.highestSqn;
  }

  /** SEQ_MS(i), for tests and state dumps. */
  entry(ind: number): number {
    return this.seqMs[ind] ?? 0;
  }

  check(sqn: number): FreshnessVerdict {
    const { indBits, delta } = this.profile;
    const seq = seqOf(sqn, indBits);
    const seqMsMax = seqOf(this.highestSqn, indBits);
    if (seq - seqMsMax > delta) return { fresh: false, reason: 'delta' };
    if (this.limit !== undefined && seqMsMax - seq >= this.limit) return { fresh: false, reason: 'limit' };
    if (seq <= this.seqMs[indOf(sqn, indBits)]!) return { fresh: false, reason: 'replay' };
    return { fresh: true };
  }

  accept(sqn: number): void {
    const { indBits } = this.profile;
    this.seqMs[indOf(sqn, indBits)] = seqOf(sqn, indBits);
    if (seqOf(sqn, indBits) > seqOf(this.highestSqn, indBits)) this.highestSqn = sqn;
  }

  /** Sets the array as if `sqn` were the highest accepted value (a USIM provisioned ahead of the HSS). */
  static startingAt(sqn: number, options: Partial<SqnProfile> & { limit?: number } = {}): UsimSqnArray {
    const a = new UsimSqnArray(options);
    a.accept(sqn);
    return a;
  }
}

export type UsimResult =
  | { result: 'ok'; res: Buffer; ck: Buffer; ik: Buffer; sqn: number; amf: Buffer }
  | { result: 'mac-failure' }
  | { result: 'sync-failure'; auts: Buffer; sqnMs: number; reason: 'replay' | 'delta' | 'limit' };

export class Usim {
  private readonly milenage: Milenage;

  constructor(
    k: Uint8Array,
    opc: Uint8Array,
    readonly sqnArray: UsimSqnArray = new UsimSqnArray(),
  ) {
    this.milenage = new Milenage(k, opc);
  }

  /**
   * Runs AUTHENTICATE on (RAND, AUTN). A MAC failure is reported without touching SQN state; a sync failure
   * carries AUTS for the network; success stores SEQ in the array and returns RES, CK, IK.
   */
  authenticate(rand: Uint8Array, autn: Uint8Array): UsimResult {
    requireLength(rand, 16, 'RAND');
    requireLength(autn, 16, 'AUTN');
    const { ak, res, ck, ik } = this.milenage.f2345(rand);
    const sqnBytes = Buffer.allocUnsafe(6);
    for (let i = 0; i < 6; i++) sqnBytes[i] = autn[i]! ^ ak[i]!;
    const amf = Buffer.from(autn.subarray(6, 8));
    const { macA } = this.milenage.f1(rand, sqnBytes, amf);
    if (!timingSafeEqual(macA, autn.subarray(8, 16))) return { result: 'mac-failure' };
    const sqn = sqnFromBytes(sqnBytes);
    const verdict = this.sqnArray.check(sqn);
    if (!verdict.fresh) {
      const sqnMs = this.sqnArray.sqnMs;
      return {
        result: 'sync-failure',
        auts: computeAuts(this.milenage, rand, sqnMs),
        sqnMs,
        reason: verdict.reason,
      };
    }
    this.sqnArray.accept(sqn);
    return { result: 'ok', res, ck, ik, sqn, amf };
  }
}
