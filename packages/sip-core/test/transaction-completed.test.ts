/**
 * The table of completed non-INVITE server transactions (Timer J): each entry expires exactly Timer J after
 * it was added, in the order added, with one timer pending at a time however many entries there are; clear()
 * forgets them without telling anyone.
 */
import { ManualClock } from '../src/transaction/clock';
import { CompletedTransactions, type CompletedTransaction } from '../src/transaction/completed';

const again = () => Promise.resolve();

test('each entry expires Timer J after it was added, oldest first, on one pending timer', () => {
  const clock = new ManualClock();
  const gone: [string, number][] = [];
  const table = new CompletedTransactions(clock, 32_000, (c) => gone.push([c.key, clock.now()]));
  table.add(again, 'a', undefined);
  clock.advance(10);
  table.add(again, 'b', 'cancel-b');
  clock.advance(10);
  const c = table.add(again, 'c', undefined);
  expect([c.until, table.size, clock.pending]).toEqual([32_020, 3, 1]);

  clock.advance(31_979); // t = 31,999: nothing yet
  expect(gone).toEqual([]);
  clock.advance(1);
  expect(gone).toEqual([['a', 32_000]]);
  clock.advance(20);
  expect(gone).toEqual([
    ['a', 32_000],
    ['b', 32_010],
    ['c', 32_020],
  ]);
  expect([table.size, clock.pending]).toEqual([0, 0]);
});

test('entries added at the same instant expire together, in the order added, over a long run', () => {
  const clock = new ManualClock();
  const gone: CompletedTransaction[] = [];
  const table = new CompletedTransactions(clock, 100, (c) => gone.push(c));
  // 5,000 transactions at 50 per ms: a steady load across many expiries
  for (let i = 0; i < 5000; i++) {
    table.add(again, `k${i}`, undefined);
    if (i % 50 === 49) clock.advance(1);
  }
  expect(table.size).toBe(5000 - gone.length);
  clock.advance(100);
  expect(gone.map((c) => c.key)).toEqual(Array.from({ length: 5000 }, (_, i) => `k${i}`));
  expect(gone.every((c) => c.until === 100 + Math.floor(Number(c.key.slice(1)) / 50))).toBe(true);
  expect([table.size, clock.pending]).toEqual([0, 0]);
});

test('clear() forgets every entry and its timer without telling anyone', () => {
  const clock = new ManualClock();
  const gone: string[] = [];
  const table = new CompletedTransactions(clock, 100, (c) => gone.push(c.key));
  table.add(again, 'a', undefined);
  table.clear();
  expect([table.size, clock.pending]).toEqual([0, 0]);
  clock.advance(1000);
  expect(gone).toEqual([]);
  table.add(again, 'b', undefined);
  clock.advance(100);
  expect(gone).toEqual(['b']);
});
