/**
 * When the UA refreshes soft state it was granted (a publication, RFC 3903 section 4.2; a subscription,
 * RFC 6665 section 4.1.2.2). Neither RFC says how early; the UA refreshes when 64*T1 (Timer F, 32 s with
 * the defaults) is left, so that a refresh whose transaction takes all of Timer F to fail still ends before
 * the state does, or halfway through the interval when that is shorter.
 */
import type { Clock } from '@ut-testbed/sip-core';

export function refreshDelayMs(expiresSeconds: number, t1Ms: number): number {
  const ms = expiresSeconds * 1000;
  return Math.max(0, ms - Math.min(ms / 2, 64 * t1Ms));
}

/** One pending refresh on the injectable clock. */
export class RefreshTimer {
  private handle: unknown;

  constructor(private readonly clock: Clock) {}

  /** replaces any pending refresh */
  schedule(ms: number, fn: () => void): void {
    this.cancel();
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      fn();
    }, ms);
  }

  cancel(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  get pending(): boolean {
    return this.handle !== undefined;
  }
}
