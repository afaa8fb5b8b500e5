/**
 * The reference network for the Ut tests, on loopback ports picked by the system: hss-sim, xcap-server and
 * the AP as `start()` instances of their own packages, all recording into one trace, and UEs built from this
 * package's USIM model, Ut client and XCAP client. The UE addresses the XCAP root of DESIGN.md section 2
 * (https://xcap.home1.net:8443/services) and connects to wherever the AP listens (connect-to), trusting the
 * certificate the AP generated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start as startAp, type ApOptions, type ApService } from '@ut-testbed/ap';
import { parseConfig, DEFAULT_SUBSCRIBERS } from '@ut-testbed/config';
import { start as startHss, type HssService } from '@ut-testbed/hss-sim';
import { createTracer, MemorySink, type TraceEvent } from '@ut-testbed/trace';
import { start as startXcap, type XcapService } from '@ut-testbed/xcap-server';
import pino from 'pino';
import { UtClient, type UtClientOptions } from '../../src/http/ut-client';
import { UsimModel, type UsimModelOptions } from '../../src/usim/usim-model';
import { XcapClient } from '../../src/xcap/xcap-client';

export const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));

export const USER1 = DEFAULT_SUBSCRIBERS[0]!;
export const USER2 = DEFAULT_SUBSCRIBERS[1]!;
export const USER3 = DEFAULT_SUBSCRIBERS[2]!;

export const ROOT = 'https://xcap.home1.net:8443/services';

/** Milliseconds since the epoch that only move when told to (the AP's nonce lifetimes). */
export class ManualClock {
  #t = Date.UTC(2026, 11, 4, 12, 0, 0);
  now = (): number => this.#t;
  advance(ms: number): void {
    this.#t += ms;
  }
}

export type Subscriber = (typeof DEFAULT_SUBSCRIBERS)[number];

export interface UeOptions extends Partial<Omit<UtClientOptions, 'usim'>> {
  user?: Subscriber;
  usim?: Partial<UsimModelOptions>;
}

export interface Ue {
  usim: UsimModel;
  http: UtClient;
  xcap: XcapClient;
}

export interface Network {
  sink: MemorySink;
  hss: HssService;
  xcap: XcapService;
  ap: ApService;
  clock: ManualClock;
  ue(o?: UeOptions): Ue;
  /** the Ut requests the AP received from UEs, oldest first, as the AP recorded them */
  utRequests(): TraceEvent[];
  close(): Promise<void>;
}

export async function network(
  o: { ap?: Record<string, unknown>; apOptions?: Omit<Partial<ApOptions>, 'ap'> } = {},
): Promise<Network> {
  const dir = mkdtempSync(join(tmpdir(), 'ue-client-test-'));
  const sink = new MemorySink();
  const tracer = createTracer({ sinks: [sink] });
  const clock = new ManualClock();
  const base = parseConfig({
    hss: { listen: { host: '127.0.0.1', port: 0 }, database: join(dir, 'hss.db') },
    xcap: { listen: { host: '127.0.0.1', port: 0 }, database: join(dir, 'xcap.db') },
  });
  const hss = await startHss({ hss: base.hss, realm: base.realm, tracer, logger: silent });
  const xcap = await startXcap({ xcap: base.xcap, tracer, logger: silent });
  const c = parseConfig({
    ap: {
      listen: { host: '127.0.0.1', port: 0 },
      hss: { host: '127.0.0.1', port: Number(hss.endpoints.diameter.split(':')[1]) },
      routes: [{ pathPrefix: '/services', upstream: `http://${xcap.endpoints.http}` }],
      ...(o.ap ?? {}),
    },
  });
  const ap = await startAp({
    ap: c.ap,
    realm: c.realm,
    tracer,
    logger: silent,
    now: clock.now,
    ...o.apOptions,
  });
  const ues: UtClient[] = [];
  return {
    sink,
    hss,
    xcap,
    ap,
    clock,
    ue(u: UeOptions = {}): Ue {
      const { user = USER1, usim: usimOptions, ...rest } = u;
      const usim = new UsimModel({ k: user.k, opc: user.opc!, ...usimOptions });
      const http = new UtClient({
        ap: new URL(ROOT).origin,
        connectTo: ap.endpoints.https,
        ca: ap.certificate,
        impi: user.impi,
        impus: [...user.impus],
        usim,
        ...rest,
      });
      ues.push(http);
      return { usim, http, xcap: new XcapClient({ root: ROOT, http }) };
    },
    utRequests: () => sink.events.filter((e) => e.iface === 'Ut' && e.from.name === 'ue'),
    async close() {
      for (const u of ues) u.close();
      await ap.close();
      await xcap.close();
      await hss.close();
      await tracer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The head (request line and headers) of a traced HTTP message. */
export const head = (e: TraceEvent): string => Buffer.from(e.bytes).toString('latin1').split('\r\n\r\n')[0]!;

/** The value of one header of a traced HTTP message (first occurrence), or undefined. */
export function headerOf(e: TraceEvent, name: string): string | undefined {
  for (const line of head(e).split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (line.slice(0, i).toLowerCase() === name.toLowerCase()) return line.slice(i + 1).trim();
  }
  return undefined;
}

export const RL = 'application/resource-lists+xml';
export const RL_NS = 'urn:ietf:params:xml:ns:resource-lists';

export const EMPTY_LIST =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  `<resource-lists xmlns="${RL_NS}">\n` +
  '  <list name="friends"/>\n' +
  '</resource-lists>\n';
