import type { TraceEvent, TraceSink } from './event';

/** Decides whether an event is the one a caller waits for. */
export type TraceEventPredicate = (event: TraceEvent) => boolean;

interface Waiter {
  predicate: TraceEventPredicate;
  resolve: (event: TraceEvent) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Default time {@link MemorySink.waitFor} waits before it rejects. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5000;

/**
 * Keeps every event in memory, in the order recorded. Each event is stored as a copy (endpoints and
 * bytes included), so a caller that reuses its buffer does not change what was recorded.
 */
export class MemorySink implements TraceSink {
  private readonly recorded: TraceEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  /** A copy of the recorded events, oldest first. */
  get events(): readonly TraceEvent[] {
    return [...this.recorded];
  }

  /** How many events are recorded. */
  get size(): number {
    return this.recorded.length;
  }

  record(event: TraceEvent): void {
    if (this.closed) throw new Error('MemorySink is closed');
    const copy: TraceEvent = {
      ts: event.ts,
      iface: event.iface,
      proto: event.proto,
      transport: event.transport,
      from: { ...event.from },
      to: { ...event.to },
      bytes: Buffer.from(event.bytes),
      summary: event.summary,
    };
    this.recorded.push(copy);
    for (const waiter of [...this.waiters]) {
      let matches: boolean;
      try {
        matches = waiter.predicate(copy);
      } catch (error) {
        this.settle(waiter);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (matches) {
        this.settle(waiter);
        waiter.resolve(copy);
      }
    }
  }

  /** Forgets the recorded events. Pending {@link waitFor} calls keep waiting. */
  clear(): void {
    this.recorded.length = 0;
  }

  /**
   * Resolves with the first recorded event that matches, at once if one is already recorded, otherwise
   * when one is recorded. Rejects after `timeoutMs`, when the predicate throws, or when the sink closes.
   */
  waitFor(predicate: TraceEventPredicate, timeoutMs: number = DEFAULT_WAIT_TIMEOUT_MS): Promise<TraceEvent> {
    let found: TraceEvent | undefined;
    try {
      found = this.recorded.find(predicate);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (found) return Promise.resolve(found);
    if (this.closed) return Promise.reject(new Error('MemorySink is closed: no matching event'));
    return new Promise<TraceEvent>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new Error(
              `no matching trace event within ${timeoutMs} ms (${this.recorded.length} events recorded)`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Stops recording; the recorded events stay readable. Pending {@link waitFor} calls reject. */
  close(): Promise<void> {
    this.closed = true;
    for (const waiter of [...this.waiters]) {
      this.settle(waiter);
      waiter.reject(new Error('MemorySink is closed: no matching event'));
    }
    return Promise.resolve();
  }

  private settle(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
  }
}
