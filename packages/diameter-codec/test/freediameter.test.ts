/**
 * Interop with freeDiameter 1.2 (Debian freediameter + freediameter-extensions), a Diameter agent nobody
 * here wrote. freeDiameterd runs as a relay between our client (ap.test) and our server (hss.test):
 *   ap.test --TCP--> relay.test --TCP--> hss.test
 * Checked: CER/CEA both ways, DWR/DWA both ways, a Cx MAR relayed to our server and its MAA relayed back
 * (freeDiameter adds Route-Record and its own Hop-by-Hop id), DPR/DPA from our side, and the DPR that
 * freeDiameter sends when it is stopped.
 */
import { createTracer, MemorySink } from '@ut-testbed/trace';
import {
  APPLICATION_CX,
  buildCxMaa,
  buildCxMar,
  decodeMessage,
  DiameterClient,
  findAvps,
  getNumber,
  getString,
  ManualTimers,
  readCxMar,
  startDiameterServer,
  startFreeDiameterRelay,
  type Relay,
  VENDOR_3GPP,
  type DiameterMessage,
  type DiameterServer,
  type LocalPeer,
} from '../src';

const CX = [{ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_CX }];
const HSS: LocalPeer = { originHost: 'hss.test', originRealm: 'test', applications: CX };
const AP: LocalPeer = { originHost: 'ap.test', originRealm: 'test', applications: CX };

describe('interop with freeDiameter 1.2 as a relay', () => {
  let relay: Relay | undefined;
  let hss: DiameterServer | undefined;
  let ap: DiameterClient | undefined;
  const sink = new MemorySink();
  const tracer = createTracer({ sinks: [sink] });
  const requestsAtHss: DiameterMessage[] = [];

  beforeAll(async () => {
    hss = await startDiameterServer({
      host: '127.0.0.1',
      port: 0,
      local: HSS,
      tw: 30_000,
      trace: { tracer, iface: 'Cx', localName: 'hss' },
      onRequest: (req) => {
        requestsAtHss.push(req);
        const r = readCxMar(req);
        return buildCxMaa(req, {
          sessionId: r.sessionId!,
          originHost: 'hss.test',
          originRealm: 'test',
          resultCode: 2001,
          userName: r.userName!,
          publicIdentity: r.publicIdentity!,
          sipNumberAuthItems: 0,
        });
      },
    });
    relay = await startFreeDiameterRelay({
      upstream: { originHost: 'hss.test', host: '127.0.0.1', port: hss.address.port },
    });
  }, 30_000);

  afterAll(async () => {
    await ap?.close();
    await relay?.kill();
    await hss?.close();
  });

  it('freeDiameter connects to our server: CER/CEA, with Relay accepted as common', async () => {
    await sink.waitFor((e) => e.from.name === 'hss' && e.summary.startsWith('CEA 2001'), 15_000);
    const conn = hss!.connections.find((c) => c.remote?.originHost === 'relay.test')!;
    expect(conn.isOpen).toBe(true);
    expect(conn.remote!.productName).toBe('freeDiameter');
    expect(conn.commonApplications).toEqual([APPLICATION_CX]);
  }, 20_000);

  it('our client opens freeDiameter: CER/CEA, and our DWR gets its DWA', async () => {
    const timers = new ManualTimers();
    ap = new DiameterClient({
      host: '127.0.0.1',
      port: relay!.port,
      local: AP,
      timers,
      tw: 6000,
      twJitter: 0,
      trace: { tracer, iface: 'Cx', localName: 'ap', remoteName: 'relay' },
    });
    const remote = await ap.start();
    expect(remote.originHost).toBe('relay.test');
    expect(remote.authApplicationIds).toContain(0xffffffff);
    timers.advance(6000);
    const dwa = await sink.waitFor((e) => e.from.name === 'relay' && e.summary.startsWith('DWA'));
    expect(dwa.summary).toBe('DWA 2001 relay.test');
  }, 20_000);

  it('a Cx MAR relayed to our server and its MAA relayed back', async () => {
    const mar = buildCxMar({
      sessionId: 'ap.test;1;1',
      originHost: 'ap.test',
      originRealm: 'test',
      destinationRealm: 'test',
      destinationHost: 'hss.test',
      userName: 'user1_private@home1.net',
      publicIdentity: 'sip:user1_public1@home1.net',
      serverName: 'sip:ap.test',
    });
    const maa = await ap!.request(mar);
    expect(getNumber(maa.avps, 'Result-Code')).toBe(2001);
    expect(getString(maa.avps, 'Session-Id')).toBe('ap.test;1;1');
    expect(getString(maa.avps, 'Origin-Host')).toBe('hss.test');
    // freeDiameter 1.2 also records the hop on the answer leg (RFC 6733 puts Route-Record in requests only)
    expect(findAvps(maa.avps, 'Route-Record').map((a) => a.data.toString())).toEqual(['hss.test']);
    const atHss = requestsAtHss.at(-1)!;
    expect(getString(atHss.avps, 'User-Name')).toBe('user1_private@home1.net');
    // the relay recorded where the request came from and used its own Hop-by-Hop id; End-to-End is kept
    expect(findAvps(atHss.avps, 'Route-Record').map((a) => a.data.toString())).toEqual(['ap.test']);
    const sent = decodeMessage(
      Buffer.from(sink.events.find((e) => e.from.name === 'ap' && e.summary.startsWith('MAR'))!.bytes),
    ).message!;
    expect(atHss.endToEnd).toBe(sent.endToEnd);
    expect(atHss.hopByHop).not.toBe(sent.hopByHop);
  }, 20_000);

  it("freeDiameter's own DWR (TwTimer 6 s) is answered by our server", async () => {
    await sink.waitFor((e) => e.to.name === 'hss' && e.summary.startsWith('DWR'), 15_000);
    const dwa = await sink.waitFor((e) => e.from.name === 'hss' && e.summary.startsWith('DWA'), 5_000);
    expect(dwa.summary).toBe('DWA 2001 hss.test');
  }, 25_000);

  it('our client closes with DPR and freeDiameter answers DPA', async () => {
    await ap!.close();
    const dpa = await sink.waitFor((e) => e.from.name === 'relay' && e.summary.startsWith('DPA'));
    expect(dpa.summary).toMatch(/^DPA 2001/);
    ap = undefined;
  }, 20_000);

  it('stopping freeDiameter sends DPR (REBOOTING) to our server, which answers DPA', async () => {
    const stopped = relay!.stop();
    const dpr = await sink.waitFor((e) => e.to.name === 'hss' && e.summary.startsWith('DPR'), 15_000);
    expect(dpr.summary).toContain('relay.test');
    expect(getNumber(decodeMessage(Buffer.from(dpr.bytes)).message!.avps, 'Disconnect-Cause')).toBe(0); // REBOOTING
    await sink.waitFor((e) => e.from.name === 'hss' && e.summary.startsWith('DPA'), 5_000);
    await stopped;
  }, 25_000);
});
