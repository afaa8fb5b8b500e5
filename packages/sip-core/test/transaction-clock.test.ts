/** ManualClock: timers fire in time order when the clock is advanced, each seeing its own due time. */
import { ManualClock, systemClock } from '../src/transaction/clock';

describe('ManualClock', () => {
  test('advance fires due timers in time order, ties in the order they were set', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 301);
    clock.advance(300);
    expect(fired).toEqual(['a@100', 'b@200', 'c@200']);
    expect(clock.now()).toBe(300);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    expect(fired).toEqual(['a@100', 'b@200', 'c@200', 'late@301']);
  });

  test('timers set by fired timers fire within the same advance when due', () => {
    const clock = new ManualClock(1000);
    const at: number[] = [];
    const again = (ms: number) => {
      clock.setTimeout(() => {
        at.push(clock.now());
        if (ms < 800) again(ms * 2);
      }, ms);
    };
    again(100);
    clock.advance(1000);
    expect(at).toEqual([1100, 1300, 1700]);
    clock.advance(800);
    expect(at).toEqual([1100, 1300, 1700, 2500]);
    expect(clock.pending).toBe(0);
  });

  test('cleared timers do not fire; a zero or negative delay fires at the next advance', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const h = clock.setTimeout(() => fired.push('cleared'), 10);
    clock.setTimeout(() => fired.push('zero'), 0);
    clock.setTimeout(() => fired.push('negative'), -5);
    clock.clearTimeout(h);
    expect(fired).toEqual([]);
    clock.advance(0);
    expect(fired).toEqual(['zero', 'negative']);
    clock.advance(100);
    expect(fired).toEqual(['zero', 'negative']);
  });
});

describe('systemClock', () => {
  test('fires through Node timers and can be cleared', async () => {
    const start = systemClock.now();
    let cleared = false;
    const h = systemClock.setTimeout(() => (cleared = true), 1);
    systemClock.clearTimeout(h);
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
    expect(systemClock.now() - start).toBeGreaterThanOrEqual(4);
    expect(cleared).toBe(false);
  });
});
