/**
 * The testbed composition (DESIGN.md sections 1, 2, 6): hss-sim, xcap-server, ap and presence-server started
 * in one process from one configuration, in the order their dependencies need (the HSS and the XCAP server
 * first, then the AP routed to them and the presence server reading from the XCAP server), each through its
 * own `start()`: they still talk to each other over Diameter, HTTP and SIP on loopback sockets only.
 *
 * With `freePorts` every listener takes a free port and the databases go to a directory of their own, so
 * that several testbeds (a replay next to a running one) never collide. A service that is not started is
 * taken to be running already at its configured address ("attach").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start as startAp, type ApService } from '@ut-testbed/ap';
import { publicXcapRoot, type Config } from '@ut-testbed/config';
import { start as startHss, type HssService } from '@ut-testbed/hss-sim';
import { start as startPresence, type PresenceService } from '@ut-testbed/presence-server';
import { createNoopTracer, type Tracer } from '@ut-testbed/trace';
import { start as startXcap, type XcapService } from '@ut-testbed/xcap-server';
import type { Logger } from 'pino';

export const SERVICES = ['hss', 'xcap', 'ap', 'presence'] as const;
const XCAP_DEFAULT_PORT = 8081;
export type ServiceName = (typeof SERVICES)[number];

export interface TestbedOptions {
  config: Config;
  /** the services to start here (default all); the others are running at their configured addresses */
  services?: readonly ServiceName[];
  /** every listener on a free port, the databases in a directory of their own (removed on close) */
  freePorts?: boolean;
  tracer?: Tracer;
  logger: Logger;
  /** a line of progress for a human (stderr) */
  progress?: (line: string) => void;
  /** the AP's clock (ms since the epoch): nonce expiry (a scenario moves it forward) */
  apNow?: () => number;
}

export interface TestbedEndpoints {
  hss: { diameter: string; admin?: string };
  xcap: { http: string; admin?: string };
  ap: { https: string; admin?: string };
  presence: { udp?: string; tcp?: string; admin?: string };
}

export interface Testbed {
  endpoints: TestbedEndpoints;
  /** the configuration as the services run it (free ports and their addresses filled in) */
  config: Config;
  /** the AP's certificate (PEM): a UE's trust anchor, when the AP was started here */
  certificate?: string;
  /** which services this process runs */
  started: ServiceName[];
  /** stops one service of this process (a fault), leaving the others up */
  stop(service: ServiceName): Promise<void>;
  close(): Promise<void>;
}

const addr = (listen: { host: string; port: number }) =>
  listen.host.includes(':') ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;

function splitHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
}

export async function startTestbed(o: TestbedOptions): Promise<Testbed> {
  const wanted = new Set(o.services ?? SERVICES);
  const tracer = o.tracer ?? createNoopTracer();
  const progress = o.progress ?? (() => undefined);
  const config: Config = structuredClone(o.config);
  const dir = o.freePorts ? mkdtempSync(join(tmpdir(), 'testbed-')) : undefined;
  if (dir) {
    const free = (s: { listen: { port: number }; admin?: { port: number } }) => {
      s.listen.port = 0;
      if (s.admin) s.admin.port = 0;
    };
    free(config.hss);
    free(config.xcap);
    free(config.ap);
    free(config.presence);
    config.hss.database = join(dir, 'hss.db');
    config.xcap.database = join(dir, 'xcap.db');
    // a generated key stays with the run's own files, which are removed with it
    if (config.ap.tls.generatedDir !== null) config.ap.tls.generatedDir = dir;
  }
  const closers: (() => Promise<void>)[] = [];
  const byName = new Map<ServiceName, () => Promise<void>>();
  const own = (name: ServiceName, close: () => Promise<void>) => {
    let once: Promise<void> | undefined;
    const c = () => (once ??= close());
    closers.push(c);
    byName.set(name, c);
  };
  let closing: Promise<void> | undefined;
  // in the reverse order of starting: the presence server's final NOTIFYs go while everything else is up
  const closeAll = () =>
    (closing ??= (async () => {
      for (const c of [...closers].reverse()) await c().catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
    })());
  const log = o.logger;
  try {
    let hss: HssService | undefined;
    if (wanted.has('hss')) {
      progress(`starting hss-sim (database ${config.hss.database})`);
      hss = await startHss({
        hss: config.hss,
        realm: config.realm,
        tracer,
        logger: log.child({ service: 'hss' }),
      });
      own('hss', () => hss!.close());
      Object.assign(config.hss.listen, splitHostPort(hss.endpoints.diameter));
    }
    let xcap: XcapService | undefined;
    if (wanted.has('xcap')) {
      progress(`starting xcap-server (database ${config.xcap.database})`);
      xcap = await startXcap({ xcap: config.xcap, tracer, logger: log.child({ service: 'xcap' }) });
      own('xcap', () => xcap!.close());
      Object.assign(config.xcap.listen, splitHostPort(xcap.endpoints.http));
    }
    // the AP and the presence server reach the HSS and the XCAP server where they really listen: routes
    // and roots that named the configured XCAP address name the actual one
    // (a configured port 0 names no address: then the XCAP section's default port, 8081, names it)
    const named = [addr(o.config.xcap.listen)];
    if (o.config.xcap.listen.port === 0)
      named.push(addr({ ...o.config.xcap.listen, port: XCAP_DEFAULT_PORT }));
    const actual = `http://${addr(config.xcap.listen)}`;
    const moved = (url: string) => {
      if (!xcap) return url;
      for (const n of named)
        if (url.startsWith(`http://${n}/`) || url === `http://${n}`)
          return actual + url.slice(`http://${n}`.length);
      return url;
    };
    if (hss) config.ap.hss = { ...config.hss.listen };
    config.ap.routes = config.ap.routes.map((r) => ({ ...r, upstream: moved(r.upstream) }));
    config.presence.xcapRoot = moved(config.presence.xcapRoot);

    let ap: ApService | undefined;
    if (wanted.has('ap')) {
      progress(
        config.ap.tls.cert
          ? 'starting ap'
          : config.ap.tls.generatedDir === null
            ? 'starting ap (generating its TLS certificate)'
            : `starting ap (its TLS certificate kept in ${config.ap.tls.generatedDir}, generated if none is)`,
      );
      ap = await startAp({
        ap: config.ap,
        realm: config.realm,
        tracer,
        logger: log.child({ service: 'ap' }),
        ...(o.apNow ? { now: o.apNow } : {}),
      });
      own('ap', () => ap!.close());
      Object.assign(config.ap.listen, splitHostPort(ap.endpoints.https));
    }
    // the public XCAP root UEs write in rls-services and pres-rules (the AP's port, xcap.<realm>) names the
    // XCAP server the presence server reads
    const publicRoot = publicXcapRoot(config);
    if (!config.presence.xcapAliases.includes(publicRoot)) config.presence.xcapAliases.push(publicRoot);
    let presence: PresenceService | undefined;
    if (wanted.has('presence')) {
      progress('starting presence-server');
      presence = await startPresence({
        presence: config.presence,
        realm: config.realm,
        tracer,
        logger: log.child({ service: 'presence' }),
      });
      own('presence', () => presence!.close());
      const p = presence.endpoints;
      const first = p.udp ?? p.tcp;
      if (first) config.presence.listen.port = splitHostPort(first).port;
    }
    const endpoints: TestbedEndpoints = {
      hss: hss ? hss.endpoints : { diameter: addr(config.hss.listen) },
      xcap: xcap ? xcap.endpoints : { http: addr(config.xcap.listen) },
      ap: ap ? ap.endpoints : { https: addr(config.ap.listen) },
      presence: presence ? presence.endpoints : { udp: addr(config.presence.listen) },
    };
    return {
      endpoints,
      config,
      ...(ap ? { certificate: ap.certificate } : {}),
      started: SERVICES.filter((s) => wanted.has(s)),
      async stop(service) {
        const c = byName.get(service);
        if (!c) throw new Error(`${service} does not run in this testbed`);
        await c();
      },
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
