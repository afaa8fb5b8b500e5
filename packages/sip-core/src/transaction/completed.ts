/**
 * Non-INVITE server transactions in the Completed state over an unreliable transport, for the 64*T1 of
 * Timer J (RFC 3261 17.2.2): all a retransmission of the request needs is the last response again, so this
 * keeps only that (a send-again function holding the response's bytes and destination) under the
 * transaction's matching keys, in place of the transaction object with its timers and closures. Timer J is
 * the same for every entry of an endpoint, so entries expire in the order they were added: one timer, armed
 * for the oldest, serves them all.
 */
import type { Clock } from './clock';

export interface CompletedTransaction {
  /** sends the final response again */
  readonly again: () => Promise<void>;
  /** the server transaction key (17.2.3) */
  readonly key: string;
  /** the key a CANCEL matches it by (9.2), if it has one */
  readonly cancelKey: string | undefined;
  /** when Timer J fires, on the clock's time line */
  readonly until: number;
}

export class CompletedTransactions {
  /** oldest first; `head` is the index of the oldest live entry (the array is compacted now and then) */
  private queue: CompletedTransaction[] = [];
  private head = 0;
  private timer: unknown;
  private armed = false;

  constructor(
    private readonly clock: Clock,
    /** Timer J */
    private readonly holdMs: number,
    /** an entry's Timer J fired: the caller forgets its keys */
    private readonly expired: (c: CompletedTransaction) => void,
  ) {}

  add(again: () => Promise<void>, key: string, cancelKey: string | undefined): CompletedTransaction {
    const c: CompletedTransaction = { again, key, cancelKey, until: this.clock.now() + this.holdMs };
    this.queue.push(c);
    if (!this.armed) this.arm();
    return c;
  }

  get size(): number {
    return this.queue.length - this.head;
  }

  /** Forgets every entry without telling `expired` (the endpoint closes). */
  clear(): void {
    if (this.armed) this.clock.clearTimeout(this.timer);
    this.armed = false;
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
  }

  private arm(): void {
    const oldest = this.queue[this.head];
    if (!oldest) return;
    this.armed = true;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, oldest.until - this.clock.now()));
  }

  private fire(): void {
    this.armed = false;
    this.timer = undefined;
    const now = this.clock.now();
    while (this.head < this.queue.length && this.queue[this.head]!.until <= now) {
      const c = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as CompletedTransaction;
      this.expired(c);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.arm();
  }
}
