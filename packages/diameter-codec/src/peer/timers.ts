/**
 * Time for the peer layer, injectable: the watchdog, request timeouts and reconnect backoff all take a
 * `Timers`, so tests drive them with {@link ManualTimers} instead of waiting.
 */

export interface TimerHandle {
  readonly id: number;
}

export interface Timers {
  /** milliseconds, monotonic within one Timers */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** The process clock and Node timers. Timers are unref'd: a pending watchdog never keeps a process alive. */
export function realTimers(): Timers {
  let next = 1;
  const live = new Map<number, NodeJS.Timeout>();
  return {
    now: () => performance.now(),
    setTimeout(fn, ms) {
      const id = next++;
      const t = setTimeout(() => {
        live.delete(id);
        fn();
      }, ms);
      t.unref();
      live.set(id, t);
      return { id };
    },
    clearTimeout(handle) {
      if (!handle) return;
      const t = live.get(handle.id);
      if (t) clearTimeout(t);
      live.delete(handle.id);
    },
  };
}

/** Timers that move only when told to: `advance(ms)` runs every timer that falls due, in order. */
export class ManualTimers implements Timers {
  private time = 0;
  private seq = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.seq++;
    this.pending.set(id, { at: this.time + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.pending.delete(handle.id);
  }

  /** How many timers are waiting. */
  get size(): number {
    return this.pending.size;
  }

  advance(ms: number): void {
    const until = this.time + ms;
    while (true) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.pending) {
        if (t.at <= until && (t.at < nextAt || (t.at === nextAt && id < nextId))) {
          nextId = id;
          nextAt = t.at;
        }
      }
      if (nextId < 0) break;
      const t = this.pending.get(nextId)!;
      this.pending.delete(nextId);
      this.time = t.at;
      t.fn();
    }
    this.time = until;
  }
}
