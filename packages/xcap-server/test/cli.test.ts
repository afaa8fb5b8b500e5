/** xcap-server as a process: a config with only realm and xcap starts it; SIGTERM exits 0. */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(__dirname, '..', 'bin', 'xcap-server.js');

describe('xcap-server start', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xcap-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts from a config holding only realm and xcap, prints its ready line, serves, exits 0 on SIGTERM', async () => {
    const cfg = join(dir, 'c.yaml');
    writeFileSync(
      cfg,
      `realm: home1.net\nxcap:\n  listen: { host: 127.0.0.1, port: 0 }\n  database: ${join(dir, 'x.db')}\n`,
    );
    const proc = spawn(process.execPath, [BIN, 'start', '--config', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    const ready = await new Promise<{ ready: boolean; service: string; endpoints: { http: string } }>(
      (resolve, reject) => {
        let out = '';
        proc.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
        });
        void exited.then((c) => reject(new Error(`exited ${c}`)));
      },
    );
    expect(ready).toMatchObject({ ready: true, service: 'xcap-server' });
    expect(ready.endpoints.http).toMatch(/^127\.0\.0\.1:\d+$/);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `http://${ready.endpoints.http}/services/xcap-caps/global/index`,
        { headers: { 'X-3GPP-Asserted-Identity': 'sip:a@home1.net' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('a bad config exits 2 naming the key', async () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'xcap:\n  roots: /x\n');
    const proc = spawn(process.execPath, [BIN, 'start', '--config', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toMatch(/xcap\.roots/);
  });
});
