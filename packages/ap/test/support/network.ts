/**
 * The reference network for the AP tests, on loopback ports picked by the system: the HSS simulator and the
 * XCAP server as `start()` instances of their own packages (they talk to the AP over Diameter and HTTP only),
 * and the AP under test, all recording into one trace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, DEFAULT_SUBSCRIBERS, type Config } from '@ut-testbed/config';
import { start as startHss, type HssService } from '@ut-testbed/hss-sim';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import { start as startXcap, type XcapService } from '@ut-testbed/xcap-server';
import pino from 'pino';
import { start as startAp, type ApOptions, type ApService } from '../../src';
import { TestUe } from './ue';

export const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));

export const USER1 = DEFAULT_SUBSCRIBERS[0]!;
export const USER2 = DEFAULT_SUBSCRIBERS[1]!;

/** Options of `start()` for one more AP, with `ap` keys to put over the network's AP config. */
export type ApOverrides = Omit<Partial<ApOptions>, 'ap'> & { ap?: Record<string, unknown> };

export interface Network {
  dir: string;
  sink: MemorySink;
  hss: HssService;
  xcap: XcapService;
  ap: ApService;
  config: Config;
  ue(user?: typeof USER1, o?: Partial<ConstructorParameters<typeof TestUe>[0]>): TestUe;
  startAp(o?: ApOverrides): Promise<ApService>;
  close(): Promise<void>;
}

export async function network(
  o: { ap?: Record<string, unknown>; apOptions?: Omit<Partial<ApOptions>, 'ap'> } = {},
): Promise<Network> {
  const dir = mkdtempSync(join(tmpdir(), 'ap-test-'));
  const sink = new MemorySink();
  const tracer = createTracer({ sinks: [sink] });
  const base = parseConfig({
    hss: { listen: { host: '127.0.0.1', port: 0 }, database: join(dir, 'hss.db') },
    xcap: { listen: { host: '127.0.0.1', port: 0 }, database: join(dir, 'xcap.db') },
  });
  const hss = await startHss({ hss: base.hss, realm: base.realm, tracer, logger: silent });
  const xcap = await startXcap({ xcap: base.xcap, tracer, logger: silent });
  const hssPort = Number(hss.endpoints.diameter.split(':')[1]);
  const apConfig = (extra: Record<string, unknown> = {}) =>
    parseConfig({
      ap: {
        listen: { host: '127.0.0.1', port: 0 },
        hss: { host: '127.0.0.1', port: hssPort },
        routes: [{ pathPrefix: '/services', upstream: `http://${xcap.endpoints.http}` }],
        ...(o.ap ?? {}),
        ...extra,
      },
    });
  const config = apConfig();
  const started: ApService[] = [];
  const launch = async (x: ApOverrides = {}) => {
    const { ap: apExtra, ...rest } = x;
    const c = apConfig(apExtra);
    const svc = await startAp({ ap: c.ap, realm: c.realm, tracer, logger: silent, ...o.apOptions, ...rest });
    started.push(svc);
    return svc;
  };
  const ap = await launch();
  const ues: TestUe[] = [];
  return {
    dir,
    sink,
    hss,
    xcap,
    ap,
    config,
    ue(user = USER1, extra = {}) {
      const ue = new TestUe({
        ap: ap.endpoints.https,
        ca: ap.certificate,
        impi: user.impi,
        k: user.k,
        opc: user.opc!,
        ...extra,
      });
      ues.push(ue);
      return ue;
    },
    startAp: launch,
    async close() {
      for (const u of ues) u.close();
      for (const s of started) await s.close();
      await xcap.close();
      await hss.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const listDoc = (impu: string, name = 'index') => `/services/resource-lists/users/${impu}/${name}`;

export const EMPTY_LIST =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n' +
  '  <list name="friends"/>\n' +
  '</resource-lists>\n';
