/**
 * Longer fuzz run than the test: `tsx bench/fuzz.ts [cases] [seed]` (default 1,000,000 cases). Prints the
 * failing case (seed, index, hex) and exits 1 if the decoder throws; otherwise one JSON line of counts.
 */
import { exercise, mutate, rng, SEEDS } from '../test/fuzz-cases';

const cases = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() & 0xffffffff);
const next = rng(seed);
const counts = { message: 0, error: 0 };
const t0 = process.hrtime.bigint();
for (let i = 0; i < cases; i++) {
  const { kind, bytes } = mutate(next, SEEDS[i % SEEDS.length]!);
  try {
    counts[exercise(bytes)]++;
  } catch (e) {
    process.stderr.write(`seed ${seed} case ${i} (${kind}) threw: ${String(e)}\n${bytes.toString('hex')}\n`);
    process.exit(1);
  }
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ fuzz: 'diameter-codec', seed, cases, ...counts, seconds }) + '\n');
