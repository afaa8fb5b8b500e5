/**
 * The presence server service: a SIP endpoint (UDP and TCP per presence.listen.transports) answering
 * PUBLISH and OPTIONS, the publications of the presence event package, and an optional admin listener
 * (health, metrics). `start()` is what `presence-server start`, the testbed and the tests call.
 */
import type { PresenceConfig } from '@ut-testbed/config';
import { hostPort, startAdmin, type AdminServer } from '@ut-testbed/service-kit';
import {
  createEndpoint,
  systemClock,
  type Clock,
  type Endpoint,
  type ServerTransactionHandle,
  type SipMessage,
} from '@ut-testbed/sip-core';
import { createNoopTracer, type Tracer } from '@ut-testbed/trace';
import pino, { type Logger } from 'pino';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { PIDF_TYPE } from './pidf';
import { createPublishHandler, EVENT_PACKAGE } from './publish';
import { PublicationStore, type ChangeReason, type ComposedState } from './publications';

/** The methods handled; others get 405 (known to SIP) or 501 with Allow from the endpoint. */
export const ALLOW = ['PUBLISH', 'OPTIONS'];

export interface PresenceOptions {
  presence: PresenceConfig;
  realm: string;
  tracer?: Tracer;
  logger?: Logger;
  /** the timers' clock: publication expiry and SIP transactions (a ManualClock in tests) */
  clock?: Clock;
  /**
   * Lab switch, off by default: when a request has no P-Asserted-Identity that may be believed (none, or not
   * from presence.trustedPeers), its From URI stands for the sender instead of a 403. Never in IMS use.
   */
  trustFrom?: boolean;
  /** called in the presentity's queue after each change of its state (the next step's NOTIFYs) */
  onStateChange?: (presentity: string, reason: ChangeReason) => void | Promise<void>;
}

export interface PresenceService {
  endpoints: { udp?: string; tcp?: string; admin?: string };
  /** the presentity's (`sip:user@domain`) publications composed into one PIDF document, if any */
  composedState(presentity: string): ComposedState | undefined;
  close(): Promise<void>;
}

export async function start(o: PresenceOptions): Promise<PresenceService> {
  const logger = o.logger ?? pino({ name: 'presence-server' }, pino.destination(2));
  const clock = o.clock ?? systemClock;
  const cfg = o.presence;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'presence_' });
  const requests = new Counter({
    name: 'presence_sip_requests_total',
    help: 'SIP requests answered by the presence server, by method and status',
    labelNames: ['method', 'status'] as const,
    registers: [registry],
  });
  const store = new PublicationStore({
    clock,
    onChange: o.onStateChange,
    onError: (e) => logger.error({ err: e }, 'state change'),
  });
  new Gauge({
    name: 'presence_publications',
    help: 'live publications (RFC 3903 event state)',
    registers: [registry],
    collect() {
      this.set(store.size);
    },
  });

  const bound: { endpoint?: Endpoint } = {};
  const warnAgent = () => {
    const a = bound.endpoint?.addresses[0];
    return a ? hostPort({ address: a.host, port: a.port, family: '' }) : cfg.domain;
  };
  const publish = createPublishHandler({
    store,
    domain: cfg.domain,
    trustedPeers: cfg.trustedPeers,
    trustFrom: o.trustFrom ?? false,
    warnAgent,
  });
  const counted = (req: SipMessage, tx: ServerTransactionHandle): ServerTransactionHandle => ({
    request: tx.request,
    source: tx.source,
    tag: tx.tag,
    respond(status, reason, headers, body) {
      const r = tx.respond(status, reason, headers, body);
      if (r && status >= 200) requests.inc({ method: req.method ?? '', status: String(status) });
      return r;
    },
  });

  const ep = await createEndpoint({
    transports: cfg.listen.transports.map((protocol) => ({
      protocol,
      host: cfg.listen.host,
      port: cfg.listen.port,
    })),
    allow: ALLOW,
    clock,
    tracer: o.tracer ?? createNoopTracer(),
    iface: 'Gm',
    name: 'ps',
    onError: (e, req) => logger.error({ err: e, method: req.method }, 'request handler failed'),
    onRequest: (req, raw) => {
      const tx = counted(req, raw);
      if (req.method === 'PUBLISH') return publish(req, tx);
      tx.respond(200, 'OK', [
        ['Allow', [...ALLOW, 'CANCEL'].join(', ')],
        ['Accept', PIDF_TYPE],
        ['Allow-Events', EVENT_PACKAGE],
      ]);
    },
  }).catch((e: Error) => {
    store.close();
    throw new Error(`presence.listen: ${cfg.listen.host}:${cfg.listen.port}: ${e.message}`, { cause: e });
  });
  bound.endpoint = ep;

  let admin: AdminServer | undefined;
  if (cfg.admin) {
    admin = await startAdmin({
      host: cfg.admin.host,
      port: cfg.admin.port,
      configKey: 'presence.admin',
      metrics: registry,
    }).catch(async (e: Error) => {
      await ep.close();
      store.close();
      throw e;
    });
  }
  const address = (p: 'udp' | 'tcp') => {
    const a = ep.addresses.find((x) => x.protocol === p);
    return a ? { [p]: hostPort({ address: a.host, port: a.port, family: '' }) } : {};
  };
  logger.info({ domain: cfg.domain, realm: o.realm, transports: cfg.listen.transports }, 'started');
  return {
    endpoints: {
      ...address('udp'),
      ...address('tcp'),
      ...(admin ? { admin: hostPort(admin.address) } : {}),
    },
    composedState: (presentity) => store.composedState(presentity),
    async close() {
      await admin?.close();
      await ep.close();
      store.close();
    },
  };
}
