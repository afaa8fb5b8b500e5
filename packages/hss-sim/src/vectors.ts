/**
 * Vectors for a subscriber: SQNs from the store (durable before use), Milenage from aka-crypto with the
 * key schedule kept per subscriber, and the network side of resynchronisation.
 */
import { Milenage, VectorFactory, verifyAuts, type AuthVector } from '@ut-testbed/aka-crypto';
import type { SipAuthDataItem } from '@ut-testbed/diameter-codec';
import type { Subscriber, SubscriberStore } from './store/types';

interface Keys {
  milenage: Milenage;
  factory: VectorFactory;
  /** the key material the cache entry was built from: a changed subscriber gets a new entry */
  fingerprint: string;
}

export class VectorIssuer {
  private readonly keys = new Map<string, Keys>();

  constructor(
    private readonly store: SubscriberStore,
    private readonly cacheSize = 10_000,
  ) {}

  private keysOf(s: Subscriber): Keys {
    const fingerprint = Buffer.concat([s.k, s.opc, s.amf]).toString('base64');
    let k = this.keys.get(s.impi);
    if (!k || k.fingerprint !== fingerprint) {
      const milenage = new Milenage(s.k, s.opc);
      k = { milenage, factory: new VectorFactory(milenage, s.amf), fingerprint };
      if (this.keys.size >= this.cacheSize) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(s.impi, k);
    }
    return k;
  }

  /** `count` fresh vectors for `consumer`; their SQNs are on disk when this resolves. */
  async issue(s: Subscriber, consumer: string, count: number): Promise<AuthVector[]> {
    const [sqns] = await this.store.allocateSqns([{ impi: s.impi, consumer, count }]);
    return this.keysOf(s).factory.many(sqns!);
  }

  /**
   * RAND || AUTS from a MAR: checks MAC-S (AMF* 0000) and, only when it holds, lets the store move SEQ_HE
   * past SQN_MS. A bad MAC-S leaves the SQN untouched.
   */
  async resync(
    s: Subscriber,
    randAuts: Buffer,
  ): Promise<{ macSOk: boolean; sqnMs: number; changed: boolean }> {
    const check = verifyAuts(this.keysOf(s).milenage, randAuts.subarray(0, 16), randAuts.subarray(16, 30));
    if (!check.macSOk) return { ...check, changed: false };
    return { ...check, changed: await this.store.resync(s.impi, check.sqnMs) };
  }
}

/** What a MAR (Cx or Zh) gets from the HSS's vector source. */
export type VectorOutcome =
  | { kind: 'vectors'; vectors: AuthVector[]; resynced: boolean }
  | { kind: 'resync-failed'; reason: string }
  | { kind: 'unable-to-comply'; reason: string };

/**
 * The vector part of a Multimedia-Auth, shared by Cx and Zh: with SIP-Authorization = RAND || AUTS (TS
 * 29.229 6.3.13) first the re-synchronisation (30 octets, MAC-S), then `count` fresh vectors for `consumer`.
 */
export async function vectorsForMar(
  issuer: VectorIssuer,
  sub: Subscriber,
  consumer: string,
  count: number,
  randAuts: Buffer | undefined,
): Promise<VectorOutcome> {
  let resynced = false;
  if (randAuts !== undefined) {
    if (randAuts.length !== 30) {
      return {
        kind: 'resync-failed',
        reason: `SIP-Authorization holds ${randAuts.length} octets, RAND || AUTS is 30`,
      };
    }
    if (!(await issuer.resync(sub, randAuts)).macSOk)
      return { kind: 'resync-failed', reason: 'AUTS: MAC-S does not verify' };
    resynced = true;
  }
  try {
    return { kind: 'vectors', vectors: await issuer.issue(sub, consumer, count), resynced };
  } catch (e) {
    return { kind: 'unable-to-comply', reason: e instanceof Error ? e.message : 'no vectors' };
  }
}

/** A vector as a SIP-Auth-Data-Item (TS 29.229 6.3.13-6.3.16): RAND || AUTN, XRES, CK, IK. */
export function authItem(v: AuthVector, scheme: string, itemNumber?: number): SipAuthDataItem {
  return {
    ...(itemNumber !== undefined ? { itemNumber } : {}),
    scheme,
    authenticate: Buffer.concat([v.rand, v.autn]),
    authorization: v.xres,
    confidentialityKey: v.ck,
    integrityKey: v.ik,
  };
}
