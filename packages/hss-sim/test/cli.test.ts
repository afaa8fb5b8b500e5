/** The hss-sim command as a process: start (ready line, SIGTERM -> DPR), errors, and subscriber provisioning. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, DiameterClient, getNumber } from '@ut-testbed/diameter-codec';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import { CX_PEER, mar, maa, USER1 } from './support';
import { runCli, startProcess } from './process';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hss-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function config(extra: Record<string, unknown> = {}): string {
  const f = join(dir, 'testbed.yaml');
  writeFileSync(
    f,
    JSON.stringify({
      hss: { listen: { host: '127.0.0.1', port: 0 }, database: join(dir, 'hss.db'), ...extra },
    }),
  );
  return f;
}

describe('hss-sim start', () => {
  it('prints one ready line, serves the default subscribers, and sends DPR to its peers on SIGTERM', async () => {
    const run = await startProcess(config());
    expect(run.ready).toMatchObject({ ready: true, service: 'hss-sim' });
    const [host, port] = run.ready.endpoints.diameter.split(':');
    const sink = new MemorySink();
    const ap = new DiameterClient({
      host: host!,
      port: Number(port),
      local: CX_PEER,
      trace: { tracer: createTracer({ sinks: [sink] }), iface: 'Cx', localName: 'ap', remoteName: 'hss' },
    });
    await ap.start();
    expect(maa(await ap.request(mar())).resultCode).toBe(2001);
    run.proc.kill('SIGTERM');
    const dpr = await sink.waitFor((e) => e.from.name === 'hss' && e.summary.startsWith('DPR'));
    const cause = getNumber(decodeMessage(Buffer.from(dpr.bytes)).message!.avps, 'Disconnect-Cause');
    expect(cause).toBe(0); // REBOOTING
    await sink.waitFor((e) => e.from.name === 'ap' && e.summary.startsWith('DPA'));
    expect((await run.exited).code).toBe(0);
    await ap.close();
  });

  it('sees a subscriber that `hss-sim subscriber add` writes into its database while it runs', async () => {
    const run = await startProcess(config());
    const [host, port] = run.ready.endpoints.diameter.split(':');
    const ap = new DiameterClient({ host: host!, port: Number(port), local: CX_PEER });
    try {
      await ap.start();
      const carol = { userName: 'carol@home1.net', publicIdentity: 'sip:carol@home1.net' };
      expect(maa(await ap.request(mar(carol))).experimentalResult).toEqual({ vendorId: 10415, code: 5001 });
      const add = await runCli([
        'subscriber',
        'add',
        '--database',
        join(dir, 'hss.db'),
        '--impi',
        'carol@home1.net',
        '--impu',
        'sip:carol@home1.net',
        '--k',
        USER1.k.toString('hex'),
        '--opc',
        USER1.opc.toString('hex'),
      ]);
      expect(add.code).toBe(0);
      const a = maa(await ap.request(mar(carol)));
      expect(a.resultCode).toBe(2001);
      expect(a.impuList).toEqual(['sip:carol@home1.net']);
    } finally {
      await ap.close();
      run.proc.kill('SIGTERM');
      await run.exited;
    }
  });

  it('a port in use: exit 1 with one line naming hss.listen', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['start', '--config', config({ listen: { host: '127.0.0.1', port } })]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toBe(`hss-sim: hss.listen: 127.0.0.1:${port} is in use`);
    } finally {
      blocker.close();
    }
  });

  it('a bad config: exit 2 with the key named', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'hss:\n  listen: { host: 127.0.0.1, prot: 3868 }\n');
    const r = await runCli(['start', '--config', f]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/hss\.listen\.prot/);
  });
});

describe('hss-sim subscriber', () => {
  it('add, list, show, remove on the database; keys only with --show-secrets', async () => {
    const db = join(dir, 'p.db');
    const add = await runCli([
      'subscriber',
      'add',
      '--database',
      db,
      '--impi',
      'bob@home1.net',
      '--impu',
      'sip:bob@home1.net',
      'tel:+15550001',
      '--k',
      USER1.k.toString('hex'),
      '--op',
      'cdc202d5123e20f62b6d676ac72cb318',
      '--amf',
      'b9b9',
    ]);
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toEqual({
      impi: 'bob@home1.net',
      impus: ['sip:bob@home1.net', 'tel:+15550001'],
      amf: 'b9b9',
      scheme: 'Digest-AKAv1-MD5',
      seqHe: 0,
      sqn: '000000000000',
    });
    expect(add.stdout).not.toContain(USER1.k.toString('hex'));
    const again = await runCli([
      'subscriber',
      'add',
      '--database',
      db,
      '--impi',
      'bob@home1.net',
      '--impu',
      'sip:bob@home1.net',
      '--k',
      USER1.k.toString('hex'),
      '--opc',
      USER1.opc.toString('hex'),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe('hss-sim: subscriber bob@home1.net exists already');
    const list = await runCli(['subscriber', 'list', '--database', db]);
    expect(JSON.parse(list.stdout).map((s: { impi: string }) => s.impi)).toEqual(['bob@home1.net']);
    expect(list.stdout).not.toMatch(/"k"|"opc"/);
    const shown = JSON.parse(
      (await runCli(['subscriber', 'show', 'bob@home1.net', '--database', db, '--show-secrets'])).stdout,
    );
    expect(shown.k).toBe(USER1.k.toString('hex'));
    expect(shown.opc).toBe(USER1.opc.toString('hex')); // derived from OP
    expect((await runCli(['subscriber', 'remove', 'bob@home1.net', '--database', db])).code).toBe(0);
    const gone = await runCli(['subscriber', 'show', 'bob@home1.net', '--database', db]);
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim()).toBe('hss-sim: no subscriber bob@home1.net');
  });

  it('bad flags: exit 2 naming the flag, never echoing the key', async () => {
    const r = await runCli([
      'subscriber',
      'add',
      '--database',
      join(dir, 'x.db'),
      '--impi',
      'x@home1.net',
      '--impu',
      'sip:x@home1.net',
      '--k',
      'abcd',
      '--opc',
      USER1.opc.toString('hex'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hss-sim: --k: /);
    expect(r.stderr).not.toContain('abcd');
  });
});
