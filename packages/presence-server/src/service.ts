/**
 * The presence server service: a SIP endpoint (UDP and TCP per presence.listen.transports) answering
 * PUBLISH, SUBSCRIBE (presence, with event lists, and presence.winfo) and OPTIONS; the publications; the
 * watches and their rules read from the XCAP server, whose change stream it follows; and an optional admin
 * listener (health, metrics). `start()` is what `presence-server start`, the testbed and the tests call.
 */
import type { PresenceConfig } from '@ut-testbed/config';
import { hostPort, startAdmin, type AdminServer } from '@ut-testbed/service-kit';
import {
  createEndpoint,
  createNotifier,
  systemClock,
  type Clock,
  type Endpoint,
  type Notifier,
  type ServerTransactionHandle,
  type SipMessage,
} from '@ut-testbed/sip-core';
import { createNoopTracer, type Tracer } from '@ut-testbed/trace';
import pino, { type Logger } from 'pino';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { WatcherEntry } from './winfo/document';
import { followChanges } from './changes';
import { aorOf } from './identity';
import { presencePackage } from './packages/presence';
import { winfoPackage } from './packages/winfo';
import { PIDF_TYPE } from './pidf';
import { ALLOW_EVENTS, createPublishHandler, EVENT_PACKAGE, presentityOf } from './publish';
import { PublicationStore, type ChangeReason, type ComposedState } from './publications';
import { EVENTLIST, ListService } from './rls/lists';
import { sphereOf } from './watch/sphere';
import { PresenceDocuments } from './watch/documents';
import { Policies } from './watch/policies';
import { WatchTable } from './watch/watches';
import { WATCHERINFO_TYPE } from './winfo/document';
import { WatcherRegistry } from './winfo/watchers';
import { XcapClient } from './xcap/client';

/** The methods handled; others get 405 (known to SIP) or 501 with Allow from the endpoint. */
export const ALLOW = ['PUBLISH', 'SUBSCRIBE', 'OPTIONS'];
export { ALLOW_EVENTS };
/** How long close() waits for the answers to the final NOTIFYs. */
export const SHUTDOWN_NOTIFY_MS = 2000;

export interface PresenceOptions {
  presence: PresenceConfig;
  realm: string;
  tracer?: Tracer;
  logger?: Logger;
  /** the timers' clock: publication expiry and SIP transactions (a ManualClock in tests) */
  clock?: Clock;
  /**
   * The time of day, ms since the epoch, that pres-rules `<validity>` is checked at (default Date.now).
   * Not the timers' clock: that one need not be on the epoch (the system clock is performance.now()).
   */
  now?: () => number;
  /**
   * How long a watcher whose subscription ended while pending stays `waiting` in watcher information for the
   * presentity to decide, before it ends with `giveup` (RFC 3857 4.7.1); default a day.
   */
  waitingSeconds?: number;
  /**
   * Lab switch, off by default: when a request has no P-Asserted-Identity that may be believed (none, or not
   * from presence.trustedPeers), its From URI stands for the sender instead of a 403. Never in IMS use.
   * Default: presence.trustFrom.
   */
  trustFrom?: boolean;
  /** called in the presentity's queue after each change of its state, once its NOTIFYs are scheduled */
  onStateChange?: (presentity: string, reason: ChangeReason) => void | Promise<void>;
  /** trust anchors for an https presence.xcapRoot */
  xcapCa?: string | Buffer;
}

export interface PresenceService {
  endpoints: { udp?: string; tcp?: string; admin?: string };
  /** the presentity's (`sip:user@domain`) publications composed into one PIDF document, if any */
  composedState(presentity: string): ComposedState | undefined;
  /** resolves once the XCAP change stream is connected (its changes are then seen) */
  xcapConnected(): Promise<void>;
  /** Ends every subscription with NOTIFY terminated;reason=noresource (waiting a bounded time), then stops. */
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
  const trusted = new Set(cfg.trustedPeers.map((p) => p.toLowerCase()));
  const trustFrom = o.trustFrom ?? cfg.trustFrom ?? false;
  const late: { watches?: WatchTable; documents?: PresenceDocuments } = {};
  const store = new PublicationStore({
    clock,
    onChange: async (presentity, reason) => {
      // a refresh only extends a publication: the composed state is the same, so no watcher is notified
      // (RFC 3903 4.2: a refresh does not change the event state)
      if (reason !== 'refreshed') {
        late.documents?.changed(presentity);
        late.watches?.stateChanged(presentity);
      }
      await o.onStateChange?.(presentity, reason);
    },
    onError: (e) => logger.error({ err: e }, 'state change'),
  });
  const documents = new PresenceDocuments(store);
  const xcap = new XcapClient({
    root: cfg.xcapRoot,
    aliases: cfg.xcapAliases,
    ...(o.xcapCa !== undefined ? { ca: o.xcapCa } : {}),
  });
  const policies = new Policies(xcap, logger, o.now ?? Date.now);
  const bound: { endpoint?: Endpoint; notifier?: Notifier } = {};
  const winfoHolder: { changed?: (p: string, pkg: string, e: WatcherEntry[]) => void } = {};
  const watchers = new WatcherRegistry({
    clock,
    ...(o.waitingSeconds !== undefined ? { waitingSeconds: o.waitingSeconds } : {}),
    onChange: (p, pkg, changed) => winfoHolder.changed?.(p, pkg, changed),
  });
  const watches = new WatchTable(policies, watchers, (p) => sphereOf(documents.composed(p)), logger);
  late.watches = watches;
  late.documents = documents;
  const lists = new ListService({
    xcap,
    watches,
    documents,
    presentityOf: (uri) => presentityOf(uri, cfg.domain),
    domain: cfg.domain,
    xcapRoot: cfg.xcapRoot,
    logger,
  });

  new Gauge({
    name: 'presence_publications',
    help: 'live publications (RFC 3903 event state)',
    registers: [registry],
    collect() {
      this.set(store.size);
    },
  });
  new Gauge({
    name: 'presence_subscriptions',
    help: 'live subscriptions (RFC 6665), by event package',
    labelNames: ['event'] as const,
    registers: [registry],
    collect() {
      const n = new Map<string, number>([
        [EVENT_PACKAGE, 0],
        ['presence.winfo', 0],
      ]);
      for (const sub of bound.notifier?.subscriptions ?? [])
        n.set(sub.event.type, (n.get(sub.event.type) ?? 0) + 1);
      for (const [event, v] of n) this.set({ event }, v);
    },
  });
  new Gauge({
    name: 'presence_watches',
    help: 'watchers of presentities, from subscriptions and from event list resources',
    registers: [registry],
    collect() {
      this.set(watches.size);
    },
  });

  const warnAgent = () => {
    const a = bound.endpoint?.addresses[0];
    return a ? hostPort({ address: a.host, port: a.port, family: '' }) : cfg.domain;
  };
  const publish = createPublishHandler({
    store,
    domain: cfg.domain,
    trustedPeers: cfg.trustedPeers,
    trustFrom,
    warnAgent,
  });
  const counted = (req: SipMessage, tx: ServerTransactionHandle): ServerTransactionHandle => ({
    request: tx.request,
    source: tx.source,
    ...(tx.connection ? { connection: tx.connection } : {}),
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
    supported: [EVENTLIST],
    clock,
    tracer: o.tracer ?? createNoopTracer(),
    // requests from the S-CSCF (a trusted peer) come over ISC; anything else is a UE talking to us directly
    iface: (peer) => (trusted.has(peer.host.toLowerCase()) ? 'ISC' : 'Gm'),
    name: 'ps',
    onError: (e, req) => logger.error({ err: e, method: req.method }, 'request handler failed'),
    onRequest: (req, raw) => {
      const tx = counted(req, raw);
      if (req.method === 'PUBLISH') return publish(req, tx);
      if (notifier.handle(req, tx)) return;
      tx.respond(200, 'OK', [
        ['Allow', [...ALLOW, 'CANCEL'].join(', ')],
        ['Accept', [PIDF_TYPE, WATCHERINFO_TYPE, 'multipart/related', 'application/rlmi+xml'].join(', ')],
        ['Allow-Events', ALLOW_EVENTS],
        ['Supported', EVENTLIST],
      ]);
    },
  }).catch((e: Error) => {
    store.close();
    xcap.close();
    throw new Error(`presence.listen: ${cfg.listen.host}:${cfg.listen.port}: ${e.message}`, { cause: e });
  });
  bound.endpoint = ep;
  const notifier = createNotifier({
    endpoint: ep,
    clock,
    onError: (e) => logger.error({ err: e }, 'notifier'),
  });
  bound.notifier = notifier;
  lists.notifier = notifier;
  notifier.addPackage(
    EVENT_PACKAGE,
    presencePackage({
      notifier,
      watches,
      documents,
      lists,
      domain: cfg.domain,
      trustedPeers: trusted,
      trustFrom,
    }),
  );
  const winfo = winfoPackage({
    notifier,
    registry: watchers,
    domain: cfg.domain,
    trustedPeers: trusted,
    trustFrom,
  });
  winfoHolder.changed = (p, pkg, changed) => winfo.watchersChanged(p, pkg, changed);
  notifier.addPackage('presence.winfo', winfo);

  const follower = followChanges({
    root: cfg.xcapRoot,
    policies,
    watches,
    lists,
    logger,
    aorOf,
    xcapCa: o.xcapCa,
  });

  let admin: AdminServer | undefined;
  const cleanup = async () => {
    await follower.close();
    notifier.close();
    watchers.close();
    await ep.close();
    store.close();
    xcap.close();
  };
  if (cfg.admin) {
    admin = await startAdmin({
      host: cfg.admin.host,
      port: cfg.admin.port,
      configKey: 'presence.admin',
      metrics: registry,
    }).catch(async (e: Error) => {
      await cleanup();
      throw e;
    });
  }
  const address = (p: 'udp' | 'tcp') => {
    const a = ep.addresses.find((x) => x.protocol === p);
    return a ? { [p]: hostPort({ address: a.host, port: a.port, family: '' }) } : {};
  };
  logger.info(
    { domain: cfg.domain, realm: o.realm, transports: cfg.listen.transports, xcapRoot: cfg.xcapRoot },
    'started',
  );
  let closing: Promise<void> | undefined;
  return {
    endpoints: {
      ...address('udp'),
      ...address('tcp'),
      ...(admin ? { admin: hostPort(admin.address) } : {}),
    },
    composedState: (presentity) => store.composedState(presentity),
    xcapConnected: () => follower.connected,
    close() {
      closing ??= (async () => {
        await admin?.close();
        await follower.close();
        // RFC 6665 4.2.2: every subscription ends with a final NOTIFY; a subscriber that does not answer
        // is not waited for beyond SHUTDOWN_NOTIFY_MS
        const finals = notifier.subscriptions.map((sub) => notifier.terminate(sub, 'noresource'));
        await Promise.race([
          Promise.allSettled(finals),
          new Promise((r) => setTimeout(r, SHUTDOWN_NOTIFY_MS).unref()),
        ]);
        await cleanup();
      })();
      return closing;
    },
  };
}
