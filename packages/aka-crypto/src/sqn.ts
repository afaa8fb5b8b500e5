/**
 * Sequence numbers per TS 33.102 Annex C: SQN (48 bits) = SEQ || IND, IND in the low `indBits` bits.
 * Values are plain numbers: 48 bits fit exactly in a double.
 */
import { requireLength } from './hex';

export const SQN_BITS = 48;
export const SQN_MAX = 2 ** SQN_BITS - 1;
/** The IND length of the profile the testbed uses (Annex C.3.2, profile 2; 32 array entries in the USIM). */
export const DEFAULT_IND_BITS = 5;
/** Delta of Annex C.3.4 for the non-time-based profile: the largest forward jump a USIM accepts. */
export const DEFAULT_DELTA = 2 ** 28;

export function sqnToBytes(sqn: number): Buffer {
  if (!Number.isInteger(sqn) || sqn < 0 || sqn > SQN_MAX) throw new RangeError(`SQN out of range: ${sqn}`);
  const b = Buffer.allocUnsafe(6);
  b.writeUIntBE(sqn, 0, 6);
  return b;
}

export function sqnFromBytes(b: Uint8Array): number {
  requireLength(b, 6, 'SQN');
  return Buffer.from(b.buffer, b.byteOffset, 6).readUIntBE(0, 6);
}

export function seqOf(sqn: number, indBits = DEFAULT_IND_BITS): number {
  return Math.floor(sqn / 2 ** indBits);
}

export function indOf(sqn: number, indBits = DEFAULT_IND_BITS): number {
  return sqn % 2 ** indBits;
}

export function makeSqn(seq: number, ind: number, indBits = DEFAULT_IND_BITS): number {
  const slots = 2 ** indBits;
  if (!Number.isInteger(ind) || ind < 0 || ind >= slots)
    throw new RangeError(`IND ${ind} outside 0..${slots - 1}`);
  const maxSeq = 2 ** (SQN_BITS - indBits) - 1;
  if (!Number.isInteger(seq) || seq < 0 || seq > maxSeq)
    throw new RangeError(`SEQ ${seq} outside 0..${maxSeq}`);
  return seq * slots + ind;
}

/** SEQ has reached its maximum: a new vector would repeat an SQN (Annex C.1.3 forbids wrapping). */
export class SqnExhaustedError extends Error {
  override name = 'SqnExhaustedError';
}

export interface SqnProfile {
  indBits: number;
  delta: number;
}

export const DEFAULT_PROFILE: SqnProfile = { indBits: DEFAULT_IND_BITS, delta: DEFAULT_DELTA };

/**
 * The HE/AuC side (Annex C.1.1, C.3.2): SEQ_HE is the last SEQ handed out; each new vector takes SEQ_HE + 1
 * and the IND of the consumer it goes to. The caller persists `seqHe` before it releases the vector.
 */
export class SqnGenerator {
  private seq: number;
  readonly profile: SqnProfile;

  constructor(seqHe = 0, profile: Partial<SqnProfile> = {}) {
    this.profile = { ...DEFAULT_PROFILE, ...profile };
    const maxSeq = 2 ** (SQN_BITS - this.profile.indBits) - 1;
    if (!Number.isInteger(seqHe) || seqHe < 0 || seqHe > maxSeq)
      throw new RangeError(`SEQ_HE ${seqHe} out of range`);
    this.seq = seqHe;
  }

  get seqHe(): number {
    return this.seq;
  }

  /** The next SQN for the consumer holding `ind`; advances SEQ_HE. Throws once SEQ is used up. */
  next(ind: number): number {
    const maxSeq = 2 ** (SQN_BITS - this.profile.indBits) - 1;
    if (this.seq >= maxSeq)
      throw new SqnExhaustedError(`SEQ_HE is at its maximum (${maxSeq}); SQN cannot advance`);
    const sqn = makeSqn(this.seq + 1, ind, this.profile.indBits);
    this.seq += 1;
    return sqn;
  }

  /**
   * Re-synchronisation after a verified AUTS (TS 33.102 6.3.5; `resyncFromAuts` checks MAC-S first):
   * if the next SQN from SQN_HE would be accepted by a USIM whose highest accepted value is SQN_MS,
   * SQN_HE stays; otherwise SEQ_HE is set to SEQ(SQN_MS), so the next vector carries SEQ(SQN_MS) + 1.
   * Returns true when SEQ_HE changed.
   */
  resync(sqnMs: number): boolean {
    const seqMs = seqOf(sqnMs, this.profile.indBits);
    const nextSeq = this.seq + 1;
    if (nextSeq > seqMs && nextSeq - seqMs <= this.profile.delta) return false;
    this.seq = seqMs;
    return true;
  }
}

/**
 * One IND per consumer (Annex C.1.2: each serving node, here each Diameter peer asking for vectors, gets its
 * own array entry in the USIM, so vectors handed to different consumers never invalidate each other).
 * INDs are given out in order of first request and reused round robin once all are taken.
 */
export class IndAllocator {
  private readonly byConsumer = new Map<string, number>();
  private nextShared = 0;

  constructor(
    readonly indBits = DEFAULT_IND_BITS,
    assigned: Iterable<[string, number]> = [],
  ) {
    for (const [consumer, ind] of assigned) {
      if (!Number.isInteger(ind) || ind < 0 || ind >= 2 ** indBits) {
        throw new RangeError(`IND ${ind} of ${consumer} outside 0..${2 ** indBits - 1}`);
      }
      this.byConsumer.set(consumer, ind);
    }
  }

  /** The consumer's IND: the lowest free one for a new consumer, round robin once all are taken. */
  indFor(consumer: string): number {
    let ind = this.byConsumer.get(consumer);
    if (ind === undefined) {
      const slots = 2 ** this.indBits;
      const taken = new Set(this.byConsumer.values());
      ind = -1;
      for (let i = 0; i < slots && ind < 0; i++) if (!taken.has(i)) ind = i;
      if (ind < 0) {
        ind = this.nextShared;
        this.nextShared = (this.nextShared + 1) % slots;
      }
      this.byConsumer.set(consumer, ind);
    }
    return ind;
  }

  entries(): [string, number][] {
    return [...this.byConsumer.entries()];
  }
}
