/**
 * The non-INVITE client transaction (RFC 3261 17.1.2, figure 6). Trying: the request is sent, Timer F
 * (64*T1) set, and on UDP Timer E retransmits at T1, 2T1, 4T1... capped at T2. A 1xx moves to Proceeding,
 * where Timer E, at its next firing, retransmits every T2. A final response is passed up and moves to
 * Completed, which absorbs retransmitted responses for Timer K (T4 on UDP, 0 on TCP). Timer F in Trying or
 * Proceeding ends the transaction with a timeout for the owner (who reports a 408; none is sent).
 */
import type { SipMessage } from '../message';
import { TimerSlot } from './timer-slot';
import type { TransactionContext } from './timers';

export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export interface NonInviteClientEvents {
  provisional?(response: SipMessage): void;
  final(response: SipMessage): void;
  /** Timer F: no final response within 64*T1 */
  timeout(): void;
  transportError(error: unknown): void;
  terminated?(): void;
}

export class NonInviteClientTransaction {
  private current: NonInviteClientState = 'trying';
  private interval: number;
  private readonly e: TimerSlot;
  private readonly f: TimerSlot;
  private readonly k: TimerSlot;

  constructor(
    readonly request: SipMessage,
    private readonly ctx: TransactionContext,
    private readonly events: NonInviteClientEvents,
  ) {
    this.interval = ctx.timers.t1;
    this.e = new TimerSlot(ctx.clock);
    this.f = new TimerSlot(ctx.clock);
    this.k = new TimerSlot(ctx.clock);
  }

  get state(): NonInviteClientState {
    return this.current;
  }

  /** Sends the request and starts Timers F and (UDP) E. */
  start(): void {
    const t = this.ctx.timers;
    this.f.set(64 * t.t1, () => this.onTimerF());
    if (!this.ctx.reliable) this.e.set(this.interval, () => this.onTimerE());
    this.transmit();
  }

  private transmit(): void {
    this.ctx.send(this.request).catch((error: unknown) => {
      if (this.current === 'trying' || this.current === 'proceeding') {
        this.end();
        this.events.transportError(error);
      }
    });
  }

  private onTimerE(): void {
    this.transmit();
    const t2 = this.ctx.timers.t2;
    this.interval = this.current === 'trying' ? Math.min(2 * this.interval, t2) : t2;
    this.e.set(this.interval, () => this.onTimerE());
  }

  private onTimerF(): void {
    this.end();
    this.events.timeout();
  }

  /** A response matched to this transaction (17.1.3). */
  receive(response: SipMessage): void {
    const status = response.status ?? 0;
    if (this.current !== 'trying' && this.current !== 'proceeding') return; // Completed absorbs them
    if (status < 200) {
      this.current = 'proceeding';
      this.events.provisional?.(response);
      return;
    }
    this.e.clear();
    this.f.clear();
    this.current = 'completed';
    this.events.final(response);
    if (this.ctx.reliable) this.end();
    else this.k.set(this.ctx.timers.t4, () => this.end());
  }

  /** Ends at once (Timer K, F, a transport error, or the owner closing). */
  end(): void {
    if (this.current === 'terminated') return;
    this.e.clear();
    this.f.clear();
    this.k.clear();
    this.current = 'terminated';
    this.events.terminated?.();
  }
}
