/**
 * `npm start` as a new user runs it (the README's quick start): the build, then `testbed up` replaying
 * section3 against itself, within a time bound: the ladder on stderr (the 401, the MAR and MAA, the 201),
 * then the ready line on stdout, the services listening; SIGTERM stops everything and npm exits 0.
 * A config with free ports and its own databases, so that nothing else on the machine is disturbed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isListening } from '@ut-testbed/service-kit';

const ROOT = resolve(__dirname, '..', '..');
const BOUND_MS = 120_000;

test(
  'npm start: the section3 ladder, the ready line, a clean stop',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-npm-start-'));
    const config = join(dir, 'testbed.yaml');
    writeFileSync(
      config,
      [
        `hss: { listen: { port: 0 }, database: ${join(dir, 'hss.db')} }`,
        `xcap: { listen: { port: 0 }, database: ${join(dir, 'xcap.db')} }`,
        'ap: { listen: { port: 0 } }',
        'presence: { listen: { port: 0 } }',
        '',
      ].join('\n'),
    );
    const started = Date.now();
    const p = spawn('npm', ['start', '--silent', '--', '--config', config], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    });
    let stdout = '';
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((done) => p.on('close', (code) => done(code)));
    try {
      const ready = await new Promise<{ ready: boolean; endpoints: Record<string, Record<string, string>> }>(
        (done, fail) => {
          p.stdout.on('data', (d: Buffer) => {
            stdout += d;
            const line = stdout.split('\n').find((l) => l.startsWith('{'));
            if (line) done(JSON.parse(line));
          });
          void exited.then((code) =>
            fail(new Error(`npm start exited ${code} before the ready line:\n${stderr}`)),
          );
        },
      );
      const took = Date.now() - started;
      expect(took).toBeLessThan(BOUND_MS);
      expect(ready.ready).toBe(true);
      for (const s of ['401 Unauthorized', 'MAR user1_private@home1.net', 'MAA 2001', '201 Created'])
        expect(stderr).toContain(s);
      expect(stderr).toMatch(/testbed: section3: \d+ expectations held/);
      // the ladder came before the ready line, which is the only line on stdout
      expect(stdout.trim().split('\n')).toHaveLength(1);
      const addresses = [
        ready.endpoints.hss!.diameter!,
        ready.endpoints.xcap!.http!,
        ready.endpoints.ap!.https!,
        ready.endpoints.presence!.tcp!,
      ];
      for (const a of addresses) expect(await isListening(a)).toBe(true);
      p.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const a of addresses) expect(await isListening(a)).toBe(false);
    } finally {
      p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
  BOUND_MS + 30_000,
);
