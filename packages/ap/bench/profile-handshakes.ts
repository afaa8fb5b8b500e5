/**
 * Where the AP's CPU goes during `openssl s_time`: for each handshake kind, a fresh AP on core 0 started
 * with `node --cpu-prof`, s_time on core 1 for BENCH_SECONDS after a 1 s warm-up, then the AP stopped
 * (SIGTERM: it writes its profile on exit). Printed per kind: the JavaScript functions with the most self
 * time and with the most time including their callees (from the .cpuprofile), and, when `perf` is
 * installed, the split of all samples of the process (native code included) into OpenSSL, V8/JS, node/libuv,
 * libc and kernel, from `perf record` during the same run.
 *
 *   cd packages/ap && BENCH_SECONDS=5 npx tsx bench/profile-handshakes.ts
 *
 * Then, without profilers, the same kinds against four servers in alternating slices of `s_time -time 1`
 * (BENCH_SECONDS slices each): the AP, a bare node:https server with the same certificate and settings
 * (bench/bare-https-server.ts), the same with 'newSession'/'resumeSession' listeners, and nginx: how much of
 * the AP's cost per handshake is Node's own, and how much its session callbacks add.
 *
 * PROFILE_MODES: the kinds to run, default 1.3-full,1.3-resumed,1.2-full,1.2-resumed.
 * PROFILE_COMPARE=0 skips the comparison. PROFILE_KEEP=1 keeps the profiles (the directory is printed) for
 * Chrome DevTools or speedscope.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx } from './nginx';
import { pin, Processes, type Service } from './procs';
import { stime } from './stime';
import { makeCertificate, startAp, startBareHttps, startHss } from './testbed';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const MODES = (process.env.PROFILE_MODES ?? '1.3-full,1.3-resumed,1.2-full,1.2-resumed').split(',');
const TOP = 12;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

/**
 * What a connection costs in JavaScript, by the Node 20 functions it goes through: a sample counts for a
 * group when any frame of its stack matches (groups include callees and may overlap).
 */
const GROUPS: { label: string; match: (fn: string, url: string) => boolean }[] = [
  {
    label: 'accept: net.Socket, TLSSocket and HTTP connection set-up (onconnection)',
    match: (fn, url) => fn === 'onconnection' && url.endsWith('net'),
  },
  {
    label: "the AP's session-cache callbacks (and the handshake they let go on)",
    match: (_fn, url) => url.includes('tls-session-cache'),
  },
  {
    label: 'the request: HTTP parser error, the 400 and end() (socketOnError)',
    match: (fn) => fn === 'socketOnError',
  },
  {
    label: 'close: stream destroy and socket close (Writable.destroy, Socket._destroy)',
    match: (fn) => fn === 'Writable.destroy' || fn === 'Socket._destroy',
  },
  {
    label: 'ECONNRESET errors and their stack traces (ErrnoException, checkError)',
    match: (fn) => fn === 'ErrnoException' || fn === 'checkError',
  },
];

/** Self and inclusive shares of the busy samples, per function; start-up (module loading) left out. */
function summarise(file: string) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n: ProfileNode) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/.*\/(node_modules|packages)\//, '');
    return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : '(native)'}`;
  };
  const idle = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
  const selfOf = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const groups = GROUPS.map(() => 0);
  let busy = 0;
  let gc = 0;
  for (const n of p.nodes) {
    if (n.hitCount === 0) continue;
    if (n.callFrame.functionName === '(garbage collector)') gc += n.hitCount;
    if (idle.has(n.callFrame.functionName)) continue;
    const chain: ProfileNode[] = [];
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) chain.push(byId.get(id)!);
    // the AP's start (require of its modules) is not part of any handshake
    if (
      chain.some(
        (c) => c.callFrame.url.endsWith('run_main_module') || c.callFrame.url.endsWith('run_main_module.js'),
      )
    )
      continue;
    busy += n.hitCount;
    selfOf.set(name(n), (selfOf.get(name(n)) ?? 0) + n.hitCount);
    for (const k of new Set(chain.filter((c) => !idle.has(c.callFrame.functionName)).map(name)))
      inclusive.set(k, (inclusive.get(k) ?? 0) + n.hitCount);
    GROUPS.forEach((g, i) => {
      if (chain.some((c) => g.match(c.callFrame.functionName, c.callFrame.url))) groups[i]! += n.hitCount;
    });
  }
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([k, v]) => ({ share: Math.round((1000 * v) / busy) / 10, fn: k }));
  return {
    busySamples: busy,
    gcSamples: gc,
    self: top(selfOf),
    inclusive: top(inclusive),
    groups: GROUPS.map((g, i) => ({ share: Math.round((1000 * groups[i]!) / busy) / 10, fn: g.label })),
  };
}

/** perf's self samples of the process, grouped by where the code lives. */
function perfSplit(data: string): { group: string; share: number }[] {
  const r = spawnSync(
    'perf',
    ['report', '-i', data, '--no-children', '--sort', 'sym', '--stdio', '-g', 'none'],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const groups = new Map<string, number>();
  const groupOf = (kernel: boolean, sym: string) => {
    if (kernel) return 'kernel (TCP/IP, syscalls, scheduling)';
    if (
      /^(Builtins_|v8::|LazyCompile|Function:|JS:|Interpreter|Baseline|Maglev|Turbofan|\*|~)|\.js:|^0x[0-9a-f]+$|^\[unknown\]$/.test(
        sym,
      )
    )
      return 'V8: JavaScript, builtins, GC';
    if (
      /sha\d*_block|x25519|fe_|ge_|ecp_nistz256|p256|bn_|BN_|aes|gcm|ghash|ecdsa|poly1305|chacha|mul_mont|sqr_mont|ecx|ec_GFp|ec_point|EC_POINT/i.test(
        sym,
      )
    )
      return 'OpenSSL: crypto arithmetic (EC, X25519, SHA, AES-GCM)';
    if (
      /^(ssl|SSL|tls|TLS|dtls|ASN1|asn1|EVP|evp|OSSL|ossl|CRYPTO|OPENSSL|ERR|BIO|X509|x509|PACKET|WPACKET|lh_|OPENSSL_sk|sk_|ctx|provider|HMAC|hmac|kdf|KDF|RAND|rand|drbg|EC_|ec_|PEM|pem|i2d|d2i|tls13|statem|construct|ssl3|ossl_)/.test(
        sym,
      )
    )
      return 'OpenSSL: TLS state machine, ASN.1, EVP/provider lookups';
    if (/^(node::|uv_|uv__|napi_)/.test(sym)) return 'node C++ and libuv';
    if (
      /malloc|free|realloc|calloc|^mem|^str|^__mem|^__str|pthread|^__libc|^_int_|^__GI|epoll|^__lll/.test(sym)
    )
      return 'libc (malloc, memcpy, locks)';
    return 'other';
  };
  for (const line of r.stdout.split('\n')) {
    const m = /^\s+([\d.]+)%\s+\[(.)\]\s+(.*)$/.exec(line);
    if (!m) continue;
    const g = groupOf(m[2] === 'k', m[3]!.trim());
    groups.set(g, (groups.get(g) ?? 0) + Number(m[1]));
  }
  return [...groups]
    .sort((a, b) => b[1] - a[1])
    .map(([group, share]) => ({ group, share: Math.round(share * 10) / 10 }));
}

/** Handshakes/s and server CPU µs per handshake of four servers, alternating slices. */
async function compare(procs: Processes, dir: string, tls: { cert: string; key: string }, hss: Service) {
  const servers: Service[] = [
    await startAp(procs, dir, {
      name: 'AP',
      hss,
      tls,
      routes: [{ pathPrefix: '/services', upstream: 'http://127.0.0.1:9' }],
      core: 0,
      nodeArgs: [],
    }),
    await startBareHttps(procs, 'bare node:https', tls, { core: 0 }),
    await startBareHttps(procs, 'bare node:https + session callbacks', tls, {
      core: 0,
      sessionCallbacks: true,
    }),
    await startNginx(procs, { dir, ...tls, files: {} }),
  ];
  const port = (s: Service) => Number(s.ready.endpoints.https!.split(':')[1]);
  for (const s of servers) await stime(port(s), { version: '1.3', reuse: false, seconds: 1 });
  const out: string[] = [
    `== the same handshakes, no profiler: ${SECONDS} alternating slices of s_time -time 1 per server`,
    `| TLS | handshake | ${servers.map((s) => `${s.name} /s (CPU µs/hs)`).join(' | ')} |`,
    `|---|---|${servers.map(() => '---:').join('|')}|`,
  ];
  for (const mode of MODES) {
    const [version, kind] = mode.split('-') as ['1.3' | '1.2', 'full' | 'resumed'];
    const t = servers.map(() => ({ n: 0, wall: 0, cpu: 0 }));
    for (let k = 0; k < SECONDS; k++) {
      for (const [i, s] of servers.entries()) {
        const cpu0 = s.cpu();
        const r = await stime(port(s), { version, reuse: kind === 'resumed', seconds: 1 });
        if (kind === 'resumed' && r.reused < r.connections)
          throw new Error(`${s.name}: ${r.reused} of ${r.connections} resumed`);
        t[i]!.cpu += s.cpu() - cpu0;
        t[i]!.n += r.connections;
        t[i]!.wall += r.wallSeconds;
      }
    }
    out.push(
      `| ${version} | ${kind} | ${t.map((x) => `${Math.round(x.n / x.wall)} (${Math.round((x.cpu / x.n) * 1e6)})`).join(' | ')} |`,
    );
  }
  process.stdout.write(out.join('\n') + '\n');
}

async function main() {
  pin(process.pid, 1);
  const dir = mkdtempSync(join(tmpdir(), 'ap-profile-'));
  const procs = new Processes();
  // also when SIGINT/SIGTERM end the run (after Processes has ended the services)
  if (!process.env.PROFILE_KEEP) process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const havePerf = spawnSync('perf', ['--version']).status === 0;
  try {
    const tls = makeCertificate(dir);
    const hss = await startHss(procs, dir, 1);
    for (const mode of MODES) {
      const [version, kind] = mode.split('-') as ['1.3' | '1.2', 'full' | 'resumed'];
      const profDir = join(dir, mode);
      mkdirSync(profDir);
      // a fresh AP per kind, so that each profile holds one kind of handshake; the route is never used
      const ap = await startAp(procs, dir, {
        name: `ap-${mode}`,
        hss,
        tls,
        routes: [{ pathPrefix: '/services', upstream: 'http://127.0.0.1:9' }],
        core: 0,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
      });
      const port = Number(ap.ready.endpoints.https!.split(':')[1]);
      await stime(port, { version, reuse: kind === 'resumed', seconds: 1 });
      const perfData = join(profDir, 'perf.data');
      const perf = havePerf
        ? spawn(
            'perf',
            ['record', '-e', 'cpu-clock', '-F', '999', '-g', '-p', String(ap.pid), '-o', perfData],
            {
              stdio: 'ignore',
            },
          )
        : undefined;
      const cpu0 = ap.cpu();
      const run = await stime(port, { version, reuse: kind === 'resumed', seconds: SECONDS });
      const cpu = ap.cpu() - cpu0;
      if (perf) {
        perf.kill('SIGINT');
        await new Promise((r) => perf.once('exit', r));
      }
      await procs.stop(ap);
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`${mode}: the AP wrote no .cpuprofile`);
      const s = summarise(join(profDir, file));
      const out: string[] = [];
      out.push(
        `== TLS ${version} ${kind}: ${Math.round(run.perSecond)}/s under the profiler, ` +
          `${Math.round((cpu / run.connections) * 1e6)} µs AP CPU per handshake (${run.reused} reused of ${run.connections})`,
      );
      out.push(`   ${run.command}`);
      out.push('   JavaScript self time (share of the busy samples of the main thread):');
      for (const x of s.self) out.push(`   ${x.share.toFixed(1).padStart(5)}%  ${x.fn}`);
      out.push('   including callees:');
      for (const x of s.inclusive) out.push(`   ${x.share.toFixed(1).padStart(5)}%  ${x.fn}`);
      out.push('   by what the connection does (including callees; groups overlap):');
      for (const x of s.groups) out.push(`   ${x.share.toFixed(1).padStart(5)}%  ${x.fn}`);
      if (perf) {
        out.push('   perf, all threads, self samples by where the code is:');
        for (const g of perfSplit(perfData)) out.push(`   ${g.share.toFixed(1).padStart(5)}%  ${g.group}`);
      }
      process.stdout.write(out.join('\n') + '\n\n');
    }
    if (process.env.PROFILE_COMPARE !== '0') await compare(procs, dir, tls, hss);
  } finally {
    await procs.stopAll();
    if (process.env.PROFILE_KEEP) process.stdout.write(`profiles kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`profile: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
