/**
 * The network of the benchmark, every service a process of its own started from its command, with its
 * configuration file and database in the run's temporary directory: the HSS simulator, XCAP servers, AP
 * instances, and the certificate they all present.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPENSSL } from './stime';
import type { Processes, Service } from './procs';

const PACKAGES = join(__dirname, '..', '..');
const NODE_ARGS = (process.env.BENCH_AP_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** An ECDSA P-256 certificate for xcap.home1.net and 127.0.0.1, for the AP and for nginx alike. */
export function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    OPENSSL,
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=xcap.home1.net',
      '-addext',
      'subjectAltName=DNS:xcap.home1.net,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function config(dir: string, name: string, content: object): string {
  const file = join(dir, `${name}.json`);
  // JSON is YAML: the services' config loader reads it
  writeFileSync(file, JSON.stringify(content, null, 2));
  return file;
}

const loopback = { host: '127.0.0.1', port: 0 };

export async function startHss(procs: Processes, dir: string, core: number): Promise<Service> {
  const cfg = config(dir, 'hss', { hss: { listen: loopback, database: join(dir, 'hss.db') } });
  return procs.start(
    'hss-sim',
    [process.execPath, join(PACKAGES, 'hss-sim', 'bin', 'hss-sim.js'), 'start', '--config', cfg],
    { core },
  );
}

/** An XCAP server whose XCAP root is `root` (e.g. /as1/services), so that the AP can route to it by path. */
export async function startXcap(
  procs: Processes,
  dir: string,
  name: string,
  root: string,
  core: number,
): Promise<Service> {
  const cfg = config(dir, name, { xcap: { listen: loopback, root, database: join(dir, `${name}.db`) } });
  return procs.start(
    name,
    [process.execPath, join(PACKAGES, 'xcap-server', 'bin', 'xcap-server.js'), 'start', '--config', cfg],
    { core },
  );
}

/**
 * An AP with its own in-memory session cache and nonce store (so two APs share nothing), an admin listener
 * for its metrics, and the given routes.
 */
export async function startAp(
  procs: Processes,
  dir: string,
  o: {
    name: string;
    hss: Service;
    tls: { cert: string; key: string };
    routes: { pathPrefix: string; upstream: string }[];
    core: number;
    /** options for node, e.g. --cpu-prof (default: BENCH_AP_NODE_ARGS) */
    nodeArgs?: string[];
  },
): Promise<Service> {
  const [host, port] = o.hss.ready.endpoints.diameter!.split(':');
  const cfg = config(dir, o.name, {
    realm: 'home1.net',
    ap: {
      listen: loopback,
      // A name per AP: the HSS takes a new connection from an open Origin-Host with another Origin-State-Id
      // for a restart of that peer and drops the old one (APs sharing a name knock each other off: 503).
      originHost: `${o.name}.home1.net`,
      hss: { host, port: Number(port) },
      tls: { cert: o.tls.cert, key: o.tls.key, sessionCache: { store: 'memory' } },
      routes: o.routes,
      admin: loopback,
    },
  });
  const ap = await procs.start(
    o.name,
    [
      process.execPath,
      ...(o.nodeArgs ?? NODE_ARGS),
      join(PACKAGES, 'ap', 'bin', 'ap.js'),
      'start',
      '--config',
      cfg,
    ],
    { core: o.core },
  );
  // The AP is ready when it listens; its Diameter connection to the HSS may still be opening. Wait for it,
  // so that no measurement starts with it.
  const end = Date.now() + 10_000;
  for (;;) {
    const health = (await (await fetch(`http://${ap.ready.endpoints.admin}/health`)).json()) as {
      hss: string;
    };
    if (health.hss === 'connected') return ap;
    if (Date.now() > end) throw new Error(`${o.name}: no Diameter connection to the HSS after 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A bare node:https server with the AP's certificate and TLS settings (bare-https-server.ts): what a
 * handshake costs in Node with no AP code, the floor the AP is compared with next to nginx.
 */
export function startBareHttps(
  procs: Processes,
  name: string,
  tls: { cert: string; key: string },
  o: { core: number; sessionCallbacks?: boolean },
): Promise<Service> {
  return procs.start(
    name,
    [
      process.execPath,
      '--import',
      'tsx',
      join(__dirname, 'bare-https-server.ts'),
      tls.cert,
      tls.key,
      ...(o.sessionCallbacks ? ['--session-callbacks'] : []),
    ],
    { core: o.core },
  );
}

/** The AP's Prometheus text, summed per metric over the series whose labels contain `labels`. */
export async function apMetrics(ap: Service): Promise<(name: string, labels?: string) => number> {
  const res = await fetch(`http://${ap.ready.endpoints.admin}/metrics`);
  const text = await res.text();
  return (name, labels = '') => {
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const m = /^([^{ ]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name || !(m[2] ?? '').includes(labels)) continue;
      sum += Number(m[3]);
    }
    return sum;
  };
}
