/** A Cx MAR relayed through freeDiameter 1.2 (a Diameter agent nobody here wrote) gets a correct MAA. */
import { Usim } from '@ut-testbed/aka-crypto';
import { DiameterClient, findAvps, startFreeDiameterRelay, type Relay } from '@ut-testbed/diameter-codec';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import type { HssService } from '../src';
import { CX_PEER, maa, mar, startHss, USER1 } from './support';

describe('the HSS behind freeDiameter', () => {
  let hss: HssService;
  let relay: Relay;
  let ap: DiameterClient;
  const sink = new MemorySink();

  afterAll(async () => {
    await ap?.close();
    await relay?.kill();
    await hss?.close();
  });

  it('relays a MAR from ap.test to hss.test and the MAA back, with the vector intact', async () => {
    hss = await startHss({ sink, originHost: 'hss.test', realm: 'test' });
    const port = Number(hss.endpoints.diameter.split(':')[1]);
    relay = await startFreeDiameterRelay({ upstream: { originHost: 'hss.test', host: '127.0.0.1', port } });
    await sink.waitFor(
      (e) => e.from.name === 'hss' && e.to.name === 'relay.test' && e.summary.startsWith('CEA 2001'),
      15_000,
    );
    ap = new DiameterClient({
      host: '127.0.0.1',
      port: relay.port,
      local: { ...CX_PEER, originHost: 'ap.test', originRealm: 'test' },
      trace: { tracer: createTracer({ sinks: [sink] }), iface: 'Cx', localName: 'ap', remoteName: 'relay' },
    });
    await ap.start();
    const answer = await ap.request(
      mar({
        originHost: 'ap.test',
        originRealm: 'test',
        destinationRealm: 'test',
        destinationHost: 'hss.test',
      }),
    );
    const a = maa(answer);
    expect(a.resultCode).toBe(2001);
    expect(a.originHost).toBe('hss.test');
    expect(a.userName).toBe(USER1.impi);
    expect(a.impuList).toEqual(USER1.impus);
    const item = a.items[0]!;
    expect(
      new Usim(USER1.k, USER1.opc).authenticate(
        item.authenticate!.subarray(0, 16),
        item.authenticate!.subarray(16),
      ).result,
    ).toBe('ok');
    // the HSS saw the request with the relay's Route-Record, and gave the vector to ap.test's IND
    const atHss = sink.events.find((e) => e.to.name === 'hss' && e.summary.startsWith('MAR'))!;
    expect(atHss.summary).toBe(`MAR ${USER1.impi} ${USER1.impus[0]}`);
    expect(findAvps(answer.avps, 'Route-Record').length).toBeGreaterThan(0);
  }, 30_000);
});
