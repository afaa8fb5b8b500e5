/**
 * The XCAP server service: the application usages, the document store and the HTTP listener, plus an
 * optional admin listener (health, metrics). `start()` is what `xcap-server start`, the testbed and the
 * tests call.
 */
import type { XcapConfig } from '@ut-testbed/config';
import { hostPort, startAdmin, type AdminServer } from '@ut-testbed/service-kit';
import { createNoopTracer, type Tracer } from '@ut-testbed/trace';
import pino, { type Logger } from 'pino';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { ChangeFeed } from './changes';
import { ScanCache } from './http/scan-cache';
import { startXcapHttp } from './http/server';
import { SqliteDocumentStore } from './store/sqlite';
import type { DocumentStore } from './store/types';
import { USAGES } from './usages/registry';
import type { AppUsage } from './types';

export interface XcapOptions {
  xcap: XcapConfig;
  store?: DocumentStore;
  tracer?: Tracer;
  logger?: Logger;
  /** largest request body (default 1 MiB) */
  maxBodyBytes?: number;
  usages?: readonly AppUsage[];
}

export interface XcapService {
  endpoints: { http: string; admin?: string };
  changes: ChangeFeed;
  store: DocumentStore;
  close(): Promise<void>;
}

export async function start(o: XcapOptions): Promise<XcapService> {
  const logger = o.logger ?? pino({ name: 'xcap-server' }, pino.destination(2));
  const store = o.store ?? new SqliteDocumentStore(o.xcap.database);
  const usages = o.usages ?? USAGES;
  const changes = new ChangeFeed();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'xcap_' });
  const ops = new Counter({
    name: 'xcap_operations_total',
    help: 'XCAP changes committed, by application usage',
    labelNames: ['auid'] as const,
    registers: [registry],
  });
  changes.on('change', (_xml, c) => ops.inc({ auid: c.documentSelector.split('/')[0] ?? '' }));
  // the store counts its commits itself; these read the counts when scraped
  for (const [name, help, field] of [
    ['xcap_store_transactions_total', 'SQLite transactions committed (one fsync each)', 'transactions'],
    [
      'xcap_store_changes_total',
      'document changes committed (changes per transaction: the group size)',
      'changes',
    ],
  ] as const) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(store.commits[field]);
      },
    });
  }
  const http = await startXcapHttp({
    host: o.xcap.listen.host,
    port: o.xcap.listen.port,
    root: o.xcap.root,
    trustedProxies: o.xcap.trustedProxies,
    usages: new Map(usages.map((u) => [u.auid, u])),
    allUsages: usages,
    store,
    scans: new ScanCache(),
    changes,
    maxBodyBytes: o.maxBodyBytes ?? 1024 * 1024,
    tracer: o.tracer ?? createNoopTracer(),
    logger,
  }).catch(async (e: Error) => {
    await store.close();
    throw e;
  });
  let admin: AdminServer | undefined;
  if (o.xcap.admin) {
    admin = await startAdmin({
      host: o.xcap.admin.host,
      port: o.xcap.admin.port,
      configKey: 'xcap.admin',
      metrics: registry,
    }).catch(async (e: Error) => {
      await http.close();
      await store.close();
      throw e;
    });
  }
  return {
    endpoints: {
      http: hostPort(http.address),
      ...(admin ? { admin: hostPort(admin.address) } : {}),
    },
    changes,
    store,
    async close() {
      await admin?.close();
      await http.close();
      await store.close();
    },
  };
}
