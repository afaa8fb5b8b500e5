/**
 * Wall time of `testbed replay section3` in-process and warm: the testbed of its own started on free ports,
 * the scenario run, the ladder built, everything stopped, once to warm up and then BENCH_RUNS times
 * (default 10); the median, the fastest and the slowest. Also section2 the same way.
 */
import { parseConfig } from '@ut-testbed/config';
import pino from 'pino';
import { replay } from '../src/replay';
import { findScenario } from '../src/scenarios';

async function main(): Promise<void> {
  const runs = Number(process.env.BENCH_RUNS ?? 10);
  const logger = pino({ level: 'silent' });
  const out: Record<string, { median: number; min: number; max: number; runs: number }> = {};
  for (const name of ['section3', 'section2']) {
    const s = findScenario(name)!;
    const config = parseConfig({});
    await replay(s, { config, logger });
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await replay(s, { config, logger });
      if (!r.ok) throw new Error(`${name}: ${r.failure}`);
      ms.push(r.ms);
    }
    ms.sort((a, b) => a - b);
    out[name] = {
      median: Math.round(ms[Math.floor(ms.length / 2)]!),
      min: Math.round(ms[0]!),
      max: Math.round(ms[ms.length - 1]!),
      runs,
    };
    process.stderr.write(
      `${name}: median ${out[name].median} ms (min ${out[name].min}, max ${out[name].max}, ${runs} runs)\n`,
    );
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

void main();
