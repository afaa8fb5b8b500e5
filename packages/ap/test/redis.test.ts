/**
 * Two AP instances behind a TCP load balancer that alternates between them, sharing one real redis-server
 * (DESIGN.md section 8): a nonce issued by one is accepted by the other with a higher count, a count used
 * on one is a replay on the other, and a TLS session made with one resumes on the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { generateCertificate } from '../src';
import { EMPTY_LIST, listDoc, network, USER1, type Network } from './support/network';
import { TestUe } from './support/ue';

const RL = 'application/resource-lists+xml';
const IMPU1 = USER1.impus[0]!;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startRedis(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    proc.once('exit', (c) => reject(new Error(`redis-server exited ${c}: ${out}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, proc };
}

/** A TCP balancer: connection n goes to backends[n % backends.length]. */
async function balancer(backends: string[]): Promise<{ server: Server; address: string }> {
  let n = 0;
  const server = createServer((c: Socket) => {
    const [host, port] = backends[n++ % backends.length]!.split(':') as [string, string];
    const up = connect(Number(port), host);
    c.pipe(up).pipe(c);
    up.on('error', () => c.destroy());
    c.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, address: `127.0.0.1:${(server.address() as { port: number }).port}` };
}

describe('two AP instances on one Redis', () => {
  let net: Network;
  let redis: { url: string; proc: ChildProcess };
  let lb: { server: Server; address: string };
  let ue: TestUe;
  let cert: string;

  beforeAll(async () => {
    net = await network();
    redis = await startRedis(net.dir);
    const c = generateCertificate({
      commonName: 'xcap.home1.net',
      dnsNames: ['xcap.home1.net'],
      ipAddresses: ['127.0.0.1'],
    });
    cert = c.cert;
    writeFileSync(join(net.dir, 'ap.crt'), c.cert);
    writeFileSync(join(net.dir, 'ap.key'), c.key);
    const tls = {
      cert: join(net.dir, 'ap.crt'),
      key: join(net.dir, 'ap.key'),
      sessionCache: { store: 'redis', redisUrl: redis.url },
    };
    // one Diameter identity per node (RFC 6733 2.1)
    const a = await net.startAp({ ap: { tls, originHost: 'ap1.home1.net' } });
    const b = await net.startAp({ ap: { tls, originHost: 'ap2.home1.net' } });
    lb = await balancer([a.endpoints.https, b.endpoints.https]);
    ue = new TestUe({ ap: lb.address, ca: cert, impi: USER1.impi, k: USER1.k, opc: USER1.opc! });
  });
  afterAll(async () => {
    ue.close();
    lb.server.close();
    await net.close();
    redis.proc.kill();
  });

  it('authenticate on A; on B the nonce with a higher count passes and the TLS session resumes; a used count is a replay on A', async () => {
    const path = listDoc(IMPU1, 'shared');
    const onA = await ue.call('PUT', path, { body: EMPTY_LIST, type: RL });
    expect(onA.exchanges.map((e) => e.status)).toEqual([401, 201]);
    onA.final.socket.destroy();

    // connection 2 goes to B
    const auth = ue.authorization('GET', path, undefined);
    const onB = await ue.send('GET', path, { headers: { Authorization: auth.header } });
    expect(onB.status).toBe(200);
    expect(onB.socket.isSessionReused()).toBe(true);
    onB.socket.destroy();

    // connection 3 goes to A again: the count B accepted is a replay there
    const replay = await ue.send('GET', path, { headers: { Authorization: auth.header } });
    expect(replay.status).toBe(401);
  });

  it('with Redis away, a request that needs the nonce store is answered 503 with Retry-After, quickly', async () => {
    redis.proc.kill('SIGSTOP');
    try {
      const other = new TestUe({ ap: lb.address, ca: cert, impi: USER1.impi, k: USER1.k, opc: USER1.opc! });
      const t0 = Date.now();
      const r = await other.send('GET', listDoc(IMPU1, 'shared'));
      other.close();
      expect(r.status).toBe(503);
      expect(r.headers['retry-after']).toBe('5');
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      redis.proc.kill('SIGCONT');
    }
  });
});
