/** `ap start` as a process: ready line with its endpoints, 503 while the HSS is away, SIGTERM exits 0; a bad config exits 2. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { startServiceProcess } from '@ut-testbed/service-kit';

const BIN = join(__dirname, '..', 'bin', 'ap.js');

describe('ap start', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ap-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts from a config holding only realm and ap, prints its ready line, serves TLS, exits 0 on SIGTERM', async () => {
    const cfg = join(dir, 'c.yaml');
    writeFileSync(
      cfg,
      'realm: home1.net\nap:\n  listen: { host: 127.0.0.1, port: 0 }\n  hss: { host: 127.0.0.1, port: 1 }\n',
    );
    const { ready, stop } = await startServiceProcess(BIN, ['start', '--config', cfg]);
    expect(ready).toMatchObject({ ready: true, service: 'ap' });
    const [host, port] = ready.endpoints.https!.split(':') as [string, string];
    // the generated certificate names xcap.home1.net
    const peer = await new Promise<string>((resolve, reject) => {
      const s = connect(
        { host, port: Number(port), servername: 'xcap.home1.net', rejectUnauthorized: false },
        () => {
          resolve(s.getPeerCertificate().subjectaltname ?? '');
          s.end();
        },
      );
      s.on('error', reject);
    });
    expect(peer).toContain('DNS:xcap.home1.net');
    expect(peer).toContain('IP Address:127.0.0.1');
    expect(await stop()).toBe(0);
  });

  it('a bad config exits 2 naming the key', async () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'ap:\n  auth: { algorithm: MD5 }\n');
    const proc = spawn(process.execPath, [BIN, 'start', '--config', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toMatch(/ap\.auth\.algorithm/);
  });
});
