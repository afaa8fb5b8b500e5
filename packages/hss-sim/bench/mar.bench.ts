/**
 * MAR/MAA per second over loopback: hss-sim runs as its own process pinned to one core (taskset -c 0),
 * with its SQLite database on disk (WAL, synchronous=FULL); this process, on the other core, keeps N
 * MARs in flight on one Diameter connection and measures throughput and latency (p50/p99).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPLICATION_CX, buildCxMar, DiameterClient, VENDOR_3GPP } from '@ut-testbed/diameter-codec';
import { cpuSeconds, startServiceProcess } from '@ut-testbed/service-kit';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const DEPTHS = (process.env.BENCH_DEPTHS ?? '1,16,64,256').split(',').map(Number);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'hss-bench-'));
  const cfg = join(dir, 'testbed.yaml');
  writeFileSync(
    cfg,
    JSON.stringify({ hss: { listen: { host: '127.0.0.1', port: 0 }, database: join(dir, 'hss.db') } }),
  );
  const svc = await startServiceProcess(
    join(__dirname, '..', 'bin', 'hss-sim.js'),
    ['start', '--config', cfg],
    {
      core: 0,
      nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stderr: 'inherit',
    },
  );
  const { proc, ready } = svc;
  const [host, port] = ready.endpoints.diameter!.split(':');
  const client = new DiameterClient({
    host: host!,
    port: Number(port),
    local: {
      originHost: 'bench.home1.net',
      originRealm: 'home1.net',
      applications: [{ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_CX }],
    },
    maxInFlight: 4096,
    requestTimeout: 30_000,
  });
  await client.start();
  let n = 0;
  const mar = () =>
    buildCxMar({
      sessionId: `bench.home1.net;1;${++n}`,
      originHost: 'bench.home1.net',
      originRealm: 'home1.net',
      destinationRealm: 'home1.net',
      userName: 'user1_private@home1.net',
      publicIdentity: 'sip:user1_public1@home1.net',
      serverName: 'sip:bench.home1.net',
    });
  // warm-up
  await Promise.all(Array.from({ length: 2000 }, () => client.request(mar())));

  const results = [];
  process.stderr.write(`measuring ${SECONDS} s per depth...\n`);
  for (const depth of DEPTHS) {
    const lat: number[] = [];
    let done = 0;
    const end = performance.now() + SECONDS * 1000;
    const cpu0 = cpuSeconds(proc.pid!);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: depth }, async () => {
        while (performance.now() < end) {
          const s = performance.now();
          await client.request(mar());
          lat.push(performance.now() - s);
          done++;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(proc.pid!) - cpu0;
    lat.sort((a, b) => a - b);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
    results.push({
      in_flight: depth,
      mar_per_s: Math.round(done / elapsed),
      p50_ms: +q(0.5).toFixed(3),
      p99_ms: +q(0.99).toFixed(3),
      hss_cpu_percent: Math.round((100 * cpu) / elapsed),
    });
  }
  await client.close();
  await svc.stop();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write('in flight  MAR/s     p50 ms   p99 ms   hss CPU\n');
  for (const r of results) {
    process.stdout.write(
      `${String(r.in_flight).padEnd(10)} ${String(r.mar_per_s).padEnd(9)} ${String(r.p50_ms).padEnd(8)} ${String(r.p99_ms).padEnd(8)} ${r.hss_cpu_percent}%\n`,
    );
  }
  process.stdout.write(
    JSON.stringify({ benchmark: 'hss-sim MAR/MAA over loopback', seconds: SECONDS, results }) + '\n',
  );
}

void main();
