/**
 * The HSS service: a Diameter responder for Cx (MAR/MAA), Sh (UDR/UDA) and Zh (MAR/MAA) over the
 * subscriber store, plus the optional admin listener. `start()` is what `hss-sim start`, the testbed and
 * the tests call.
 */
import {
  APPLICATION_CX,
  APPLICATION_SH,
  APPLICATION_ZH,
  buildErrorAnswer,
  findAvps,
  getString,
  startDiameterServer,
  VENDOR_3GPP,
  type DiameterMessage,
  type LocalPeer,
  type ProtocolError,
  type Timers,
} from '@ut-testbed/diameter-codec';
import type { HssConfig } from '@ut-testbed/config';
import { hostPort } from '@ut-testbed/service-kit';
import { createNoopTracer, type Tracer } from '@ut-testbed/trace';
import { startAdmin, type AdminServer } from './admin';
import { answerMar } from './cx/mar';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { provision, type ProvisionReport } from './provision';
import { answerUdr } from './sh/udr';
import { SqliteSubscriberStore } from './store/sqlite';
import type { SubscriberStore } from './store/types';
import { VectorIssuer } from './vectors';
import { answerZhMar } from './zh/mar';

const CMD_MAR = 303;
const CMD_UDR = 306;

export interface HssOptions {
  hss: HssConfig;
  /** Origin-Realm (the top-level `realm` of the config) */
  realm: string;
  /** default: SQLite at hss.database */
  store?: SubscriberStore;
  tracer?: Tracer;
  logger?: Logger;
  timers?: Timers;
  /** Diameter watchdog Tw, ms (default 30 s) */
  tw?: number;
  /** most vectors in one MAA (default 16) */
  maxAuthItems?: number;
}

export interface HssService {
  endpoints: { diameter: string; admin?: string };
  store: SubscriberStore;
  provisioned: ProvisionReport;
  /** DPR (REBOOTING) to every open peer, then stop listening and close the store */
  close(): Promise<void>;
}

export async function start(o: HssOptions): Promise<HssService> {
  const logger = o.logger ?? createLogger();
  const store = o.store ?? new SqliteSubscriberStore(o.hss.database);
  let openPeers = () => 0;
  const metrics = createMetrics(() => openPeers());
  const issuer = new VectorIssuer(store);
  // provisioned before the listener opens; reported once it is open, so that a start that fails says one thing
  const provisioned = await provision(store, o.hss.subscribers);
  const report = () => {
    for (const d of provisioned.differing) {
      logger.warn(
        { impi: d.impi, fields: d.fields },
        'hss.subscribers entry differs from the database; the database is kept (change it with `hss-sim subscriber` or the admin API)',
      );
    }
    if (provisioned.added.length) logger.info({ impis: provisioned.added }, 'subscribers provisioned');
  };

  const ctx = {
    store,
    issuer,
    originHost: o.hss.originHost,
    originRealm: o.realm,
    maxAuthItems: o.maxAuthItems ?? 16,
  };
  const handle = async (req: DiameterMessage, error: ProtocolError | undefined) => {
    // the answer-message (which copies a readable Session-Id and omits one that is not) for protocol errors,
    // and for any error that leaves no Session-Id to echo in the command's own answer
    if (error && (error.eBit || getString(req.avps, 'Session-Id') === undefined)) {
      return {
        answer: buildErrorAnswer(req, { originHost: ctx.originHost, originRealm: ctx.originRealm, error }),
        outcome: 'protocol-error',
      };
    }
    if (req.commandCode === CMD_MAR && req.applicationId === APPLICATION_CX)
      return answerMar(req, error, ctx);
    if (req.commandCode === CMD_MAR && req.applicationId === APPLICATION_ZH)
      return answerZhMar(req, error, ctx);
    if (req.commandCode === CMD_UDR && req.applicationId === APPLICATION_SH)
      return answerUdr(req, error, ctx);
    return undefined;
  };
  const local: LocalPeer = {
    originHost: o.hss.originHost,
    originRealm: o.realm,
    productName: 'Ut testbed HSS',
    applications: [APPLICATION_CX, APPLICATION_SH, APPLICATION_ZH].map((id) => ({
      vendorId: VENDOR_3GPP,
      authApplicationId: id,
    })),
  };
  const server = await startDiameterServer({
    host: o.hss.listen.host,
    port: o.hss.listen.port,
    local,
    tw: o.tw ?? 30_000,
    ...(o.timers ? { timers: o.timers } : {}),
    trace: {
      tracer: o.tracer ?? createNoopTracer(),
      iface: (m) => (m?.applicationId === APPLICATION_ZH ? 'Zh' : 'Cx'),
      localName: 'hss',
    },
    logger,
    onRequest: async (req, _conn, error) => {
      const command =
        req.applicationId === APPLICATION_SH ? 'UDR' : req.applicationId === APPLICATION_ZH ? 'ZhMAR' : 'MAR';
      const t0 = process.hrtime.bigint();
      const r = await handle(req, error);
      if (!r) return undefined;
      metrics.latency.observe({ command }, Number(process.hrtime.bigint() - t0) / 1e9);
      metrics.requests.inc({ command, outcome: r.outcome });
      const vectors = findAvps(r.answer.avps, 'SIP-Auth-Data-Item').length;
      if (vectors) metrics.vectors.inc(vectors);
      return r.answer;
    },
  }).catch(async (e: NodeJS.ErrnoException) => {
    await store.close();
    throw new Error(
      e.code === 'EADDRINUSE'
        ? `hss.listen: ${o.hss.listen.host}:${o.hss.listen.port} is in use`
        : `hss.listen: cannot listen on ${o.hss.listen.host}:${o.hss.listen.port}: ${e.message}`,
      { cause: e },
    );
  });
  openPeers = () => server.connections.filter((c) => c.isOpen).length;
  let admin: AdminServer | undefined;
  if (o.hss.admin) {
    admin = await startAdmin({ host: o.hss.admin.host, port: o.hss.admin.port, store, metrics }).catch(
      async (e: Error) => {
        await server.close();
        await store.close();
        throw e;
      },
    );
  }
  report();
  return {
    endpoints: { diameter: hostPort(server.address), ...(admin ? { admin: hostPort(admin.address) } : {}) },
    store,
    provisioned,
    async close() {
      await admin?.close();
      await server.close();
      await store.close();
    },
  };
}
