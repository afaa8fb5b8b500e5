import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addStartCommand,
  commandProgram,
  cpuSeconds,
  hostPort,
  listen,
  runProgram,
  startAdmin,
  startServiceProcess,
} from '../src';

const get = (url: string, method = 'GET') =>
  new Promise<{ status: number; body: string; type?: string }>((resolve, reject) => {
    request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          body,
          ...(res.headers['content-type'] ? { type: res.headers['content-type'] } : {}),
        }),
      );
    })
      .on('error', reject)
      .end();
  });

describe('listen', () => {
  test('a port in use is an error naming the config key', async () => {
    const a = createServer();
    const addr = await listen(a, '127.0.0.1', 0, 'x.listen');
    await expect(listen(createServer(), '127.0.0.1', addr.port, 'x.listen')).rejects.toThrow(
      `x.listen: 127.0.0.1:${addr.port} is in use`,
    );
    expect(hostPort(addr)).toBe(`127.0.0.1:${addr.port}`);
    expect(hostPort({ address: '::1', port: 5, family: 'IPv6' })).toBe('[::1]:5');
    a.close();
  });
});

describe('the admin listener', () => {
  test('health, metrics, the service routes, 404 for the rest', async () => {
    const admin = await startAdmin({
      host: '127.0.0.1',
      port: 0,
      configKey: 'x.admin',
      metrics: { metrics: async () => 'x_total 3\n', contentType: 'text/plain; version=0.0.4' },
      health: () => ({ status: 'ok', peer: 'up' }),
      handle: async (req, res) => {
        if (req.url !== '/own') return false;
        res.writeHead(204).end();
        return true;
      },
    });
    const base = `http://${hostPort(admin.address)}`;
    expect(await get(`${base}/health`)).toMatchObject({ status: 200, body: '{"status":"ok","peer":"up"}\n' });
    expect(await get(`${base}/metrics`)).toMatchObject({
      status: 200,
      body: 'x_total 3\n',
      type: 'text/plain; version=0.0.4',
    });
    expect((await get(`${base}/own`)).status).toBe(204);
    expect((await get(`${base}/other`)).status).toBe(404);
    await admin.close();
  });
});

describe('the start command', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const program = (start: () => Promise<{ endpoints: object; close(): Promise<void> }>) => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
    let closer: (() => Promise<void>) | undefined;
    const p = commandProgram('svc', 'a service', io);
    addStartCommand(p, {
      service: 'svc',
      description: 'start it',
      io,
      start,
      onStarted: (c) => (closer = c),
    });
    return { p, io, out, err, closer: () => closer };
  };

  test('one ready line on stdout, exit 0, the close handed over', async () => {
    const cfg = join(dir, 'ok.yaml');
    writeFileSync(cfg, 'realm: home1.net\n');
    let closed = false;
    const t = program(async () => ({
      endpoints: { http: '127.0.0.1:1' },
      close: async () => void (closed = true),
    }));
    expect(await runProgram('svc', t.p, ['start', '--config', cfg], t.io)).toBe(0);
    expect(t.out).toEqual(['{"ready":true,"service":"svc","endpoints":{"http":"127.0.0.1:1"}}\n']);
    await t.closer()!();
    expect(closed).toBe(true);
  });

  test('a bad config: exit 2 naming the key; a failing start: exit 1 with one line; bad usage: 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'ap:\n  lisen: 1\n');
    const t = program(async () => ({ endpoints: {}, close: async () => undefined }));
    expect(await runProgram('svc', t.p, ['start', '--config', bad], t.io)).toBe(2);
    expect(t.err.join('')).toMatch(/^svc: .*ap\.lisen/);
    const f = program(async () => {
      throw new Error('x.listen: 127.0.0.1:1 is in use');
    });
    const ok = join(dir, 'ok2.yaml');
    writeFileSync(ok, 'realm: home1.net\n');
    expect(await runProgram('svc', f.p, ['start', '--config', ok], f.io)).toBe(1);
    expect(f.err).toEqual(['svc: x.listen: 127.0.0.1:1 is in use\n']);
    const u = program(async () => ({ endpoints: {}, close: async () => undefined }));
    expect(await runProgram('svc', u.p, ['nonsense'], u.io)).toBe(2);
  });
});

describe('a service as a process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kit-proc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('resolves with its ready line; stop() sends SIGTERM and gives the exit code', async () => {
    const script = join(dir, 'svc.js');
    writeFileSync(
      script,
      // as a service does: the SIGTERM handler is in place before the ready line goes out
      "process.on('SIGTERM', () => process.exit(0)); setInterval(() => undefined, 1000);" +
        "process.stdout.write(JSON.stringify({ ready: true, service: 'svc', endpoints: { http: '127.0.0.1:1' } }) + '\\n');",
    );
    const svc = await startServiceProcess(script, []);
    expect(svc.ready).toEqual({ ready: true, service: 'svc', endpoints: { http: '127.0.0.1:1' } });
    expect(cpuSeconds(svc.proc.pid!)).toBeGreaterThanOrEqual(0);
    expect(await svc.stop()).toBe(0);
  });

  test('a service that exits before its ready line: rejected with what it said on stderr', async () => {
    const script = join(dir, 'bad.js');
    writeFileSync(script, "process.stderr.write('x.listen: 127.0.0.1:1 is in use\\n'); process.exit(1);");
    await expect(startServiceProcess(script, [])).rejects.toThrow(
      /exited \(1\) before it was ready\nx\.listen: 127\.0\.0\.1:1 is in use/,
    );
  });

  test('CPU seconds of a process from /proc', () => {
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i;
    expect(x).toBeGreaterThan(0);
    expect(cpuSeconds(process.pid)).toBeGreaterThan(0);
  });
});
