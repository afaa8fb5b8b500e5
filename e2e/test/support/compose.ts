/**
 * docker-compose.yml as data, and its services run as processes on this machine: each from the service's own
 * `command` and `environment`, with only what Docker alone provides rewritten (see `ComposeRun`). That is
 * what keeps the compose file from drifting from what the tests run, without a Docker engine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '@ut-testbed/diameter-codec';
import { startServiceProcess, type ServiceProcess } from '@ut-testbed/service-kit';
import { parse, stringify } from 'yaml';

export const ROOT = resolve(__dirname, '..', '..', '..');

export interface ComposeNetworkAttachment {
  ipv4_address?: string;
  aliases?: string[];
}

export interface ComposeHealthcheck {
  test: string[];
}

export interface ComposeService {
  image?: string;
  build?: { context: string; target?: string };
  command?: string[];
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition: string }>;
  hostname?: string;
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  networks?: Record<string, ComposeNetworkAttachment | null>;
  network_mode?: string;
  healthcheck?: ComposeHealthcheck;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<string, { ipam: { config: { subnet: string; gateway: string; ip_range: string }[] } }>;
  volumes: Record<string, unknown>;
}

/** docker-compose.yml with its `<<` merge keys applied, as Compose applies them. */
export function loadCompose(): ComposeFile {
  return parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
}

/** The service's `environment` as a mapping (Compose takes a mapping or a list of NAME=value). */
export function environmentOf(s: ComposeService): Record<string, string> {
  if (s.environment === undefined) return {};
  if (!Array.isArray(s.environment)) return { ...s.environment };
  return Object.fromEntries(
    s.environment.map((e) => {
      const i = e.indexOf('=');
      return [e.slice(0, i), e.slice(i + 1)];
    }),
  );
}

/** Every name a service is reachable by on the compose network: its service name, hostname and aliases. */
export function namesOf(name: string, s: ComposeService): string[] {
  const aliases = Object.values(s.networks ?? {}).flatMap((n) => n?.aliases ?? []);
  return [name, ...(s.hostname ? [s.hostname] : []), ...aliases];
}

export function addressOf(s: ComposeService): string | undefined {
  return Object.values(s.networks ?? {}).find((n) => n?.ipv4_address)?.ipv4_address;
}

/** The services in an order that starts each after what it `depends_on` (Compose's start order). */
export function startOrder(compose: ComposeFile, names: readonly string[]): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (n: string) => {
    if (order.includes(n)) return;
    if (visiting.has(n)) throw new Error(`depends_on cycle through ${n}`);
    const s = compose.services[n];
    if (s === undefined) throw new Error(`no service ${n}`);
    visiting.add(n);
    for (const d of Object.keys(s.depends_on ?? {})) visit(d);
    visiting.delete(n);
    order.push(n);
  };
  names.forEach(visit);
  return order;
}

export interface WorkspaceBin {
  /** the bin's script, absolute */
  script: string;
  /** the workspace's folder, absolute */
  dir: string;
  /** the package.json of that workspace */
  manifest: { name: string; bin: Record<string, string>; files?: string[] };
}

/** Every command the workspace packages install (packages/* /package.json "bin"), by name. */
export function workspaceBins(): Map<string, WorkspaceBin> {
  const bins = new Map<string, WorkspaceBin>();
  for (const d of readdirSync(join(ROOT, 'packages'))) {
    const dir = join(ROOT, 'packages', d);
    let manifest: WorkspaceBin['manifest'];
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as WorkspaceBin['manifest'];
    } catch {
      continue; // not a package
    }
    for (const [bin, path] of Object.entries(manifest.bin ?? {})) {
      bins.set(bin, { script: join(dir, path), dir, manifest });
    }
  }
  return bins;
}

/** The config section each testbed command reads, and the ready-line endpoint its peers connect to. */
export const SECTIONS = {
  'hss-sim': { section: 'hss', endpoint: 'diameter' },
  'xcap-server': { section: 'xcap', endpoint: 'http' },
  ap: { section: 'ap', endpoint: 'https' },
  'presence-server': { section: 'presence', endpoint: 'udp' },
} as const;
export type TestbedBin = keyof typeof SECTIONS;
export const isTestbedBin = (b: string | undefined): b is TestbedBin => b !== undefined && b in SECTIONS;

/** The config section a testbed service's command reads (hss, xcap, ap, presence). */
export function commandSection(s: ComposeService): string {
  const bin = s.command?.[0];
  if (!isTestbedBin(bin)) throw new Error(`${bin} is not a testbed command`);
  return SECTIONS[bin].section;
}

/** A host path for a container path, by the service's bind mounts (`./config:/config:ro`). */
export function hostPath(s: ComposeService, containerPath: string): string {
  for (const v of s.volumes ?? []) {
    const [src, dst] = v.split(':') as [string, string];
    if (!src.startsWith('.')) continue; // a named volume: not a host path
    if (containerPath === dst || containerPath.startsWith(dst + '/')) {
      return join(ROOT, src, containerPath.slice(dst.length));
    }
  }
  throw new Error(`${containerPath} is not on a bind mount of the service`);
}

/** The named volume a container path is on, if any (`hss-data:/data`). */
export function namedVolumeOf(s: ComposeService, containerPath: string): string | undefined {
  for (const v of s.volumes ?? []) {
    const [src, dst] = v.split(':') as [string, string];
    if (src.startsWith('.') || src.startsWith('/')) continue;
    if (containerPath === dst || containerPath.startsWith(dst + '/')) return src;
  }
  return undefined;
}

/** The config file a testbed service's command names (`--config /config/...`), on the host. */
export function configFileOf(s: ComposeService): { arg: number; file: string } {
  const args = s.command ?? [];
  const i = args.indexOf('--config');
  if (i < 0 || args[i + 1] === undefined) throw new Error('the command has no --config');
  return { arg: i + 1, file: hostPath(s, args[i + 1]!) };
}

/** The keys of a service's config section that the rewrite touches (config/testbed.yaml has them all). */
export interface Section {
  listen: { host: string; port: number; transports?: string[] };
  admin?: { host: string; port: number };
  database?: string;
  originHost?: string;
  hss?: { host: string; port: number };
  routes?: { pathPrefix: string; upstream: string; host?: string }[];
  tls?: { cert: string | null; key: string | null; sessionCache?: { store: string; redisUrl?: string } };
  trustedProxies?: string[];
  trustedPeers?: string[];
  xcapRoot?: string;
  [key: string]: unknown;
}

/** A config file: `realm` and the sections. */
export type Cfg = { realm?: string } & { [section: string]: Section | string | undefined };

export function readConfig(file: string): Cfg {
  return parse(readFileSync(file, 'utf8')) as Cfg;
}

export function sectionOf(cfg: Cfg, key: string): Section {
  const section = cfg[key];
  if (typeof section !== 'object') throw new Error(`the config has no ${key} section`);
  return section;
}

export interface Started {
  name: string;
  /** the address its peers connect to ("127.0.0.1:port") */
  endpoint: string;
  endpoints: Record<string, string>;
  /** SIGTERM; the exit code */
  stop(): Promise<number | null>;
  proc: ChildProcess;
}

const hostPort = (hp: string) => {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
};

/**
 * Runs compose services as processes. What only Docker provides, and how each is rewritten:
 *
 * - Container names (hss.home1.net, as.home1.net, redis.home1.net, ...): every process runs on 127.0.0.1,
 *   so a peer's host:port in a config (ap.hss, ap.routes[].upstream, presence.xcapRoot,
 *   ap.tls.sessionCache.redisUrl) becomes the address that peer printed in its ready line. The name must
 *   be a name of that compose service and the port the one it listens on there, or the run fails.
 * - Container ports: listeners and admin listeners take port 0 (any free port, read from the ready line)
 *   on 127.0.0.1 instead of 0.0.0.0 and the fixed container ports; redis-server, which cannot print its
 *   port, gets a free one with --port (and --bind 127.0.0.1).
 * - Fixed container addresses (xcap.trustedProxies, presence.trustedPeers): every process here connects
 *   from 127.0.0.1, so the lists become [127.0.0.1]. The tests check separately that the lists name the
 *   compose addresses they should.
 * - Volumes: paths on a named volume (/data/hss.db, /certs/ap.crt) move to a folder per volume in `dir`;
 *   the config files on the ./config bind mount are read from the repository, and the rewritten copy is
 *   written to `dir` and given to --config instead.
 * - Healthchecks run their own command with the admin address from the ready line instead of
 *   127.0.0.1:9090.
 */
export class ComposeRun {
  readonly started = new Map<string, Started>();
  private readonly bins = workspaceBins();

  constructor(
    readonly compose: ComposeFile,
    readonly dir: string,
  ) {}

  /** The folder standing for a named volume. */
  volumeDir(volume: string): string {
    const d = join(this.dir, 'volumes', volume);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** A container path on a host folder: named volumes to their folder here, bind mounts to the repository. */
  private path(s: ComposeService, containerPath: string): string {
    const volume = namedVolumeOf(s, containerPath);
    if (volume === undefined) return hostPath(s, containerPath);
    const dst = (s.volumes ?? []).map((v) => v.split(':')).find(([src]) => src === volume)![1]!;
    return join(this.volumeDir(volume), containerPath.slice(dst.length));
  }

  /** The running service that `host` names on the compose network. */
  private peer(host: string, port: number, what: string): Started {
    const entry = Object.entries(this.compose.services).find(([n, s]) => namesOf(n, s).includes(host));
    if (entry === undefined) throw new Error(`${what}: ${host} is no name of a compose service`);
    const [name, s] = entry;
    const listening = this.containerPortOf(name, s);
    if (listening !== port) {
      throw new Error(`${what}: ${host}:${port}, but ${name} listens on ${listening} in its container`);
    }
    const running = this.started.get(name);
    if (running === undefined) throw new Error(`${what}: ${name} is not started (depends_on?)`);
    return running;
  }

  /** The port a service listens on inside its container, from its own config (or redis's default). */
  containerPortOf(name: string, s: ComposeService): number {
    const bin = s.command?.[0];
    if (isTestbedBin(bin)) {
      return sectionOf(readConfig(configFileOf(s).file), SECTIONS[bin].section).listen.port;
    }
    if (bin === 'redis-server') {
      const i = s.command!.indexOf('--port');
      return i < 0 ? 6379 : Number(s.command![i + 1]);
    }
    throw new Error(`${name}: no known listening port`);
  }

  /** The config the service reads, rewritten for processes on this machine (see the class comment). */
  rewriteConfig(name: string, s: ComposeService): Cfg {
    const bin = s.command?.[0];
    if (!isTestbedBin(bin)) throw new Error(`${name}: not a testbed service`);
    const { section: key } = SECTIONS[bin];
    const cfg = readConfig(configFileOf(s).file);
    const section = structuredClone(sectionOf(cfg, key));
    section.listen = { ...section.listen, host: '127.0.0.1', port: 0 };
    if (section.admin) section.admin = { host: '127.0.0.1', port: 0 };
    if (section.database !== undefined && section.database !== ':memory:') {
      section.database = this.path(s, section.database);
    }
    const url = (u: string, what: string) => {
      const parsed = new URL(u);
      const defaults: Record<string, number> = { 'http:': 80, 'https:': 443, 'redis:': 6379 };
      const peer = hostPort(
        this.peer(parsed.hostname, Number(parsed.port || defaults[parsed.protocol]), what).endpoint,
      );
      parsed.hostname = peer.host;
      parsed.port = String(peer.port);
      // an origin stays an origin (URL adds "/" to an http: URL without a path)
      return u.endsWith('/') ? parsed.href : parsed.href.replace(/\/$/, '');
    };
    if (section.hss) section.hss = hostPort(this.peer(section.hss.host, section.hss.port, 'ap.hss').endpoint);
    if (section.routes) {
      section.routes = section.routes.map((r) => ({
        ...r,
        upstream: url(r.upstream, 'ap.routes[].upstream'),
      }));
    }
    if (section.tls) {
      const tls = section.tls;
      if (tls.cert) tls.cert = this.path(s, tls.cert);
      if (tls.key) tls.key = this.path(s, tls.key);
      if (tls.sessionCache?.redisUrl) {
        tls.sessionCache.redisUrl = url(tls.sessionCache.redisUrl, 'ap.tls.sessionCache.redisUrl');
      }
    }
    if (section.xcapRoot) section.xcapRoot = url(section.xcapRoot, 'presence.xcapRoot');
    if (section.trustedProxies) section.trustedProxies = ['127.0.0.1'];
    if (section.trustedPeers) section.trustedPeers = ['127.0.0.1'];
    return { ...(cfg.realm !== undefined ? { realm: cfg.realm } : {}), [key]: section };
  }

  /** Starts a testbed service from its command and environment; resolves on its ready line. */
  async start(name: string): Promise<Started> {
    const s = this.compose.services[name]!;
    const [bin, ...args] = s.command ?? [];
    const found = bin === undefined ? undefined : this.bins.get(bin);
    if (!isTestbedBin(bin) || found === undefined)
      throw new Error(`${name}: ${bin} is not a testbed command`);
    const file = join(this.dir, `${name}.yaml`);
    writeFileSync(file, stringify(this.rewriteConfig(name, s)));
    const argv = [...args];
    argv[configFileOf(s).arg - 1] = file;
    const svc: ServiceProcess = await startServiceProcess(found.script, argv, {
      env: { ...process.env, ...environmentOf(s) },
      timeoutMs: 30_000,
    });
    const endpoints = svc.ready.endpoints;
    const started: Started = {
      name,
      endpoint: endpoints[SECTIONS[bin].endpoint]!,
      endpoints,
      stop: () => svc.stop(),
      proc: svc.proc,
    };
    this.started.set(name, started);
    return started;
  }

  /** Starts redis-server from the service's command, on a free loopback port. */
  async startRedis(name: string): Promise<Started> {
    const s = this.compose.services[name]!;
    const [bin, ...args] = s.command!;
    const port = await freePort('127.0.0.1');
    const proc = spawn(bin!, [...args, '--port', String(port), '--bind', '127.0.0.1', '--dir', this.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...environmentOf(s) },
    });
    const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    await new Promise<void>((ready, fail) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) ready();
      });
      void exited.then((c) => fail(new Error(`${bin} exited (${c}) before it was ready: ${out}`)));
    });
    const started: Started = {
      name,
      endpoint: `127.0.0.1:${port}`,
      endpoints: {},
      stop: async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
        return exited;
      },
      proc,
    };
    this.started.set(name, started);
    return started;
  }

  /**
   * Runs a one-shot service (`node -e ...` on the testbed image) to its end, with its environment and its
   * container paths in the environment (CERT_DIR=/certs) moved to the folders of their volumes.
   */
  async runOnce(name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const s = this.compose.services[name]!;
    const [bin, ...args] = s.command!;
    if (bin !== 'node') throw new Error(`${name}: ${bin} is not node`);
    const env = environmentOf(s);
    for (const [k, v] of Object.entries(env)) if (namedVolumeOf(s, v)) env[k] = this.path(s, v);
    // the image's working directory is the repository root (/app), where require() finds the packages
    const proc = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    return { code, stdout, stderr };
  }

  /** Runs a service's healthcheck command (CMD node -e ...) against its admin address; the exit code. */
  async healthcheck(name: string, admin: string): Promise<number | null> {
    const test = this.compose.services[name]!.healthcheck!.test;
    const [kind, cmd, ...args] = test;
    if (kind !== 'CMD' || cmd !== 'node') throw new Error(`${name}: healthcheck is not CMD node`);
    const rewritten = args.map((a) => a.replaceAll('127.0.0.1:9090', admin));
    if (rewritten.join() === args.join())
      throw new Error(`${name}: healthcheck does not name 127.0.0.1:9090`);
    const proc = spawn(process.execPath, rewritten, { stdio: 'ignore' });
    return new Promise((r) => proc.once('exit', (c) => r(c)));
  }

  /** SIGTERM to every started service, the last started first; their exit codes by name. */
  async stopAll(): Promise<Record<string, number | null>> {
    const codes: Record<string, number | null> = {};
    for (const [name, s] of [...this.started].reverse()) codes[name] = await s.stop();
    this.started.clear();
    return codes;
  }
}
