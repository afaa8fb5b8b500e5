/**
 * Interop with SIPp 3.6.1 (Debian sip-tester, /usr/bin/sipp; set SIPP to use another binary), on 127.0.0.1:
 * `sipp/publish-uac.xml` runs the PUBLISH answers of RFC 3903 (initial, modify, stale tag, bad event,
 * removal) over UDP and TCP. Each SIPp run is a foreground child process bounded by -timeout with
 * -timeout_error; its exit code (0: every call succeeded), its output and the server's trace are asserted.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startServer, USER1, type Server } from './support';

const SIPP = process.env.SIPP ?? '/usr/bin/sipp';
const scenario = (name: string) => join(__dirname, 'sipp', name);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts SIPp; resolves when it exits (killed after 20 s, which -timeout 10s should never reach). */
function sipp(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(SIPP, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port free for UDP and TCP on 127.0.0.1 just now. */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (ok) return port;
  }
}

/** SIPp's own ports (SIP, RTP echo, control) on free ports, so that runs do not collide. */
async function sippPorts(): Promise<string[]> {
  const [sip, media, control] = [await freePort(), await freePort(), await freePort()];
  return ['-i', '127.0.0.1', '-p', String(sip), '-mp', String(media), '-cp', String(control)];
}

const bounded = ['-m', '1', '-nostdin', '-timeout', '10s', '-timeout_error'];

function expectSuccess(run: Run): void {
  expect({
    code: run.code,
    stderr: run.stderr.split('\n').filter((l) => /abort|fail|error|unexpected/i.test(l)),
  }).toEqual({ code: 0, stderr: [] });
  expect(run.stdout).toMatch(/Successful call\s+\|\s+\d+\s+\|\s+1\s/);
  expect(run.stdout).toMatch(/Failed call\s+\|\s+\d+\s+\|\s+0\s/);
}

let server: Server;

beforeAll(() => {
  if (!existsSync(SIPP))
    throw new Error(`SIPp not found at ${SIPP} (Debian package sip-tester; or set SIPP)`);
});
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.svc.close());

describe.each([
  ['udp', 'u1'],
  ['tcp', 't1'],
] as const)('SIPp PUBLISH UAC over %s (-t %s)', (protocol, mode) => {
  test('initial 200 + SIP-ETag, modify 200, stale tag 412, Event: bogus 489, Expires 0 200', async () => {
    const t = server.target(protocol);
    const run = await sipp([
      `${t.host}:${t.port}`,
      '-sf',
      scenario('publish-uac.xml'),
      '-t',
      mode,
      ...(await sippPorts()),
      ...bounded,
    ]);
    expectSuccess(run);
    const sent = server.sink.events.filter((e) => e.from.name === 'ps');
    expect([...new Set(sent.map((e) => e.summary))]).toEqual([
      '200 OK (PUBLISH)',
      '412 Conditional Request Failed (PUBLISH)',
      '489 Bad Event (PUBLISH)',
    ]);
    expect(server.svc.composedState(USER1)).toBeUndefined();
    // the modify carried the tag of the initial 200 exactly (no leading space)
    const texts = server.sink.events.map((e) => Buffer.from(e.bytes).toString());
    const etag1 = /SIP-ETag: (\S+)/.exec(texts.find((s) => s.startsWith('SIP/2.0 200'))!)![1]!;
    expect(texts.some((s) => s.startsWith('PUBLISH') && s.includes(`SIP-If-Match: ${etag1}\r\n`))).toBe(true);
  });
});
