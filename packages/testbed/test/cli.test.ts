/**
 * The `testbed` command in-process (its run()): scenarios, replay with the four files and the ladder,
 * the JSON format, and the usage errors (exit 2) with what to do.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@ut-testbed/config';
import { parseJsonLines } from '@ut-testbed/trace';
import pino from 'pino';
import { run } from '../src/cli';
import { startTestbed } from '../src/compose';
import { SCENARIOS } from '../src/scenarios';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

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

test('usage errors: an unknown scenario, a bad format, a fault scenario with --target (exit 2)', async () => {
  for (const [argv, message] of [
    [['replay', 'nope'], /no scenario "nope": testbed scenarios lists/],
    [['replay', 'section3', '--format', 'svg'], /--format: "svg" is not one of text, mermaid, html, json/],
    [
      ['replay', 'failure-hss-down', '--target'],
      /failure-hss-down stops services or moves clocks: run it without --target/,
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
