/**
 * The AP benchmark, in one run (bench/README.md says what each figure means):
 *
 * 1-3. TLS handshakes per second with `openssl s_time`, full (-new) and resumed (-reuse), TLS 1.3 and 1.2,
 *      against the AP, a bare node:https server with the AP's TLS settings and no AP code (Node's floor),
 *      and nginx terminating TLS with the same certificate and key; the ratios AP/nginx, AP/bare and
 *      bare/nginx, and the server CPU per handshake.
 * 4.   Authenticated XCAP element GETs per second through the AP (Digest AKA once per connection, then the
 *      connection binding; and with credentials on every request), next to the same GETs straight to the
 *      XCAP server over plain HTTP and a static file of the same size from nginx over TLS.
 * 5.   One AP for three application servers versus three TLS servers of their own: handshakes, Digest
 *      challenges, client CPU and wall time per round of a phone visiting all three.
 *
 * Placement (2 cores): the server under test alone on core 0 (taskset -c 0): the AP instances, nginx, and
 * the XCAP server for its direct measurement. Core 1: this process (the load generator), s_time, the HSS
 * simulator and the XCAP servers behind the AP. CPU per request or handshake is read from /proc/<pid>/stat.
 *
 * Env: BENCH_SECONDS (5): 1 s slices per measurement and peer; BENCH_IN_FLIGHT (16): concurrent
 * connections for the GETs; BENCH_ROUNDS (200) and BENCH_COLD_ROUNDS (20): the rounds of part 5;
 * BENCH_AP_NODE_ARGS: node options for the AP processes (e.g. --cpu-prof); BENCH_NGINX, BENCH_OPENSSL:
 * the binaries. bench/profile-handshakes.ts tells where the AP's CPU per handshake goes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { DEFAULT_SUBSCRIBERS } from '@ut-testbed/config';
import { Http1Connection } from './http1';
import { nginxVersion, startNginx } from './nginx';
import { Phone, type DigestState } from './phone';
import { pin, Processes, type Service } from './procs';
import { negotiated, opensslVersion, stime } from './stime';
import { apMetrics, makeCertificate, startAp, startBareHttps, startHss, startXcap } from './testbed';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const COLD_ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 20);
const REPRODUCE = `cd packages/ap && BENCH_SECONDS=${SECONDS} npx tsx bench/ap.bench.ts`;

const USER = DEFAULT_SUBSCRIBERS[0]!;
const IMPU = USER.impus[0]!;
const SERVERS = [1, 2, 3] as const;
const docPath = (as: number) => `/as${as}/services/resource-lists/users/${IMPU}/index`;
const elementPath = (as: number, i: number) => `${docPath(as)}/~~/resource-lists/list/entry[${(i % 50) + 1}]`;
const DOC =
  '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n  <list name="friends">\n' +
  Array.from(
    { length: 50 },
    (_, i) => `    <entry uri="sip:u${i}@home1.net"><display-name>User ${i}</display-name></entry>\n`,
  ).join('') +
  '  </list>\n</resource-lists>\n';

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/* ------------------------------------------------------------------------------------------------ */
/* 1-3: handshakes                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

type Peer = 'AP' | 'bare' | 'nginx';

interface HandshakeRow {
  peer: Peer;
  tls: '1.3' | '1.2';
  kind: 'full' | 'resumed';
  per_s: number;
  connections: number;
  /** connections s_time itself reported as resumed */
  reused: number;
  server_cpu_us_per_handshake: number;
  server_core_busy: number;
  /** the AP's own counters (ap_tls_handshakes_total) over the run */
  ap_counted?: { full: number; resumed: number };
  command: string;
}

/**
 * The machine's speed drifts by tens of percent from one second to the next (a 2-vCPU VM), so the AP and
 * nginx are measured in alternating slices of `s_time -time 1` (which runs 1 to 2 s: it compares whole
 * seconds of time(2)), SECONDS slices each, and the slices of a peer are added up.
 */
async function handshakes(peers: { peer: Peer; port: number; svc: Service; ap?: Service }[]) {
  // JIT and allocator warm-up of each server's handshake path; not counted
  for (const p of peers) await stime(p.port, { version: '1.3', reuse: false, seconds: 1 });
  const rows: HandshakeRow[] = [];
  for (const tls of ['1.3', '1.2'] as const) {
    for (const kind of ['full', 'resumed'] as const) {
      const sum = peers.map(() => ({
        connections: 0,
        reused: 0,
        wall: 0,
        cpu: 0,
        full: 0,
        resumed: 0,
        command: '',
      }));
      for (let slice = 0; slice < SECONDS; slice++) {
        for (const [i, p] of peers.entries()) {
          const before = p.ap ? await apMetrics(p.ap) : undefined;
          const cpu0 = p.svc.cpu();
          const r = await stime(p.port, { version: tls, reuse: kind === 'resumed', seconds: 1 });
          const cpu = p.svc.cpu() - cpu0;
          const t = sum[i]!;
          t.connections += r.connections;
          t.reused += r.reused;
          t.wall += r.wallSeconds;
          t.cpu += cpu;
          t.command = r.command;
          if (p.ap && before) {
            const after = await apMetrics(p.ap);
            const hs = (m: typeof before, k: string) => m('ap_tls_handshakes_total', `kind="${k}"`);
            t.full += hs(after, 'full') - hs(before, 'full');
            t.resumed += hs(after, 'resumed') - hs(before, 'resumed');
          }
        }
      }
      for (const [i, p] of peers.entries()) {
        const t = sum[i]!;
        rows.push({
          peer: p.peer,
          tls,
          kind,
          per_s: round(t.connections / t.wall),
          connections: t.connections,
          reused: t.reused,
          server_cpu_us_per_handshake: round((t.cpu / t.connections) * 1e6),
          server_core_busy: round(t.cpu / t.wall, 2),
          ...(p.ap ? { ap_counted: { full: t.full, resumed: t.resumed } } : {}),
          command: t.command,
        });
      }
    }
  }
  return rows;
}

/* ------------------------------------------------------------------------------------------------ */
/* 4: authenticated GETs                                                                             */
/* ------------------------------------------------------------------------------------------------ */

interface LoadRow {
  name: string;
  per_s: number;
  requests: number;
  /** per process watched: CPU µs per request and the share of its core it used */
  servers: { name: string; cpu_us_per_request: number; core_busy: number }[];
  client_cpu_us_per_request: number;
}

interface Load {
  name: string;
  conns: Http1Connection[];
  /** op(conn, i, w): the i-th request, on the w-th connection; resolves with the status */
  op: (c: Http1Connection, i: number, w: number) => Promise<number>;
  /** the processes whose CPU is reported */
  watch: Service[];
  /** around each slice (the XCAP server moves to core 0 for its direct measurement) */
  before?: () => void;
  after?: () => void;
}

/**
 * The loads in alternating 1 s slices, SECONDS slices each after a 1 s warm-up each, for the same reason as
 * the handshakes: the machine's speed drifts, and alternating spreads the drift over all of them alike.
 */
async function interleaved(loads: Load[]): Promise<LoadRow[]> {
  const totals = loads.map((l) => ({ n: 0, wall: 0, client: 0, cpu: l.watch.map(() => 0) }));
  const slice = async (l: Load, i: number, count: boolean) => {
    l.before?.();
    try {
      let n = 0;
      const cpu0 = l.watch.map((s) => s.cpu());
      const client0 = process.cpuUsage();
      const t0 = performance.now();
      const end = t0 + 1000;
      await Promise.all(
        l.conns.map(async (c, w) => {
          while (performance.now() < end) {
            const status = await l.op(c, n, w);
            if (status !== 200) throw new Error(`${l.name}: status ${status}`);
            n++;
          }
        }),
      );
      if (!count) return;
      const t = totals[i]!;
      t.wall += (performance.now() - t0) / 1000;
      const client = process.cpuUsage(client0);
      t.client += client.user + client.system;
      t.n += n;
      l.watch.forEach((s, j) => (t.cpu[j]! += s.cpu() - cpu0[j]!));
    } finally {
      l.after?.();
    }
  };
  for (const [i, l] of loads.entries()) await slice(l, i, false);
  for (let k = 0; k < SECONDS; k++) for (const [i, l] of loads.entries()) await slice(l, i, true);
  return loads.map((l, i) => {
    const t = totals[i]!;
    return {
      name: l.name,
      per_s: round(t.n / t.wall),
      requests: t.n,
      servers: l.watch.map((s, j) => ({
        name: s.name,
        cpu_us_per_request: round((t.cpu[j]! / t.n) * 1e6),
        core_busy: round(t.cpu[j]! / t.wall, 2),
      })),
      client_cpu_us_per_request: round(t.client / t.n),
    };
  });
}

async function gets(o: {
  ap: Service;
  nginx: Service;
  xcap1: Service;
  tlsClient: ConnectionOptions;
  phone: Phone;
}): Promise<LoadRow[]> {
  const open = (f: () => Promise<Http1Connection>) => Promise.all(Array.from({ length: IN_FLIGHT }, f));

  // Through the AP: every connection authenticates once (401, AKA, answer), as a phone does; then the
  // AP's binding of the user to the TLS connection lets the GETs through without credentials.
  const apConns = await open(() => Http1Connection.tls(o.ap.ready.endpoints.https!, o.tlsClient));
  const digests: DigestState[] = [];
  for (const c of apConns) {
    const d = o.phone.digest();
    const r = await d.request(c, 'GET', elementPath(1, 0));
    if (r.status !== 200) throw new Error(`authentication through the AP: ${r.status}`);
    digests.push(d);
  }
  const challenges = digests.reduce((s, d) => s + d.challenges, 0);
  // nginx: a static file with the bytes of an element answer, over TLS on keep-alive connections
  const ngConns = await open(() => Http1Connection.tls(o.nginx.ready.endpoints.https!, o.tlsClient));
  // straight to the XCAP server, with the identity the AP would assert
  const xConns = await open(() => Http1Connection.plain(o.xcap1.ready.endpoints.http!));
  const asserted = { 'X-3GPP-Asserted-Identity': `"${IMPU}"` };
  const rows = await interleaved([
    {
      name: 'through the AP, AKA once per connection',
      conns: apConns,
      op: async (c, i) => (await c.request('GET', elementPath(1, i))).status,
      watch: [o.ap, o.xcap1],
    },
    {
      // with credentials on every request (same nonce, next count): the AP checks the digest and the count
      // each time. A 401 here would be a count the AP refused (answered with a new run of AKA): counted below.
      name: 'through the AP, Digest credentials on every request',
      conns: apConns,
      op: async (c, i, w) =>
        (await digests[w]!.request(c, 'GET', elementPath(1, i), { withCredentials: true })).status,
      watch: [o.ap, o.xcap1],
    },
    {
      name: 'nginx, static file of the same size, TLS',
      conns: ngConns,
      op: async (c) => (await c.request('GET', '/element.xml')).status,
      watch: [o.nginx],
    },
    {
      // the XCAP server gets core 0 (the AP is idle meanwhile) and goes back to core 1 after
      name: 'straight to the XCAP server, plain HTTP',
      conns: xConns,
      op: async (c, i) => (await c.request('GET', elementPath(1, i), asserted)).status,
      watch: [o.xcap1],
      before: () => pin(o.xcap1.pid, 0),
      after: () => pin(o.xcap1.pid, 1),
    },
  ]);
  const extra = digests.reduce((s, d) => s + d.challenges, 0) - challenges;
  if (extra > 0) process.stderr.write(`warning: ${extra} requests with credentials were challenged again\n`);
  for (const c of [...apConns, ...ngConns, ...xConns]) c.end();
  return rows;
}

/* ------------------------------------------------------------------------------------------------ */
/* 5: one AP for three servers, or three TLS servers                                                  */
/* ------------------------------------------------------------------------------------------------ */

interface RoundFigures {
  full: number;
  resumed: number;
  /** 401 answers the phone got, and the MARs the APs sent to the HSS for them */
  challenges: number;
  mars: number;
  /** client side: connections, and those TLS reports as resumed */
  connections: number;
  client_resumed: number;
  wall_ms: number;
  client_cpu_ms: number;
  server_cpu_ms: number;
}

interface RoundsRow {
  setup: string;
  tls: '1.3' | '1.2';
  /** the first round of a phone with no TLS session and no nonce yet (mean over COLD_ROUNDS phones) */
  first: RoundFigures;
  /** the mean of the following rounds */
  per_round: RoundFigures;
}

/** A phone's TLS connection to one origin, resuming the last session that origin gave it. */
class Origin {
  session: Buffer | undefined;
  readonly digest: DigestState;
  connections = 0;
  resumed = 0;

  constructor(
    readonly ap: Service,
    phone: Phone,
    private readonly tls: ConnectionOptions,
  ) {
    this.digest = phone.digest();
  }

  async connect(): Promise<Http1Connection> {
    const c = await Http1Connection.tls(
      this.ap.ready.endpoints.https!,
      { ...this.tls, ...(this.session ? { session: this.session } : {}) },
      (s) => (this.session = s),
    );
    this.connections++;
    if ((c.socket as TLSSocket).isSessionReused()) this.resumed++;
    return c;
  }
}

type Setup = 'one AP, three routes' | 'three TLS servers';

/** Where a setup stands: its APs, its phones' origins, and the sums of what its rounds cost. */
class SetupRun {
  readonly origins: Origin[] = [];
  private sums = { rounds: 0, wall: 0, client: 0, server: 0 };
  private start: Awaited<ReturnType<SetupRun['counters']>> | undefined;

  constructor(
    readonly setup: Setup,
    readonly aps: Service[],
    private readonly tls: ConnectionOptions,
  ) {}

  /** A phone with no session and no nonce: one origin per AP. */
  newPhone(): Origin[] {
    const phone = new Phone(USER);
    const origins = this.aps.map((ap) => new Origin(ap, phone, this.tls));
    this.origins.push(...origins);
    return origins;
  }

  /** One round: a GET on each of the three servers. */
  async round(origins: Origin[], k: number): Promise<void> {
    const server0 = this.serverCpu();
    const client0 = process.cpuUsage();
    const t0 = performance.now();
    if (this.setup === 'one AP, three routes') {
      // one TLS connection to the AP, the three servers' data over it
      const origin = origins[0]!;
      const c = await origin.connect();
      for (const as of SERVERS) await this.get(origin, c, as, k, as === 1);
      c.end();
    } else {
      // a fresh connection to each server, each with its own session and its own authentication
      for (const as of SERVERS) {
        const origin = origins[as - 1]!;
        const c = await origin.connect();
        await this.get(origin, c, as, k, true);
        c.end();
      }
    }
    this.sums.wall += performance.now() - t0;
    const client = process.cpuUsage(client0);
    this.sums.client += client.user + client.system;
    this.sums.server += this.serverCpu() - server0;
    this.sums.rounds++;
  }

  private async get(origin: Origin, c: Http1Connection, as: number, k: number, first: boolean) {
    // the first request on a connection carries credentials (same nonce, next count) once the phone has a
    // nonce from that AP; later ones on the same connection rely on the AP's connection binding
    const r = await origin.digest.request(c, 'GET', elementPath(as, k), { withCredentials: first });
    if (r.status !== 200) throw new Error(`${this.setup}: GET on as${as}: ${r.status}`);
  }

  private serverCpu(): number {
    return this.aps.reduce((s, ap) => s + ap.cpu(), 0);
  }

  private async counters() {
    const ms = await Promise.all(this.aps.map((ap) => apMetrics(ap)));
    const sum = (name: string, labels?: string) => ms.reduce((s, m) => s + m(name, labels), 0);
    return {
      full: sum('ap_tls_handshakes_total', 'kind="full"'),
      resumed: sum('ap_tls_handshakes_total', 'kind="resumed"'),
      mars: sum('ap_hss_request_seconds_count', 'command="MAR"'),
      challenges: this.origins.reduce((s, x) => s + x.digest.challenges, 0),
      connections: this.origins.reduce((s, x) => s + x.connections, 0),
      clientResumed: this.origins.reduce((s, x) => s + x.resumed, 0),
    };
  }

  /** Starts a new sum (counters scraped now, between rounds, so that the scrape is not in any round). */
  async begin(): Promise<void> {
    this.sums = { rounds: 0, wall: 0, client: 0, server: 0 };
    this.start = await this.counters();
  }

  /** The figures per round since begin(). */
  async figures(): Promise<RoundFigures> {
    const after = await this.counters();
    const n = this.sums.rounds;
    const per = (k: keyof typeof after) => round((after[k] - this.start![k]) / n, 2);
    return {
      full: per('full'),
      resumed: per('resumed'),
      challenges: per('challenges'),
      mars: per('mars'),
      connections: per('connections'),
      client_resumed: per('clientResumed'),
      wall_ms: round(this.sums.wall / n, 3),
      client_cpu_ms: round(this.sums.client / 1000 / n, 3),
      server_cpu_ms: round((this.sums.server * 1000) / n, 3),
    };
  }
}

/**
 * Both setups for one TLS version, a round of one then a round of the other (the machine's drift again).
 * First the first round of COLD_ROUNDS new phones (one alone would be below the 10 ms resolution of /proc's
 * CPU times), then ROUNDS rounds of the last of them.
 */
async function threeServers(o: {
  tls: '1.3' | '1.2';
  ap: Service;
  aps: Service[];
  tlsClient: ConnectionOptions;
}) {
  const tls: ConnectionOptions = {
    ...o.tlsClient,
    minVersion: o.tls === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
    maxVersion: o.tls === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
  };
  const runs = [
    new SetupRun('one AP, three routes', [o.ap], tls),
    new SetupRun('three TLS servers', o.aps, tls),
  ];
  const phones = new Map<SetupRun, Origin[]>();
  for (const r of runs) await r.begin();
  for (let i = 0; i < COLD_ROUNDS; i++) {
    for (const r of runs) {
      phones.set(r, r.newPhone());
      await r.round(phones.get(r)!, 0);
    }
  }
  // the APs count a handshake when it completes, which they may not have seen yet for the last one
  await new Promise((r) => setTimeout(r, 50));
  const first = await Promise.all(runs.map((r) => r.figures()));
  for (const r of runs) await r.begin();
  for (let k = 1; k <= ROUNDS; k++) for (const r of runs) await r.round(phones.get(r)!, k);
  await new Promise((r) => setTimeout(r, 50));
  const next = await Promise.all(runs.map((r) => r.figures()));
  return runs.map((r, i): RoundsRow => ({
    setup: r.setup,
    tls: o.tls,
    first: first[i]!,
    per_round: next[i]!,
  }));
}

/* ------------------------------------------------------------------------------------------------ */

function cpuModel(): string {
  try {
    return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]!.model;
  } catch {
    return cpus()[0]?.model ?? '?';
  }
}

async function main() {
  // the load generator's core (also when started without taskset, as `npm run bench` does)
  pin(process.pid, 1);
  const dir = mkdtempSync(join(tmpdir(), 'ap-bench-'));
  const procs = new Processes();
  // also when SIGINT/SIGTERM end the run (after Processes has ended the services)
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const machine = {
    date: new Date().toISOString(),
    cpu: cpuModel(),
    cores: cpus().length,
    node: process.version,
    node_openssl: process.versions.openssl,
    openssl: opensslVersion(),
    nginx: nginxVersion(),
  };
  try {
    const tls = makeCertificate(dir);
    const tlsClient: ConnectionOptions = { ca: readFileSync(tls.cert, 'utf8'), servername: 'xcap.home1.net' };
    const hss = await startHss(procs, dir, 1);
    const xcaps = await Promise.all(
      SERVERS.map((n) => startXcap(procs, dir, `xcap-as${n}`, `/as${n}/services`, 1)),
    );
    const route = (n: number) => ({
      pathPrefix: `/as${n}/services`,
      upstream: `http://${xcaps[n - 1]!.ready.endpoints.http}`,
    });
    // the AP under test: one listener for the three XCAP servers
    const ap = await startAp(procs, dir, { name: 'ap', hss, tls, routes: SERVERS.map(route), core: 0 });
    // part 5 (b): an AP per server, each with its own session cache and nonces, idle until then
    const apsB = await Promise.all(
      SERVERS.map((n) => startAp(procs, dir, { name: `ap-as${n}`, hss, tls, routes: [route(n)], core: 0 })),
    );

    // the documents, PUT once through the AP by an authenticated phone
    const setupPhone = new Phone(USER);
    const c = await Http1Connection.tls(ap.ready.endpoints.https!, tlsClient);
    const d = setupPhone.digest();
    for (const as of SERVERS) {
      const r = await d.request(c, 'PUT', docPath(as), {
        headers: { 'Content-Type': 'application/resource-lists+xml' },
        body: DOC,
      });
      if (r.status !== 201 && r.status !== 200)
        throw new Error(`PUT on as${as} through the AP: ${r.status} ${r.body.toString()}`);
    }
    const element = (await d.request(c, 'GET', elementPath(1, 24))).body.toString('utf8');
    c.end();

    const nginx = await startNginx(procs, { dir, ...tls, files: { 'element.xml': element } });
    const apPort = Number(ap.ready.endpoints.https!.split(':')[1]);
    const defaults = {
      AP: negotiated(apPort),
      nginx: negotiated(nginx.port),
      AP_tls12: negotiated(apPort, ['-tls1_2']),
      nginx_tls12: negotiated(nginx.port, ['-tls1_2']),
    };

    const bare = await startBareHttps(procs, 'bare node:https', tls, { core: 0 });
    const barePort = Number(bare.ready.endpoints.https!.split(':')[1]);
    process.stderr.write(`handshakes: about ${Math.round(12 * SECONDS * 1.5 + 4)} s ...\n`);
    const hs = await handshakes([
      { peer: 'AP', port: apPort, svc: ap, ap },
      { peer: 'bare', port: barePort, svc: bare },
      { peer: 'nginx', port: nginx.port, svc: nginx },
    ]);
    process.stderr.write(`GETs: ${4 * (SECONDS + 1)} s ...\n`);
    const getRows = await gets({ ap, nginx, xcap1: xcaps[0]!, tlsClient, phone: new Phone(USER) });
    process.stderr.write(`rounds: 2 x 2 x (${COLD_ROUNDS} + ${ROUNDS}) ...\n`);
    const roundRows: RoundsRow[] = [];
    for (const t of ['1.3', '1.2'] as const)
      roundRows.push(...(await threeServers({ tls: t, ap, aps: apsB, tlsClient })));

    report({ machine, defaults, hs, getRows, roundRows });
  } finally {
    await procs.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

/* ------------------------------------------------------------------------------------------------ */

function report(r: {
  machine: Record<string, string | number>;
  defaults: Record<string, { protocol: string; cipher: string; group: string }>;
  hs: HandshakeRow[];
  getRows: LoadRow[];
  roundRows: RoundsRow[];
}) {
  const out: string[] = [];
  const m = r.machine;
  out.push(`AP benchmark, ${m.date}`);
  out.push(
    `machine: ${m.cores} cores, ${m.cpu}; node ${m.node} (OpenSSL ${m.node_openssl}); ${m.openssl}; ${m.nginx}`,
  );
  out.push(`reproduce: ${REPRODUCE}`);
  out.push('');
  const d = r.defaults;
  out.push(
    `s_time without -tls1_x negotiates: AP ${d.AP!.protocol} ${d.AP!.cipher} (${d.AP!.group}); ` +
      `nginx ${d.nginx!.protocol} ${d.nginx!.cipher} (${d.nginx!.group})`,
  );
  out.push(`with -tls1_2: AP ${d.AP_tls12!.cipher}; nginx ${d.nginx_tls12!.cipher}`);
  out.push('');
  out.push(
    `1-3. TLS handshakes, openssl s_time on core 1, one connection at a time, ${SECONDS} alternating slices ` +
      'of s_time -time 1 per peer and row',
  );
  const example = r.hs.find((h) => h.peer === 'AP' && h.kind === 'resumed')!.command;
  out.push(`     e.g. ${example}`);
  out.push(
    '| TLS | handshake | AP /s | bare node /s | nginx /s | AP/nginx | AP/bare | bare/nginx | AP CPU µs/hs | bare CPU µs/hs | nginx CPU µs/hs | nginx/AP CPU | reused by s_time (AP, bare, nginx) | AP counted full/resumed |',
  );
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  const ratios: Record<string, { per_s: number; cpu: number; ap_bare: number; bare_nginx: number }> = {};
  const problems: string[] = [];
  for (const tls of ['1.3', '1.2'] as const) {
    for (const kind of ['full', 'resumed'] as const) {
      const a = r.hs.find((h) => h.peer === 'AP' && h.tls === tls && h.kind === kind)!;
      const b = r.hs.find((h) => h.peer === 'bare' && h.tls === tls && h.kind === kind)!;
      const n = r.hs.find((h) => h.peer === 'nginx' && h.tls === tls && h.kind === kind)!;
      const ratio = a.per_s / n.per_s;
      const cpuRatio = n.server_cpu_us_per_handshake / a.server_cpu_us_per_handshake;
      ratios[`tls${tls}_${kind}`] = {
        per_s: round(ratio, 2),
        cpu: round(cpuRatio, 2),
        ap_bare: round(a.per_s / b.per_s, 2),
        bare_nginx: round(b.per_s / n.per_s, 2),
      };
      for (const h of [a, b, n]) {
        if (kind === 'resumed' && h.reused < h.connections)
          problems.push(`${h.peer} TLS ${tls}: s_time reused ${h.reused} of ${h.connections} sessions`);
        if (kind === 'full' && h.reused > 0)
          problems.push(`${h.peer} TLS ${tls}: ${h.reused} reused with -new`);
      }
      out.push(
        `| ${tls} | ${kind} | ${fmt(a.per_s)} | ${fmt(b.per_s)} | ${fmt(n.per_s)} | ${ratio.toFixed(2)}× | ` +
          `${(a.per_s / b.per_s).toFixed(2)}× | ${(b.per_s / n.per_s).toFixed(2)}× | ${fmt(a.server_cpu_us_per_handshake)} | ` +
          `${fmt(b.server_cpu_us_per_handshake)} | ${fmt(n.server_cpu_us_per_handshake)} | ${cpuRatio.toFixed(2)}× | ` +
          `${a.reused}/${a.connections}, ${b.reused}/${b.connections}, ${n.reused}/${n.connections} | ` +
          `${a.ap_counted!.full}/${a.ap_counted!.resumed} |`,
      );
    }
  }
  const below = Object.entries(ratios).filter(([, v]) => v.per_s < 0.9);
  out.push(
    below.length === 0
      ? 'AP/nginx ≥ 0.9× for every handshake kind.'
      : `below the 0.9× target: ${below.map(([k, v]) => `${k} ${v.per_s}×`).join(', ')}`,
  );
  const floor = Object.entries(ratios).filter(([, v]) => v.bare_nginx < 0.9);
  if (floor.length > 0)
    out.push(
      `a bare node:https server is below 0.9× nginx too: ${floor.map(([k, v]) => `${k} ${v.bare_nginx}×`).join(', ')}; ` +
        `AP/bare: ${Object.entries(ratios)
          .map(([k, v]) => `${k} ${v.ap_bare}×`)
          .join(', ')}`,
    );
  for (const p of problems) out.push(`NOTE: ${p}`);
  out.push(
    's_time runs with -www (see bench/stime.ts): without it s_time never reads the NewSessionTicket a TLS 1.3 ' +
      'server sends after the handshake, and -reuse then resumes nothing with TLS 1.3, against any server.',
  );
  out.push('');
  out.push(
    `4. XCAP element GETs, ${IN_FLIGHT} keep-alive connections from core 1, ${SECONDS} alternating slices of 1 s each`,
  );
  out.push('| what | req/s | server CPU µs/req (core busy) | client CPU µs/req |');
  out.push('|---|---:|---|---:|');
  for (const g of r.getRows) {
    const servers = g.servers
      .map((s) => `${s.name} ${fmt(s.cpu_us_per_request)} (${Math.round(s.core_busy * 100)}%)`)
      .join(' + ');
    out.push(`| ${g.name} | ${fmt(g.per_s)} | ${servers} | ${fmt(g.client_cpu_us_per_request)} |`);
  }
  out.push('');
  out.push(
    `5. A phone with data on 3 application servers: first round (mean of ${COLD_ROUNDS} new phones), ` +
      `then ${ROUNDS} rounds; each round one GET on each server; figures per round`,
  );
  out.push(
    '| TLS | setup | round | full hs | resumed hs | 401s | MARs | connections | wall ms | client CPU ms | server CPU ms |',
  );
  out.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.roundRows) {
    for (const [label, f] of [
      ['first', x.first],
      ['each next', x.per_round],
    ] as const) {
      out.push(
        `| ${x.tls} | ${x.setup} | ${label} | ${f.full} | ${f.resumed} | ${f.challenges} | ${f.mars} | ${f.connections} | ` +
          `${f.wall_ms.toFixed(2)} | ${f.client_cpu_ms.toFixed(2)} | ${f.server_cpu_ms.toFixed(2)} |`,
      );
    }
  }
  for (const tls of ['1.3', '1.2'] as const) {
    const a = r.roundRows.find((x) => x.tls === tls && x.setup === 'one AP, three routes')!;
    const b = r.roundRows.find((x) => x.tls === tls && x.setup === 'three TLS servers')!;
    const times = (x: number, y: number) => (y > 0 ? `${(x / y).toFixed(1)}×` : 'n/a');
    out.push(
      `TLS ${tls}: a phone that has its sessions and nonces spends per round ${a.per_round.client_cpu_ms.toFixed(2)} ms of CPU ` +
        `and ${a.per_round.wall_ms.toFixed(2)} ms through one AP (${a.per_round.resumed} resumed handshake), against ` +
        `${b.per_round.client_cpu_ms.toFixed(2)} ms and ${b.per_round.wall_ms.toFixed(2)} ms with three TLS servers ` +
        `(${b.per_round.resumed} resumed handshakes): ${times(b.per_round.client_cpu_ms, a.per_round.client_cpu_ms)} the CPU, ` +
        `${times(b.per_round.wall_ms, a.per_round.wall_ms)} the time; from nothing, ${a.first.full} full handshake and ` +
        `${a.first.challenges} AKA run against ${b.first.full} and ${b.first.challenges} ` +
        `(${a.first.wall_ms.toFixed(1)} ms against ${b.first.wall_ms.toFixed(1)} ms).`,
    );
  }
  process.stdout.write(out.join('\n') + '\n');
  process.stdout.write(
    JSON.stringify({
      benchmark: 'ap',
      ...r.machine,
      seconds: SECONDS,
      in_flight: IN_FLIGHT,
      rounds: ROUNDS,
      reproduce: REPRODUCE,
      negotiated: r.defaults,
      handshakes: r.hs,
      ratios,
      gets: r.getRows,
      three_servers: r.roundRows,
    }) + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`ap bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
