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
      fn();
    }, ms);
  }

  clear(): void {
    if (this.armed) this.clock.clearTimeout(this.handle);
    this.armed = false;
  }

  get active(): boolean {
    return this.armed;
  }
}
