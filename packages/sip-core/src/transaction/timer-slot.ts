/** One named timer of a state machine on a Clock: set replaces, clear forgets. */
import type { Clock } from './clock';

export class TimerSlot {
  private handle: unknown;
  private armed = false;

  constructor(private readonly clock: Clock) {}

  set(ms: number, fn: () => void): void {
    this.clear();
    this.armed = true;
    this.handle = this.clock.setTimeout(() => {
      this.armed = false;
      this.handle = undefined;
      fn();
    }, ms);
  }

  clear(): void {
    if (this.armed) this.clock.clearTimeout(this.handle);
    this.armed = false;
    // a cleared timer (and what its callback holds) is not kept until the slot is set again or dropped
    this.handle = undefined;
  }

  get active(): boolean {
    return this.armed;
  }
}
