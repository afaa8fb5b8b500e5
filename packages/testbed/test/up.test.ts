/**
 * `testbed up` as a process (bin/testbed.js) from a config on free ports: the ready line, the only line on
 * stdout, and the same JSON in --endpoints-file; the services listening and serving (a replay --target
 * against them) while it stays up; SIGINT/SIGTERM → exit 0 and every port closed. With --services, two
 * processes split the four services and attach to each other: the AP and presence server of one use the
 * HSS and XCAP server of the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isListening } from '@ut-testbed/service-kit';
import { run } from '../src/cli';

const BIN = resolve(__dirname, '..', 'bin', 'testbed.js');

interface Ready {
  ready: boolean;
  service: string;
  endpoints: {
    hss: { diameter: string };
    xcap: { http: string };
    ap: { https: string };
    presence: { udp?: string; tcp?: string };
  };
  certificate?: string;
}

interface Up {
  p: ChildProcess;
  ready: Ready;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `testbed up ARGS` and resolves with its ready line (or fails with its stderr if it exits first). */
function up(args: string[]): Promise<Up> {
  const p = spawn(process.execPath, [BIN, 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((done) => p.on('close', (code) => done(code)));
  return new Promise((done, fail) => {
    p.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      const line = stdout.split('\n').find((l, i, all) => i < all.length - 1 && l.startsWith('{'));
      if (line)
        done({ p, ready: JSON.parse(line) as Ready, stdout: () => stdout, stderr: () => stderr, exited });
    });
    void exited.then((code) =>
      fail(new Error(`testbed up exited ${code} before its ready line:\n${stderr}`)),
    );
  });
}

const hostPort = (hp: string) => {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
};

function writeConfig(file: string, lines: string[]): string {
  writeFileSync(file, [...lines, ''].join('\n'));
  return file;
}

/** A config on free ports with its databases (and so the AP certificate) in `dir`. */
function freeConfig(dir: string): string {
  return writeConfig(join(dir, 'testbed.yaml'), [
    `hss: { listen: { port: 0 }, database: ${join(dir, 'hss.db')} }`,
    `xcap: { listen: { port: 0 }, database: ${join(dir, 'xcap.db')} }`,
    'ap: { listen: { port: 0 } }',
    'presence: { listen: { port: 0 } }',
  ]);
}

/** `testbed replay <scenario> --target` in-process against the services a ready line names. */
async function replayAgainst(
  dir: string,
  ready: Ready,
  scenario: string,
): Promise<{ code: number; err: string }> {
  const config = join(dir, `target-${scenario}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      hss: { listen: hostPort(ready.endpoints.hss.diameter) },
      xcap: { listen: hostPort(ready.endpoints.xcap.http) },
      ap: { listen: hostPort(ready.endpoints.ap.https) },
      presence: { listen: hostPort(ready.endpoints.presence.udp!) },
    }),
  );
  const err: string[] = [];
  const code = await run(['replay', scenario, '--target', '--config', config, '--ca', ready.certificate!], {
    out: () => undefined,
    err: (s) => err.push(s),
  });
  return { code, err: err.join('') };
}

let dir: string;
const running: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'testbed-up-'));
});
afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('up: the ready line on stdout and in --endpoints-file, serving until SIGINT, then exit 0 and ports closed', async () => {
  const endpointsFile = join(dir, 'endpoints.json');
  const tb = await up(['--config', freeConfig(dir), '--endpoints-file', endpointsFile]);
  running.push(tb.p);
  const { ready } = tb;
  expect(ready).toEqual({
    ready: true,
    service: 'testbed',
    endpoints: {
      hss: { diameter: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
      xcap: { http: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
      ap: { https: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
      presence: {
        udp: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        tcp: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      },
    },
    certificate: join(dir, 'ap-certificate.pem'),
  });
  expect(ready.endpoints.ap.https).not.toBe('127.0.0.1:0');
  expect(readFileSync(ready.certificate!, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  expect(JSON.parse(readFileSync(endpointsFile, 'utf8'))).toEqual(ready);
  expect(tb.stdout().trim().split('\n')).toHaveLength(1);
  const addresses = [
    ready.endpoints.hss.diameter,
    ready.endpoints.xcap.http,
    ready.endpoints.ap.https,
    ready.endpoints.presence.tcp!,
  ];
  for (const a of addresses) expect(await isListening(a)).toBe(true);

  // it stays up and serves: a whole section3 against it, from outside
  const r = await replayAgainst(dir, ready, 'section3');
  expect(r.err).toMatch(/section3: \d+ expectations held/);
  expect(r.code).toBe(0);
  expect(tb.p.exitCode).toBeNull();

  tb.p.kill('SIGINT');
  expect(await tb.exited).toBe(0);
  for (const a of addresses) expect(await isListening(a)).toBe(false);
  expect(tb.stderr()).not.toMatch(/stopping:/);
});

test('up --services: the HSS and XCAP server in one process, the AP and presence server in another, attached', async () => {
  const back = await up(['--config', freeConfig(dir), '--services', 'hss,xcap']);
  running.push(back.p);
  const hss = back.ready.endpoints.hss.diameter;
  const xcap = back.ready.endpoints.xcap.http;
  expect(await isListening(hss)).toBe(true);
  expect(await isListening(xcap)).toBe(true);
  // only the two it was told to run: no AP (so no certificate) and no presence server here
  expect(back.stderr()).toMatch(/starting hss-sim/);
  expect(back.stderr()).toMatch(/starting xcap-server/);
  expect(back.stderr()).not.toMatch(/starting (ap|presence-server)/);
  expect(back.ready.certificate).toBeUndefined();
  expect(existsSync(join(dir, 'ap-certificate.pem'))).toBe(false);

  // the front is configured with the back's addresses, as it would be with services run anywhere else
  const front = await up([
    '--services',
    'ap,presence',
    '--config',
    writeConfig(join(dir, 'front.yaml'), [
      `hss: { listen: { host: ${hostPort(hss).host}, port: ${hostPort(hss).port} }, database: ${join(dir, 'front', 'hss.db')} }`,
      `xcap: { listen: { host: ${hostPort(xcap).host}, port: ${hostPort(xcap).port} } }`,
      'ap:',
      '  listen: { port: 0 }',
      `  hss: { host: ${hostPort(hss).host}, port: ${hostPort(hss).port} }`,
      `  routes: [{ pathPrefix: /services, upstream: "http://${xcap}" }]`,
      `presence: { listen: { port: 0 }, xcapRoot: "http://${xcap}/services" }`,
    ]),
  ]);
  running.push(front.p);
  expect(front.stderr()).toMatch(/starting ap/);
  expect(front.stderr()).toMatch(/starting presence-server/);
  expect(front.stderr()).not.toMatch(/starting (hss-sim|xcap-server)/);
  // the attached services are named where they run; the front's own on ports of their own
  expect(front.ready.endpoints.hss).toEqual({ diameter: hss });
  expect(front.ready.endpoints.xcap).toEqual({ http: xcap });
  expect(await isListening(front.ready.endpoints.ap.https)).toBe(true);
  expect(await isListening(front.ready.endpoints.presence.tcp!)).toBe(true);
  expect(front.ready.certificate).toBe(join(dir, 'front', 'ap-certificate.pem'));

  // section3 needs the front's AP to reach the back's HSS (Cx) and XCAP server; section2 needs the front's
  // presence server to read what the UEs put there
  for (const scenario of ['section3', 'section2']) {
    const r = await replayAgainst(dir, front.ready, scenario);
    expect(r.err).toMatch(new RegExp(`${scenario}: \\d+ expectations held`));
    expect(r.code).toBe(0);
  }

  front.p.kill('SIGTERM');
  back.p.kill('SIGTERM');
  expect(await Promise.all([front.exited, back.exited])).toEqual([0, 0]);
  for (const a of [hss, xcap, front.ready.endpoints.ap.https, front.ready.endpoints.presence.tcp!])
    expect(await isListening(a)).toBe(false);
});

test('up --replay: a flow that fails at start stops the services and exits 1 naming the step, no ready line', async () => {
  const config = writeConfig(join(dir, 'dead-route.yaml'), [
    `hss: { listen: { port: 0 }, database: ${join(dir, 'hss.db')} }`,
    `xcap: { listen: { port: 0 }, database: ${join(dir, 'xcap.db')} }`,
    // nothing listens on the discard port: the AP answers 502 where section3 expects 201
    'ap: { listen: { port: 0 }, routes: [{ pathPrefix: /services, upstream: "http://127.0.0.1:9" }] }',
    'presence: { listen: { port: 0 } }',
  ]);
  const p = spawn(process.execPath, [BIN, 'up', '--config', config, '--replay', 'section3'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(p);
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d: Buffer) => (stdout += d));
  p.stderr!.on('data', (d: Buffer) => (stderr += d));
  const code = await new Promise<number | null>((done) => p.on('close', done));
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr).toMatch(
    /^testbed: section3 failed against these services, which are stopped: step "[^"]+": status: expected 201, got 502$/m,
  );
});
