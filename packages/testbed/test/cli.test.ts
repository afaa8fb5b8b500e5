/**
 * The `testbed` command in-process (its run()): scenarios, replay with the four files and the ladder,
 * the JSON format, and the usage errors (exit 2) with what to do; and as a process (bin/testbed.js), a
 * replay that fails for real: exit 1 and the line that names the step, what was expected and what came.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '@ut-testbed/config';
import { parseJsonLines } from '@ut-testbed/trace';
import pino from 'pino';
import { run } from '../src/cli';
import { startTestbed } from '../src/compose';
import { SCENARIOS } from '../src/scenarios';

const BIN = resolve(__dirname, '..', 'bin', 'testbed.js');

function testbed(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('error', fail);
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

test('replay on a terminal: the ladder in colour (ANSI), the same text without it otherwise', async () => {
  const sgr = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
  const tty = io();
  expect(await run(['replay', 'section3'], tty.io, { tty: true })).toBe(0);
  const coloured = tty.out.join('');
  expect(coloured.match(sgr)?.length ?? 0).toBeGreaterThan(0);
  const plain = io();
  expect(await run(['replay', 'section3'], plain.io)).toBe(0);
  expect(plain.out.join('').match(sgr)).toBeNull();
  expect(coloured.replace(sgr, '').split('\n').length).toBe(plain.out.join('').split('\n').length);
});

test('testbed scenarios: one line each, in order', async () => {
  const c = io();
  expect(await run(['scenarios'], c.io)).toBe(0);
  const lines = c.out.join('').trim().split('\n');
  expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(SCENARIOS.map((s) => s.name));
  expect(lines).toHaveLength(SCENARIOS.length);
  expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(
    expect.arrayContaining(['section3', 'resync', 'failure-hss-down']),
  );
});

test('testbed replay section3 --trace-dir: exit 0, the ladder on stdout, the four files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'testbed-cli-'));
  try {
    const c = io();
    expect(await run(['replay', 'section3', '--trace-dir', dir], c.io)).toBe(0);
    const ladder = c.out.join('');
    expect(ladder.split('\n')[0]).toMatch(/^\s+UE\s+AP\s+HSS\s+XCAP\s+PS\s*$/);
    for (const s of [
      '401 Unauthorized',
      'MAR user1_private@home1.net',
      'MAA 2001',
      '201 Created',
      '403 Forbidden',
    ])
      expect(ladder).toContain(s);
    expect(ladder.includes('\u001b[')).toBe(false); // not a TTY: no colour
    for (const f of ['trace.pcapng', 'trace.jsonl', 'ladder.html', 'ladder.mmd'])
      expect(existsSync(join(dir, f))).toBe(true);
    const events = parseJsonLines(readFileSync(join(dir, 'trace.jsonl')));
    expect(events.filter((e) => e.summary.startsWith('MAR '))).toHaveLength(1);
    expect(readFileSync(join(dir, 'ladder.mmd'), 'utf8')).toMatch(/^sequenceDiagram/);
    expect(c.err.join('')).toMatch(/section3: \d+ expectations held/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--format json: the steps, the expectations and the messages', async () => {
  const c = io();
  expect(await run(['replay', 'resync', '--format', 'json'], c.io)).toBe(0);
  const r = JSON.parse(c.out.join(''));
  expect(r.ok).toBe(true);
  expect(r.steps).toEqual(['PUT with a USIM whose SQN is ahead of the HSS']);
  expect(r.messages.filter((m: { summary: string }) => m.summary.startsWith('MAR')).length).toBe(2);
});

test('usage errors: an unknown scenario, a bad format, a fault scenario with --target, a bad --step-timeout (exit 2)', async () => {
  for (const [argv, message] of [
    [['replay', 'nope'], /no scenario "nope": testbed scenarios lists/],
    [['replay', 'section3', '--format', 'svg'], /--format: "svg" is not one of text, mermaid, html, json/],
    [
      ['replay', 'failure-hss-down', '--target'],
      /failure-hss-down stops services or moves clocks: run it without --target/,
    ],
    [
      ['replay', 'section3', '--step-timeout', '0'],
      /--step-timeout: "0" is not a number of milliseconds from 1 to 2147483647/,
    ],
    [['up', '--step-timeout', '1.5'], /--step-timeout: "1.5" is not a number of milliseconds from 1/],
    // beyond 2^31 - 1 ms a timer fires at once: every step would fail
    [
      ['up', '--step-timeout', '2147483648'],
      /--step-timeout: "2147483648" is not a number of milliseconds from 1/,
    ],
  ] as const) {
    const c = io();
    expect(await run([...argv], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(message);
  }
});

test('replay --target: section3 and section2 against a testbed already up, the UE side recorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'testbed-target-'));
  const tb = await startTestbed({
    config: parseConfig({}),
    freePorts: true,
    logger: pino({ level: 'silent' }),
  });
  try {
    // JSON is YAML: the configuration as the running services have it, their real ports included
    const config = join(dir, 'running.json');
    writeFileSync(config, JSON.stringify(tb.config));
    const ca = join(dir, 'ap.pem');
    writeFileSync(ca, tb.certificate!);
    for (const scenario of ['section3', 'section2']) {
      const c = io();
      expect(
        await run(['replay', scenario, '--target', '--config', config, '--ca', ca, '--format', 'json'], c.io),
      ).toBe(0);
      const r = JSON.parse(c.out.join(''));
      expect(r.ok).toBe(true);
      // only the UE's records: no Cx (the AP's) and no AS (the XCAP server's)
      const ifaces = new Set(r.messages.map((m: { iface: string }) => m.iface));
      expect([...ifaces].sort()).toEqual(scenario === 'section3' ? ['Ut'] : ['Gm', 'Ut']);
    }
  } finally {
    await tb.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('a replay that fails, as a process', () => {
  let dir: string;
  let tb: Awaited<ReturnType<typeof startTestbed>>;
  let ca: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'testbed-fails-'));
    tb = await startTestbed({ config: parseConfig({}), freePorts: true, logger: pino({ level: 'silent' }) });
    ca = join(dir, 'ap.pem');
    writeFileSync(ca, tb.certificate!);
  });
  afterAll(async () => {
    await tb.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The running testbed's configuration, with `change` applied to the UE's copy of it. */
  function targetConfig(name: string, change: (c: typeof tb.config) => void = () => undefined): string {
    const c = structuredClone(tb.config);
    change(c);
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(c));
    return file;
  }

  test("the UE's K is not the HSS's: exit 1, the step, what was expected and what came", async () => {
    // the USIM fails the network's MAC, so the AP never gets a RES it can accept
    const config = targetConfig('other-k.json', (c) => {
      c.hss.subscribers[0]!.k = '00112233445566778899aabbccddeeff';
    });
    const r = await testbed(['replay', 'section3', '--target', '--config', config, '--ca', ca]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'testbed: section3 failed: step "PUT a new, empty presence list": status: expected 201, got 403\n',
    );
    expect(r.stderr).not.toMatch(/expectations held/);
    // the ladder of what did happen is still printed: the challenge and the refusal
    expect(r.stdout).toContain('401 Unauthorized');
    expect(r.stdout).toContain('403 Forbidden');
  });

  test('with --format json the failed expectation is the last one, and ok is false', async () => {
    const config = targetConfig('other-k.json', (c) => {
      c.hss.subscribers[0]!.k = '00112233445566778899aabbccddeeff';
    });
    const r = await testbed([
      'replay',
      'section3',
      '--target',
      '--config',
      config,
      '--ca',
      ca,
      '--format',
      'json',
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.expectations.at(-1)).toEqual({
      step: 'PUT a new, empty presence list',
      what: 'status',
      ok: false,
      expected: '201',
      actual: '403',
    });
  });

  test('an error that is not an expectation (the AP has gone) names the step too', async () => {
    const config = targetConfig('running.json');
    await tb.stop('ap');
    const r = await testbed(['replay', 'section3', '--target', '--config', config, '--ca', ca]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /testbed: section3 failed: step "PUT a new, empty presence list": PUT \/services\/resource-lists\/users\/sip:user1_public1@home1\.net\/index-\w+: connect ECONNREFUSED 127\.0\.0\.1:\d+\n/,
    );
  });
});
