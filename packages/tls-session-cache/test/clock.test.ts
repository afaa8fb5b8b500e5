import { ManualClock, systemClock } from '../src';

describe('ManualClock', () => {
  it('fires due timers in order of due time, then of creation, with now() at each due time', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 31);
    clock.advance(30);
    expect(fired).toEqual(['a@1010', 'b@1020', 'c@1020']);
    expect(clock.now()).toBe(1030);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(1);
    expect(fired).toEqual(['a@1010', 'b@1020', 'c@1020', 'late@1031']);
  });

  it('fires timers scheduled by a firing timer within the same advance, and not cleared ones', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const cleared = clock.setTimeout(() => fired.push(-1), 5);
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 3);
      clock.setTimeout(() => fired.push(clock.now()), 100);
    }, 2);
    clock.clearTimeout(cleared);
    clock.advance(10);
    expect(fired).toEqual([2, 5]);
    expect(clock.now()).toBe(10);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('tells wall-clock time and arms unref-ed timers that fire and can be cleared', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    const handle = systemClock.setTimeout(() => undefined, 60_000) as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    systemClock.clearTimeout(handle);
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 1));
  });
});
