import type { SipMessage } from '../message';
import type { Clock } from './clock';

/**
 * The timer values of RFC 3261 17 (table 4): T1 the RTT estimate, T2 the longest retransmit interval of a
 * non-INVITE request and INVITE response, T4 how long a message stays in the network. Every transaction timer
 * derives from these.
 */

export interface TimerValues {
  /** default 500 ms */
  t1: number;
  /** default 4 s */
  t2: number;
  /** default 5 s */
  t4: number;
}

export const DEFAULT_TIMERS: Readonly<TimerValues> = { t1: 500, t2: 4000, t4: 5000 };

export function timerValues(o: Partial<TimerValues> = {}): TimerValues {
  const t: TimerValues = {
    t1: o.t1 ?? DEFAULT_TIMERS.t1,
    t2: o.t2 ?? DEFAULT_TIMERS.t2,
    t4: o.t4 ?? DEFAULT_TIMERS.t4,
  };
  for (const [k, v] of Object.entries(t))
    if (!(Number.isFinite(v) && v > 0))
      throw new RangeError(`${k} must be a positive number of ms, not ${v}`);
  if (t.t2 < t.t1) throw new RangeError(`t2 (${t.t2} ms) must not be below t1 (${t.t1} ms)`);
  return t;
}

/**
 * How long after the first send a client's Timer E reaches T2 (T1 + 2 T1 + 4 T1 ... while below T2: 3.5 s
 * with the defaults). RFC 4320 4.1: no 100 to a non-INVITE over an unreliable transport before then.
 */
export function timeToReachT2(t: TimerValues): number {
  let total = 0;
  for (let d = t.t1; d < t.t2; d *= 2) total += d;
  return total;
}

/** What every state machine needs from its owner. */
export interface TransactionContext {
  clock: Clock;
  timers: TimerValues;
  /** TCP: no retransmissions, and Timers I, J, K are 0 */
  reliable: boolean;
  /** hands a message to the transport; a rejection is a transport error (RFC 3261 17.1.4, 17.2.4) */
  send: (m: SipMessage) => Promise<void>;
  /**
   * A server transaction's final response made ready to send again (bytes and destination only), so that
   * what is kept until Timer J ends is that, not the parsed message; without it the message is kept.
   */
  prepare?: (m: SipMessage) => () => Promise<void>;
  /**
   * Takes over a non-INVITE server transaction that has just completed on an unreliable transport: until
   * Timer J ends, retransmissions of its request get `again`, and the transaction object itself ends at
   * once. False (or absent): the transaction runs its own Timer J.
   */
  complete?: (again: () => Promise<void>) => boolean;
}
