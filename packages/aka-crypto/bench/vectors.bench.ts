/**
 * Authentication vectors per second on one core (run pinned with taskset by `npm run bench`), against
 * libosmocore's Milenage in the same run when its headers are installed (Debian libosmocore-dev).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VectorFactory } from '../src/vector';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const h = (s: string) => Buffer.from(s, 'hex');
// TS 35.208 test set 1
const factory = VectorFactory.forKeys(
  h('465b5ce8b199b49faa5f0a2ee238a6bc'),
  h('cd63cb71954a9f4e48a5994e37a02baf'),
  h('b9b9'),
);

function measure(
  name: string,
  perCall: number,
  fn: (i: number) => void,
): { name: string; vectors_per_s: number } {
  for (let i = 0; i < 200_000 / perCall; i++) fn(i); // warm-up: let the JIT settle
  let n = 0;
  let calls = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < SECONDS) {
    for (let i = 0; i < 1000; i++) fn(calls++);
    n += 1000 * perCall;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return { name, vectors_per_s: Math.round(n / elapsed) };
}

function reference(): { name: string; vectors_per_s: number } | { name: string; unavailable: string } {
  const name = 'libosmocore osmo_auth_gen_vec (C, caller-supplied RAND)';
  const dir = mkdtempSync(join(tmpdir(), 'osmo-bench-'));
  try {
    const exe = join(dir, 'osmo-milenage-bench');
    try {
      execFileSync(
        'cc',
        ['-O2', join(__dirname, 'reference', 'osmo-milenage-bench.c'), '-o', exe, '-losmogsm', '-losmocore'],
        { stdio: 'pipe' },
      );
    } catch {
      return {
        name,
        unavailable:
          'cannot build it: install a C compiler and libosmocore-dev (apt-get install -y libosmocore-dev)',
      };
    }
    const out = JSON.parse(execFileSync(exe, [String(SECONDS)], { encoding: 'utf8' })) as {
      vectors_per_s: number;
    };
    return { name, vectors_per_s: Math.round(out.vectors_per_s) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rands = Buffer.alloc(16 * 1024);
for (let i = 0; i < rands.length; i++) rands[i] = (i * 131) & 0xff;
const sqnBatch = Array.from({ length: 32 }, (_, i) => (i + 1) * 32);

process.stderr.write(`measuring for ${SECONDS} s each...\n`);
const results = [
  measure('one vector per call, RAND from the CSPRNG', 1, (i) => factory.one(32 + (i % 1_000_000) * 32)),
  measure('one vector per call, caller-supplied RAND', 1, (i) =>
    factory.one(32 + (i % 1_000_000) * 32, rands.subarray((i & 1023) * 16, (i & 1023) * 16 + 16)),
  ),
  measure('batches of 32 (many), RAND from the CSPRNG', 32, () => factory.many(sqnBatch)),
  reference(),
];

const width = Math.max(...results.map((r) => r.name.length));
for (const r of results) {
  const v =
    'vectors_per_s' in r
      ? `${r.vectors_per_s.toLocaleString('en-US')} vectors/s`
      : `not measured: ${r.unavailable}`;
  process.stdout.write(`${r.name.padEnd(width)}  ${v}\n`);
}
process.stdout.write(JSON.stringify({ benchmark: 'aka-crypto vectors', seconds: SECONDS, results }) + '\n');
