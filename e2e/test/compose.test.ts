/**
 * docker-compose.yml without Docker (there is no engine on the build machines): its services run as
 * processes from the file's own commands, environment and healthchecks (support/compose.ts lists what is
 * rewritten, and why: only what Docker alone provides), in depends_on order, and the topology must work:
 * the AP challenges with a Digest AKA nonce it could only have from the HSS over Diameter, the presence
 * server answers SIP, the scaled APs resume each other's TLS sessions through Redis, and SIGTERM stops each
 * with exit code 0. Beside that, the compose file, the Dockerfile, the config files and config/haproxy.cfg
 * must agree with each other, so that what runs here is what the containers would run.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { request } from 'node:https';
import { isIPv4 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, X509Certificate } from 'node:crypto';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import {
  addressOf,
  commandSection,
  ComposeRun,
  configFileOf,
  environmentOf,
  hostPath,
  isTestbedBin,
  loadCompose,
  namedVolumeOf,
  namesOf,
  readConfig,
  ROOT,
  sectionOf,
  startOrder,
  workspaceBins,
  type ComposeService,
} from './support/compose';

const compose = loadCompose();
const services = Object.entries(compose.services);
/** Services run from the image the Dockerfile builds. */
const testbedImage = services.filter(([, s]) => s.build !== undefined);
const mainConfig = readConfig(join(ROOT, 'config', 'compose.yaml'));
const IMPU = 'sip:user1_public1@home1.net';

const split = (hp: string) => {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
};

// ---------------------------------------------------------------------------------------------------------
// The Dockerfile, read as Docker reads it: continuation lines joined, heredoc bodies kept with their RUN
// ---------------------------------------------------------------------------------------------------------

interface Stage {
  from: string;
  name: string;
  instructions: string[];
}

function dockerfile(): { args: Record<string, string>; stages: Stage[] } {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').split('\n');
  const instructions: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i]!.trim();
    const heredoc = /<<-?['"]?(\w+)['"]?/.exec(line);
    if (heredoc) {
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== heredoc[1]) line += '\n' + lines[++i]!;
      i++;
    }
    instructions.push(line.trim());
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    const from = /^FROM\s+(\S+)\s+AS\s+(\S+)$/i.exec(ins);
    if (from) stages.push({ from: from[1]!, name: from[2]!, instructions: [] });
    else if (stages.length === 0 && /^ARG\s/i.test(ins)) {
      const [k, v] = ins.slice(4).trim().split('=') as [string, string];
      args[k] = v;
    } else stages.at(-1)?.instructions.push(ins);
  }
  return { args, stages };
}

// ---------------------------------------------------------------------------------------------------------
// What must agree without running anything
// ---------------------------------------------------------------------------------------------------------

describe('docker-compose.yml, the Dockerfile and the config files agree', () => {
  it('the Dockerfile builds in a build stage (npm ci, npm run build) and runs a runtime stage of the same base image', () => {
    const { args, stages } = dockerfile();
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const [build, runtime] = stages as [Stage, Stage];
    // better-sqlite3 is compiled in the build stage: the runtime must be the same libc and architecture
    expect(runtime.from).toBe(build.from);
    const image = build.from.replace(/^\$\{(\w+)\}$/, (_, k: string) => args[k] ?? '');
    expect(image).toMatch(/^node:20[\d.]*-bookworm-slim$/);
    const runs = (s: Stage) => s.instructions.filter((i) => i.startsWith('RUN '));
    expect(runs(build).some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs(build).some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(runs(build).some((r) => /\bnpm prune --omit=dev\b/.test(r))).toBe(true);
    // nothing is installed or compiled in the runtime stage: it takes the build stage's tree as it is
    expect(runs(runtime).filter((r) => /\bnpm\b|apt-get|node-gyp/.test(r))).toEqual([]);
    expect(runtime.instructions).toContain('COPY --from=build /out/ /app/');
    expect(runtime.instructions.some((i) => /^ENV .*PATH=\/app\/node_modules\/\.bin:/.test(i))).toBe(true);
    // a host's node_modules (native modules built for the host) never reaches the build context
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.git']));
  });

  it('every service runs the image built from the Dockerfile, except redis and haproxy', () => {
    const { stages } = dockerfile();
    expect(testbedImage.map(([n]) => n)).toEqual([
      'hss',
      'xcap',
      'ap',
      'presence',
      'ap-cert',
      'ap-1',
      'ap-2',
    ]);
    for (const [, s] of testbedImage) {
      expect(s.build).toEqual({ context: '.', target: 'runtime' });
      expect(stages.map((st) => st.name)).toContain(s.build!.target);
      // one image name, so that the services share one build
      expect(s.image).toBe('ut-testbed:local');
    }
    const others = services.filter(([, s]) => s.build === undefined);
    expect(others.map(([n, s]) => [n, s.image])).toEqual([
      ['redis', 'redis:7-bookworm'],
      ['haproxy', 'haproxy:2.8'],
    ]);
  });

  it('every command names a bin of packages/*/package.json whose package ships it, or is node -e', () => {
    const bins = workspaceBins();
    for (const [name, s] of testbedImage) {
      const [cmd, ...args] = s.command!;
      if (cmd === 'node') {
        expect([name, args[0]]).toEqual([name, '-e']);
        continue;
      }
      const bin = bins.get(cmd!);
      expect([name, cmd, bin !== undefined]).toEqual([name, cmd, true]);
      expect(existsSync(bin!.script)).toBe(true);
      // the runtime image holds what each package's "files" lists (the Dockerfile copies exactly that)
      expect(bin!.manifest.files).toEqual(expect.arrayContaining(['bin', 'dist']));
      expect(isTestbedBin(cmd)).toBe(true);
      expect(args.slice(0, 1)).toEqual(['start']);
    }
  });

  it("each testbed service's --config is a file of the ./config mount holding the section its command reads", () => {
    for (const [name, s] of testbedImage.filter(([, s]) => isTestbedBin(s.command?.[0]))) {
      expect([name, s.volumes]).toEqual([name, expect.arrayContaining(['./config:/config:ro'])]);
      const { file } = configFileOf(s);
      expect(file.startsWith(join(ROOT, 'config') + '/')).toBe(true);
      const section = sectionOf(readConfig(file), commandSection(s));
      // reached from other containers or a published port: not only from inside its own container
      expect([name, section.listen.host]).toEqual([name, '0.0.0.0']);
      // the admin port the healthcheck asks
      expect([name, section.admin?.port]).toEqual([name, 9090]);
      expect(s.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:9090/health');
    }
    // the HSS's provisioning API stays inside its container; the others serve /metrics to the network
    expect(sectionOf(mainConfig, 'hss').admin?.host).toBe('127.0.0.1');
  });

  it('every service depends_on what its config connects to, with a healthy condition, never on another profile', () => {
    const byName = (host: string) => services.find(([n, s]) => namesOf(n, s).includes(host))?.[0];
    for (const [name, s] of testbedImage.filter(([, s]) => isTestbedBin(s.command?.[0]))) {
      const section = sectionOf(readConfig(configFileOf(s).file), commandSection(s));
      const redisUrl = section.tls?.sessionCache?.redisUrl;
      const peers = [
        ...(section.hss ? [section.hss.host] : []),
        ...(section.routes ?? []).map((r) => new URL(r.upstream).hostname),
        ...(redisUrl ? [new URL(redisUrl).hostname] : []),
        ...(section.xcapRoot ? [new URL(section.xcapRoot).hostname] : []),
      ];
      expect([name, peers.length > 0 || s.command![0] !== 'ap']).toEqual([name, true]);
      for (const host of peers) {
        const peer = byName(host);
        expect([name, host, peer]).toEqual([name, host, expect.any(String)]);
        expect([name, s.depends_on?.[peer!]]).toEqual([name, { condition: 'service_healthy' }]);
      }
    }
    for (const [name, s] of services) {
      for (const d of Object.keys(s.depends_on ?? {})) {
        const dep = compose.services[d]!;
        // a service of the default set that needed a profiled one would not start without the profile
        if (!s.profiles) expect([name, d, dep.profiles]).toEqual([name, d, undefined]);
      }
    }
    expect(startOrder(compose, ['ap', 'presence', 'ap-1', 'ap-2', 'haproxy'])).toEqual([
      'hss',
      'xcap',
      'ap',
      'presence',
      'redis',
      'ap-cert',
      'ap-1',
      'ap-2',
      'haproxy',
    ]);
  });

  it('fixed addresses in the subnet, outside the dynamic range, once each; the trust lists name exactly the right ones', () => {
    const ipam = compose.networks.home1!.ipam.config[0]!;
    const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    const within = (ip: string, cidr: string) => {
      const [base, bits] = cidr.split('/') as [string, string];
      const size = 2 ** (32 - Number(bits));
      return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
    };
    const addresses = new Map<string, string>();
    for (const [name, s] of services) {
      if (s.network_mode === 'none') continue;
      const ip = addressOf(s);
      expect([name, ip !== undefined && isIPv4(ip)]).toEqual([name, true]);
      expect([name, within(ip!, ipam.subnet), within(ip!, ipam.ip_range), ip === ipam.gateway]).toEqual([
        name,
        true,
        false,
        false,
      ]);
      addresses.set(name, ip!);
    }
    expect(new Set(addresses.values()).size).toBe(addresses.size);
    // X-3GPP-Asserted-Identity and the change stream: every AP, and the presence server reading lists
    const trustedByXcap = services
      .filter(([, s]) => s.command?.[0] === 'ap' || s.command?.[0] === 'presence-server')
      .map(([n]) => addresses.get(n));
    expect([...sectionOf(mainConfig, 'xcap').trustedProxies!].sort()).toEqual(trustedByXcap.sort());
    // the UE on the Docker host, through a published port
    expect(sectionOf(mainConfig, 'presence').trustedPeers).toEqual([ipam.gateway]);
  });

  it('the published ports are the ports and transports the services listen on', () => {
    const targets = (s: ComposeService) =>
      (s.ports ?? []).map((p) => {
        const [, target, proto] = /^(?:[\d.]+:)?\d+:(\d+)(?:\/(udp|tcp))?$/.exec(p)!;
        return `${target}/${proto ?? 'tcp'}`;
      });
    const ap = sectionOf(mainConfig, 'ap').listen;
    const presence = sectionOf(mainConfig, 'presence').listen;
    expect(targets(compose.services.ap!)).toEqual([`${ap.port}/tcp`]);
    expect(targets(compose.services.presence!)).toEqual(
      presence.transports!.map((t) => `${presence.port}/${t}`),
    );
    expect(compose.services.ap!.ports).toEqual(['8443:8443']);
    expect(compose.services.presence!.ports).toEqual(['5060:5060/udp', '5060:5060/tcp']);
    // nothing else of the default set is reachable from outside (the XCAP server is behind the AP)
    for (const n of ['hss', 'xcap']) expect([n, compose.services[n]!.ports]).toEqual([n, undefined]);
  });

  it('the scaled APs: one config but for a distinct originHost, Redis, the certificate of ap-cert; haproxy balances exactly them', () => {
    const scaled = services.filter(([, s]) => s.profiles?.includes('scaled')).map(([n]) => n);
    expect(scaled).toEqual(['redis', 'ap-cert', 'ap-1', 'ap-2', 'haproxy']);
    const aps = ['ap-1', 'ap-2'].map((n) => {
      const s = compose.services[n]!;
      return { name: n, s, ap: sectionOf(readConfig(configFileOf(s).file), 'ap') };
    });
    const [a, b] = aps as [(typeof aps)[0], (typeof aps)[0]];
    expect({ ...a.ap, originHost: 'x' }).toEqual({ ...b.ap, originHost: 'x' });
    const origins = [a.ap.originHost, b.ap.originHost, sectionOf(mainConfig, 'ap').originHost];
    expect(new Set(origins).size).toBe(3);
    expect(a.ap.tls!.sessionCache!.store).toBe('redis');
    expect(namesOf('redis', compose.services.redis!)).toContain(
      new URL(a.ap.tls!.sessionCache!.redisUrl!).hostname,
    );
    // the certificate and key are on the volume ap-cert writes to
    const cert = compose.services['ap-cert']!;
    const certDir = environmentOf(cert).CERT_DIR!;
    for (const { s, ap } of aps) {
      for (const f of [ap.tls!.cert!, ap.tls!.key!]) {
        expect(namedVolumeOf(s, f)).toBe(namedVolumeOf(cert, certDir));
        expect(f.startsWith(certDir + '/')).toBe(true);
      }
    }
    // config/haproxy.cfg, mounted where the haproxy image reads it
    const haproxy = compose.services.haproxy!;
    const cfgFile = hostPath(haproxy, '/usr/local/etc/haproxy/haproxy.cfg');
    expect(cfgFile).toBe(join(ROOT, 'config', 'haproxy.cfg'));
    const cfg = readFileSync(cfgFile, 'utf8');
    expect(cfg).toMatch(/^\s+mode tcp$/m);
    const servers = [...cfg.matchAll(/^\s+server (\S+) (\S+):(\d+)/gm)].map((m) => [
      m[1],
      m[2],
      Number(m[3]),
    ]);
    expect(servers).toEqual(aps.map(({ name, s, ap }) => [name, s.hostname, ap.listen.port]));
    for (const { name, s } of aps) expect(namesOf(name, s)).toContain(s.hostname);
    // haproxy's health check asks the APs' admin port, where their /health is
    expect(/default-server .*\bport (\d+)/.exec(cfg)?.[1]).toBe(String(a.ap.admin!.port));
    const bind = /^\s+bind :(\d+)$/m.exec(cfg)?.[1];
    expect(haproxy.ports).toEqual([`9443:${bind}`]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The topology, run
// ---------------------------------------------------------------------------------------------------------

/** GET over HTTPS (certificate not checked: the single AP makes its own at start); status, headers, SANs. */
function httpsGet(endpoint: string, path: string) {
  const { host, port } = split(endpoint);
  return new Promise<{ status: number; headers: Record<string, unknown>; san: string }>((resolve, reject) => {
    const req = request(
      { host, port, path, servername: 'xcap.home1.net', rejectUnauthorized: false, agent: false },
      (res) => {
        const san = (res.socket as TLSSocket).getPeerCertificate().subjectaltname ?? '';
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, san }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function httpGetText(endpoint: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`http://${endpoint}${path}`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** The parameters of a `Digest` challenge. */
function digestParams(header: string): Record<string, string> {
  expect(header).toMatch(/^Digest /);
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([\w-]+)=(?:"([^"]*)"|([^\s,]+))/g))
    params[m[1]!] = m[2] ?? m[3]!;
  return params;
}

describe('the default services as processes: hss, xcap, ap, presence', () => {
  const defaults = services.filter(([, s]) => s.profiles === undefined).map(([n]) => n);
  let dir: string;
  let run: ComposeRun;
  const admin: Record<string, string> = {};

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'e2e-compose-'));
    run = new ComposeRun(compose, dir);
  });
  afterAll(async () => {
    await run.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('start in depends_on order, each printing its ready line, each passing its own healthcheck', async () => {
    expect([...defaults].sort()).toEqual(['ap', 'hss', 'presence', 'xcap']);
    const order = startOrder(compose, defaults);
    expect(order).toEqual(['hss', 'xcap', 'ap', 'presence']);
    for (const name of order) {
      const s = await run.start(name);
      expect(s.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
      admin[name] = s.endpoints.admin!;
      // what compose waits for (service_healthy) before it starts the services that depend on this one
      expect([name, await run.healthcheck(name, admin[name])]).toEqual([name, 0]);
    }
    expect(run.started.get('presence')!.endpoints).toEqual({
      udp: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      tcp: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      admin: expect.any(String),
    });
  }, 90_000);

  it('an HTTPS request to the AP gets a Digest AKA challenge with a nonce RAND‖AUTN from the HSS over Diameter', async () => {
    const ap = run.started.get('ap')!;
    const r = await httpsGet(ap.endpoint, `/services/resource-lists/users/${IMPU}/index`);
    expect(r.status).toBe(401);
    expect(r.san).toContain('DNS:xcap.home1.net');
    const p = digestParams(String(r.headers['www-authenticate']));
    expect(p.realm).toBe(mainConfig.realm);
    const { algorithm } = sectionOf(mainConfig, 'ap').auth as { algorithm: string };
    expect(algorithm).toBe('AKAv2-MD5');
    expect(p.algorithm).toBe(algorithm);
    const nonce = Buffer.from(p.nonce!, 'base64');
    // RAND (16 octets) ‖ AUTN (16 octets), in canonical base64
    expect(nonce.length).toBe(32);
    expect(nonce.toString('base64')).toBe(p.nonce);
    // and the HSS says it issued that vector
    const metrics = await httpGetText(admin.hss!, '/metrics');
    expect(/^hss_vectors_issued_total (\d+)$/m.exec(metrics)?.[1]).toBe('1');
  });

  it('the presence server answers OPTIONS over UDP with 200', async () => {
    const { host, port } = split(run.started.get('presence')!.endpoints.udp!);
    const sock = createSocket('udp4');
    try {
      sock.bind(0, '127.0.0.1');
      await once(sock, 'listening');
      const local = sock.address().port;
      const callId = `${randomBytes(8).toString('hex')}@127.0.0.1`;
      const options = [
        'OPTIONS sip:ps.home1.net SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
        'Max-Forwards: 70',
        `From: <${IMPU}>;tag=${randomBytes(4).toString('hex')}`,
        'To: <sip:ps.home1.net>',
        `Call-ID: ${callId}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      const answer = once(sock, 'message') as Promise<[Buffer, unknown]>;
      sock.send(options, port, host);
      const [msg] = await answer;
      const [status, ...headers] = msg.toString('utf8').split('\r\n');
      expect(status).toBe('SIP/2.0 200 OK');
      const header = (n: string) =>
        headers.find((h) => h.toLowerCase().startsWith(n.toLowerCase() + ':'))?.replace(/^[^:]+:\s*/, '');
      expect(header('Call-ID')).toBe(callId);
      expect(header('CSeq')).toBe('1 OPTIONS');
      expect(header('Allow')).toContain('SUBSCRIBE');
    } finally {
      sock.close();
    }
  });

  it('SIGTERM stops each, the last started first, with exit code 0; the healthcheck then fails', async () => {
    expect(await run.stopAll()).toEqual({ presence: 0, ap: 0, xcap: 0, hss: 0 });
    expect(await run.healthcheck('hss', admin.hss!)).toBe(1);
  });
});

describe('the scaled profile as processes: redis, ap-cert, ap-1 and ap-2 sharing TLS sessions', () => {
  let dir: string;
  let run: ComposeRun;
  let certificate: { cert: string; fingerprint256: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'e2e-compose-scaled-'));
    run = new ComposeRun(compose, dir);
  });
  afterAll(async () => {
    await run.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  // haproxy is not run here (not on the build machines): its config is checked against the APs above
  it('start in depends_on order: ap-cert writes the certificate, the APs start on it with Redis', async () => {
    const order = startOrder(compose, ['ap-1', 'ap-2']);
    expect(order).toEqual(['hss', 'xcap', 'redis', 'ap-cert', 'ap-1', 'ap-2']);
    for (const name of order) {
      if (name === 'redis') {
        await run.startRedis(name);
      } else if (name === 'ap-cert') {
        const r = await run.runOnce(name);
        expect([r.code, r.stderr]).toEqual([0, '']);
        const line = JSON.parse(r.stdout) as { cert: string; fingerprint256: string; kept: boolean };
        expect(line.kept).toBe(false);
        certificate = { cert: readFileSync(line.cert, 'utf8'), fingerprint256: line.fingerprint256 };
        expect(new X509Certificate(certificate.cert).fingerprint256).toBe(line.fingerprint256);
      } else {
        const s = await run.start(name);
        expect([name, await run.healthcheck(name, s.endpoints.admin!)]).toEqual([name, 0]);
      }
    }
  }, 90_000);

  it('ap-cert run again keeps the certificate that is still valid', async () => {
    const r = await run.runOnce('ap-cert');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ fingerprint256: certificate.fingerprint256, kept: true });
  });

  it('both APs present the certificate of ap-cert, and a TLS session made with ap-1 resumes on ap-2', async () => {
    const tlsTo = (name: string, o: ConnectionOptions = {}) => {
      const { host, port } = split(run.started.get(name)!.endpoint);
      const socket = connect({ host, port, servername: 'xcap.home1.net', ca: certificate.cert, ...o });
      const session = new Promise<Buffer>((r) => socket.once('session', r));
      return once(socket, 'secureConnect').then(() => ({ socket, session }));
    };
    const one = await tlsTo('ap-1');
    expect(one.socket.getPeerCertificate().fingerprint256).toBe(certificate.fingerprint256);
    expect(one.socket.isSessionReused()).toBe(false);
    const session = await one.session;
    one.socket.end();
    const fresh = await tlsTo('ap-2');
    expect(fresh.socket.getPeerCertificate().fingerprint256).toBe(certificate.fingerprint256);
    fresh.socket.end();
    const resumed = await tlsTo('ap-2', { session });
    expect(resumed.socket.isSessionReused()).toBe(true);
    resumed.socket.end();
  });

  it('SIGTERM stops each with exit code 0', async () => {
    expect(await run.stopAll()).toEqual({ 'ap-2': 0, 'ap-1': 0, redis: 0, xcap: 0, hss: 0 });
  });
});
