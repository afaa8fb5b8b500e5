/**
 * The XCAP server service: the application usages, the document store and the HTTP listener, plus an
 * optional admin listener (health, metrics). `start()` is what `xcap-server start`, the testbed and the
 * tests call.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { XcapConfig } from '@ut-testbed/config';
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

const hostPort = (a: AddressInfo) => `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;

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
  }).catch(async (e: NodeJS.ErrnoException) => {
    await store.close();
    const where = `${o.xcap.listen.host}:${o.xcap.listen.port}`;
    throw new Error(
      e.code === 'EADDRINUSE'
        ? `xcap.listen: ${where} is in use`
        : `xcap.listen: cannot listen on ${where}: ${e.message}`,
      {
        cause: e,
      },
    );
  });
  let admin: Server | undefined;
  if (o.xcap.admin) {
    admin = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
      } else if (req.method === 'GET' && req.url === '/metrics') {
        void registry
          .metrics()
          .then((t) => res.writeHead(200, { 'content-type': registry.contentType }).end(t));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}\n');
      }
    });
    await new Promise<void>((resolve, reject) => {
      admin!.once('error', reject);
      admin!.listen(o.xcap.admin!.port, o.xcap.admin!.host, () => resolve());
    }).catch(async (e: Error) => {
      await http.close();
      await store.close();
      throw new Error(
        `xcap.admin: cannot listen on ${o.xcap.admin!.host}:${o.xcap.admin!.port}: ${e.message}`,
        { cause: e },
      );
    });
  }
  return {
    endpoints: {
      http: hostPort(http.address),
      ...(admin ? { admin: hostPort(admin.address() as AddressInfo) } : {}),
    },
    changes,
    store,
    async close() {
      await new Promise<void>((r) => (admin ? admin.close(() => r()) : r()));
      await http.close();
      await store.close();
    },
  };
}
