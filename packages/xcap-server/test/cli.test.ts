/**
 * xcap-server as a process: a config with only realm and xcap starts it; SIGTERM exits 0; a kill -9 in the
 * middle of writes loses no answered change and leaves no document half written.
 */
import { spawn } from 'node:child_process';
import { startServiceProcess } from '@ut-testbed/service-kit';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(__dirname, '..', 'bin', 'xcap-server.js');

/** Starts `xcap-server start --config cfg` and waits for its ready line. */
async function startServer(cfg: string) {
  const svc = await startServiceProcess(BIN, ['start', '--config', cfg]);
  return { ...svc, http: svc.ready.endpoints.http! };
}

function call(
  http: string,
  method: string,
  path: string,
  user: string,
  body?: string,
): Promise<{ status: number; etag?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `http://${http}${path}`,
      {
        method,
        headers: {
          'X-3GPP-Asserted-Identity': `"${user}"`,
          ...(body !== undefined ? { 'Content-Type': 'application/resource-lists+xml' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body: text,
            ...(res.headers.etag ? { etag: res.headers.etag } : {}),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

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
    const { ready, stop } = await startServiceProcess(BIN, ['start', '--config', cfg]);
    expect(ready).toMatchObject({ ready: true, service: 'xcap-server' });
    expect(ready.endpoints.http).toMatch(/^127\.0\.0\.1:\d+$/);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `http://${ready.endpoints.http!}/services/xcap-caps/global/index`,
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
    expect(await stop()).toBe(0);
  });

  it('the admin listener serves health and metrics, with the store commit counters', async () => {
    const cfg = join(dir, 'admin.yaml');
    writeFileSync(
      cfg,
      `realm: home1.net\nxcap:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\n  database: ${join(dir, 'admin.db')}\n`,
    );
    const { ready, stop } = await startServiceProcess(BIN, ['start', '--config', cfg]);
    const { http, admin } = ready.endpoints as { http: string; admin: string };
    try {
      const user = 'sip:m@home1.net';
      const path = `/services/resource-lists/users/${user}/index`;
      const doc = '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>';
      expect((await call(http, 'PUT', path, user, doc)).status).toBe(201);
      expect((await call(http, 'PUT', path, user, doc)).status).toBe(200);
      expect((await call(admin, 'GET', '/health', user)).status).toBe(200);
      const metrics = (await call(admin, 'GET', '/metrics', user)).body;
      expect(metrics).toMatch(/^xcap_store_changes_total 2$/m);
      expect(metrics).toMatch(/^xcap_store_transactions_total 2$/m);
      expect(metrics).toMatch(/^xcap_operations_total\{auid="resource-lists"\} 2$/m);
    } finally {
      await stop();
    }
  });

  it('kill -9 while users write: every answered change survives, every document is one whole version', async () => {
    const cfg = join(dir, 'kill.yaml');
    writeFileSync(
      cfg,
      `realm: home1.net\nxcap:\n  listen: { host: 127.0.0.1, port: 0 }\n  database: ${join(dir, 'kill.db')}\n`,
    );
    // version k of a user's document: 200 entries that all carry k, so a mixed or cut document shows
    const version = (k: number) =>
      '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="v">' +
      Array.from({ length: 200 }, (_, i) => `<entry uri="sip:e${i}-v${k}@home1.net"/>`).join('') +
      '</list></resource-lists>\n';
    const users = Array.from({ length: 6 }, (_, i) => `sip:k${i}@home1.net`);
    const path = (u: string) => `/services/resource-lists/users/${u}/index`;
    const { proc, http } = await startServer(cfg);
    const acked = new Map<string, { k: number; etag: string }>();
    let answered = 0;
    let killed = false;
    let writers: Promise<void>[] = [];
    const killedAfter = new Promise<void>((resolve) => {
      writers = users.map(async (u) => {
        for (let k = 1; !killed; k++) {
          const r = await call(http, 'PUT', path(u), u, version(k)).catch(() => undefined);
          if (!r || killed) return;
          expect([200, 201]).toContain(r.status);
          acked.set(u, { k, etag: r.etag! });
          if (++answered === 150) {
            // requests of the other writers are on their way: the kill lands in the middle of them
            proc.kill('SIGKILL');
            killed = true;
            resolve();
          }
        }
      });
    });
    await killedAfter;
    await Promise.all(writers);
    await new Promise((r) =>
      proc.exitCode !== null || proc.signalCode ? r(undefined) : proc.once('exit', r),
    );
    const again = await startServer(cfg);
    try {
      for (const u of users) {
        const got = await call(again.http, 'GET', path(u), u);
        const last = acked.get(u)!;
        expect(got.status).toBe(200);
        const k = Number(/-v(\d+)@/.exec(got.body)![1]);
        expect(got.body).toBe(version(k));
        // a change that was answered is on disk; one sent but not answered may or may not be
        expect([last.k, last.k + 1]).toContain(k);
        if (k === last.k) expect(got.etag).toBe(last.etag);
      }
    } finally {
      await again.stop();
    }
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
