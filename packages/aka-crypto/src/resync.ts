/**
 * AUTS (TS 33.102 6.3.3, 6.3.5): AUTS = (SQN_MS xor AK*) || MAC-S, MAC-S = f1*(K, SQN_MS, RAND, AMF*),
 * AMF* = 0x0000, AK* = f5*(K, RAND).
 */
import { timingSafeEqual } from 'node:crypto';
import { requireLength } from './hex';
import type { Milenage } from './milenage';
import { sqnFromBytes, sqnToBytes, type SqnGenerator } from './sqn';

/** The dummy AMF used in MAC-S (TS 33.102 6.3.3). */
export const AMF_RESYNC = Buffer.from([0, 0]);

export function computeAuts(m: Milenage, rand: Uint8Array, sqnMs: number): Buffer {
  const sqn = sqnToBytes(sqnMs);
  const akStar = m.f5star(rand);
  const { macS } = m.f1(rand, sqn, AMF_RESYNC);
  const auts = Buffer.allocUnsafe(14);
  for (let i = 0; i < 6; i++) auts[i] = sqn[i]! ^ akStar[i]!;
  macS.copy(auts, 6);
  return auts;
}

export interface AutsCheck {
  /** SQN_MS recovered from AUTS (meaningful only when macSOk). */
  sqnMs: number;
  macSOk: boolean;
}

/** The network side of resynchronisation: recover SQN_MS and check MAC-S. */
export function verifyAuts(m: Milenage, rand: Uint8Array, auts: Uint8Array): AutsCheck {
  requireLength(auts, 14, 'AUTS');
  const akStar = m.f5star(rand);
  const sqn = Buffer.allocUnsafe(6);
  for (let i = 0; i < 6; i++) sqn[i] = auts[i]! ^ akStar[i]!;
  const { macS } = m.f1(rand, sqn, AMF_RESYNC);
  return { sqnMs: sqnFromBytes(sqn), macSOk: timingSafeEqual(macS, auts.subarray(6, 14)) };
}

/**
 * The whole network-side resynchronisation (TS 33.102 6.3.5): recover SQN_MS from AUTS, check MAC-S, and
 * only when it holds let the generator move SQN_HE. A bad MAC-S never moves SQN_HE.
 */
export function resyncFromAuts(
  generator: SqnGenerator,
  m: Milenage,
  rand: Uint8Array,
  auts: Uint8Array,
): AutsCheck & { changed: boolean } {
  const check = verifyAuts(m, rand, auts);
  return { ...check, changed: check.macSOk ? generator.resync(check.sqnMs) : false };
}
