/**
 * The composition on free ports: every service listens where the endpoints say, the AP is routed to the XCAP
 * server and the HSS it really talks to (a Diameter peer, an HTTP upstream), the presence server follows the
 * XCAP server, and close() stops everything (the ports are free again).
 */
import { parseConfig } from '@ut-testbed/config';
import { isListening } from '@ut-testbed/service-kit';
import pino from 'pino';
import { startTestbed } from '../src/compose';

test('all four services on free ports, wired to each other, and stopped by close()', async () => {
  const lines: string[] = [];
  const tb = await startTestbed({
    config: parseConfig({}),
    freePorts: true,
    logger: pino({ level: 'silent' }),
    progress: (l) => lines.push(l),
  });
  try {
    const e = tb.endpoints;
    for (const hp of [e.hss.diameter, e.xcap.http, e.ap.https, e.presence.tcp!])
      expect(await isListening(hp)).toBe(true);
    expect(tb.started).toEqual(['hss', 'xcap', 'ap', 'presence']);
    expect(tb.config.ap.routes[0]!.upstream).toBe(`http://${e.xcap.http}`);
    expect(`${tb.config.ap.hss.host}:${tb.config.ap.hss.port}`).toBe(e.hss.diameter);
    expect(tb.config.presence.xcapRoot).toBe(`http://${e.xcap.http}/services`);
    expect(tb.certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(lines[0]).toMatch(/^starting hss-sim/);
    await tb.close();
    for (const hp of [e.hss.diameter, e.xcap.http, e.ap.https, e.presence.tcp!])
      expect(await isListening(hp)).toBe(false);
  } finally {
    await tb.close();
  }
});
