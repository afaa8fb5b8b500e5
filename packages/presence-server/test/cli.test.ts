/** presence-server as a process: ready line, PUBLISH over its UDP port, SIGTERM exit 0, a bad config exit 2. */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoint } from '@ut-testbed/sip-core';
import { client, pidf, publishRequest, USER1 } from './support';

const BIN = join(__dirname, '..', 'bin', 'presence-server.js');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'presence-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  const firstLine = new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', () => {
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
    });
    void exited.then((c) => reject(new Error(`exited ${c}: ${stderr}`)));
  });
  firstLine.catch(() => undefined); // awaited only by the tests that expect a ready line
  return { proc, exited, firstLine, stderr: () => stderr };
}

test('a config with only realm and presence starts it; ready line; it answers PUBLISH; SIGTERM exits 0', async () => {
  const cfg = join(dir, 'c.yaml');
  writeFileSync(
    cfg,
    'realm: home1.net\npresence:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\n',
  );
  const p = run(['start', '--config', cfg]);
  const ready = JSON.parse(await p.firstLine) as {
    ready: boolean;
    service: string;
    endpoints: { udp: string; tcp: string; admin: string };
  };
  expect(ready).toMatchObject({ ready: true, service: 'presence-server' });
  expect(ready.endpoints.udp).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(ready.endpoints.tcp).toMatch(/^127\.0\.0\.1:\d+$/);
  let ue: Endpoint | undefined;
  try {
    ue = await client();
    const [host, port] = ready.endpoints.udp.split(':');
    const r = await ue.request(publishRequest({ body: pidf(USER1, [['t', 'open']]) }), {
      protocol: 'udp',
      host: host!,
      port: Number(port),
    });
    expect(r.status).toBe(200);
    const target = { protocol: 'udp' as const, host: host!, port: Number(port) };
    // presence.trustFrom is off by default: no asserted identity, no PUBLISH
    expect(
      (await ue.request(publishRequest({ pai: null, body: pidf(USER1, [['t', 'open']]) }), target)).status,
    ).toBe(403);
    const metrics = await (await fetch(`http://${ready.endpoints.admin}/metrics`)).text();
    expect(metrics).toMatch(/presence_sip_requests_total\{method="PUBLISH",status="200"\} 1/);
    expect(metrics).toMatch(/presence_publications 1/);
  } finally {
    await ue?.close();
    p.proc.kill('SIGTERM');
  }
  expect(await p.exited).toBe(0);
});

test('presence.trustFrom: true (the lab switch): a PUBLISH without P-Asserted-Identity is taken from its From', async () => {
  const cfg = join(dir, 'from.yaml');
  writeFileSync(
    cfg,
    'realm: home1.net\npresence:\n  listen: { host: 127.0.0.1, port: 0, transports: [udp] }\n  trustFrom: true\n',
  );
  const p = run(['start', '--config', cfg]);
  const ready = JSON.parse(await p.firstLine) as { endpoints: { udp: string } };
  let ue: Endpoint | undefined;
  try {
    ue = await client();
    const [host, port] = ready.endpoints.udp.split(':');
    const target = { protocol: 'udp' as const, host: host!, port: Number(port) };
    const own = await ue.request(publishRequest({ pai: null, body: pidf(USER1, [['t', 'open']]) }), target);
    expect([own.status, own.get('SIP-ETag') !== undefined]).toEqual([200, true]);
    // From is the sender: it may publish only its own presence
    const other = await ue.request(
      publishRequest({ pai: null, from: 'sip:user2_public1@home1.net', body: pidf(USER1, [['t', 'open']]) }),
      target,
    );
    expect(other.status).toBe(403);
  } finally {
    await ue?.close();
    p.proc.kill('SIGTERM');
  }
  expect(await p.exited).toBe(0);
});

test('a bad config: exit 2 with the key named', async () => {
  const cfg = join(dir, 'bad.yaml');
  writeFileSync(cfg, 'realm: home1.net\npresence:\n  listen: { transports: [sctp] }\n');
  const p = run(['start', '--config', cfg]);
  expect(await p.exited).toBe(2);
  expect(p.stderr()).toMatch(/^presence-server: .*presence\.listen\.transports/m);
});

test('a port in use: exit 1 with one line', async () => {
  const sock = createSocket('udp4');
  const port = await new Promise<number>((r) => sock.bind(0, '127.0.0.1', () => r(sock.address().port)));
  try {
    const cfg = join(dir, 'busy.yaml');
    writeFileSync(
      cfg,
      `realm: home1.net\npresence:\n  listen: { host: 127.0.0.1, port: ${port}, transports: [udp] }\n`,
    );
    const p = run(['start', '--config', cfg]);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/^presence-server: presence\.listen: /);
  } finally {
    sock.close();
  }
});
