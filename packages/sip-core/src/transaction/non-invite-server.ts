/**
 * The non-INVITE server transaction (RFC 3261 17.2.2, figure 8, as RFC 4320 changed it). Trying: the request
 * has gone to the TU and its retransmissions are absorbed. A provisional response moves to Proceeding, a final
 * one to Completed; in either, a retransmitted request gets the last response again. Completed lasts Timer J
 * (64*T1 on UDP, 0 on TCP).
 *
 * RFC 4320 4.1: no provisional response other than 100, and over UDP no 100 before the client's Timer E has
 * reached T2 (the transaction never sends one on its own); 4.2: no 408 at all. A TU that has not answered
 * within 64*T1 (the client's Timer F has fired by then) is too late: the transaction ends without a response.
 */
import type { SipMessage } from '../message';
import { TimerSlot } from './timer-slot';
import { timeToReachT2, type TransactionContext } from './timers';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class NonInviteServerTransaction {
  private current: NonInviteServerState = 'trying';
  /** sends the last response again (a retransmitted request gets it) */
  private again: (() => Promise<void>) | undefined;
  private readonly started: number;
  private readonly j: TimerSlot;
  private readonly deadline: TimerSlot;

  /** The request is not kept: a retransmission is matched by the endpoint and answered with the last response. */
  constructor(
    private readonly ctx: TransactionContext,
    private readonly onTerminated: () => void = () => undefined,
  ) {
    this.started = ctx.clock.now();
    this.j = new TimerSlot(ctx.clock);
    this.deadline = new TimerSlot(ctx.clock);
    this.deadline.set(64 * ctx.timers.t1, () => this.end());
  }

  get state(): NonInviteServerState {
    return this.current;
  }

  /** A retransmission of the request (matched by 17.2.3). */
  receiveRequest(): void {
    if ((this.current === 'proceeding' || this.current === 'completed') && this.again)
      this.transmit(this.again);
  }

  /**
   * Sends a response from the TU. Returns false when it is not sent: a final response was already sent, the
   * transaction ended, or a 100 over UDP comes earlier than RFC 4320 allows. Throws a RangeError for what
   * RFC 4320 forbids outright (a 101-199, a 408).
   */
  respond(response: SipMessage): boolean {
    const status = response.status ?? 0;
    if (status > 100 && status < 200)
      throw new RangeError(
        `RFC 4320 4.1: no provisional response other than 100 to a non-INVITE (${status})`,
      );
    if (status === 408) throw new RangeError('RFC 4320 4.2: no 408 to a non-INVITE request');
    if (this.current !== 'trying' && this.current !== 'proceeding') return false;
    if (status === 100) {
      if (!this.ctx.reliable && this.ctx.clock.now() - this.started < timeToReachT2(this.ctx.timers))
        return false;
      this.current = 'proceeding';
      this.again = this.sender(response);
      this.transmit(this.again);
      return true;
    }
    this.deadline.clear();
    this.current = 'completed';
    this.again = this.sender(response);
    this.transmit(this.again);
    if (this.ctx.reliable || this.ctx.complete?.(this.again)) this.end();
    else this.j.set(64 * this.ctx.timers.t1, () => this.end());
    return true;
  }

  private sender(m: SipMessage): () => Promise<void> {
    return this.ctx.prepare ? this.ctx.prepare(m) : () => this.ctx.send(m);
  }

  private transmit(send: () => Promise<void>): void {
    // RFC 3261 17.2.4: a transport error ends the transaction
    send().catch(() => this.end());
  }

  end(): void {
    if (this.current === 'terminated') return;
    this.j.clear();
    this.deadline.clear();
    this.current = 'terminated';
    this.onTerminated();
  }
}
