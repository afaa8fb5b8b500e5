/**
 * TLS at the AP: sessions resumed on a new connection (TLS 1.3 by ticket, TLS 1.2 by ticket or session id),
 * a resumed connection authenticating with the nonce it already has (no new challenge), idle connections
 * closed with close_notify, and the handshake counters on the admin port.
 */
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { request } from 'node:http';
import { EMPTY_LIST, listDoc, network, USER1, type Network } from './support/network';

const RL = 'application/resource-lists+xml';
const IMPU1 = USER1.impus[0]!;

describe('TLS sessions at the AP', () => {
  let net: Network;
  beforeAll(async () => {
    net = await network({ ap: { admin: { host: '127.0.0.1', port: 0 } } });
  });
  afterAll(() => net.close());

  it.each(['TLSv1.3', 'TLSv1.2'] as const)(
    '%s: the second connection resumes the session and authenticates with the nonce it has',
    async (version) => {
      const ue = net.ue(USER1, { minVersion: version, maxVersion: version });
      const path = listDoc(IMPU1, `resume-${version}`);
      const first = await ue.call('PUT', path, { body: EMPTY_LIST, type: RL });
      expect(first.final.status).toBe(201);
      expect(first.final.socket.getProtocol()).toBe(version);
      expect(first.final.socket.isSessionReused()).toBe(false);
      const before = net.ap.sessionCache.counters();
      // the connection goes; the agent keeps the session, as a phone's TLS stack does
      first.final.socket.destroy();
      const auth = ue.authorization('GET', path, undefined);
      const again = await ue.send('GET', path, { headers: { Authorization: auth.header } });
      expect(again.status).toBe(200);
      expect(again.socket).not.toBe(first.final.socket);
      expect(again.socket.isSessionReused()).toBe(true);
      const after = net.ap.sessionCache.counters();
      expect(after.resumedHandshakes).toBe(before.resumedHandshakes + 1);
    },
  );

  it('the admin port counts full and resumed handshakes and the authentication outcomes', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      request(`http://${net.ap.endpoints.admin}/metrics`, (res) => {
        let t = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (t += c));
        res.on('end', () => resolve(t));
      })
        .on('error', reject)
        .end();
    });
    const c = net.ap.sessionCache.counters();
    expect(text).toMatch(new RegExp(`^ap_tls_handshakes_total\\{kind="full"\\} ${c.fullHandshakes}$`, 'm'));
    expect(text).toMatch(
      new RegExp(`^ap_tls_handshakes_total\\{kind="resumed"\\} ${c.resumedHandshakes}$`, 'm'),
    );
    expect(c.resumedHandshakes).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^ap_digest_challenges_total\{reason="initial"\} [1-9]/m);
    expect(text).toMatch(/^ap_auth_successes_total [1-9]/m);
    expect(text).toMatch(/^ap_hss_request_seconds_count\{command="MAR",outcome="vector"\} [1-9]/m);
  });
});

describe('a client that asks to close', () => {
  let net: Network;
  beforeAll(async () => {
    net = await network();
  });
  afterAll(() => net.close());

  it('gets Connection: close and the connection ended by the AP (close_notify, then FIN)', async () => {
    const ue = net.ue();
    const r = await ue.send('GET', listDoc(IMPU1), { headers: { Connection: 'close' } });
    expect(r.status).toBe(401);
    expect(r.headers.connection).toBe('close');
    await new Promise<void>((resolve) =>
      r.socket.readableEnded ? resolve() : r.socket.once('end', () => resolve()),
    );
  });
});

describe('idle connections', () => {
  let net: Network;
  beforeAll(async () => {
    net = await network({ apOptions: { idleTimeoutMs: 200 } });
  });
  afterAll(() => net.close());

  it('are closed by the AP with a TLS close_notify alert before the FIN', async () => {
    const [host, port] = net.ap.endpoints.https.split(':') as [string, string];
    // a TCP relay records what the AP sends, record by record
    const fromAp: Buffer[] = [];
    let finFromAp!: () => void;
    const fin = new Promise<void>((r) => (finFromAp = r));
    const relay = createServer((client: Socket) => {
      const up = netConnect(Number(port), host);
      client.pipe(up);
      up.on('data', (d: Buffer) => {
        fromAp.push(d);
        client.write(d);
      });
      up.on('end', () => {
        finFromAp();
        client.end();
      });
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const s = tlsConnect({
      host: '127.0.0.1',
      port: (relay.address() as { port: number }).port,
      ca: net.ap.certificate,
      servername: 'xcap.home1.net',
      maxVersion: 'TLSv1.2',
    });
    await new Promise<void>((r) => s.once('secureConnect', () => r()));
    const ended = new Promise<void>((r) => s.once('end', () => r()));
    await fin;
    await ended;
    s.destroy();
    relay.close();
    // TLS 1.2 keeps the record type of an alert visible: the last record the AP sent is one (21)
    const bytes = Buffer.concat(fromAp);
    let at = 0;
    let last = -1;
    while (at + 5 <= bytes.length) {
      last = bytes[at]!;
      at += 5 + bytes.readUInt16BE(at + 3);
    }
    expect(at).toBe(bytes.length);
    expect(last).toBe(21);
  });
});
