/**
 * The subscriber store behind the HSS. Asynchronous so that a client/server database (PostgreSQL) can take
 * SQLite's place; the contract that matters is on `allocateSqns`: the new SEQ_HE is durable before the
 * promise resolves, so no vector that uses it can leave before it is stored.
 */
import type { AuthScheme } from '@ut-testbed/config';

export interface Subscriber {
  impi: string;
  /** in the order given; the first is the default IMPU */
  impus: string[];
  k: Buffer;
  opc: Buffer;
  amf: Buffer;
  /** SEQ_HE: the last SEQ handed out (TS 33.102 Annex C) */
  seqHe: number;
  scheme: AuthScheme;
}

export type NewSubscriber = Omit<Subscriber, 'seqHe'> & { seqHe?: number };

export interface SqnAllocation {
  impi: string;
  /** the requesting node (Origin-Host of the MAR): it owns one IND */
  consumer: string;
  count: number;
}

export interface SubscriberStore {
  get(impi: string): Promise<Subscriber | undefined>;
  /** IMPIs that own `impu` (an IMPU may be shared, TS 23.228 4.3.3.4) */
  impisOf(impu: string): Promise<string[]>;
  list(): Promise<Subscriber[]>;
  /** false when the IMPI exists already */
  add(s: NewSubscriber): Promise<boolean>;
  /** creates or replaces keys and IMPUs; SEQ_HE is kept unless given */
  put(s: NewSubscriber): Promise<void>;
  remove(impi: string): Promise<boolean>;
  /**
   * Takes `count` SQNs (SEQ_HE + 1 .. SEQ_HE + count, each with the consumer's IND) for each request, and
   * stores the new SEQ_HE durably before resolving. Rejects for an unknown IMPI or when SEQ is used up.
   */
  allocateSqns(requests: readonly SqnAllocation[]): Promise<number[][]>;
  /**
   * Re-synchronisation after a verified AUTS (TS 33.102 6.3.5, `SqnGenerator.resync`): SEQ_HE moves to
   * SEQ(SQN_MS) unless the next SQN would already be accepted. Applied to the stored value inside one
   * transaction, so allocations running at the same time are never lost; durable before resolving.
   * Resolves true when SEQ_HE changed.
   */
  resync(impi: string, sqnMs: number): Promise<boolean>;
  close(): Promise<void>;
}
