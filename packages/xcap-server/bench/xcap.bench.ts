/**
 * Element GET/s and element PUT/s: xcap-server in its own process pinned to core 0 (taskset -c 0), SQLite
 * on disk (WAL, synchronous=FULL), schema validation on; this process on core 1 keeps N requests in flight
 * over keep-alive connections.
 */
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpuSeconds, startServiceProcess } from '@ut-testbed/service-kit';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 16);

const DOC = (n: number) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n  <list name="friends">\n' +
  Array.from(
    { length: n },
    (_, i) => `    <entry uri="sip:u${i}@home1.net"><display-name>User ${i}</display-name></entry>\n`,
  ).join('') +
  '  </list>\n</resource-lists>\n';

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'xcap-bench-'));
  const cfg = join(dir, 'c.yaml');
  writeFileSync(
    cfg,
    JSON.stringify({ xcap: { listen: { host: '127.0.0.1', port: 0 }, database: join(dir, 'x.db') } }),
  );
  const svc = await startServiceProcess(
    join(__dirname, '..', 'bin', 'xcap-server.js'),
    ['start', '--config', cfg],
    {
      core: 0,
      nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      stderr: 'inherit',
    },
  );
  const { proc, ready } = svc;
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const call = (method: string, path: string, body?: string, type?: string, user = 'alice') =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        `http://${ready.endpoints.http}${path}`,
        {
          method,
          agent,
          headers: {
            'X-3GPP-Asserted-Identity': `"sip:${user}@home1.net"`,
            ...(type ? { 'Content-Type': type } : {}),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const docOf = (user: string) => `/services/resource-lists/users/sip:${user}@home1.net/index`;
  const docPath = docOf('alice');
  const users = Array.from({ length: IN_FLIGHT }, (_, w) => `user${w}`);
  for (const user of ['alice', ...users]) {
    if ((await call('PUT', docOf(user), DOC(50), 'application/resource-lists+xml', user)) !== 201)
      throw new Error('setup PUT failed');
  }
  /** op(i, w): the i-th request, by the w-th of the IN_FLIGHT concurrent clients */
  const measure = async (name: string, op: (i: number, w: number) => Promise<number>, expect: number[]) => {
    // BENCH_ONLY=text runs only the measurements whose name contains it
    if (process.env.BENCH_ONLY && !name.includes(process.env.BENCH_ONLY)) return undefined;
    for (let i = 0; i < 200; i++) await op(i, i % IN_FLIGHT);
    let n = 0;
    const end = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    const cpu0 = cpuSeconds(proc.pid!);
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, w) => {
        while (performance.now() < end) {
          const s = await op(n, w);
          if (!expect.includes(s)) throw new Error(`${name}: status ${s}`);
          n++;
        }
      }),
    );
    const cpu = cpuSeconds(proc.pid!) - cpu0;
    return {
      name,
      per_s: Math.round(n / ((performance.now() - t0) / 1000)),
      // what one request cost the server, and how busy its core was
      cpu_us_per_request: Math.round((cpu / n) * 1e6),
      core_busy: Math.round((cpu / SECONDS) * 100) / 100,
    };
  };
  const results = [
    await measure(
      'element GET (entry of a 50-entry list)',
      (i) => call('GET', `${docPath}/~~/resource-lists/list/entry[${(i % 50) + 1}]`),
      [200],
    ),
    await measure(
      'element PUT, 16 users (replace an entry; validate; commit)'.replace('16', String(IN_FLIGHT)),
      (i, w) =>
        call(
          'PUT',
          `${docOf(users[w]!)}/~~/resource-lists/list/entry[${(i % 50) + 1}]`,
          `<entry uri="sip:u${i % 50}@home1.net"><display-name>U${i}</display-name></entry>`,
          'application/xcap-el+xml',
          users[w],
        ),
      [200],
    ),
    await measure(
      'element PUT, one document (changes serialised)',
      (i) =>
        call(
          'PUT',
          `${docPath}/~~/resource-lists/list/entry[${(i % 50) + 1}]`,
          `<entry uri="sip:u${i % 50}@home1.net"><display-name>U${i}</display-name></entry>`,
          'application/xcap-el+xml',
        ),
      [200],
    ),
  ];
  agent.destroy();
  await svc.stop();
  rmSync(dir, { recursive: true, force: true });
  const ran = results.filter((r) => r !== undefined);
  for (const r of ran) {
    process.stdout.write(
      `${r.name.padEnd(62)} ${r.per_s.toLocaleString('en-US').padStart(7)}/s  ` +
        `${r.cpu_us_per_request} µs CPU each, core ${Math.round(r.core_busy * 100)}% busy\n`,
    );
  }
  process.stdout.write(
    JSON.stringify({ benchmark: 'xcap-server', seconds: SECONDS, in_flight: IN_FLIGHT, results: ran }) + '\n',
  );
}

void main();
