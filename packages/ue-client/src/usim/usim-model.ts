/**
 * The UE's USIM (TS 33.102 6.3.3 and Annex C.2), on aka-crypto's `Usim` and `UsimSqnArray`: K and OPc, the
 * SEQ_MS array with one entry per IND, the freshness checks of Annex C.2.2 (SEQ above SEQ_MS(IND), within
 * delta of the highest accepted, optionally within L below it), AUTS on a synchronisation failure and a
 * distinct MAC failure. Two knobs for tests: `sqnAhead` (SEQ_MS starts ahead of the HSS in every array
 * entry, so the first challenge is a synchronisation failure) and `corruptMac` (the USIM answers as if MAC-A
 * had not matched).
 *
 * K, OPc, RES, CK and IK stay inside: the model prints and serialises as its SQN state only. Not modelled:
 * the AMF separation bit, the time-based SQN profile (Annex C.3.1), TUAK, GBA_U key derivation in the card.
 */
import { inspect } from 'node:util';
import {
  fromHex,
  makeSqn,
  seqOf,
  indOf,
  Usim,
  UsimSqnArray,
  type SqnProfile,
  type UsimResult,
} from '@ut-testbed/aka-crypto';

/** How far ahead `sqnAhead: true` puts SEQ_MS: beyond what any test HSS hands out, well within delta. */
export const DEFAULT_SQN_AHEAD = 2 ** 20;

export interface UsimModelOptions {
  /** K, 16 octets (hex or bytes) */
  k: string | Uint8Array;
  /** OPc, 16 octets (hex or bytes) */
  opc: string | Uint8Array;
  /**
   * SEQ_MS starts at this SEQ in every array entry (`true`: {@link DEFAULT_SQN_AHEAD}), so that a vector from
   * an HSS behind it is a synchronisation failure whatever its IND.
   */
  sqnAhead?: boolean | number;
  /** answer every AUTHENTICATE as a MAC failure, without touching SQN state */
  corruptMac?: boolean;
  /** accept the challenge but answer with a RES whose last octet is inverted (a network sees a wrong RES) */
  wrongRes?: boolean;
  /** Annex C profile: IND length (default 5) and delta (default 2^28) */
  profile?: Partial<SqnProfile>;
  /** the optional limit L of Annex C.2.2 (off by default) */
  limit?: number;
}

export type UsimOutcome = UsimResult['result'];

/** What a test may read: the SQN state and what the USIM has answered, never a key or a result. */
export interface UsimState {
  /** SQN_MS: the highest SQN accepted (what AUTS reports) */
  sqnMs: number;
  /** SEQ_MS(i) for every IND i */
  seqMs: number[];
  indBits: number;
  /** AUTHENTICATE runs so far */
  runs: number;
  outcomes: Record<UsimOutcome, number>;
  /** the last run: its outcome, the SQN it accepted, or why it refused */
  last?: { result: UsimOutcome; sqn?: number; reason?: 'replay' | 'delta' | 'limit'; simulated?: boolean };
  corruptMac: boolean;
}

function bytes(v: string | Uint8Array, name: string): Uint8Array {
  return typeof v === 'string' ? fromHex(v, name, 16) : v;
}

export class UsimModel {
  readonly #usim: Usim;
  readonly #array: UsimSqnArray;
  #corruptMac: boolean;
  #wrongRes: boolean;
  #runs = 0;
  readonly #outcomes: Record<UsimOutcome, number> = { ok: 0, 'sync-failure': 0, 'mac-failure': 0 };
  #last: UsimState['last'];

  constructor(o: UsimModelOptions) {
    this.#array = new UsimSqnArray({ ...o.profile, ...(o.limit !== undefined ? { limit: o.limit } : {}) });
    if (o.sqnAhead !== undefined && o.sqnAhead !== false) {
      const seq = o.sqnAhead === true ? DEFAULT_SQN_AHEAD : o.sqnAhead;
      const slots = 2 ** this.#array.profile.indBits;
      // every entry, not just one: Annex C.2 accepts a lower SEQ in an entry that has not seen it yet
      for (let ind = 0; ind < slots; ind++)
        this.#array.accept(makeSqn(seq, ind, this.#array.profile.indBits));
    }
    this.#usim = new Usim(bytes(o.k, 'K'), bytes(o.opc, 'OPc'), this.#array);
    this.#corruptMac = o.corruptMac ?? false;
    this.#wrongRes = o.wrongRes ?? false;
  }

  get wrongRes(): boolean {
    return this.#wrongRes;
  }

  set wrongRes(v: boolean) {
    this.#wrongRes = v;
  }

  get corruptMac(): boolean {
    return this.#corruptMac;
  }

  set corruptMac(v: boolean) {
    this.#corruptMac = v;
  }

  /** AUTHENTICATE (RAND, AUTN): RES/CK/IK, a synchronisation failure with AUTS, or a MAC failure. */
  authenticate(rand: Uint8Array, autn: Uint8Array): UsimResult {
    this.#runs++;
    let r: UsimResult;
    if (this.#corruptMac) {
      r = { result: 'mac-failure' };
      this.#last = { result: 'mac-failure', simulated: true };
    } else {
      r = this.#usim.authenticate(rand, autn);
      if (r.result === 'ok' && this.#wrongRes) {
        const res = Buffer.from(r.res);
        res[res.length - 1]! ^= 0xff;
        r = { ...r, res };
      }
      this.#last =
        r.result === 'ok'
          ? { result: 'ok', sqn: r.sqn }
          : r.result === 'sync-failure'
            ? { result: 'sync-failure', reason: r.reason }
            : { result: 'mac-failure' };
    }
    this.#outcomes[r.result]++;
    return r;
  }

  /** SEQ_MS(ind). */
  seqMs(ind: number): number {
    return this.#array.entry(ind);
  }

  get state(): UsimState {
    const { indBits } = this.#array.profile;
    return {
      sqnMs: this.#array.sqnMs,
      seqMs: Array.from({ length: 2 ** indBits }, (_, i) => this.#array.entry(i)),
      indBits,
      runs: this.#runs,
      outcomes: { ...this.#outcomes },
      ...(this.#last ? { last: { ...this.#last } } : {}),
      corruptMac: this.#corruptMac,
    };
  }

  /** SEQ and IND of an SQN under this USIM's profile (for reading `state.sqnMs` and `last.sqn`). */
  split(sqn: number): { seq: number; ind: number } {
    const { indBits } = this.#array.profile;
    return { seq: seqOf(sqn, indBits), ind: indOf(sqn, indBits) };
  }

  /** Logs and JSON see the SQN state, never the keys. */
  toJSON(): { sqnMs: number; runs: number; corruptMac: boolean } {
    return { sqnMs: this.#array.sqnMs, runs: this.#runs, corruptMac: this.#corruptMac };
  }

  [inspect.custom](): string {
    return `UsimModel { sqnMs: ${this.#array.sqnMs}, runs: ${this.#runs}, corruptMac: ${this.#corruptMac} }`;
  }
}
