/**
 * The presence server benchmark with SIPp (bench/README.md says what each figure means):
 *
 * 1. PUBLISH/s over UDP with no failed transaction: SIPp (`sipp/publish.xml`: per call an initial PUBLISH
 *    of a presentity of its own, then a refresh with SIP-If-Match) at stepped rates against a fresh
 *    presence server per step, warmed up first; per step the offered and achieved rate, failed calls,
 *    retransmissions, receive drops on the server's socket, server CPU per PUBLISH and the response times.
 *    Then the highest clean rate again for longer than Timer J (32 s), which keeps every answered PUBLISH.
 * 2. NOTIFY fan-out: 1,000 watchers (`sipp/watchers.xml`) subscribed to one presentity whose pres-rules
 *    (in a real xcap-server) allow everyone; one PUBLISH from this process; the time until the last watcher
 *    got its NOTIFY, stamped by SIPp (gettimeofday in the watcher scenario, logged), per round.
 *
 * Placement (2 cores): the presence server alone on core 0 (taskset -c 0); this process, SIPp and the
 * xcap-server on core 1. CPU times come from /proc/<pid>/stat.
 *
 * Env: BENCH_SECONDS (5): seconds of load per PUBLISH step; BENCH_RATES (1000,2000,...,9000): the offered
 * PUBLISH/s of the steps, stopped after two saturated steps in a row (below the offered rate, or failed
 * calls); BENCH_SECOND (refresh | remove: the second PUBLISH of a call, below); BENCH_SUSTAIN_SECONDS (40; 0: none): the highest clean rate again for that long, bisected down
 * in steps of 1,000/s while not clean (at most five runs); BENCH_WATCHERS (1000); BENCH_ROUNDS (3):
 * measured fan-out PUBLISHes; BENCH_SUBSCRIBE_RATE (250): SUBSCRIBE/s while the watchers come;
 * BENCH_ONLY=publish|fanout; BENCH_KEEP=1 keeps the temporary directory (SIPp's files); BENCH_NODE_ARGS:
 * node options of the presence server processes (with --cpu-prof each gets --cpu-prof-name=<step>.cpuprofile,
 * which `bench/profile-top.ts` sums up); BENCH_SERVER_RCVBUF=<bytes>: the server's UDP sockets get that
 * receive buffer (bench/udp-rcvbuf.cjs, a what-if: the server leaves the kernel default); SIPP: the binary.
 * Each measurement waits for core 0 to be idle first, and a PUBLISH step that other work disturbed anyway
 * (core 0 busy beyond the server's own time) is measured again.
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { get, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cpuSeconds, startServiceProcess, type ServiceProcess } from '@ut-testbed/service-kit';
import {
  coreBusySeconds,
  runSipp,
  SIPP_BINARY,
  sippPortArgs,
  udpDrops,
  type ResponseTimes,
  type SippRun,
} from './sipp';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATES = (process.env.BENCH_RATES ?? '1000,2000,3000,4000,5000,6000,7000,8000,9000')
  .split(',')
  .map(Number);
/** the highest clean rate again for this long (0: not) */
const SUSTAIN_SECONDS = Number(process.env.BENCH_SUSTAIN_SECONDS ?? 40);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** between fan-out rounds */
const ROUND_PAUSE_MS = 2000;
const SUBSCRIBE_RATE = Number(process.env.BENCH_SUBSCRIBE_RATE ?? 250);
const ONLY = process.env.BENCH_ONLY;
/**
 * The second PUBLISH of a call: `refresh` (Expires 600: each call leaves a presentity published for 600 s,
 * so the server's state grows with the rate and the run) or `remove` (Expires 0: the state stays near
 * empty, and what is measured is the PUBLISH path and the transactions held for Timer J).
 */
const SECOND = process.env.BENCH_SECOND ?? 'refresh';
if (SECOND !== 'refresh' && SECOND !== 'remove')
  throw new Error(`BENCH_SECOND: "${SECOND}" is neither refresh nor remove`);
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** calls/s of the warm-up of each fresh server (2 PUBLISHes each), for WARM_SECONDS */
const WARM_CPS = 1000;
const WARM_SECONDS = 2;
/** SIPp's socket buffers: the load generator must not be where messages are lost */
const SIPP_BUFFER = String(4 * 1024 * 1024);
const SERVER_CORE = 0;
/** core 0 busy seconds per second that count as quiet before a measurement, and as disturbed during one */
const QUIET_BUSY = 0.03;
const DISTURBED = 0.1;
const CLIENT_CORE = 1;
const DOMAIN = 'home1.net';
const PRESENTITY = `sip:fanout@${DOMAIN}`;

const PRESENCE_BIN = join(__dirname, '..', 'bin', 'presence-server.js');
const XCAP_BIN = join(
  dirname(require.resolve('@ut-testbed/xcap-server/package.json')),
  'bin',
  'xcap-server.js',
);
const SCENARIO = (name: string) => join(__dirname, 'sipp', name);

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/* ------------------------------------------------------------------------------------------------ */
/* processes: every child is ended on every way out, and the temporary directory removed              */
/* ------------------------------------------------------------------------------------------------ */

const tmp = mkdtempSync(join(tmpdir(), 'presence-bench-'));
const children = new Set<ChildProcess>();
let stopping = false;
const track = (p: ChildProcess) => {
  // the run goes on for a moment after a signal: what it starts meanwhile is ended at once
  if (stopping) p.kill('SIGTERM');
  children.add(p);
  p.once('exit', () => children.delete(p));
};
const killAll = (signal: NodeJS.Signals) => {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill(signal);
};
process.once('exit', () => {
  killAll('SIGKILL');
  if (process.env.BENCH_KEEP) process.stderr.write(`kept ${tmp}\n`);
  else rmSync(tmp, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping SIPp and the servers\n`);
    stopping = true;
    killAll('SIGTERM');
    // a server that does not stop in time would hold core 0: the exit handler SIGKILLs what is left
    setTimeout(() => process.exit(130), 3000).unref();
    const poll = setInterval(() => {
      if (children.size === 0) process.exit(130);
    }, 50);
    poll.unref();
  });
}

interface Presence {
  svc: ServiceProcess;
  pid: number;
  host: string;
  port: number;
  admin: string;
}

async function startXcap(): Promise<{ svc: ServiceProcess; root: string }> {
  const cfg = join(tmp, 'xcap.yaml');
  writeFileSync(
    cfg,
    JSON.stringify({
      xcap: {
        listen: { host: '127.0.0.1', port: 0 },
        database: join(tmp, 'xcap.db'),
        // the presence server reads the rules as a trusted peer; this process writes them as the AP would
        trustedProxies: ['127.0.0.1'],
      },
    }),
  );
  const svc = await startServiceProcess(XCAP_BIN, ['start', '--config', cfg], { core: CLIENT_CORE });
  track(svc.proc);
  return { svc, root: `http://${svc.ready.endpoints.http}/services` };
}

/** A fresh presence server on core 0 (UDP only, admin on), its rules read from `xcapRoot`. */
async function startPresence(xcapRoot: string, name: string): Promise<Presence> {
  const cfg = join(tmp, `${name}.yaml`);
  writeFileSync(
    cfg,
    JSON.stringify({
      realm: DOMAIN,
      presence: {
        listen: { host: '127.0.0.1', port: 0, transports: ['udp'] },
        domain: DOMAIN,
        xcapRoot,
        admin: { host: '127.0.0.1', port: 0 },
      },
    }),
  );
  const nodeArgs = [
    ...NODE_ARGS,
    ...(NODE_ARGS.includes('--cpu-prof') ? [`--cpu-prof-name=${name}.cpuprofile`] : []),
    // the what-if of a larger socket receive buffer (the child inherits BENCH_SERVER_RCVBUF)
    ...(process.env.BENCH_SERVER_RCVBUF ? ['--require', join(__dirname, 'udp-rcvbuf.cjs')] : []),
  ];
  const svc = await startServiceProcess(PRESENCE_BIN, ['start', '--config', cfg], {
    core: SERVER_CORE,
    nodeArgs,
  });
  track(svc.proc);
  const [host, port] = svc.ready.endpoints.udp!.split(':');
  return { svc, pid: svc.proc.pid!, host: host!, port: Number(port), admin: svc.ready.endpoints.admin! };
}

function httpText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** PUT of a user's document, as the AP forwards it (X-3GPP-Asserted-Identity of the user). */
function xcapPut(root: string, path: string, type: string, user: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${root}/${path}`,
      { method: 'PUT', headers: { 'X-3GPP-Asserted-Identity': `"${user}"`, 'Content-Type': type } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One rule for any authenticated identity (`<cr:many/>`): allow, everything provided. */
const PRES_RULES =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy"' +
  ' xmlns:pr="urn:ietf:params:xml:ns:pres-rules">\n' +
  '<cr:rule id="everyone"><cr:conditions><cr:identity><cr:many/></cr:identity></cr:conditions>' +
  '<cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions><cr:transformations>' +
  '<pr:provide-services><pr:all-services/></pr:provide-services>' +
  '<pr:provide-persons><pr:all-persons/></pr:provide-persons>' +
  '<pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/>' +
  '</cr:transformations></cr:rule>\n</cr:ruleset>\n';

/* ------------------------------------------------------------------------------------------------ */
/* 1: PUBLISH/s                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

interface PublishStep {
  offered_per_s: number;
  seconds: number;
  achieved_per_s: number;
  publishes: number;
  /** seconds from SIPp's start until its last call ended */
  sipp_seconds: number;
  failed_calls: number;
  retransmissions: number;
  /** datagrams the kernel dropped on the server's socket (receive buffer full) */
  server_udp_drops: number;
  server_cpu_us_per_publish: number;
  server_core_busy: number;
  /** the rest of core 0's busy time: other processes, interrupts, steal (0 on a quiet machine) */
  core_others_busy: number;
  /** others took more than DISTURBED of core 0: the figures are not the server's alone */
  disturbed: boolean;
  sipp_core_busy: number;
  /** SIPp's response times (ms ticks): 1 the initial PUBLISH, 2 the refresh */
  response_initial: ResponseTimes | undefined;
  response_refresh: ResponseTimes | undefined;
  /** no failed call, no retransmission, and the offered rate reached */
  clean: boolean;
}

function publishSipp(
  ps: Presence,
  prefix: string,
  cps: number,
  seconds: number,
  dir: string,
): Promise<SippRun> {
  mkdirSync(dir, { recursive: true });
  return sippPortArgs().then((ports) =>
    runSipp(
      [
        `${ps.host}:${ps.port}`,
        '-sf',
        SCENARIO('publish.xml'),
        '-key',
        'prefix',
        prefix,
        '-key',
        'expires2',
        SECOND === 'remove' ? '0' : '600',
        '-t',
        'u1',
        ...ports.args,
        '-r',
        String(cps),
        '-rp',
        '1000',
        '-m',
        String(Math.round(cps * seconds)),
        '-buff_size',
        SIPP_BUFFER,
        '-timeout',
        `${seconds + 60}s`,
        '-timeout_error',
      ],
      { dir, core: CLIENT_CORE, started: track },
    ),
  );
}

async function publishStep(xcapRoot: string, rate: number, seconds: number): Promise<PublishStep> {
  const cps = rate / 2;
  const name = `publish-${rate}-${seconds}s`;
  const ps = await startPresence(xcapRoot, name);
  try {
    // the JIT and the first heap growth on the warm-up's presentities, not on the measured ones
    const warm = await publishSipp(ps, 'w', WARM_CPS, WARM_SECONDS, join(tmp, `warm-${name}`));
    if (warm.code !== 0) process.stderr.write(`warm-up before ${rate}/s: SIPp exited ${warm.code}\n`);
    await sleep(1000);
    const drops0 = udpDrops(ps.port);
    const cpu0 = cpuSeconds(ps.pid);
    const core0 = coreBusySeconds(SERVER_CORE);
    const run = await publishSipp(ps, `s${rate}-`, cps, seconds, join(tmp, name));
    const cpu = cpuSeconds(ps.pid) - cpu0;
    // other processes of the machine (or the hypervisor) taking the server's core disturb the step; per-CPU
    // and per-process times are accounted differently, so a few % either way are noise
    const others = Math.max(0, coreBusySeconds(SERVER_CORE) - core0 - cpu);
    const ok = Number(run.stat['SuccessfulCall(C)']);
    const publishes = ok * 2;
    // the PUBLISHes answered while SIPp offered them: the run's end waits for the last retransmission, which
    // would make a few lost datagrams look like a lower rate
    const achieved = run.answeredAt.filter((t) => t <= seconds * 1000).length / seconds;
    const failed = Number(run.stat['FailedCall(C)']);
    const retrans = Number(run.stat['Retransmissions(C)']);
    return {
      offered_per_s: rate,
      seconds,
      achieved_per_s: Math.round(achieved),
      publishes,
      sipp_seconds: round(run.elapsed, 2),
      failed_calls: failed,
      retransmissions: retrans,
      server_udp_drops: udpDrops(ps.port) - drops0,
      server_cpu_us_per_publish: publishes > 0 ? Math.round((cpu / publishes) * 1e6) : 0,
      server_core_busy: round(cpu / run.elapsed, 2),
      core_others_busy: round(others / run.elapsed, 2),
      disturbed: others / run.elapsed > DISTURBED,
      sipp_core_busy: round(run.cpu / run.elapsed, 2),
      response_initial: run.rtt.get(1),
      response_refresh: run.rtt.get(2),
      // SIPp's rate is per 1 s period and the run ends with the last answer: 3 % below offered is noise
      clean: failed === 0 && retrans === 0 && achieved >= 0.97 * rate,
    };
  } finally {
    await ps.svc.stop();
  }
}

/**
 * Waits (at most 120 s) until core 0 has been idle for a second: the machine is shared, and a measurement
 * started while something else runs there measures that too. Resolves with whether it got quiet.
 */
async function quiet(): Promise<boolean> {
  const end = performance.now() + 120_000;
  let said = false;
  while (performance.now() < end) {
    const b0 = coreBusySeconds(SERVER_CORE);
    await sleep(1000);
    if (coreBusySeconds(SERVER_CORE) - b0 <= QUIET_BUSY) return true;
    if (!said) process.stderr.write(`core ${SERVER_CORE} is busy with other work: waiting\n`);
    said = true;
  }
  return false;
}

/** A step on a quiet core; one that others disturbed anyway is measured again, at most twice. */
async function measuredStep(xcapRoot: string, rate: number, seconds: number): Promise<PublishStep> {
  let best: PublishStep | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    await quiet();
    const step = await publishStep(xcapRoot, rate, seconds);
    if (!best || step.core_others_busy < best.core_others_busy) best = step;
    if (!step.disturbed) break;
    process.stderr.write(
      `PUBLISH ${fmt(rate)}/s: core ${SERVER_CORE} was ${Math.round(step.core_others_busy * 100)} % busy ` +
        `with other work: again\n`,
    );
  }
  return best!;
}

/* ------------------------------------------------------------------------------------------------ */
/* 2: NOTIFY fan-out                                                                                 */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Wall-clock milliseconds with µs resolution, to compare with SIPp's gettimeofday: performance.now()
 * anchored at the instant Date.now() ticks (Date.now() alone has 1 ms steps). Anchored again before each
 * round, so that the monotonic clock's drift from the wall clock does not add up over the run.
 */
function wallClock(): () => number {
  const d0 = Date.now();
  let p = performance.now();
  let d = Date.now();
  while (d === d0) {
    p = performance.now();
    d = Date.now();
  }
  const offset = d - p;
  return () => performance.now() + offset;
}

interface Answer {
  status: number;
  etag?: string;
  sentAt: number;
  answeredAt: number;
  retransmissions: number;
}

/** A PUBLISH of the fan-out presentity from a UDP socket of this process, retransmitted (RFC 3261 17.1.2). */
function publishOnce(
  sock: Socket,
  ps: Presence,
  o: { n: number; note: string; etag?: string },
  now: () => number,
): Promise<Answer> {
  const local = sock.address();
  const callId = `fanout-${o.n}-${process.pid}@127.0.0.1`;
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${PRESENTITY}">\n` +
    `<tuple id="t1"><status><basic>open</basic></status><note>${o.note}</note></tuple>\n</presence>\n`;
  const msg = Buffer.from(
    [
      `PUBLISH ${PRESENTITY} SIP/2.0`,
      `Via: SIP/2.0/UDP ${local.address}:${local.port};branch=z9hG4bK-bench-${o.n}-${process.pid};rport`,
      'Max-Forwards: 70',
      `From: <${PRESENTITY}>;tag=bench${o.n}`,
      `To: <${PRESENTITY}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${o.n} PUBLISH`,
      `P-Asserted-Identity: <${PRESENTITY}>`,
      'Event: presence',
      ...(o.etag ? [`SIP-If-Match: ${o.etag}`] : []),
      'Expires: 3600',
      'Content-Type: application/pidf+xml',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
  return new Promise((resolve, reject) => {
    let retransmissions = 0;
    let interval = 500;
    let timer: NodeJS.Timeout;
    const started = performance.now();
    const send = () => sock.send(msg, ps.port, ps.host);
    const onMessage = (b: Buffer) => {
      const text = b.toString();
      if (!text.includes(`Call-ID: ${callId}\r\n`)) return;
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1]);
      if (status < 200) return;
      clearTimeout(timer);
      sock.off('message', onMessage);
      const etag = /\r\nSIP-ETag: *(\S+)/i.exec(text)?.[1];
      resolve({ status, ...(etag ? { etag } : {}), sentAt, answeredAt: now(), retransmissions });
    };
    const retransmit = () => {
      if (performance.now() - started > 32_000) {
        sock.off('message', onMessage);
        reject(new Error('the fan-out PUBLISH got no answer in 32 s'));
        return;
      }
      retransmissions++;
      send();
      interval = Math.min(interval * 2, 4000);
      timer = setTimeout(retransmit, interval);
    };
    sock.on('message', onMessage);
    const sentAt = now();
    send();
    timer = setTimeout(retransmit, interval);
  });
}

interface NotifyLine {
  watcher: number;
  at: number;
  round: number;
}

/** The watchers' log (`notify <call> <sec> <usec> round-<n>`), read as it grows. */
class WatcherLog {
  private offset = 0;
  private rest = '';
  readonly lines: NotifyLine[] = [];
  constructor(private readonly file: string) {}

  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return; // SIPp has not logged anything yet
    }
    try {
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n === 0) break;
        this.offset += n;
        this.rest += buf.subarray(0, n).toString();
      }
    } finally {
      closeSync(fd);
    }
    const parts = this.rest.split('\n');
    this.rest = parts.pop()!;
    for (const line of parts) {
      const m = /^notify (\d+) ([\d.]+) ([\d.]+) round-(\d+)/.exec(line);
      if (m)
        this.lines.push({
          watcher: Number(m[1]),
          at: Number(m[2]) * 1000 + Number(m[3]) / 1000,
          round: Number(m[4]),
        });
    }
  }

  /** The NOTIFYs of round `r`, once every watcher has one (or the time is up). */
  async waitRound(r: number, watchers: number, timeoutMs: number): Promise<NotifyLine[]> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      this.poll();
      const got = this.lines.filter((l) => l.round === r);
      if (new Set(got.map((l) => l.watcher)).size >= watchers || performance.now() > end) return got;
      // a coarse poll: this process shares core 1 with the SIPp being measured
      await sleep(20);
    }
  }
}

async function subscriptions(ps: Presence): Promise<number> {
  const text = await httpText(`http://${ps.admin}/metrics`);
  return Number(/^presence_subscriptions\{event="presence"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

interface FanoutRound {
  round: number;
  kind: 'initial' | 'modify';
  watchers_notified: number;
  publish_response_ms: number;
  first_notify_ms: number;
  last_notify_ms: number;
  notifies_per_s: number;
  server_cpu_ms: number;
  server_cpu_us_per_notify: number;
  publish_retransmissions: number;
  server_udp_drops: number;
  watcher_udp_drops: number;
}

interface Fanout {
  watchers: number;
  subscribe_seconds: number;
  server_cpu_us_per_subscribe: number;
  rounds: FanoutRound[];
  /** NOTIFYs the watchers received again (the server's retransmissions), from SIPp's screen */
  notify_retransmissions: number;
  /** messages for watchers that had ended (a final NOTIFY sent again after its 200 was lost) */
  dead_call_messages: number;
  /** SIPp's own retransmissions (SUBSCRIBE) */
  watcher_retransmissions: number;
  failed_calls: number;
}

async function fanout(xcapRoot: string): Promise<Fanout> {
  const ps = await startPresence(xcapRoot, 'fanout');
  const dir = join(tmp, 'fanout');
  mkdirSync(dir);
  const logFile = join(dir, 'watchers.log');
  const ports = await sippPortArgs();
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  try {
    await quiet();
    const cpuSub0 = cpuSeconds(ps.pid);
    const t0 = performance.now();
    const watchersRun = runSipp(
      [
        `${ps.host}:${ps.port}`,
        '-sf',
        SCENARIO('watchers.xml'),
        '-s',
        'fanout',
        // a NOTIFY sent again after the watcher has moved on is answered, not a failed call
        '-aa',
        '-t',
        'u1',
        ...ports.args,
        '-r',
        String(SUBSCRIBE_RATE),
        '-l',
        String(WATCHERS),
        '-m',
        String(WATCHERS),
        '-buff_size',
        SIPP_BUFFER,
        '-trace_logs',
        '-log_file',
        logFile,
        // what an unexpected message was, in watchers_<pid>_errors.log (kept with BENCH_KEEP=1)
        '-trace_err',
        '-timeout',
        `${Math.ceil(WATCHERS / SUBSCRIBE_RATE) + (ROUNDS + 1) * 160 + 60}s`,
        '-timeout_error',
      ],
      { dir, core: CLIENT_CORE, started: track },
    );
    let ended: SippRun | Error | undefined;
    watchersRun.then(
      (r) => (ended = r),
      (e: Error) => (ended = e),
    );
    for (;;) {
      if (ended) throw new Error(`the watchers ended before all had subscribed: ${String(ended)}`);
      if ((await subscriptions(ps)) >= WATCHERS) break;
      if (performance.now() - t0 > 120_000) throw new Error('the watchers did not all subscribe in 120 s');
      // not faster: each /metrics costs the server as much as a few SUBSCRIBEs
      await sleep(250);
    }
    const subscribeSeconds = (performance.now() - t0) / 1000;
    // the initial NOTIFYs and their 200s are done by then
    await sleep(1000);
    const cpuSub = cpuSeconds(ps.pid) - cpuSub0;
    const log = new WatcherLog(logFile);
    const rounds: FanoutRound[] = [];
    let etag: string | undefined;
    // ROUNDS measured rounds, then one more whose NOTIFY makes the watchers unsubscribe: 1,000 SUBSCRIBEs
    // at once, which are not to land in a measured round
    for (let r = 1; r <= ROUNDS + 1; r++) {
      await quiet();
      const now = wallClock();
      const serverDrops0 = udpDrops(ps.port);
      const watcherDrops0 = udpDrops(ports.sip);
      const cpu0 = cpuSeconds(ps.pid);
      const answer = await publishOnce(
        sock,
        ps,
        { n: r, note: r > ROUNDS ? `round-${r}-last` : `round-${r}`, etag },
        now,
      );
      if (answer.status !== 200) throw new Error(`the fan-out PUBLISH got ${answer.status}`);
      etag = answer.etag;
      const got = await log.waitRound(r, WATCHERS, 30_000);
      if (r > ROUNDS) break;
      // the 200s of the last NOTIFYs reach the server within a few ms; then it is idle again
      await sleep(300);
      const cpu = cpuSeconds(ps.pid) - cpu0;
      const times = got.map((l) => l.at - answer.sentAt);
      const last = Math.max(...times);
      const notified = new Set(got.map((l) => l.watcher)).size;
      rounds.push({
        round: r,
        kind: r === 1 ? 'initial' : 'modify',
        watchers_notified: notified,
        publish_response_ms: round(answer.answeredAt - answer.sentAt, 2),
        first_notify_ms: round(Math.min(...times), 2),
        last_notify_ms: round(last, 2),
        notifies_per_s: Math.round((notified / last) * 1000),
        server_cpu_ms: round(cpu * 1000),
        server_cpu_us_per_notify: Math.round((cpu / Math.max(1, notified)) * 1e6),
        publish_retransmissions: answer.retransmissions,
        server_udp_drops: udpDrops(ps.port) - serverDrops0,
        watcher_udp_drops: udpDrops(ports.sip) - watcherDrops0,
      });
      if (notified < WATCHERS)
        process.stderr.write(`round ${r}: only ${notified} of ${WATCHERS} watchers notified in 30 s\n`);
      // a NOTIFY whose 200 was lost is sent again after 0.5 s and 1.5 s (and holds that watcher's next one)
      await sleep(ROUND_PAUSE_MS);
    }
    // after the last round the watchers unsubscribe (200, final NOTIFY) and SIPp ends
    const run = await watchersRun;
    const received = run.rows.filter((row) => row.message === 'NOTIFY' && row.direction === 'received');
    return {
      watchers: WATCHERS,
      subscribe_seconds: round(subscribeSeconds, 2),
      server_cpu_us_per_subscribe: Math.round((cpuSub / WATCHERS) * 1e6),
      rounds,
      // each watcher is sent the initial NOTIFY, one per round (and the last one) and the final one; the rest
      // came again
      notify_retransmissions:
        received.reduce((s, row) => s + row.count + row.retrans, 0) +
        Number(run.stat['AutoAnswered(C)']) -
        WATCHERS * (ROUNDS + 3),
      dead_call_messages: Number(run.stat['DeadCallMsgs(C)']),
      watcher_retransmissions: Number(run.stat['Retransmissions(C)']),
      failed_calls: Number(run.stat['FailedCall(C)']),
    };
  } finally {
    sock.close();
    await ps.svc.stop();
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* the run                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    '| ' + r.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join(' | ') + ' |';
  return (
    [
      line(head),
      '| ' + width.map((w) => '-'.repeat(w)).join(' | ') + ' |',
      ...rows.map((r) => line(r.map(String))),
    ].join('\n') + '\n'
  );
}

function publishTable(steps: PublishStep[]): string {
  return table(
    [
      'offered/s',
      'achieved/s',
      'failed calls',
      'retrans',
      'server UDP drops',
      'server µs/PUBLISH',
      'core 0 busy',
      'core 0 others',
      'initial ms mean/p99/max',
      'refresh ms mean/p99/max',
      'SIPp core busy',
      'clean',
    ],
    steps.map((s) => [
      fmt(s.offered_per_s),
      fmt(s.achieved_per_s),
      s.failed_calls,
      s.retransmissions,
      s.server_udp_drops,
      s.server_cpu_us_per_publish,
      `${Math.round(s.server_core_busy * 100)} %`,
      `${Math.round(s.core_others_busy * 100)} %`,
      rt(s.response_initial),
      rt(s.response_refresh),
      `${Math.round(s.sipp_core_busy * 100)} %`,
      (s.clean ? 'yes' : 'no') + (s.disturbed ? ' (disturbed)' : ''),
    ]),
  );
}

const rt = (t: ResponseTimes | undefined) => (t ? `${t.mean_ms} / ${t.p99_ms} / ${t.max_ms}` : '-');

async function main() {
  // this process and SIPp share core 1; core 0 is the presence server's alone
  execFileSync('taskset', ['-a', '-p', '-c', String(CLIENT_CORE), String(process.pid)], { stdio: 'ignore' });
  // `sipp -v` prints its version and exits 1
  const sippVersion = /SIPp v[\w.-]+/.exec(spawnSync(SIPP_BINARY, ['-v']).stdout.toString())?.[0] ?? 'SIPp';
  const xcap = await startXcap();
  if (
    (await xcapPut(
      xcap.root,
      `pres-rules/users/${PRESENTITY}/index`,
      'application/auth-policy+xml',
      PRESENTITY,
      PRES_RULES,
    )) !== 201
  )
    throw new Error('the pres-rules PUT failed');

  const steps: PublishStep[] = [];
  const sustained: PublishStep[] = [];
  const progress = (step: PublishStep) =>
    process.stderr.write(
      `PUBLISH ${fmt(step.offered_per_s)}/s for ${step.seconds} s: achieved ${fmt(step.achieved_per_s)}/s, ` +
        `${step.failed_calls} failed, ${step.retransmissions} retransmissions, ` +
        `${step.server_udp_drops} drops\n`,
    );
  if (ONLY === undefined || ONLY === 'publish') {
    let saturated = 0;
    for (const rate of RATES) {
      const step = await measuredStep(xcap.root, rate, SECONDS);
      steps.push(step);
      progress(step);
      // a step with retransmissions only is not the end: lost datagrams come and go with the server's pauses
      const full = step.failed_calls > 0 || step.achieved_per_s < 0.97 * rate;
      saturated = full ? saturated + 1 : 0;
      if (saturated === 2) break;
    }
    // the highest clean rate again, for longer than Timer J (32 s): each answered PUBLISH is kept that long,
    // so only then is the heap, and what the garbage collector does with it, what it is under steady load.
    // Not clean: bisected in steps of 1,000/s between the highest clean and the lowest unclean rate so far
    let lo = 0;
    let hi = steps.filter((s) => s.clean).reduce((m, s) => Math.max(m, s.offered_per_s), 0) + 1000;
    let rate = hi - 1000;
    while (SUSTAIN_SECONDS > 0 && rate > lo && rate < hi && sustained.length < 5) {
      const step = await measuredStep(xcap.root, rate, SUSTAIN_SECONDS);
      sustained.push(step);
      progress(step);
      if (step.clean) lo = rate;
      else hi = rate;
      rate = Math.round((lo + hi) / 2000) * 1000;
    }
  }
  const fan = ONLY === undefined || ONLY === 'fanout' ? await fanout(xcap.root) : undefined;
  await xcap.svc.stop();

  const best = steps.filter((s) => s.clean).reduce((m, s) => Math.max(m, s.achieved_per_s), 0);
  // the clean rates need not be one range: a pause of the server can cost a datagram at any rate
  const firstUnclean = steps.find((s) => !s.clean)?.offered_per_s;
  if (steps.length > 0) {
    process.stdout.write(
      `\nPUBLISH over UDP: SIPp on core ${CLIENT_CORE} (per call an initial PUBLISH and a ${SECOND === 'remove' ? 'removal' : 'refresh'}), ` +
        `a fresh presence ` +
        `server per step on core ${SERVER_CORE}, ${SECONDS} s per step\n`,
    );
    process.stdout.write(publishTable(steps));
    process.stdout.write(
      `highest clean rate: ${fmt(best)} PUBLISH/s (target 5,000); lowest offered rate that was not clean: ` +
        `${firstUnclean === undefined ? 'none' : `${fmt(firstUnclean)}/s`}\n`,
    );
  }
  const bestSustained = sustained.filter((s) => s.clean).reduce((m, s) => Math.max(m, s.achieved_per_s), 0);
  if (sustained.length > 0) {
    const why = SUSTAIN_SECONDS > 32 ? ': longer than Timer J (32 s), which keeps each answered PUBLISH' : '';
    process.stdout.write(`\nThe highest clean rate again for ${SUSTAIN_SECONDS} s${why}\n`);
    process.stdout.write(publishTable(sustained));
    process.stdout.write(`highest clean rate for ${SUSTAIN_SECONDS} s: ${fmt(bestSustained)} PUBLISH/s\n`);
  }
  if (fan) {
    process.stdout.write(
      `\nNOTIFY fan-out: ${fmt(fan.watchers)} watchers (SIPp) of ${PRESENTITY}, ` +
        `one PUBLISH per round from the bench; ` +
        `times from sending the PUBLISH to the watchers' receipt (SIPp gettimeofday)\n`,
    );
    process.stdout.write(
      table(
        [
          'round',
          'PUBLISH',
          'notified',
          'PUBLISH 200 ms',
          'first NOTIFY ms',
          'last NOTIFY ms',
          'NOTIFY/s',
          'server CPU ms',
          'µs/NOTIFY',
          'drops server/watchers',
        ],
        fan.rounds.map((r) => [
          r.round,
          r.kind,
          r.watchers_notified,
          r.publish_response_ms,
          r.first_notify_ms,
          r.last_notify_ms,
          fmt(r.notifies_per_s),
          r.server_cpu_ms,
          r.server_cpu_us_per_notify,
          `${r.server_udp_drops}/${r.watcher_udp_drops}`,
        ]),
      ),
    );
    process.stdout.write(
      `subscribing took ${fan.subscribe_seconds} s at ${SUBSCRIBE_RATE}/s offered, ` +
        `${fan.server_cpu_us_per_subscribe} µs server CPU per SUBSCRIBE (with its initial NOTIFY); ` +
        `NOTIFYs received again: ${fan.notify_retransmissions}, ` +
        `after their call ended: ${fan.dead_call_messages}, ` +
        `SIPp retransmissions: ${fan.watcher_retransmissions}, failed watcher calls: ${fan.failed_calls}\n`,
    );
  }
  process.stdout.write(
    JSON.stringify({
      benchmark: 'presence-server',
      node: process.version,
      sipp: sippVersion,
      seconds: SECONDS,
      server_rcvbuf: process.env.BENCH_SERVER_RCVBUF ? Number(process.env.BENCH_SERVER_RCVBUF) : 'default',
      publish: {
        highest_clean_per_s: best,
        first_unclean_offered_per_s: firstUnclean ?? null,
        target_per_s: 5000,
        steps,
        second: SECOND,
        sustain_seconds: SUSTAIN_SECONDS,
        highest_clean_sustained_per_s: bestSustained,
        sustained,
      },
      ...(fan ? { fanout: fan } : {}),
    }) + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
  killAll('SIGTERM');
});
