/**
 * The peer layer over real TCP sockets on port 0: our client against our server. Timer-driven behaviour
 * (watchdog, timeouts, backoff) runs on ManualTimers, so nothing here sleeps.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { MemorySink, createTracer } from '@ut-testbed/trace';
import {
  APPLICATION_CX,
  buildCea,
  buildCxMaa,
  buildDpa,
  buildDpr,
  buildDwr,
  buildCxMar,
  DISCONNECT_CAUSE,
  decodeMessage,
  DiameterClient,
  DiameterFramer,
  encodeMessage,
  findAvp,
  getNumber,
  localCapabilities,
  ManualTimers,
  readCxMar,
  startDiameterServer,
  VENDOR_3GPP,
  type DiameterMessage,
  type DiameterServer,
  type LocalPeer,
  type PeerLogger,
  type RequestHandler,
} from '../src';
import { CER } from './vectors';

const HSS: LocalPeer = {
  originHost: 'hss.home1.net',
  originRealm: 'home1.net',
  applications: [{ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_CX }],
};
const AP: LocalPeer = {
  originHost: 'ap.home1.net',
  originRealm: 'home1.net',
  applications: [{ vendorId: VENDOR_3GPP, authApplicationId: APPLICATION_CX }],
};

const marFor = (impi: string) =>
  buildCxMar({
    sessionId: `ap.home1.net;1;${impi}`,
    originHost: 'ap.home1.net',
    originRealm: 'home1.net',
    destinationRealm: 'home1.net',
    userName: impi,
    publicIdentity: 'sip:user1_public1@home1.net',
    serverName: 'sip:ap.home1.net',
  });

const echoMaa: RequestHandler = (req) => {
  const r = readCxMar(req);
  return buildCxMaa(req, {
    sessionId: r.sessionId!,
    originHost: 'hss.home1.net',
    originRealm: 'home1.net',
    resultCode: 2001,
    userName: r.userName!,
    publicIdentity: r.publicIdentity!,
    sipNumberAuthItems: 0,
  });
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function server(o: Partial<Parameters<typeof startDiameterServer>[0]> = {}): Promise<DiameterServer> {
  const s = await startDiameterServer({ host: '127.0.0.1', port: 0, local: HSS, onRequest: echoMaa, ...o });
  closers.push(() => s.close());
  return s;
}

function client(
  port: number,
  o: Partial<ConstructorParameters<typeof DiameterClient>[0]> = {},
): DiameterClient {
  const c = new DiameterClient({ host: '127.0.0.1', port, local: AP, ...o });
  closers.push(() => c.close());
  return c;
}

/** A raw TCP peer that collects decoded messages, for sending what our client never would. */
async function rawPeer(port: number) {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const framer = new DiameterFramer();
  const got: DiameterMessage[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  socket.on('data', (c: Buffer) => {
    for (const b of framer.push(c).messages) got.push(decodeMessage(b).message!);
    waiters.splice(0).forEach((w) => w());
  });
  socket.on('close', () => {
    ended = true;
    waiters.splice(0).forEach((w) => w());
  });
  closers.push(async () => void socket.destroy());
  return {
    socket,
    send: (b: Buffer) => socket.write(b),
    next: async (): Promise<DiameterMessage> => {
      while (got.length === 0) {
        if (ended) throw new Error('connection closed');
        await new Promise<void>((r) => waiters.push(r));
      }
      return got.shift()!;
    },
    closed: () => new Promise<void>((r) => (ended ? r() : socket.once('close', () => r()))),
  };
}

describe('Diameter peers over TCP', () => {
  it('CER/CEA opens the connection with Cx in common, and a MAR gets its MAA', async () => {
    const s = await server();
    const c = client(s.address.port);
    const remote = await c.start();
    expect(remote.originHost).toBe('hss.home1.net');
    expect(remote.vendorSpecificApplicationIds).toEqual([
      { vendorId: 10415, authApplicationId: APPLICATION_CX },
    ]);
    expect(c.connection!.commonApplications).toEqual([APPLICATION_CX]);
    const maa = await c.request(marFor('user1_private@home1.net'));
    expect(getNumber(maa.avps, 'Result-Code')).toBe(2001);
    expect(s.connections).toHaveLength(1);
    expect(s.connections[0]!.remote!.originHost).toBe('ap.home1.net');
  });

  it('correlates concurrent requests answered out of order by Hop-by-Hop id', async () => {
    const release: (() => void)[] = [];
    const s = await server({
      onRequest: (req, conn, err) =>
        new Promise((resolve) => release.push(() => resolve(echoMaa(req, conn, err) as DiameterMessage))),
    });
    const c = client(s.address.port);
    await c.start();
    const users = ['a@home1.net', 'b@home1.net', 'c@home1.net', 'd@home1.net'];
    const pending = users.map((u) => c.request(marFor(u)));
    while (release.length < users.length) await new Promise((r) => setImmediate(r));
    [3, 1, 0, 2].forEach((i) => release[i]!());
    const answers = await Promise.all(pending);
    expect(answers.map((a) => findAvp(a.avps, 'User-Name')!.data.toString())).toEqual(users);
  });

  it('traces every message both ways with a one-line summary', async () => {
    const sink = new MemorySink();
    const tracer = createTracer({ sinks: [sink] });
    const s = await server({ trace: { tracer, iface: 'Cx', localName: 'hss' } });
    const c = client(s.address.port, { trace: { tracer, iface: 'Cx', localName: 'ap', remoteName: 'hss' } });
    await c.start();
    await c.request(marFor('user1_private@home1.net'));
    await sink.waitFor((e) => e.from.name === 'hss' && e.summary.startsWith('MAA'));
    const summaries = sink.events.map((e) => `${e.from.name}->${e.to.name} ${e.summary.split(' ')[0]}`);
    // one sink sees both ends: each message once as sent and once as received, in causal order
    expect(summaries).toEqual([
      'ap->hss CER',
      'ap.home1.net->hss CER',
      'hss->ap.home1.net CEA',
      'hss->ap CEA',
      'ap->hss MAR',
      'ap.home1.net->hss MAR',
      'hss->ap.home1.net MAA',
      'hss->ap MAA',
    ]);
    const mar = sink.events.find((e) => e.from.name === 'ap' && e.summary.startsWith('MAR'))!;
    expect(mar.summary).toBe('MAR user1_private@home1.net sip:user1_public1@home1.net');
    expect(mar.proto).toBe('diameter');
    expect(decodeMessage(Buffer.from(mar.bytes)).message!.commandCode).toBe(303);
  });

  it('refuses a peer with no application in common: CEA 5010, start() rejects', async () => {
    const s = await server();
    const c = client(s.address.port, {
      local: { ...AP, applications: [{ vendorId: VENDOR_3GPP, authApplicationId: 16777221 }] },
    });
    await expect(c.start()).rejects.toThrow(/CEA refused: Result-Code 5010/);
  });

  it('accepts a peer that advertises only Relay', async () => {
    const s = await server();
    const c = client(s.address.port, {
      local: { ...AP, applications: [{ vendorId: 0, authApplicationId: 0xffffffff }] },
    });
    await c.start();
    expect(s.connections[0]!.commonApplications).toEqual([APPLICATION_CX]);
  });

  it('with an allow-list, an unknown peer gets CEA 3010 with the E bit', async () => {
    const s = await server({ allowedPeers: ['scscf.home1.net'] });
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    const cea = await raw.next();
    expect(getNumber(cea.avps, 'Result-Code')).toBe(3010);
    expect(cea.flags & 0x20).toBe(0x20);
    await raw.closed();
  });

  it('answers a CER with a bad AVP length with CEA 5014 and the Failed-AVP, then closes', async () => {
    const s = await server();
    const raw = await rawPeer(s.address.port);
    const bad = Buffer.from(CER);
    // Product-Name (offset of its header found by scanning for code 269) gets length 7: below the 8-byte header
    const at = bad.indexOf(Buffer.from('0000010d', 'hex'));
    bad.writeUInt32BE((bad.readUInt32BE(at + 4) & 0xff000000) | 7, at + 4);
    raw.send(bad);
    const cea = await raw.next();
    expect(getNumber(cea.avps, 'Result-Code')).toBe(5014);
    const failed = findAvp(cea.avps, 'Failed-AVP')!;
    expect(failed.avps![0]!.code).toBe(269);
    await raw.closed();
  });

  it('closes, without answering, a stream that cannot be framed', async () => {
    const s = await server();
    const raw = await rawPeer(s.address.port);
    raw.send(Buffer.from('01000004800001010000000000000001', 'hex')); // Message Length 4
    await raw.closed();
    expect(s.connections).toHaveLength(0);
  });

  it('answers a request for an application that is not common with 3007 and the E bit', async () => {
    const s = await server();
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    expect(getNumber((await raw.next()).avps, 'Result-Code')).toBe(2001);
    const mar = marFor('x@home1.net');
    raw.send(encodeMessage({ ...mar, applicationId: 16777221 }));
    const ans = await raw.next();
    expect(getNumber(ans.avps, 'Result-Code')).toBe(3007);
    expect(ans.flags & 0x20).toBe(0x20);
    expect(ans.hopByHop).toBe(mar.hopByHop);
  });

  it('hands the application the grammar error of a request (5005 for a MAR without User-Name)', async () => {
    const seen: (number | undefined)[] = [];
    const s = await server({
      onRequest: (_req, _c, err) => {
        seen.push(err?.resultCode);
        return undefined; // default: the RFC 6733 7.2 answer-message
      },
    });
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    await raw.next();
    const mar = marFor('x@home1.net');
    raw.send(encodeMessage({ ...mar, avps: mar.avps.filter((a) => a.code !== 1) }));
    const ans = await raw.next();
    expect(seen).toEqual([5005]);
    expect(getNumber(ans.avps, 'Result-Code')).toBe(5005);
    expect(ans.flags & 0x20).toBe(0x20); // the RFC 6733 7.2 answer-message: E set
    expect(findAvp(ans.avps, 'Failed-AVP')!.avps![0]!.code).toBe(1);
    // a well-formed MAR in Kamailio's order (Public-Identity before User-Name) is not an error
    const reordered = marFor('y@home1.net');
    const [sid, ...rest] = reordered.avps;
    rest.sort((a, b) => (a.code === 601 ? -1 : b.code === 601 ? 1 : 0));
    raw.send(encodeMessage({ ...reordered, avps: [sid!, ...rest] }));
    await raw.next();
    expect(seen).toEqual([5005, undefined]);
  });

  it('an unanswered request type gets 3001 COMMAND_UNSUPPORTED', async () => {
    const s = await server({ onRequest: () => undefined });
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    await raw.next();
    const mar = marFor('x@home1.net');
    raw.send(encodeMessage({ ...mar, commandCode: 300 }));
    const ans = await raw.next();
    expect(getNumber(ans.avps, 'Result-Code')).toBe(3001);
    expect(ans.flags & 0x20).toBe(0x20);
  });

  it('answers DWR from the peer with DWA at any time', async () => {
    const s = await server();
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    await raw.next();
    raw.send(
      encodeMessage(
        buildDwr({ originHost: 'x.home1.net', originRealm: 'home1.net', hopByHop: 77, endToEnd: 78 }),
      ),
    );
    const dwa = await raw.next();
    expect(dwa.commandCode).toBe(280);
    expect(dwa.hopByHop).toBe(77);
    expect(getNumber(dwa.avps, 'Result-Code')).toBe(2001);
  });

  it('client watchdog: DWR after Tw of silence; DOWN and reconnect (REOPEN, 3 DWAs) when answers stop', async () => {
    const timers = new ManualTimers();
    const s = await server();
    const sink = new MemorySink();
    const tracer = createTracer({ sinks: [sink] });
    const c = client(s.address.port, {
      timers,
      tw: 6000,
      twJitter: 0,
      backoff: { min: 100, max: 1000 },
      trace: { tracer, iface: 'Cx', localName: 'ap', remoteName: 'hss' },
    });
    await c.start();
    timers.advance(6000);
    await sink.waitFor((e) => e.from.name === 'hss' && e.summary.startsWith('DWA'));
    expect(c.connection!.watchdogState).toBe('OKAY');

    // the server side goes away without DPR: the client must notice and come back
    const down = new Promise<string>((r) => c.once('down', r));
    s.connections[0]!.destroy('test: drop');
    expect(await down).toBe('connection closed by the peer');
    const reopened = new Promise((r) => c.once('open', r));
    timers.advance(100); // first backoff step
    await reopened;
    expect(c.connection!.watchdogState).toBe('REOPEN');
    // REOPEN sent its DWR at once; each DWA counts, and the timer sends the next DWR
    const dwas = () => sink.events.filter((e) => e.summary.startsWith('DWA') && e.from.name === 'hss').length;
    for (let k = 2; k <= 4; k++) {
      await sink.waitFor(() => dwas() >= k);
      if (k < 4) {
        expect(c.connection!.watchdogState).toBe('REOPEN');
        timers.advance(6000);
      }
    }
    expect(c.connection!.watchdogState).toBe('OKAY');
    const maa = await c.request(marFor('user1_private@home1.net'));
    expect(getNumber(maa.avps, 'Result-Code')).toBe(2001);
  });

  it('a request with no answer times out; requests beyond the in-flight bound are refused', async () => {
    const timers = new ManualTimers();
    const s = await server({ onRequest: () => new Promise(() => undefined) });
    const c = client(s.address.port, { timers, requestTimeout: 3000, maxInFlight: 2 });
    await c.start();
    const a = c.request(marFor('a@home1.net'));
    const b = c.request(marFor('b@home1.net'));
    await expect(c.request(marFor('c@home1.net'))).rejects.toMatchObject({ code: 'busy' });
    timers.advance(3000);
    await expect(a).rejects.toMatchObject({ code: 'timeout' });
    await expect(b).rejects.toMatchObject({ code: 'timeout' });
  });

  it('close() sends DPR and waits for DPA; the server drops the peer', async () => {
    const sink = new MemorySink();
    const tracer = createTracer({ sinks: [sink] });
    const s = await server({ trace: { tracer, iface: 'Cx', localName: 'hss' } });
    const c = new DiameterClient({ host: '127.0.0.1', port: s.address.port, local: AP });
    await c.start();
    const serverSide = s.connections[0]!;
    await c.close();
    expect(sink.events.map((e) => e.summary.split(' ')[0])).toEqual(['CER', 'CEA', 'DPR', 'DPA']);
    await serverSide.closed;
    expect(s.connections).toHaveLength(0);
  });

  it('server close() sends DPR (REBOOTING) to its peers, which answer DPA', async () => {
    const s = await startDiameterServer({ host: '127.0.0.1', port: 0, local: HSS, onRequest: echoMaa });
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    await raw.next();
    const closing = s.close();
    const dpr = await raw.next();
    expect(dpr.commandCode).toBe(282);
    expect(getNumber(dpr.avps, 'Disconnect-Cause')).toBe(0);
    raw.send(
      encodeMessage(
        buildDpa(dpr, { originHost: 'ap.home1.net', originRealm: 'home1.net', resultCode: 2001 }),
      ),
    );
    await closing;
    await raw.closed();
  });

  it('a refused peer is not served: what follows its CER is dropped, the CEA goes out and the transport closes', async () => {
    let handled = 0;
    const s = await server({
      allowedPeers: ['scscf.home1.net'],
      onRequest: (req, conn, err) => {
        handled++;
        return echoMaa(req, conn, err);
      },
    });
    const raw = await rawPeer(s.address.port);
    const dwr = buildDwr({ originHost: 'ap.home1.net', originRealm: 'home1.net', hopByHop: 5, endToEnd: 6 });
    raw.send(Buffer.concat([CER, encodeMessage(marFor('x@home1.net')), encodeMessage(dwr)]));
    const cea = await raw.next();
    expect(getNumber(cea.avps, 'Result-Code')).toBe(3010);
    await raw.closed();
    await expect(raw.next()).rejects.toThrow('connection closed');
    expect(handled).toBe(0);
    expect(s.connections).toHaveLength(0);
  });

  it('a request with Application-Id 0 that is not CER, DWR or DPR gets 3001 (E), not the handler', async () => {
    let handled = 0;
    const s = await server({
      onRequest: (req, conn, err) => {
        handled++;
        return echoMaa(req, conn, err);
      },
    });
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    await raw.next();
    const mar = marFor('x@home1.net');
    raw.send(encodeMessage({ ...mar, applicationId: 0 }));
    const ans = await raw.next();
    expect(getNumber(ans.avps, 'Result-Code')).toBe(3001);
    expect(ans.flags & 0x20).toBe(0x20);
    expect(ans.hopByHop).toBe(mar.hopByHop);
    expect(handled).toBe(0);
  });

  it('beyond maxIncoming requests in progress a request gets 3004 TOO_BUSY (E)', async () => {
    const release: (() => void)[] = [];
    const s = await server({
      maxIncoming: 2,
      onRequest: (req, conn, err) =>
        new Promise((resolve) => release.push(() => resolve(echoMaa(req, conn, err) as DiameterMessage))),
    });
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    await raw.next();
    const mars = ['a@home1.net', 'b@home1.net', 'c@home1.net'].map(marFor);
    raw.send(Buffer.concat(mars.map((m) => encodeMessage(m))));
    const busy = await raw.next();
    expect(getNumber(busy.avps, 'Result-Code')).toBe(3004);
    expect(busy.flags & 0x20).toBe(0x20);
    expect(busy.hopByHop).toBe(mars[2]!.hopByHop);
    expect(s.connections[0]!.incomingRequests).toBe(2);
    release.forEach((r) => r());
    const done = [await raw.next(), await raw.next()];
    expect(done.map((a) => getNumber(a.avps, 'Result-Code'))).toEqual([2001, 2001]);
    expect(s.connections[0]!.incomingRequests).toBe(0);
  });

  it('stops reading a peer that does not read its answers, and catches up once it does', async () => {
    const s = await server({ maxWriteBuffer: 256 * 1024 });
    const sock = connect({ host: '127.0.0.1', port: s.address.port });
    closers.push(async () => void sock.destroy());
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const framer = new DiameterFramer();
    let dwas = 0;
    let caughtUp: () => void = () => undefined;
    // 100,000 DWAs are about 6 MB: many times the 256 KiB bound, and little enough to finish on a busy machine
    // about 15 MB of DWRs: more than the loopback socket buffers hold, so the writes back up
    const count = 250_000;
    sock.on('data', (c: Buffer) => {
      for (const b of framer.push(c).messages) if (b.readUInt32BE(4) === 280) dwas++; // DWA: flags 0, code 280
      if (dwas === count) caughtUp();
    });
    sock.write(CER);
    while (s.connections[0]?.state !== 'R-Open') await new Promise((r) => setImmediate(r));
    sock.pause(); // the peer stops reading
    const dwr = encodeMessage(buildDwr({ originHost: 'ap.home1.net', originRealm: 'home1.net' }));
    const burst = Buffer.concat(Array.from({ length: count / 20 }, () => dwr));
    for (let i = 0; i < 20; i++) sock.write(burst);
    // wait until our own writes stop moving: the server no longer reads
    let last = -1;
    for (let still = 0; still < 5;) {
      await new Promise((r) => setTimeout(r, 50));
      const now = sock.writableLength;
      still = now === last ? still + 1 : 0;
      last = now;
    }
    expect(sock.writableLength).toBeGreaterThan(0);
    // what the server holds for us stays near its bound (one read of requests past it at most)
    expect(s.connections[0]!.writeBuffered).toBeLessThan(1024 * 1024);
    // the peer reads again: every DWR gets its DWA, nothing lost
    const done = new Promise<void>((r) => (caughtUp = r));
    sock.resume();
    await done;
    expect(dwas).toBe(count);
  }, 90_000);

  it('an answer that cannot be encoded is replaced by a 5012 answer-message; nothing is left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    closers.push(async () => void process.off('unhandledRejection', onUnhandled));
    const s = await server({
      onRequest: (req) =>
        // a 16 MiB OctetString: the message would not fit the 24-bit Message Length
        buildCxMaa(req, {
          sessionId: 's;1;2',
          originHost: 'hss.home1.net',
          originRealm: 'home1.net',
          resultCode: 2001,
          extra: [['User-Data', Buffer.alloc(0x1000000)]],
        }),
    });
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    await raw.next();
    const mar = marFor('x@home1.net');
    raw.send(encodeMessage(mar));
    const ans = await raw.next();
    expect(getNumber(ans.avps, 'Result-Code')).toBe(5012);
    expect(ans.flags & 0x20).toBe(0x20);
    expect(ans.hopByHop).toBe(mar.hopByHop);
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  });

  it('the initiator closes, with the reason, when the CEA leaves no application in common', async () => {
    // a responder that accepts any CER and advertises only Zh
    const peer = createServer((sock) => {
      const framer = new DiameterFramer();
      sock.on('data', (c: Buffer) => {
        for (const b of framer.push(c).messages) {
          const cer = decodeMessage(b).message!;
          if (cer.commandCode !== 257) continue;
          const caps = localCapabilities({
            ...HSS,
            applications: [{ vendorId: VENDOR_3GPP, authApplicationId: 16777221 }],
          });
          sock.write(encodeMessage(buildCea(cer, { ...caps, resultCode: 2001 })));
        }
      });
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => peer.close(() => r())));
    const c = client((peer.address() as AddressInfo).port);
    await expect(c.start()).rejects.toThrow(/no application in common with hss\.home1\.net/);
    expect(c.connection).toBeUndefined();
  });

  it('a DPR from the peer: the reason carries its cause, and the fallback timer goes with the connection', async () => {
    const timers = new ManualTimers();
    const s = await server({ timers });
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    await raw.next();
    const conn = s.connections[0]!;
    raw.send(
      encodeMessage(
        buildDpr({
          originHost: 'ap.home1.net',
          originRealm: 'home1.net',
          disconnectCause: DISCONNECT_CAUSE.BUSY,
          hopByHop: 9,
          endToEnd: 9,
        }),
      ),
    );
    expect((await raw.next()).commandCode).toBe(282);
    raw.socket.destroy(); // the DPR sender closes after the DPA
    expect(await conn.closed).toBe('peer disconnected (DPR, Disconnect-Cause BUSY)');
    expect(conn.peerDisconnectCause).toBe(1);
    expect(timers.size).toBe(0);
  });

  it('decodes with the same maxMessageLength as it frames', async () => {
    const seen: (number | undefined)[] = [];
    const s = await server({
      maxMessageLength: 4 * 1024 * 1024,
      onRequest: (req, conn, err) => {
        seen.push(err?.resultCode);
        return echoMaa(req, conn, err);
      },
    });
    const raw = await rawPeer(s.address.port);
    raw.send(CER);
    await raw.next();
    // 2 MiB of an unknown AVP with M clear: above the decoder's default 1 MiB, below this server's limit
    const big = { code: 9999, flags: 0x80, vendorId: 32473, data: Buffer.alloc(2 * 1024 * 1024) };
    const mar = marFor('x@home1.net');
    raw.send(encodeMessage({ ...mar, avps: [...mar.avps, big] }));
    expect(getNumber((await raw.next()).avps, 'Result-Code')).toBe(2001);
    expect(seen).toEqual([undefined]);
  });

  it('client close() during a connect abandons it: the peer never gets a CER', async () => {
    let bytes = 0;
    const accepted: Promise<void>[] = [];
    const peer = createServer((sock) => {
      sock.on('data', (c: Buffer) => (bytes += c.length));
      accepted.push(new Promise((r) => sock.once('close', () => r())));
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => peer.close(() => r())));
    const c = new DiameterClient({
      host: '127.0.0.1',
      port: (peer.address() as AddressInfo).port,
      local: AP,
    });
    const started = c.start();
    await c.close();
    await expect(started).rejects.toThrow(/closed while connecting/);
    // give a connect that was not abandoned the time to send its CER
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all(accepted);
    expect(bytes).toBe(0);
    expect(c.connection).toBeUndefined();
  });

  it.each([
    ['BUSY', 60_000, DISCONNECT_CAUSE.BUSY],
    ['DO_NOT_WANT_TO_TALK_TO_YOU', 60_000, DISCONNECT_CAUSE.DO_NOT_WANT_TO_TALK_TO_YOU],
    ['REBOOTING', 100, DISCONNECT_CAUSE.REBOOTING],
  ])('after a DPR with %s the client reconnects after %i ms', async (name, wait, cause) => {
    const timers = new ManualTimers();
    const s = await server();
    const retries: number[] = [];
    const logger: PeerLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (o) => void ('retryInMs' in o && retries.push((o as { retryInMs: number }).retryInMs)),
    };
    const c = client(s.address.port, { timers, backoff: { min: 100, max: 60_000 }, logger });
    await c.start();
    const down = new Promise<string>((r) => c.once('down', r));
    await s.connections[0]!.disconnect(cause);
    expect(await down).toBe(`peer disconnected (DPR, Disconnect-Cause ${name})`);
    expect(retries).toEqual([wait]);
    const reopened = new Promise((r) => c.once('open', r));
    timers.advance(wait);
    await reopened;
  });
});
