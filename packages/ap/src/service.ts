/**
 * The Authentication Proxy service: the HTTPS listener with its TLS session cache, the Diameter client to
 * the HSS, the nonce store, the routes to the application servers and the optional admin listener.
 * `start()` is what `ap start`, the testbed and the tests call.
 */
import { readFileSync } from 'node:fs';
import type { ApConfig } from '@ut-testbed/config';
import { hostPort, startAdmin, type AdminServer } from '@ut-testbed/service-kit';
import {
  MemorySessionStore,
  RedisSessionStore,
  TlsSessionCache,
  type SessionStore,
} from '@ut-testbed/tls-session-cache';
import { createNoopTracer, type Tracer } from '@ut-testbed/trace';
import pino, { type Logger } from 'pino';
import { Authenticator, type HssPort } from './auth/authenticator';
import { MemoryNonceStore, RedisNonceStore, type NonceStore } from './auth/nonce-store';
import { HssClient } from './hss/hss-client';
import { startApHttp } from './http/server';
import { createMetrics } from './metrics';
import { upstream } from './proxy/forward';
import { keptCertificate } from './tls/kept-certificate';

export interface ApOptions {
  ap: ApConfig;
  /** the home realm: Digest realm, Origin-Realm and Destination-Realm */
  realm: string;
  tracer?: Tracer;
  logger?: Logger;
  /** ms since the epoch (nonce expiry) */
  now?: () => number;
  nonceLifetimeMs?: number;
  maxFailures?: number;
  idleTimeoutMs?: number;
  upstreamTimeoutMs?: number;
  /** ms to wait for the HSS (default 3000) */
  hssTimeoutMs?: number;
}

export interface ApService {
  endpoints: { https: string; admin?: string };
  /** the certificate the AP presents (PEM), e.g. for a client's trust store */
  certificate: string;
  sessionCache: TlsSessionCache;
  close(): Promise<void>;
}

function certificate(o: ApConfig, logger: Logger): { cert: string; key: string } {
  if (o.tls.cert && o.tls.key) {
    const read = (path: string, key: string) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        throw new Error(`ap.tls.${key}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
      }
    };
    return { cert: read(o.tls.cert, 'cert'), key: read(o.tls.key, 'key') };
  }
  // TS 33.222: the certificate must name the AP's host as the UE addresses it
  return keptCertificate(
    o.tls.generatedDir,
    {
      commonName: 'xcap.home1.net',
      dnsNames: ['xcap.home1.net', 'localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
    },
    (m) => logger.info(m),
  );
}

export async function start(o: ApOptions): Promise<ApService> {
  const logger =
    o.logger ?? pino({ name: 'ap', level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
  const tracer = o.tracer ?? createNoopTracer();
  const { cert, key } = certificate(o.ap, logger);
  const cacheConfig = o.ap.tls.sessionCache;
  const sessions: SessionStore =
    cacheConfig.store === 'redis'
      ? new RedisSessionStore({ url: cacheConfig.redisUrl! })
      : new MemorySessionStore();
  const nonces: NonceStore =
    cacheConfig.store === 'redis'
      ? new RedisNonceStore({ url: cacheConfig.redisUrl! })
      : new MemoryNonceStore(o.now);
  const cache = new TlsSessionCache({ store: sessions });
  const metrics = createMetrics(() => {
    const c = cache.counters();
    return { full: c.fullHandshakes, resumed: c.resumedHandshakes };
  });
  const hss = new HssClient({
    host: o.ap.hss.host,
    port: o.ap.hss.port,
    originHost: o.ap.originHost,
    realm: o.realm,
    serverName: `sip:${o.ap.originHost}`,
    tracer,
    logger,
    ...(o.hssTimeoutMs !== undefined ? { requestTimeout: o.hssTimeoutMs } : {}),
  });
  hss.start();
  const timed = <T>(command: string, p: Promise<T>, outcome: (v: T) => string): Promise<T> => {
    const t0 = process.hrtime.bigint();
    const done = (label: string) =>
      metrics.mar.observe({ command, outcome: label }, Number(process.hrtime.bigint() - t0) / 1e9);
    return p.then(
      (v) => {
        done(outcome(v));
        return v;
      },
      (e: unknown) => {
        done('unavailable');
        throw e;
      },
    );
  };
  const port: HssPort = {
    mar: (i) => timed('MAR', hss.mar(i), (r) => (r.kind === 'vector' ? 'vector' : r.reason)),
    impiOf: (impu) => timed('UDR', hss.impiOf(impu), (r) => (r ? 'found' : 'unknown')),
  };
  const authenticator = new Authenticator({
    hss: port,
    nonces,
    realm: o.realm,
    algorithm: o.ap.auth.algorithm,
    ...(o.now ? { now: o.now } : {}),
    ...(o.nonceLifetimeMs !== undefined ? { nonceLifetimeMs: o.nonceLifetimeMs } : {}),
    ...(o.maxFailures !== undefined ? { maxFailures: o.maxFailures } : {}),
  });
  const routes = o.ap.routes.map((r) => ({ ...r, to: upstream(r.upstream) }));
  const stopAll = async () => {
    await cache.close();
    await hss.close().catch(() => undefined);
    await Promise.all([sessions.close(), nonces.close()]);
    for (const r of routes) r.to.agent.destroy();
  };
  const https = await startApHttp({
    host: o.ap.listen.host,
    port: o.ap.listen.port,
    tls: { cert, key, ...(await cache.serverOptions()) },
    attach: (server) => cache.attach(server),
    authenticator,
    routes,
    tracer,
    metrics,
    logger,
    ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
    ...(o.upstreamTimeoutMs !== undefined ? { upstreamTimeoutMs: o.upstreamTimeoutMs } : {}),
  }).catch(async (e: Error) => {
    await stopAll();
    throw e;
  });
  let admin: AdminServer | undefined;
  if (o.ap.admin) {
    admin = await startAdmin({
      host: o.ap.admin.host,
      port: o.ap.admin.port,
      configKey: 'ap.admin',
      metrics: metrics.registry,
      health: () => ({ status: 'ok', hss: hss.connected ? 'connected' : 'not connected' }),
    }).catch(async (e: Error) => {
      await https.close();
      await stopAll();
      throw e;
    });
  }
  return {
    endpoints: {
      https: hostPort(https.address),
      ...(admin ? { admin: hostPort(admin.address) } : {}),
    },
    certificate: cert,
    sessionCache: cache,
    async close() {
      await admin?.close();
      await https.close();
      await stopAll();
    },
  };
}
