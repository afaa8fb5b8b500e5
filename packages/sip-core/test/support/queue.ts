/** Values pushed by events, awaited one by one. */
export class Queue<T> {
  private items: T[] = [];
  private waiting: ((v: T) => void)[] = [];
  push(v: T): void {
    const w = this.waiting.shift();
    if (w) w(v);
    else this.items.push(v);
  }
  next(): Promise<T> {
    const v = this.items.shift();
    if (v !== undefined) return Promise.resolve(v);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  get size(): number {
    return this.items.length;
  }
}
