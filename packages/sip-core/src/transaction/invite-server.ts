/**
 * The INVITE server transaction (RFC 3261 17.2.1, figure 7) for a UAS that rejects INVITEs (these endpoints
 * never accept a session): it takes one final response 300-699; a 2xx, which would belong to the TU and its
 * dialog (13.3.1.4), is refused. Completed: on UDP Timer G retransmits the
 * response at T1, 2T1... capped at T2, and a retransmitted INVITE gets it again, until the ACK arrives or
 * Timer H (64*T1) gives up. Confirmed: further ACKs are absorbed for Timer I (T4 on UDP, 0 on TCP). The ACK
 * never goes to the TU.
 */
import type { SipMessage } from '../message';
import { TimerSlot } from './timer-slot';
import type { TransactionContext } from './timers';

export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'terminated';

export interface InviteServerEvents {
  /** Timer H: the ACK never came */
  timeout?(): void;
  terminated?(): void;
}

export class InviteServerTransaction {
  private current: InviteServerState = 'proceeding';
  private last: SipMessage | undefined;
  private interval: number;
  private readonly g: TimerSlot;
  private readonly h: TimerSlot;
  private readonly i: TimerSlot;

  constructor(
    readonly request: SipMessage,
    private readonly ctx: TransactionContext,
    private readonly events: InviteServerEvents = {},
  ) {
    this.interval = ctx.timers.t1;
    this.g = new TimerSlot(ctx.clock);
    this.h = new TimerSlot(ctx.clock);
    this.i = new TimerSlot(ctx.clock);
  }

  get state(): InviteServerState {
    return this.current;
  }

  get lastResponse(): SipMessage | undefined {
    return this.last;
  }

  /** Sends a provisional or a 300-699 final response; false when past Proceeding. */
  respond(response: SipMessage): boolean {
    const status = response.status ?? 0;
    if (status >= 200 && status < 300)
      throw new RangeError(
        'this transaction rejects INVITEs: a 2xx is answered by a TU that keeps a session',
      );
    if (this.current !== 'proceeding') return false;
    this.last = response;
    this.transmit(response);
    if (status < 200) return true;
    this.current = 'completed';
    if (!this.ctx.reliable) this.g.set(this.interval, () => this.onTimerG());
    this.h.set(64 * this.ctx.timers.t1, () => {
      this.end();
      this.events.timeout?.();
    });
    return true;
  }

  private onTimerG(): void {
    if (this.last) this.transmit(this.last);
    this.interval = Math.min(2 * this.interval, this.ctx.timers.t2);
    this.g.set(this.interval, () => this.onTimerG());
  }

  private transmit(m: SipMessage): void {
    this.ctx.send(m).catch(() => this.end());
  }

  /** A retransmitted INVITE: the last response again. */
  receiveRequest(): void {
    if ((this.current === 'proceeding' || this.current === 'completed') && this.last)
      this.transmit(this.last);
  }

  /** The ACK of the final response (absorbed: never passed up). */
  receiveAck(): void {
    if (this.current !== 'completed') return;
    this.g.clear();
    this.h.clear();
    this.current = 'confirmed';
    if (this.ctx.reliable) this.end();
    else this.i.set(this.ctx.timers.t4, () => this.end());
  }

  end(): void {
    if (this.current === 'terminated') return;
    this.g.clear();
    this.h.clear();
    this.i.clear();
    this.current = 'terminated';
    this.events.terminated?.();
  }
}
