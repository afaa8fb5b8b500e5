import { exercise, mutate, rng, SEEDS } from './fuzz-cases';

const CASES = 40_000;

describe('fuzz: mutated, truncated and bit-flipped valid messages', () => {
  it(`${CASES} cases never throw, never hang, and always yield a message or an error`, () => {
    const next = rng(0x5eed1234);
    const seen = { message: 0, error: 0 };
    const kinds = new Map<string, number>();
    const t0 = Date.now();
    for (let i = 0; i < CASES; i++) {
      const { kind, bytes } = mutate(next, SEEDS[i % SEEDS.length]!);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      let outcome: 'message' | 'error';
      try {
        outcome = exercise(bytes);
      } catch (e) {
        throw new Error(`case ${i} (${kind}) threw on ${bytes.toString('hex')}: ${String(e)}`, { cause: e });
      }
      seen[outcome]++;
    }
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(20_000);
    expect(seen.message + seen.error).toBe(CASES);
    // the mutations reach both outcomes and every mutation kind ran
    expect(seen.error).toBeGreaterThan(CASES / 4);
    expect(seen.message).toBeGreaterThan(100);
    expect([...kinds.keys()].sort()).toEqual([
      'avp-length',
      'bitflip',
      'byte',
      'msg-length',
      'splice',
      'truncate',
    ]);
  });
});
