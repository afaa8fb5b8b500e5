/**
 * The XCAP client against a real xcap-server on port 0 (the presence server as its trusted peer on
 * 127.0.0.1), and against small servers of the test's own for what the XCAP server does not do: silence,
 * 5xx, redirects, oversized and chunked bodies, connection reuse.
 */
import { createServer as createHttpServer, request, type RequestListener, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@ut-testbed/config';
import { start, type XcapService } from '@ut-testbed/xcap-server';
import pino from 'pino';
import { XcapClient, XcapTooLarge, XcapUnavailable, type XcapClientOptions } from '../src/xcap/client';

const USER1 = 'sip:user1_public1@home1.net';
const USER2 = 'sip:user2_public1@home1.net';

const LISTS =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n' +
  '  <list name="friends">\n' +
  `    <entry uri="${USER2}"><display-name>User 2</display-name></entry>\n` +
  '  </list>\n' +
  '</resource-lists>\n';

const RULES =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"\n' +
  '  xmlns:cr="urn:ietf:params:xml:ns:common-policy">\n' +
  `  <cr:rule id="allow-2"><cr:conditions><cr:identity><cr:one id="${USER2}"/></cr:identity></cr:conditions>` +
  '<cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>\n' +
  '</cr:ruleset>\n';

const services = (uri: string, list: string) =>
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<rls-services xmlns="urn:ietf:params:xml:ns:rls-services">\n' +
  `  <service uri="${uri}"><resource-list>${list}</resource-list>` +
  '<packages><package>presence</package></packages></service>\n' +
  '</rls-services>\n';

let xcap: XcapService;
let dir: string;
let root: string;
let client: XcapClient;
const etags: Record<string, string> = {};

/** A PUT as the Authentication Proxy forwards a UE's request: with the user's asserted identity. */
function put(
  path: string,
  body: string,
  type: string,
  identity: string,
): Promise<{ status: number; etag: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${root}/${path}`,
      {
        method: 'PUT',
        headers: { 'X-3GPP-Asserted-Identity': `"${identity}"`, 'Content-Type': type },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, etag: String(res.headers.etag) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const doc = (auid: string, user: string) => `${auid}/users/${user}/index`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ps-xcap-client-'));
  const c = parseConfig({
    xcap: {
      listen: { host: '127.0.0.1', port: 0 },
      database: join(dir, 'xcap.db'),
      trustedProxies: ['127.0.0.1'],
    },
  });
  xcap = await start({ xcap: c.xcap, logger: pino({ level: 'silent' }) });
  root = `http://${xcap.endpoints.http}/services`;
  client = new XcapClient({ root, aliases: ['https://XCAP.home1.net:8443/services'] });
  const puts: [string, string, string, string][] = [
    [doc('resource-lists', USER1), LISTS, 'application/resource-lists+xml', USER1],
    [doc('pres-rules', USER1), RULES, 'application/auth-policy+xml', USER1],
    [
      doc('rls-services', USER1),
      services('sip:user1_public1-friends@home1.net', `${root}/${doc('resource-lists', USER1)}`),
      'application/rls-services+xml',
      USER1,
    ],
    [
      doc('rls-services', USER2),
      services('sip:user2_public1-friends@home1.net', `${root}/${doc('resource-lists', USER2)}`),
      'application/rls-services+xml',
      USER2,
    ],
  ];
  for (const [path, body, type, identity] of puts) {
    const r = await put(path, body, type, identity);
    expect(r.status).toBe(201);
    etags[path] = r.etag;
  }
});

afterAll(async () => {
  client.close();
  await xcap.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reading documents as a trusted peer', () => {
  it("GETs the owner's document with its ETag (unquoted), type and exact bytes", async () => {
    const path = doc('pres-rules', USER1);
    const r = await client.get(path, USER1);
    expect(r.status).toBe(200);
    expect(`"${r.etag}"`).toBe(etags[path]);
    expect(r.contentType).toBe('application/auth-policy+xml');
    expect(r.body).toBe(RULES);
  });

  it('GETs an element by node selector, written as it reads (quotes and brackets encoded on the way)', async () => {
    const path = doc('resource-lists', USER1);
    const r = await client.get(
      `${path}/~~/resource-lists/list[@name="friends"]/entry[@uri="${USER2}"]`,
      USER1,
    );
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/xcap-el+xml');
    expect(r.body).toBe(`<entry uri="${USER2}"><display-name>User 2</display-name></entry>`);
    expect(`"${r.etag}"`).toBe(etags[path]);
  });

  it('GETs a node selector with a namespace binding in the query', async () => {
    const r = await client.get(
      `${doc('pres-rules', USER1)}/~~/cr:ruleset/cr:rule[@id="allow-2"]/@id?xmlns(cr=urn:ietf:params:xml:ns:common-policy)`,
      USER1,
    );
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/xcap-att+xml');
    expect(r.body).toBe('allow-2');
  });

  it("another user's identity is 403 and no identity is 403: answers, not errors", async () => {
    const other = await client.get(doc('pres-rules', USER1), USER2);
    expect(other.status).toBe(403);
    expect(other.etag).toBeUndefined();
    expect((await client.get(doc('pres-rules', USER1))).status).toBe(403);
  });

  it('an unknown document is a 404 response', async () => {
    const r = await client.get(`resource-lists/users/${USER1}/no-such-list`, USER1);
    expect(r.status).toBe(404);
    expect(r.etag).toBeUndefined();
  });

  it("the global rls-services index holds every user's services", async () => {
    const r = await client.get('rls-services/global/index', USER1);
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/rls-services+xml');
    const uris = [...r.body.matchAll(/<service uri="([^"]+)"/g)].map((m) => m[1]);
    expect(uris.sort()).toEqual([
      'sip:user1_public1-friends@home1.net',
      'sip:user2_public1-friends@home1.net',
    ]);
    // each service's resource-list is an absolute URI of this server: the presence server follows it
    const lists = [...r.body.matchAll(/<resource-list>([^<]+)<\/resource-list>/g)].map((m) =>
      client.pathOf(m[1]!),
    );
    expect(lists.sort()).toEqual([doc('resource-lists', USER1), doc('resource-lists', USER2)]);
  });

  it('refuses an identity that cannot be quoted in the header', async () => {
    await expect(client.get(doc('pres-rules', USER1), 'sip:a"b@home1.net')).rejects.toBeInstanceOf(TypeError);
  });
});

describe('pathOf and userOf', () => {
  const c = new XcapClient({
    root: 'http://127.0.0.1:8081/services',
    aliases: ['https://xcap.home1.net:8443/services', 'https://xcap.home1.net/xcap-root/'],
  });
  afterAll(() => c.close());
  const rl = 'resource-lists/users/sip:user1_public1@home1.net/index';

  it('a URI under the root or an alias: the path below it, query kept, fragment dropped', () => {
    expect(c.pathOf(`http://127.0.0.1:8081/services/${rl}`)).toBe(rl);
    expect(c.pathOf(`HTTP://127.0.0.1:8081/services/${rl}/~~/resource-lists/list%5B@name=%22a%22%5D`)).toBe(
      `${rl}/~~/resource-lists/list%5B@name=%22a%22%5D`,
    );
    expect(c.pathOf(`https://XCAP.Home1.NET:8443/services/${rl}?xmlns(p=urn:x)#top`)).toBe(
      `${rl}?xmlns(p=urn:x)`,
    );
    expect(c.pathOf(`https://xcap.home1.net:443/xcap-root/${rl}`)).toBe(rl);
    expect(c.pathOf('http://127.0.0.1:8081/services/')).toBe('');
  });

  it('a default port is the same as none', () => {
    const d = new XcapClient({ root: 'http://xcap.home1.net/services' });
    expect(d.pathOf(`http://xcap.home1.net:80/services/${rl}`)).toBe(rl);
    expect(d.pathOf(`https://xcap.home1.net/services/${rl}`)).toBeUndefined();
    d.close();
  });

  it('another host, port, scheme or path: undefined', () => {
    expect(c.pathOf(`http://127.0.0.2:8081/services/${rl}`)).toBeUndefined();
    expect(c.pathOf(`http://127.0.0.1:8082/services/${rl}`)).toBeUndefined();
    expect(c.pathOf(`https://127.0.0.1:8081/services/${rl}`)).toBeUndefined();
    expect(c.pathOf(`http://127.0.0.1:8081/servicesX/${rl}`)).toBeUndefined();
    expect(c.pathOf(`http://127.0.0.1:8081/services/../admin/${rl}`)).toBeUndefined();
    expect(c.pathOf(`http://xcap.home1.net:8443/services/${rl}`)).toBeUndefined();
    expect(c.pathOf('sip:user1_public1@home1.net')).toBeUndefined();
    expect(c.pathOf('http://[bad')).toBeUndefined();
  });

  it('a relative URI is relative to the root, and cannot leave it', () => {
    expect(c.pathOf(rl)).toBe(rl);
    expect(c.pathOf(`/services/${rl}`)).toBe(rl);
    expect(c.pathOf(`../${rl}`)).toBeUndefined();
    expect(c.pathOf(`//evil.example/services/${rl}`)).toBeUndefined();
  });

  it("userOf: the users tree's XUI, percent-decoded; global documents have none", () => {
    expect(XcapClient.userOf(`${rl}/~~/resource-lists/list%5B@name=%22a%22%5D`)).toBe(
      'sip:user1_public1@home1.net',
    );
    expect(XcapClient.userOf('pres-rules/users/sip%3Au%2Fx%40home1.net/index')).toBe('sip:u/x@home1.net');
    expect(XcapClient.userOf('/resource-lists/users/tel:+1234/index')).toBe('tel:+1234');
    expect(XcapClient.userOf('rls-services/global/index')).toBeUndefined();
    expect(XcapClient.userOf('resource-lists/users/')).toBeUndefined();
    expect(XcapClient.userOf('resource-lists/users/sip%ZZ/index')).toBeUndefined();
  });
});

interface Tiny {
  root: string;
  connections: Socket[];
  urls: string[];
  headers: Record<string, string | string[] | undefined>[];
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function newClient(o: XcapClientOptions): XcapClient {
  const c = new XcapClient(o);
  cleanups.push(() => c.close());
  return c;
}

/** A TCP server on a free port, closed (with its connections) after the test. */
async function netServer(onSocket: (s: Socket) => void = () => undefined): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function tiny(handler: RequestListener): Promise<Tiny> {
  const t: Omit<Tiny, 'root'> = { connections: [], urls: [], headers: [] };
  const server: Server = createHttpServer((req, res) => {
    t.urls.push(req.url!);
    t.headers.push(req.headers);
    handler(req, res);
  });
  server.on('connection', (s: Socket) => t.connections.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { ...t, root: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services` };
}

describe('when the XCAP server cannot answer', () => {
  it('a closed port: XcapUnavailable', async () => {
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    // nothing listens on the port now
    const c = newClient({ root: `http://127.0.0.1:${port}/services` });
    const e = await c.get(doc('pres-rules', USER1), USER1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(XcapUnavailable);
    expect((e as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('a server that accepts and never answers: XcapUnavailable after timeoutMs', async () => {
    const held: Socket[] = [];
    const port = await netServer((s) => held.push(s));
    const c = newClient({ root: `http://127.0.0.1:${port}/services`, timeoutMs: 150 });
    const e = await c.get(doc('pres-rules', USER1), USER1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(XcapUnavailable);
    expect((e as Error).message).toBe('no answer from the XCAP server within 150 ms');
    expect(held).toHaveLength(1);
  });

  it('a 5xx is XcapUnavailable with the status; a 3xx is a response, not followed', async () => {
    const t = await tiny((req, res) => {
      if (req.url!.endsWith('/moved')) {
        res.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere', 'Content-Length': '0' }).end();
      } else res.writeHead(503, { 'Content-Length': '4' }).end('busy');
    });
    const c = newClient({ root: t.root });
    const e = await c.get('pres-rules/users/sip:u@h/index', USER1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(XcapUnavailable);
    expect((e as XcapUnavailable).status).toBe(503);
    const moved = await c.get('pres-rules/users/sip:u@h/moved', USER1);
    expect(moved.status).toBe(302);
    expect(t.urls).toEqual([
      '/services/pres-rules/users/sip:u@h/index',
      '/services/pres-rules/users/sip:u@h/moved',
    ]);
  });
});

describe('limits, encoding and connections', () => {
  it('a body over maxBodyBytes, declared or chunked, is XcapTooLarge (an XcapUnavailable)', async () => {
    const small = newClient({ root, maxBodyBytes: 100 });
    const declared = await small.get(doc('pres-rules', USER1), USER1).catch((x: unknown) => x);
    expect(declared).toBeInstanceOf(XcapTooLarge);
    expect(declared).toBeInstanceOf(XcapUnavailable);
    expect((declared as XcapTooLarge).limit).toBe(100);

    const t = await tiny((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/auth-policy+xml' });
      res.write('x'.repeat(60));
      res.write('x'.repeat(60));
      res.end();
    });
    const chunked = newClient({ root: t.root, maxBodyBytes: 100 });
    await expect(chunked.get('a/users/sip:u@h/index', USER1)).rejects.toBeInstanceOf(XcapTooLarge);
  });

  it('sends the identity quoted, keeps escapes, encodes what a path may not hold raw', async () => {
    const t = await tiny((_req, res) => res.writeHead(404, { 'Content-Length': '0' }).end());
    const c = newClient({ root: `${t.root}/` });
    await c.get(
      'resource-lists/users/sip:u@h/my list/~~/resource-lists/list[@name="café"]/entry%5B1%5D?xmlns(p=urn:x)',
      USER1,
    );
    await c.get('/pres-rules/users/sip:u@h/50%', USER2);
    expect(t.urls).toEqual([
      '/services/resource-lists/users/sip:u@h/my%20list/~~/resource-lists/list%5B@name=%22caf%C3%A9%22%5D/entry%5B1%5D?xmlns(p=urn:x)',
      '/services/pres-rules/users/sip:u@h/50%25',
    ]);
    expect(t.headers.map((h) => h['x-3gpp-asserted-identity'])).toEqual([`"${USER1}"`, `"${USER2}"`]);
  });

  it('requests one after another share a kept-alive connection; close() ends it', async () => {
    const t = await tiny((_req, res) =>
      res.writeHead(200, { ETag: '"e1"', 'Content-Length': '2' }).end('ok'),
    );
    const c = newClient({ root: t.root });
    for (let i = 0; i < 3; i++) {
      const r = await c.get('pres-rules/users/sip:u@h/index', USER1);
      expect(r).toEqual({ status: 200, etag: 'e1', body: 'ok' });
    }
    expect(t.connections).toHaveLength(1);
    const closed = new Promise<void>((resolve) => t.connections[0]!.once('close', () => resolve()));
    c.close();
    await closed;
    await expect(c.get('pres-rules/users/sip:u@h/index', USER1)).rejects.toBeInstanceOf(XcapUnavailable);
  });

  it('a kept-alive connection the server dropped is replaced once, without failing the GET', async () => {
    // first connection: answers one request, then hangs up on the next as a server closing an idle one would
    const conns: number[] = [];
    const port = await netServer((s) => {
      const n = conns.push(0) - 1;
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (let i; (i = buf.indexOf('\r\n\r\n')) >= 0;) {
          buf = buf.slice(i + 4);
          conns[n]!++;
          if (n === 0 && conns[n] === 2) s.destroy();
          else
            s.write(
              `HTTP/1.1 200 OK\r\nETag: "c${n}"\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok`,
            );
        }
      });
    });
    const c = newClient({ root: `http://127.0.0.1:${port}/services` });
    expect((await c.get('pres-rules/users/sip:u@h/index', USER1)).etag).toBe('c0');
    expect((await c.get('pres-rules/users/sip:u@h/index', USER1)).etag).toBe('c1');
    expect(conns).toEqual([2, 1]);
  });

  it('close() fails a request in flight with XcapUnavailable', async () => {
    let arrived!: () => void;
    const received = new Promise<void>((resolve) => (arrived = resolve));
    const t = await tiny(() => arrived());
    const c = newClient({ root: t.root });
    const pending = c.get('pres-rules/users/sip:u@h/index', USER1);
    await received;
    c.close();
    await expect(pending).rejects.toThrow('the XCAP client is closed');
  });
});
