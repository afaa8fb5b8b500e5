/**
 * Values pushed by events and awaited one by one: `next()` resolves with the oldest value not taken yet, or
 * with the next one pushed. What tests use to wait for a NOTIFY, a request or a trace event instead of
 * sleeping.
 */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private readonly waiting: ((v: T) => void)[] = [];

  push(v: T): void {
    const w = this.waiting.shift();
    if (w) w(v);
    else this.items.push(v);
  }

  next(): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** values pushed and not taken yet */
  get size(): number {
    return this.items.length;
  }
}
