/**
 * The transport failure detection of RFC 3539 section 3.4 (used by Diameter, RFC 6733 section 5.5):
 * states INITIAL, OKAY, SUSPECT, DOWN and REOPEN, the watchdog timer Tw with jitter, one outstanding
 * DWR at a time, and the three DWAs a reopened connection must answer before it carries traffic again.
 */
import type { TimerHandle, Timers } from './timers';

export type WatchdogState = 'INITIAL' | 'OKAY' | 'SUSPECT' | 'DOWN' | 'REOPEN';

export interface WatchdogOptions {
  /** Tw in ms. RFC 3539 asks for at least 6 s in service; tests use less. */
  tw: number;
  /** the timer is Tw +- jitter (RFC 3539: 2 s); default min(2000, tw / 4) */
  jitter?: number;
  /** DWAs a reopened connection must answer before it is OKAY (RFC 3539: 3) */
  reopenDwas?: number;
  timers: Timers;
  random?: () => number;
  /** send a DWR now */
  sendWatchdog: () => void;
  /** the connection is to be closed (SUSPECT timed out, or REOPEN failed) */
  closeConnection: () => void;
  /** the state changed; OKAY means the peer may carry application traffic */
  onState?: (state: WatchdogState, previous: WatchdogState) => void;
}

export class Watchdog {
  private stateValue: WatchdogState = 'INITIAL';
  private pending = false;
  private numDwa = 0;
  private timer: TimerHandle | undefined;
  private readonly jitter: number;
  private readonly reopenDwas: number;

  constructor(private readonly o: WatchdogOptions) {
    if (!(o.tw > 0)) throw new RangeError(`Tw must be positive, got ${o.tw}`);
    this.jitter = o.jitter ?? Math.min(2000, o.tw / 4);
    this.reopenDwas = o.reopenDwas ?? 3;
  }

  get state(): WatchdogState {
    return this.stateValue;
  }

  /**
   * The connection is up and capabilities are exchanged. The first connection is OKAY at once; a
   * connection re-established after a failure is REOPEN until it has answered enough DWAs.
   */
  connectionUp(reopened: boolean): void {
    if (reopened && this.reopenDwas > 0) {
      this.set('REOPEN');
      this.numDwa = 0;
      this.o.sendWatchdog();
      this.pending = true;
    } else {
      this.pending = false;
      this.set('OKAY');
    }
    this.arm();
  }

  /** Any message from the peer arrived (`isDwa` for a watchdog answer). */
  received(isDwa: boolean): void {
    if (isDwa) this.pending = false;
    switch (this.stateValue) {
      case 'OKAY':
        this.arm();
        break;
      case 'SUSPECT':
        this.set('OKAY');
        this.arm();
        break;
      case 'REOPEN':
        if (isDwa && ++this.numDwa >= this.reopenDwas) this.set('OKAY');
        break;
      default:
        break;
    }
  }

  /** Stops the timer for good (the connection is closed by someone else). */
  stop(): void {
    this.o.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stateValue !== 'DOWN') this.set('DOWN');
  }

  private elapsed(): void {
    this.timer = undefined;
    switch (this.stateValue) {
      case 'OKAY':
        if (!this.pending) {
          this.o.sendWatchdog();
          this.pending = true;
        } else {
          this.set('SUSPECT');
        }
        this.arm();
        break;
      case 'SUSPECT':
        this.set('DOWN');
        this.o.closeConnection();
        break;
      case 'REOPEN':
        if (!this.pending) {
          this.o.sendWatchdog();
          this.pending = true;
          this.arm();
        } else if (this.numDwa < 0) {
          this.set('DOWN');
          this.o.closeConnection();
        } else {
          this.numDwa = -1;
          this.arm();
        }
        break;
      default:
        break;
    }
  }

  private arm(): void {
    this.o.timers.clearTimeout(this.timer);
    const r = (this.o.random ?? Math.random)();
    const delay = Math.max(1, this.o.tw + (2 * r - 1) * this.jitter);
    this.timer = this.o.timers.setTimeout(() => this.elapsed(), delay);
  }

  private set(s: WatchdogState): void {
    const prev = this.stateValue;
    if (prev === s) return;
    this.stateValue = s;
    this.o.onState?.(s, prev);
  }
}
