/** Time as the cache and the memory store see it: wall-clock milliseconds and one-shot timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

/**
 * `Date.now()` and Node timers. Epochs are computed from wall-clock time because instances on
 * different hosts must agree on them; a monotonic clock would not be comparable across hosts.
 * Timers are unref'd: a rotation timer alone must not keep a process alive.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn: () => void, ms: number): unknown {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(h: unknown): void {
    clearTimeout(h as NodeJS.Timeout);
  },
};

interface ManualTimer {
  due: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told to, for rotation and TTL tests that must not wait. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Set<ManualTimer>();

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer: ManualTimer = { due: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(h: unknown): void {
    this.timers.delete(h as ManualTimer);
  }

  /** Timers that have not fired yet. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order of due time (then of creation). While a
   * timer runs, `now()` is its due time; timers it schedules within the window fire in the same call.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('ManualClock.advance: ms must be >= 0');
    const target = this.current + ms;
    while (true) {
      let next: ManualTimer | undefined;
      for (const t of this.timers) {
        if (
          t.due <= target &&
          (next === undefined || t.due < next.due || (t.due === next.due && t.seq < next.seq))
        )
          next = t;
      }
      if (next === undefined) break;
      this.timers.delete(next);
      this.current = Math.max(this.current, next.due);
      next.fn();
    }
    this.current = target;
  }
}
