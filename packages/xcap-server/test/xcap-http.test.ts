/**
 * The XCAP server over HTTP on port 0, as the Authentication Proxy reaches it: documents, elements and
 * attributes, ETags and preconditions, identity, limits, the change stream and the trace.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@ut-testbed/config';
import { createTracer, MemorySink, systemClock } from '@ut-testbed/trace';
import pino from 'pino';
import { findUsage, start, type XcapService } from '../src';
import { isSchemaUsage } from '../src/usages/usage';

const ALICE = 'sip:alice@home1.net';
const BOB = 'sip:bob@home1.net';
const RL = 'application/resource-lists+xml';
const EL = 'application/xcap-el+xml';

const DOC =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n' +
  '  <list name="friends">\n' +
  '    <entry uri="sip:bob@home1.net"><display-name>Bob</display-name></entry>\n' +
  '  </list>\n' +
  '</resource-lists>\n';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let svc: XcapService;
let base: string;
let dir: string;
const sink = new MemorySink();

function http(
  method: string,
  path: string,
  o: {
    body?: string | Buffer;
    type?: string;
    identity?: string | null;
    headers?: Record<string, string>;
    localAddress?: string;
  } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.identity !== null) headers['X-3GPP-Asserted-Identity'] = `"${o.identity ?? ALICE}"`;
  if (o.type) headers['Content-Type'] = o.type;
  return new Promise((resolve, reject) => {
    const req = request(
      `http://${base}${path}`,
      { method, headers, ...(o.localAddress ? { localAddress: o.localAddress } : {}) },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

const doc = (xui = ALICE, auid = 'resource-lists', name = 'index') =>
  `/services/${auid}/users/${xui}/${name}`;
const node = (sel: string, xui = ALICE) => `${doc(xui)}/~~/${encodeURI(sel).replace(/"/g, '%22')}`;

async function boot(database: string) {
  const c = parseConfig({ xcap: { listen: { host: '127.0.0.1', port: 0 }, database } });
  svc = await start({
    xcap: c.xcap,
    logger: pino({ level: 'silent' }),
    tracer: createTracer({ sinks: [sink] }),
  });
  base = svc.endpoints.http;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xcap-http-'));
  await boot(join(dir, 'xcap.db'));
});
afterAll(async () => {
  await svc.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('documents', () => {
  it('the RFC 4825 life cycle: 404, 201, exact bytes back, 200 with a new ETag, 200 delete, 404', async () => {
    expect((await http('DELETE', doc())).status).toBe(404);
    expect((await http('GET', doc())).status).toBe(404);
    const put = await http('PUT', doc(), { body: DOC, type: RL });
    expect(put.status).toBe(201);
    const e1 = put.headers.etag as string;
    expect(e1).toMatch(/^"[^"]+"$/);
    const get = await http('GET', doc());
    expect(get.status).toBe(200);
    expect(get.body).toBe(DOC);
    expect(get.headers['content-type']).toBe(RL);
    expect(get.headers.etag).toBe(e1);
    expect(get.headers['cache-control']).toBe('no-cache');
    const again = await http('PUT', doc(), { body: DOC, type: RL });
    expect(again.status).toBe(200);
    expect(again.headers.etag).not.toBe(e1);
    expect((await http('DELETE', doc())).status).toBe(200);
    expect((await http('GET', doc())).status).toBe(404);
  });

  it('a malformed document: 409 not-well-formed in an xcap-error body, nothing stored', async () => {
    const r = await http('PUT', doc(BOB), {
      body: '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>',
      type: RL,
      identity: BOB,
    });
    expect(r.status).toBe(409);
    expect(r.headers['content-type']).toBe('application/xcap-error+xml');
    expect(r.body).toMatch(
      /<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><not-well-formed( phrase="[^"]*")?\/><\/xcap-error>/,
    );
    expect((await http('GET', doc(BOB), { identity: BOB })).status).toBe(404);
  });

  it('a wrong content type: 415; a body over the limit: 413 and nothing stored', async () => {
    expect((await http('PUT', doc(), { body: DOC, type: 'text/plain' })).status).toBe(415);
    // a declared length over the limit is refused before any of the body is read
    const head = await new Promise<string>((resolve, reject) => {
      const [host, port] = base.split(':');
      const sock = connect({ host: host!, port: Number(port) }, () =>
        sock.write(
          `PUT ${doc()} HTTP/1.1\r\nHost: ${base}\r\nX-3GPP-Asserted-Identity: "${ALICE}"\r\n` +
            `Content-Type: ${RL}\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n<resource-lists`,
        ),
      );
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
    });
    expect(head).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(head).toContain('Connection: close\r\n');
    expect((await http('GET', doc())).status).toBe(404);
  });

  it('a DTD is refused (no entity expansion)', async () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">&b;</resource-lists>';
    const r = await http('PUT', doc(), { body: bomb, type: RL });
    expect(r.status).toBe(409);
    expect(r.body).toContain('<not-well-formed');
  });

  it('a restart keeps documents and their ETags', async () => {
    const put = await http('PUT', doc(ALICE, 'resource-lists', 'keep'), { body: DOC, type: RL });
    await svc.close();
    await boot(join(dir, 'xcap.db'));
    const get = await http('GET', doc(ALICE, 'resource-lists', 'keep'));
    expect(get.body).toBe(DOC);
    expect(get.headers.etag).toBe(put.headers.etag);
  });
});

describe('elements and attributes', () => {
  beforeEach(async () => {
    expect((await http('PUT', doc(), { body: DOC, type: RL })).status).toBeLessThan(300);
  });

  it('GET of an element returns its exact bytes with the document ETag; attribute GET the bare value', async () => {
    const d = await http('GET', doc());
    const el = await http('GET', node('resource-lists/list[@name="friends"]/entry[1]'));
    expect(el.status).toBe(200);
    expect(el.headers['content-type']).toBe(EL);
    expect(el.body).toBe('<entry uri="sip:bob@home1.net"><display-name>Bob</display-name></entry>');
    expect(el.headers.etag).toBe(d.headers.etag);
    const att = await http('GET', node('resource-lists/list/@name'));
    expect(att.headers['content-type']).toBe('application/xcap-att+xml');
    expect(att.body).toBe('friends');
    expect((await http('GET', node('resource-lists/list[@name="other"]'))).status).toBe(404);
  });

  it('PUT of a new element: 201, new document ETag, the rest of the document unchanged', async () => {
    const before = await http('GET', doc());
    const body = '<entry uri="sip:carol@home1.net"/>';
    const r = await http(
      'PUT',
      node('resource-lists/list[@name="friends"]/entry[@uri="sip:carol@home1.net"]'),
      { body, type: EL },
    );
    expect(r.status).toBe(201);
    expect(r.headers.etag).not.toBe(before.headers.etag);
    const after = await http('GET', doc());
    expect(after.body).toBe(before.body.replace('</entry>\n  </list>', `</entry>${body}\n  </list>`));
    expect(after.headers.etag).toBe(r.headers.etag);
  });

  it('a duplicate entry uri: 409 uniqueness-failure', async () => {
    const r = await http('PUT', node('resource-lists/list[@name="friends"]/entry[2]'), {
      body: '<entry uri="sip:bob@home1.net"/>',
      type: EL,
    });
    expect(r.status).toBe(409);
    expect(r.body).toContain('<uniqueness-failure');
  });

  it('an element under a missing parent: 409 no-parent with the closest ancestor', async () => {
    const r = await http('PUT', node('resource-lists/list[@name="others"]/entry[2]'), {
      body: '<entry uri="sip:x@y"/>',
      type: EL,
    });
    expect(r.status).toBe(409);
    expect(r.body).toMatch(
      /<no-parent[^>]*><ancestor>http:\/\/127\.0\.0\.1:\d+\/services\/resource-lists\/users\/sip:alice@home1\.net\/index\/~~\/resource-lists<\/ancestor><\/no-parent>/,
    );
  });

  it('an element PUT into a missing document: no-parent naming the user directory', async () => {
    const r = await http('PUT', `${doc(ALICE, 'resource-lists', 'missing')}/~~/resource-lists/list`, {
      body: '<list/>',
      type: EL,
    });
    expect(r.status).toBe(409);
    expect(r.body).toMatch(
      /<ancestor>http:\/\/127\.0\.0\.1:\d+\/services\/resource-lists\/users\/sip:alice@home1\.net<\/ancestor>/,
    );
  });

  it('an unbound prefix is 400; a bound one works', async () => {
    expect((await http('GET', node('p:resource-lists/p:list'))).status).toBe(400);
    const ok = await http(
      'GET',
      `${node('p:resource-lists/p:list/@name')}?xmlns(p=urn:ietf:params:xml:ns:resource-lists)`,
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('friends');
  });

  it('namespace bindings: GET gives them, PUT and DELETE are 405 with Allow: GET', async () => {
    const r = await http('GET', node('resource-lists/list/namespace::*'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/xcap-ns+xml');
    expect(r.body).toBe('<list xmlns="urn:ietf:params:xml:ns:resource-lists"/>');
    const put = await http('PUT', node('resource-lists/list/namespace::*'), { body: 'x', type: EL });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET');
    expect((await http('DELETE', node('resource-lists/list/namespace::*'))).status).toBe(405);
  });

  it('If-Match: of parallel element PUTs holding the same ETag exactly one wins, the others get 412', async () => {
    const etag = (await http('GET', doc())).headers.etag as string;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        http('PUT', node(`resource-lists/list[@name="friends"]/entry[@uri="sip:p${i}@home1.net"]`), {
          body: `<entry uri="sip:p${i}@home1.net"/>`,
          type: EL,
          headers: { 'If-Match': etag },
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 412, 412, 412, 412, 412, 412, 412]);
  });

  it('If-None-Match on GET gives 304; a wrong If-Match on DELETE gives 412', async () => {
    const etag = (await http('GET', doc())).headers.etag as string;
    expect((await http('GET', doc(), { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await http('GET', doc(), { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
    expect(
      (await http('DELETE', node('resource-lists/list/entry[1]'), { headers: { 'If-Match': '"other"' } }))
        .status,
    ).toBe(412);
    expect(
      (
        await http('PUT', doc(ALICE, 'resource-lists', 'fresh'), {
          body: DOC,
          type: RL,
          headers: { 'If-None-Match': '*' },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await http('PUT', doc(ALICE, 'resource-lists', 'fresh'), {
          body: DOC,
          type: RL,
          headers: { 'If-None-Match': '*' },
        })
      ).status,
    ).toBe(412);
  });
});

/** The next `n` xcap-diff documents of the change stream, once the stream is open and `act` has run. */
function changes(n: number, act: () => Promise<unknown>): Promise<string[]> {
  return new Promise<string[]>((resolve, reject) => {
    const got: string[] = [];
    let acted = false;
    const done = () => {
      if (!acted || got.length < n) return;
      resolve(got);
      req.destroy();
    };
    const req = request(`http://${base}/_changes`, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        for (let m; (m = /event: xcap-diff\n((?:data: .*\n)+)\n/.exec(buf));) {
          got.push(m[1]!.replace(/^data: /gm, ''));
          buf = buf.slice(m.index + m[0].length);
        }
        done();
      });
      act().then(() => {
        acted = true;
        done();
      }, reject);
    });
    req.on('error', (e) => (String(e).includes('socket hang up') ? undefined : reject(e)));
    req.end();
  });
}

describe('concurrent changes', () => {
  it('element PUTs to one document in parallel all succeed, each building on the one before', async () => {
    const path = doc(ALICE, 'resource-lists', 'parallel');
    const created = await http('PUT', path, { body: DOC, type: RL });
    const n = 24;
    let results: Res[] = [];
    const diffs = await changes(n, async () => {
      results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          http('PUT', `${path}/~~/resource-lists/list/entry%5b@uri=%22sip:p${i}@home1.net%22%5d`, {
            body: `<entry uri="sip:p${i}@home1.net"/>`,
            type: EL,
          }),
        ),
      );
    });
    expect(results.map((r) => r.status)).toEqual(Array(n).fill(201));
    const final = await http('GET', path);
    for (let i = 0; i < n; i++) expect(final.body).toContain(`<entry uri="sip:p${i}@home1.net"/>`);
    // the change stream, in commit order, is one chain of ETags from the created document to the final one
    const chain = diffs.map((d) => ({
      previous: /previous-etag="([^"]+)"/.exec(d)?.[1],
      next: /new-etag="([^"]+)"/.exec(d)?.[1],
    }));
    expect(`"${chain[0]!.previous}"`).toBe(created.headers.etag);
    for (let i = 1; i < n; i++) expect(chain[i]!.previous).toBe(chain[i - 1]!.next);
    expect(`"${chain[n - 1]!.next}"`).toBe(final.headers.etag);
    expect(new Set(results.map((r) => r.headers.etag)).size).toBe(n);
  });

  it('two users claiming one rls-services service URI at once: one gets it, the other a uniqueness-failure', async () => {
    const services = (uri: string) =>
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<rls-services xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists">' +
      `<service uri="${uri}"><list><rl:entry uri="sip:x@home1.net"/></list><packages><package>presence</package></packages></service>` +
      '</rls-services>\n';
    for (let round = 0; round < 5; round++) {
      const uri = `sip:shared-${round}@home1.net`;
      const [a, b] = await Promise.all(
        [ALICE, BOB].map((user) =>
          http('PUT', doc(user, 'rls-services', `round${round}`), {
            body: services(uri),
            type: 'application/rls-services+xml',
            identity: user,
          }),
        ),
      );
      expect([a!.status, b!.status].sort()).toEqual([201, 409]);
      expect([a!, b!].find((r) => r.status === 409)!.body).toContain('<uniqueness-failure');
    }
  });
});

describe('what GET returns is valid against the usage schemas', () => {
  it('the stored document, and the generated xcap-caps and rls-services global documents', async () => {
    await http('PUT', doc(), { body: DOC, type: RL });
    const got = [
      ['resource-lists', (await http('GET', doc())).body],
      ['xcap-caps', (await http('GET', '/services/xcap-caps/global/index')).body],
      ['rls-services', (await http('GET', '/services/rls-services/global/index')).body],
    ] as const;
    for (const [auid, body] of got) {
      expect(body.length).toBeGreaterThan(0);
      const usage = findUsage(auid)!;
      if (!isSchemaUsage(usage)) throw new Error(`${auid} has no schema`);
      await expect(usage.schema.check(Buffer.from(body))).resolves.toBeUndefined();
    }
  });
});

describe('identity', () => {
  it('no X-3GPP-Asserted-Identity: 403', async () => {
    expect((await http('GET', doc(), { identity: null })).status).toBe(403);
  });
  it('an assertion from an address outside trustedProxies (127.0.0.2) is not believed: 403', async () => {
    expect((await http('GET', doc(), { localAddress: '127.0.0.2' })).status).toBe(403);
  });
  it("another user's documents: 403", async () => {
    expect((await http('GET', doc(ALICE), { identity: BOB })).status).toBe(403);
  });
  it('global documents: readable, not writable', async () => {
    const caps = await http('GET', '/services/xcap-caps/global/index');
    expect(caps.status).toBe(200);
    expect(caps.headers['content-type']).toBe('application/xcap-caps+xml');
    for (const auid of [
      'resource-lists',
      'rls-services',
      'pres-rules',
      'org.openmobilealliance.pres-rules',
      'simservs.ngn.etsi.org',
    ]) {
      expect(caps.body).toContain(`<auid>${auid}</auid>`);
    }
    const put = await http('PUT', '/services/xcap-caps/global/index', {
      body: caps.body,
      type: 'application/xcap-caps+xml',
    });
    expect(put.status).toBe(405);
    expect((await http('GET', '/services/resource-lists/global/index')).status).toBe(404);
  });
});

describe('change stream and trace', () => {
  it('each committed change reaches /_changes as an RFC 5874 xcap-diff document', async () => {
    const got = new Promise<string>((resolve, reject) => {
      const req = request(`http://${base}/_changes`, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          const m = /event: xcap-diff\n((?:data: .*\n)+)\n/.exec(buf);
          if (m) {
            resolve(m[1]!.replace(/^data: /gm, ''));
            req.destroy();
          }
        });
      });
      req.on('error', (e) => (String(e).includes('socket hang up') ? undefined : reject(e)));
      req.end();
      req.on(
        'response',
        () => void http('PUT', doc(ALICE, 'resource-lists', 'watched'), { body: DOC, type: RL }),
      );
    });
    const xml = await got;
    expect(xml).toMatch(
      /<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http:\/\/127\.0\.0\.1:\d+\/services"><document sel="resource-lists\/users\/sip:alice@home1\.net\/watched" new-etag="[^"]+"\/><\/xcap-diff>/,
    );
  });

  it('records every request and response as a trace event on the AS interface with the wire bytes', async () => {
    sink.clear();
    await http('GET', doc());
    const [req, res] = sink.events;
    expect(req!.iface).toBe('AS');
    expect(Buffer.from(req!.bytes).toString()).toMatch(
      /^GET \/services\/resource-lists\/users\/sip:alice@home1\.net\/index HTTP\/1\.1\r\n/,
    );
    expect(Buffer.from(res!.bytes).toString()).toMatch(
      /^HTTP\/1\.1 200 OK\r\nContent-Type: application\/resource-lists\+xml\r\nETag: "[^"]+"\r\n/,
    );
    expect(res!.summary).toBe('200 OK');
  });

  it('names the sender (the AP by X-Forwarded-For, another peer by its User-Agent) and stamps the arrival', async () => {
    sink.clear();
    // on the tracer's clock, as the sender's own record of the request is
    const before = systemClock();
    await http('GET', doc(), { headers: { 'X-Forwarded-For': '127.0.0.1' } });
    await http('GET', doc(), { headers: { 'User-Agent': 'Presence-Server/0.1 (ut-testbed)' } });
    await http('GET', doc());
    const requests = sink.events.filter((e) => e.summary.startsWith('GET'));
    expect(requests.map((e) => [e.from.name, e.to.name])).toEqual([
      ['ap', 'xcap'],
      ['presence-server', 'xcap'],
      ['client', 'xcap'],
    ]);
    const [req, res] = sink.events;
    expect(req!.ts).toBeGreaterThanOrEqual(before);
    expect(req!.ts).toBeLessThanOrEqual(res!.ts);
  });

  it("stamps the arrival on the tracer's own clock, whatever it is", async () => {
    const own = new MemorySink();
    const dir2 = mkdtempSync(join(tmpdir(), 'xcap-clock-'));
    const cfg = parseConfig({
      xcap: { listen: { host: '127.0.0.1', port: 0 }, database: join(dir2, 'x.db') },
    });
    // a tracer whose clock is an hour ahead of the system clock
    const ahead = createTracer({ sinks: [own], clock: () => systemClock() + 3_600_000 });
    const svc2 = await start({ xcap: cfg.xcap, tracer: ahead, logger: pino({ level: 'silent' }) });
    try {
      const before = systemClock() + 3_600_000;
      const res = await fetch(`http://${svc2.endpoints.http}/services/xcap-caps/global/index`, {
        headers: { 'X-3GPP-Asserted-Identity': `"${ALICE}"` },
      });
      expect(res.status).toBe(200);
      const arrival = own.events.find((e) => e.summary.startsWith('GET '))!;
      expect(arrival.ts).toBeGreaterThanOrEqual(before);
    } finally {
      await svc2.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it("stamps the arrival on the tracer's clock, never before the sender's record of the request", async () => {
    // Date.now() is another time base than the tracer's (whole milliseconds, and stepped when the system
    // clock is set): here it runs 10 ms behind, and the ladder, which orders by time, must not care
    const wall = Date.now.bind(Date);
    const behind = jest.spyOn(Date, 'now').mockImplementation(() => wall() - 10);
    try {
      sink.clear();
      const sent = createTracer({ sinks: [sink] }).emit({
        iface: 'AS',
        proto: 'http',
        transport: 'tcp',
        from: { name: 'ap', host: '127.0.0.1', port: 0 },
        to: { name: 'xcap', host: '127.0.0.1', port: 0 },
        bytes: Buffer.from('GET'),
        summary: 'sent',
      });
      await http('GET', doc(), { headers: { 'X-Forwarded-For': '127.0.0.1' } });
      const [, arrival, answer] = sink.events;
      expect(arrival!.summary).toMatch(/^GET /);
      expect(arrival!.ts).toBeGreaterThanOrEqual(sent.ts);
      expect(arrival!.ts).toBeLessThanOrEqual(answer!.ts);
    } finally {
      behind.mockRestore();
    }
  });
});
