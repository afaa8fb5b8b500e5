/**
 * Every scenario replayed by the `testbed` command as a user runs it (a child process, its own testbed on
 * free ports): exit 0 and every expectation held; for section3 the four files, and tshark (Wireshark's
 * dissectors, not ours) reads the pcapng cleanly: HTTP 401, Diameter MAR and MAA (command 303), HTTP 201,
 * no malformed packet and no expert warning.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tsharkWithDictionary } from '@ut-testbed/diameter-codec';

const TESTBED = resolve(__dirname, '..', '..', 'packages', 'testbed', 'bin', 'testbed.js');
function testbed(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [TESTBED, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('error', fail);
    p.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

const names = execFileSync(process.execPath, [TESTBED, 'scenarios'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .map((l) => l.split(/\s+/)[0]!);

test('the scenarios are section3, section2, resync and the seven failures', () => {
  expect(names.slice(0, 3)).toEqual(['section3', 'section2', 'resync']);
  expect(names.filter((n) => n.startsWith('failure-')).sort()).toEqual([
    'failure-as-down',
    'failure-foreign-impu',
    'failure-hss-down',
    'failure-replayed-nc',
    'failure-stale-nonce',
    'failure-unknown-impi',
    'failure-wrong-res',
  ]);
});

test.each(names)('testbed replay %s: exit 0, every expectation held', async (name) => {
  const r = await testbed(['replay', name, '--format', 'json']);
  const result = JSON.parse(r.stdout);
  expect({ code: r.code, ok: result.ok, failure: result.failure }).toEqual({
    code: 0,
    ok: true,
    failure: undefined,
  });
  expect(result.expectations.length).toBeGreaterThan(0);
  expect(result.expectations.every((e: { ok: boolean }) => e.ok)).toBe(true);
});

describe('testbed replay section3 --trace-dir', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'e2e-section3-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the four files; tshark finds 401, MAR, MAA, 201 and nothing malformed', async () => {
    const r = await testbed(['replay', 'section3', '--trace-dir', dir]);
    expect(r.code).toBe(0);
    for (const f of ['trace.pcapng', 'trace.jsonl', 'ladder.html', 'ladder.mmd'])
      expect(existsSync(join(dir, f))).toBe(true);
    // the HSS listened on a free port: tell tshark which one carries Diameter
    const mar = readFileSync(join(dir, 'trace.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { summary: string; to: { port: number } })
      .find((e) => e.summary.startsWith('MAR '))!;
    const tshark = tsharkWithDictionary(dir);
    const file = join(dir, 'trace.pcapng');
    const decodeAs = ['-d', `tcp.port==${mar.to.port},diameter`];
    const fields = tshark([
      '-r',
      file,
      ...decodeAs,
      '-T',
      'fields',
      '-E',
      'separator=|',
      '-e',
      'http.response.code',
      '-e',
      'diameter.cmd.code',
      '-e',
      'diameter.flags.request',
      '-e',
      '_ws.malformed',
    ]);
    const rows = fields
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    const codes = rows.map((r) => r[0]).filter((c) => c !== '');
    expect(codes).toEqual(expect.arrayContaining(['401', '201']));
    const cx = rows.filter((r) => r[1] === '303').map((r) => r[2]);
    expect(cx).toEqual(['1', '0']); // one MAR, one MAA
    expect(rows.filter((r) => r[3] !== '')).toEqual([]);
    const impus = tshark([
      '-r',
      file,
      ...decodeAs,
      '-Y',
      'diameter.cmd.code == 303 && diameter.flags.request == 0',
      '-T',
      'fields',
      '-E',
      'aggregator=|',
      '-e',
      'diameter.IMPU-List',
    ]);
    expect(impus.trim()).toBe('sip:user1_public1@home1.net|sip:user1_public2@home1.net|tel:+12125551111');
    // the expert: no warning and no error anywhere (the Diameter AVPs all known, the TCP streams whole)
    expect(tshark(['-r', file, ...decodeAs, '-q', '-z', 'expert,warn'])).not.toMatch(/Warns \(|Errors \(/);
  });
});
