import { request } from 'node:http';
import { parseConfig } from '@ut-testbed/config';
import { readCxMaa } from '@ut-testbed/diameter-codec';
import { start, type HssService } from '../src';
import { connect, mar, silent, USER1 } from './support';

async function http(base: string, method: string, path: string, body?: unknown, type = 'application/json') {
  return new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      `http://${base}${path}`,
      { method, headers: data ? { 'content-type': type } : {} },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: text, type: String(res.headers['content-type'] ?? '') }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('admin listener: provisioning API, health, metrics', () => {
  let hss: HssService;
  let base: string;
  beforeAll(async () => {
    const c = parseConfig({ hss: { listen: { port: 0 }, database: ':memory:', admin: { port: 0 } } });
    hss = await start({ hss: c.hss, realm: c.realm, logger: silent });
    base = hss.endpoints.admin!;
  });
  afterAll(() => hss.close());

  it('lists and shows subscribers without keys unless ?secrets=true', async () => {
    const list = await http(base, 'GET', '/subscribers');
    expect(list.status).toBe(200);
    const subs = JSON.parse(list.body) as Record<string, unknown>[];
    expect(subs.map((s) => s.impi)).toEqual([
      'user1_private@home1.net',
      'user2_private@home1.net',
      'user3_private@home1.net',
    ]);
    expect(list.body).not.toContain(USER1.k.toString('hex'));
    const one = JSON.parse((await http(base, 'GET', `/subscribers/${encodeURIComponent(USER1.impi)}`)).body);
    expect(one).toEqual({
      impi: USER1.impi,
      impus: USER1.impus,
      amf: 'b9b9',
      scheme: 'Digest-AKAv1-MD5',
      seqHe: 0,
      sqn: '000000000000',
    });
    const secret = JSON.parse(
      (await http(base, 'GET', `/subscribers/${encodeURIComponent(USER1.impi)}?secrets=true`)).body,
    );
    expect(secret.k).toBe(USER1.k.toString('hex'));
    expect(secret.opc).toBe(USER1.opc.toString('hex'));
  });

  it('creates (201), replaces (200, SQN kept) and deletes (204) a subscriber; the HSS serves it at once', async () => {
    const impi = 'alice@home1.net';
    const body = {
      impus: ['sip:alice@home1.net'],
      k: USER1.k.toString('hex'),
      opc: USER1.opc.toString('hex'),
      amf: '8000',
    };
    expect((await http(base, 'PUT', `/subscribers/${impi}`, body)).status).toBe(201);
    const ap = await connect(hss.endpoints.diameter);
    try {
      const a = readCxMaa(await ap.request(mar({ userName: impi, publicIdentity: 'sip:alice@home1.net' })));
      expect(a.resultCode).toBe(2001);
      expect(a.items).toHaveLength(1);
      expect(a.impuList).toEqual(['sip:alice@home1.net']);
    } finally {
      await ap.close();
    }
    const replaced = await http(base, 'PUT', `/subscribers/${impi}`, {
      ...body,
      impus: ['sip:alice@home1.net', 'tel:+1555'],
    });
    expect(replaced.status).toBe(200);
    expect(JSON.parse(replaced.body)).toMatchObject({
      impus: ['sip:alice@home1.net', 'tel:+1555'],
      seqHe: 1,
    });
    expect((await http(base, 'DELETE', `/subscribers/${impi}`)).status).toBe(204);
    expect((await http(base, 'GET', `/subscribers/${impi}`)).status).toBe(404);
    expect((await http(base, 'DELETE', `/subscribers/${impi}`)).status).toBe(404);
  });

  it.each([
    ['bad JSON', '{', 'application/json', 400, /not valid JSON/],
    ['wrong type', '{}', 'text/plain', 415, /application\/json/],
    [
      'short K',
      { impus: ['sip:b@home1.net'], k: '00', opc: USER1.opc.toString('hex') },
      'application/json',
      400,
      /^k: /,
    ],
    [
      'unknown key',
      { impus: ['sip:b@home1.net'], k: USER1.k.toString('hex'), opc: USER1.opc.toString('hex'), ki: 'x' },
      'application/json',
      400,
      /ki/,
    ],
    [
      'too large',
      JSON.stringify({ impus: ['sip:b@home1.net'], pad: 'x'.repeat(70_000) }),
      'application/json',
      413,
      /larger than/,
    ],
  ])('refuses %s with %s', async (_n, body, type, status, why) => {
    const r = await http(base, 'PUT', '/subscribers/b@home1.net', body, type as string);
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body).error).toMatch(why as RegExp);
  });

  it('a chunked body over 64 KiB gets 413 (not a dropped connection)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `http://${base}/subscribers/c@home1.net`,
        { method: 'PUT', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(8192));
      req.end();
    });
    expect(status).toBe(413);
    expect((await http(base, 'GET', '/subscribers/c@home1.net')).status).toBe(404);
  });

  it('answers health and Prometheus metrics with the MAR counters', async () => {
    expect(JSON.parse((await http(base, 'GET', '/health')).body)).toEqual({ status: 'ok' });
    const ap = await connect(hss.endpoints.diameter);
    try {
      await ap.request(mar());
      await ap.request(mar({ userName: 'nobody@home1.net' }));
      const m = await http(base, 'GET', '/metrics');
      expect(m.type).toMatch(/text\/plain/);
      expect(m.body).toMatch(/hss_diameter_requests_total\{command="MAR",outcome="success"\} [1-9]/);
      expect(m.body).toMatch(/hss_diameter_requests_total\{command="MAR",outcome="user-unknown"\} 1/);
      expect(m.body).toMatch(/hss_diameter_peers 1/);
      expect(m.body).not.toContain(USER1.k.toString('hex'));
    } finally {
      await ap.close();
    }
    expect((await http(base, 'POST', '/metrics')).status).toBe(405);
    expect((await http(base, 'GET', '/nothing')).status).toBe(404);
  });
});
