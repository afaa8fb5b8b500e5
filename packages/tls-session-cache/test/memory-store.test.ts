import { ManualClock, MemorySessionStore } from '../src';

const id = (n: number) => Buffer.alloc(32, n);
const data = (n: number) => Buffer.from(`session-${n}`);

describe('MemorySessionStore sessions', () => {
  it('is bounded by maxSessions, dropping the least recently used entry, and counts evictions', async () => {
    const store = new MemorySessionStore({ maxSessions: 3 });
    for (const n of [1, 2, 3]) await store.setSession(id(n), data(n), 60);
    expect(await store.getSession(id(1))).toEqual(data(1));
    await store.setSession(id(4), data(4), 60);
    expect(store.evictions).toBe(1);
    expect(await store.getSession(id(2))).toBeUndefined();
    for (const n of [1, 3, 4]) expect(await store.getSession(id(n))).toEqual(data(n));
    expect(store.size).toBe(3);
    // Replacing an existing id does not evict anything.
    await store.setSession(id(4), data(40), 60);
    expect(await store.getSession(id(4))).toEqual(data(40));
    expect(store.evictions).toBe(1);
  });

  it('defaults to 20480 sessions', async () => {
    const store = new MemorySessionStore();
    for (let n = 0; n < 20481; n++) {
      const key = Buffer.alloc(4);
      key.writeUInt32BE(n);
      await store.setSession(key, data(n), 60);
    }
    expect(store.size).toBe(20480);
    expect(store.evictions).toBe(1);
  });

  it('expires sessions by the clock; expired entries are misses, not evictions', async () => {
    const clock = new ManualClock(5_000_000);
    const store = new MemorySessionStore({ clock, maxSessions: 2 });
    await store.setSession(id(1), data(1), 10);
    clock.advance(9_999);
    expect(await store.getSession(id(1))).toEqual(data(1));
    clock.advance(1);
    expect(await store.getSession(id(1))).toBeUndefined();
    expect(store.size).toBe(0);
    // An expired entry pushed out by the bound is not counted as an eviction either.
    await store.setSession(id(2), data(2), 1);
    await store.setSession(id(3), data(3), 60);
    clock.advance(1000);
    await store.setSession(id(4), data(4), 60);
    expect(store.evictions).toBe(0);
    expect(await store.getSession(id(3))).toEqual(data(3));
  });

  it('keeps its own copy of the bytes', async () => {
    const store = new MemorySessionStore();
    const value = data(7);
    await store.setSession(id(7), value, 60);
    value.fill(0);
    const got = (await store.getSession(id(7))) as Buffer;
    expect(got).toEqual(data(7));
    got.fill(0);
    expect(await store.getSession(id(7))).toEqual(data(7));
  });

  it('rejects bad arguments', async () => {
    expect(() => new MemorySessionStore({ maxSessions: 0 })).toThrow(RangeError);
    await expect(new MemorySessionStore().setSession(id(1), data(1), 0)).rejects.toThrow(RangeError);
  });
});

describe('MemorySessionStore ticket keys', () => {
  it('gives 48 random bytes per epoch, the same bytes for the same epoch, until their TTL', async () => {
    const clock = new ManualClock(0);
    const store = new MemorySessionStore({ clock });
    const k1 = await store.ticketKeys(1, 100);
    expect(k1).toHaveLength(48);
    expect((await store.ticketKeys(1, 100)).equals(k1)).toBe(true);
    const k2 = await store.ticketKeys(2, 100);
    expect(k2).toHaveLength(48);
    expect(k2.equals(k1)).toBe(false);
    (await store.ticketKeys(1, 100)).fill(0);
    clock.advance(99_999);
    expect((await store.ticketKeys(1, 100)).equals(k1)).toBe(true);
    clock.advance(1);
    const renewed = await store.ticketKeys(1, 100);
    expect(renewed).toHaveLength(48);
    expect(renewed.equals(k1)).toBe(false);
  });
});
