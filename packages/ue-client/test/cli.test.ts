/**
 * The `ue` command, run in-process against real services: hss-sim, xcap-server and the AP
 * (./support/network), and a presence server reading that xcap-server (./support/presence). The command
 * reads a config written with their actual ports; the AP's certificate lies where `testbed up` puts it
 * (next to hss.database), so the default --ca is what is tested. Every run is checked for K, OP and OPc
 * in its output; one with --verbose also for the RES, CK and IK of the nonce it answered.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeAkaNonce, fromHex, Milenage, parseChallenges } from '@ut-testbed/aka-crypto';
import { run } from '../src/cli';
import { EMPTY_LIST, headerOf, network, USER1, USER2, type Network } from './support/network';
import { pidf, Queue, resourceLists, rlsServices, startPresence, type Presence } from './support/presence';

// TS 35.208 test set 1: the OP whose OPc is USER1's; the CLI's config gives USER1 by OP
const USER1_OP = 'cdc202d5123e20f62b6d676ac72cb318';
const SECRETS = [USER1.k, USER1.opc!, USER1_OP, USER2.k, USER2.opc!];

const IMPU1 = USER1.impus[0]!;
const IMPU2 = USER1.impus[1]!;

interface Result {
  code: number;
  out: string;
  err: string;
}

let net: Network;
let ps: Presence;
let dir: string;
let config: string;
let root: string;

function writeConfig(name: string, o: { database: string }): string {
  const file = join(dir, name);
  const hp = (a: string) => {
    const [host, port] = a.split(':');
    return `{ host: ${host}, port: ${port} }`;
  };
  writeFileSync(
    file,
    [
      'realm: home1.net',
      'hss:',
      `  database: ${o.database}`,
      '  subscribers:',
      `    - { impi: ${USER1.impi}, impus: [${USER1.impus.join(', ')}], k: "${USER1.k}", op: "${USER1_OP}", amf: "${USER1.amf}" }`,
      `    - { impi: ${USER2.impi}, impus: [${USER2.impus.join(', ')}], k: "${USER2.k}", opc: "${USER2.opc}", amf: "${USER2.amf}" }`,
      'ap:',
      `  listen: ${hp(net.ap.endpoints.https)}`,
      'presence:',
      `  listen: ${hp(ps.svc.endpoints.udp!)}`,
      '',
    ].join('\n'),
  );
  return file;
}

beforeAll(async () => {
  net = await network();
  ps = await startPresence({ xcapRoot: `http://${net.xcap.endpoints.http}/services` });
  dir = mkdtempSync(join(tmpdir(), 'ue-cli-'));
  writeFileSync(join(dir, 'ap-certificate.pem'), net.ap.certificate);
  config = writeConfig('testbed.yaml', { database: join(dir, 'hss.db') });
  root = `https://xcap.home1.net:${net.ap.endpoints.https.split(':')[1]}/services`;
});
afterAll(async () => {
  await ps?.close();
  await net?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function noSecrets(r: Result, more: string[] = []): void {
  for (const s of [...SECRETS, ...more]) {
    expect(r.out.toLowerCase()).not.toContain(s.toLowerCase());
    expect(r.err.toLowerCase()).not.toContain(s.toLowerCase());
  }
}

/** Runs `ue ARGS --config <the test config>`; `onOut` sees stdout as it is written. */
async function ue(args: string[], o: { config?: string | null; onOut?: (s: string) => void } = {}) {
  const r: Result = { code: -1, out: '', err: '' };
  const cfg = o.config === undefined ? config : o.config;
  r.code = await run([...args, ...(cfg !== null ? ['--config', cfg] : [])], {
    out: (s) => {
      r.out += s;
      o.onOut?.(s);
    },
    err: (s) => (r.err += s),
  });
  noSecrets(r);
  return r;
}

const parsed = (r: Result) =>
  JSON.parse(r.out) as Record<string, unknown> & { error?: Record<string, unknown> };

const doc = (xui: string, name: string) => `${root}/resource-lists/users/${xui}/${name}`;

/** The last Ut request the AP received, as it recorded it. */
const lastUtRequest = () => net.utRequests().at(-1)!;

describe('ue xcap', () => {
  it('put (401, then 201 with rspauth verified), get (200, the same ETag), delete, then get is 404', async () => {
    const url = doc(IMPU1, 'flow');
    const put = await ue(['xcap', 'put', url, '--data', EMPTY_LIST]);
    expect([put.code, put.err]).toEqual([0, '']);
    const p = parsed(put);
    expect(p).toMatchObject({ status: 201, rspauth: 'verified', algorithm: 'AKAv2-MD5', body: '' });
    expect(p.exchanges).toEqual([
      { status: 401, credentials: 'none', tlsResumed: false, newConnection: true },
      { status: 201, credentials: 'answer', tlsResumed: false, newConnection: false },
    ]);
    expect(p.etag).toMatch(/^".+"$/);
    expect(headerOf(lastUtRequest(), 'content-type')).toBe('application/resource-lists+xml');

    const get = await ue(['xcap', 'get', url]);
    expect(get.code).toBe(0);
    const g = parsed(get);
    expect(g).toMatchObject({ status: 200, etag: p.etag, body: EMPTY_LIST, rspauth: 'verified' });
    expect(g.contentType).toMatch(/^application\/resource-lists\+xml/);

    const del = await ue(['xcap', 'delete', url, '--if-match', String(p.etag)]);
    expect([del.code, parsed(del).status]).toEqual([0, 200]);
    expect(headerOf(lastUtRequest(), 'if-match')).toBe(p.etag);

    const gone = await ue(['xcap', 'get', url]);
    expect(gone.code).toBe(1);
    expect(parsed(gone)).toMatchObject({ status: 404, etag: null });
    expect(gone.err).toMatch(
      /^ue: GET \/services\/resource-lists\/users\/sip:user1_public1@home1\.net\/flow: 404/,
    );
  });

  it('a stale --if-match: 412 in the JSON, exit 1, one line on stderr', async () => {
    const url = doc(IMPU1, 'stale');
    expect((await ue(['xcap', 'put', url, '--data', EMPTY_LIST])).code).toBe(0);
    const r = await ue(['xcap', 'put', url, '--data', EMPTY_LIST, '--if-match', 'not-the-etag']);
    expect(r.code).toBe(1);
    expect(headerOf(lastUtRequest(), 'if-match')).toBe('"not-the-etag"');
    expect(parsed(r)).toMatchObject({ status: 412, error: { preconditionFailed: true } });
    expect(r.err).toMatch(/^ue: PUT \S+: 412 precondition failed[^\n]*\n$/);
  });

  it('a 409 names its xcap-error condition; a node selector typed with [ and " is escaped', async () => {
    const url = doc(IMPU1, 'conflict');
    expect((await ue(['xcap', 'put', url, '--data', EMPTY_LIST])).code).toBe(0);
    const r = await ue([
      'xcap',
      'put',
      `${url}/~~/resource-lists/list[@name="nope"]/entry`,
      '--data',
      '<entry uri="sip:a@home1.net"/>',
    ]);
    expect(r.code).toBe(1);
    const e = parsed(r);
    expect(e.status).toBe(409);
    expect(e.error).toMatchObject({ condition: 'no-parent', ancestor: `${url}/~~/resource-lists` });
    const sent = lastUtRequest();
    expect(headerOf(sent, 'content-type')).toBe('application/xcap-el+xml');
    expect(Buffer.from(sent.bytes).toString('latin1')).toContain(
      '/conflict/~~/resource-lists/list%5B@name=%22nope%22%5D/entry HTTP/1.1',
    );
  });

  it('--identity acts for the second IMPU (X-3GPP-Intended-Identity); a path below the root works', async () => {
    const path = `resource-lists/users/${IMPU2}/index`;
    const put = await ue(['xcap', 'put', path, '--data', EMPTY_LIST, '--identity', IMPU2]);
    expect([put.code, parsed(put).status]).toEqual([0, 201]);
    expect(headerOf(lastUtRequest(), 'x-3gpp-intended-identity')).toBe(IMPU2);
    // someone else's identity: the AP refuses to let user1 act for it
    const other = await ue(['xcap', 'get', path, '--identity', USER2.impus[0]!]);
    expect(other.code).toBe(1);
    expect(parsed(other).status).toBe(403);
    expect(headerOf(lastUtRequest(), 'x-3gpp-intended-identity')).toBe(USER2.impus[0]);
  });

  it('the android quirks profile: a quoted intended identity and the 3gpp-gba User-Agent', async () => {
    const path = `resource-lists/users/${IMPU2}/android`;
    const r = await ue(['xcap', 'put', path, '--data', EMPTY_LIST, '--quirks', 'android']);
    expect([r.code, parsed(r).status, parsed(r).rspauth]).toEqual([0, 201, 'verified']);
    const sent = lastUtRequest();
    expect(headerOf(sent, 'x-3gpp-intended-identity')).toBe(`"${IMPU2}"`);
    expect(headerOf(sent, 'user-agent')).toMatch(/ 3gpp-gba$/);
  });

  it('the IMS initial Authorization on the first request', async () => {
    const r = await ue(['xcap', 'get', doc(IMPU1, 'none'), '--initial-authorization']);
    expect(parsed(r).exchanges).toEqual([
      { status: 401, credentials: 'initial', tlsResumed: false, newConnection: true },
      { status: 404, credentials: 'answer', tlsResumed: false, newConnection: false },
    ]);
  });

  it('explicit credentials from flags, with --ca and --connect-to, reach the same subscriber', async () => {
    const ca = join(dir, 'explicit-ca.pem');
    writeFileSync(ca, net.ap.certificate);
    const r = await ue(
      [
        'xcap',
        'put',
        doc(IMPU1, 'explicit'),
        '--data',
        EMPTY_LIST,
        ...['--k', USER1.k, '--opc', USER1.opc!, '--impi', USER1.impi, '--impu', IMPU1],
        ...['--ca', ca, '--connect-to', net.ap.endpoints.https],
      ],
      { config: null },
    );
    expect([r.code, r.err, parsed(r).status]).toEqual([0, '', 201]);
  });

  it('--verbose traces each message on stderr without K, OPc, RES, CK or IK', async () => {
    const r = await ue(['xcap', 'get', doc(IMPU1, 'verbose'), '--verbose']);
    expect(r.err.split('\n').filter((l) => l !== '')).toEqual([
      'ue: ue -> ap: GET /services/resource-lists/users/sip:user1_public1@home1.net/verbose',
      'ue: ap -> ue: 401 Unauthorized',
      'ue: ue -> ap: GET /services/resource-lists/users/sip:user1_public1@home1.net/verbose',
      'ue: ap -> ue: 404 Not Found',
      expect.stringMatching(/^ue: GET \S+: 404/),
    ]);
    // the challenge the AP sent, as it recorded it: RES, CK and IK follow from its RAND
    const challenge = net.sink.events.filter((e) => e.iface === 'Ut' && e.summary.startsWith('401')).at(-1)!;
    const nonce = parseChallenges(headerOf(challenge, 'www-authenticate')!)[0]!.params.get('nonce')!;
    const m = new Milenage(fromHex(USER1.k, 'K'), fromHex(USER1.opc!, 'OPc'));
    const v = m.compute(decodeAkaNonce(nonce).rand, Buffer.alloc(6), Buffer.alloc(2));
    noSecrets(r, [v.res.toString('hex'), v.ck.toString('hex'), v.ik.toString('hex')]);
  });

  it('a transport failure: exit 1 with one line on stderr and nothing on stdout', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const r = await ue(['xcap', 'get', doc(IMPU1, 'index'), '--connect-to', `127.0.0.1:${port}`]);
    expect([r.code, r.out]).toEqual([1, '']);
    expect(r.err).toMatch(/^ue: GET \/services\/\S+: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/);
  });
});

describe('ue publish and subscribe', () => {
  it('publish, then the presentity subscribes to itself and sees the PIDF; --etag modifies; --expires 0 removes', async () => {
    const pub = await ue(['publish', '--basic', 'open', '--note', 'in the lab', '--expires', '600']);
    expect([pub.code, pub.err]).toEqual([0, '']);
    const p = parsed(pub);
    expect(p).toMatchObject({ status: 200, expires: 600 });
    expect(typeof p.etag).toBe('string');

    const sub = await ue(['subscribe', IMPU1, '--count', '1']);
    expect([sub.code, sub.err]).toEqual([0, '']);
    const lines = sub.out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const n = JSON.parse(lines[0]!) as { state: string; reason: null; presence: Record<string, unknown> };
    expect(n).toMatchObject({ state: 'active', reason: null, presence: { entity: IMPU1 } });
    expect(n.presence.tuples).toEqual([expect.objectContaining({ basic: 'open', note: 'in the lab' })]);
    // the view, not the document as received
    expect(n.presence).not.toHaveProperty('body');

    const mod = await ue(['publish', '--etag', String(p.etag), '--basic', 'closed', '--note', 'away']);
    expect(mod.code).toBe(0);
    expect(parsed(mod).etag).not.toBe(p.etag);
    // over TCP this time: the one publication, modified
    const tcp = await ue(['subscribe', IMPU1, '--transport', 'tcp', '--proxy', ps.svc.endpoints.tcp!]);
    expect(tcp.code).toBe(0);
    const t = JSON.parse(tcp.out) as { presence: { tuples: unknown[] } };
    expect(t.presence.tuples).toEqual([expect.objectContaining({ basic: 'closed', note: 'away' })]);

    const removed = await ue(['publish', '--etag', String(parsed(mod).etag), '--expires', '0']);
    expect(parsed(removed)).toEqual({ status: 200, etag: null, expires: 0 });
  });

  it('a PIDF file for another IMPU, and its watcher information', async () => {
    const file = join(dir, 'presence.pidf');
    writeFileSync(file, pidf(IMPU2, [['t1', 'open', 'from a file']]));
    const pub = await ue(['publish', '--file', file, '--identity', IMPU2]);
    expect(pub.code).toBe(0);
    const sub = await ue(['subscribe', IMPU2, '--identity', IMPU2]);
    expect((JSON.parse(sub.out) as { presence: unknown }).presence).toMatchObject({
      entity: IMPU2,
      tuples: [{ id: 't1', basic: 'open', note: 'from a file' }],
    });
    const winfo = await ue(['subscribe', IMPU2, '--identity', IMPU2, '--event', 'presence.winfo']);
    expect(winfo.code).toBe(0);
    expect(JSON.parse(winfo.out)).toMatchObject({ state: 'active', watcherinfo: { state: 'full' } });
  });

  it('--list: an event list subscription, printed as the list view with its resources', async () => {
    const listUri = 'sip:user1_public1-cli@home1.net';
    // written as the AP forwards a UE's Ut request
    const put = (auid: string, type: string, body: string) =>
      fetch(`http://${net.xcap.endpoints.http}/services/${auid}/users/${IMPU1}/index`, {
        method: 'PUT',
        headers: { 'X-3GPP-Asserted-Identity': `"${IMPU1}"`, 'Content-Type': type },
        body,
      }).then((r) => r.status);
    expect(
      await put('resource-lists', 'application/resource-lists+xml', resourceLists('cli', [{ uri: IMPU2 }])),
    ).toBeLessThan(300);
    expect(
      await put('rls-services', 'application/rls-services+xml', rlsServices(listUri, IMPU1, 'cli')),
    ).toBeLessThan(300);
    const sub = await ue(['subscribe', listUri, '--list', '--count', '1']);
    expect([sub.code, sub.err]).toEqual([0, '']);
    const n = JSON.parse(sub.out) as { state: string; list: { uri: string; resources: { uri: string }[] } };
    expect(n.state).toBe('active');
    expect(n.list.uri).toBe(listUri);
    expect(n.list.resources.map((r) => r.uri)).toEqual([IMPU2]);
  });

  it('a rejected SUBSCRIBE: exit 1 with the status on stderr', async () => {
    const r = await ue(['subscribe', 'sip:someone@elsewhere.example']);
    expect([r.code, r.out]).toEqual([1, '']);
    expect(r.err).toBe('ue: SUBSCRIBE failed: 404 Not Found\n');
  });

  it('--until-terminated prints NOTIFYs until the server ends the subscription', async () => {
    const own = await startPresence({ xcapRoot: `http://${net.xcap.endpoints.http}/services` });
    try {
      const lines = new Queue<string>();
      const running = ue(['subscribe', IMPU1, '--until-terminated', '--proxy', own.svc.endpoints.udp!], {
        onOut: (s) => lines.push(s),
      });
      expect(JSON.parse(await lines.next())).toMatchObject({ state: 'active' });
      await own.close();
      const r = await running;
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out.trimEnd().split('\n').at(-1)!)).toMatchObject({
        state: 'terminated',
        reason: 'noresource',
      });
    } finally {
      await own.close();
    }
  });
});

describe('bin/ue.js over the built dist/, run as a process', () => {
  // nothing else keeps this process alive: the output must come before it exits
  it('prints the answer and exits with its code', async () => {
    const bin = join(__dirname, '..', 'bin', 'ue.js');
    const url = doc(IMPU1, 'process');
    const put = await promisify(execFile)(process.execPath, [
      bin,
      'xcap',
      'put',
      url,
      '--data',
      EMPTY_LIST,
      '--config',
      config,
    ]);
    expect(JSON.parse(put.stdout)).toMatchObject({ status: 201, rspauth: 'verified' });
    const stale = await promisify(execFile)(process.execPath, [
      bin,
      'xcap',
      'delete',
      url,
      '--if-match',
      '"x"',
      '--config',
      config,
    ]).then(
      () => undefined,
      (e: unknown) => e as { code: number; stdout: string; stderr: string },
    );
    expect(stale?.code).toBe(1);
    expect(JSON.parse(stale!.stdout)).toMatchObject({ status: 412 });
    expect(stale!.stderr).toMatch(/^ue: DELETE \S+: 412 precondition failed[^\n]*\n$/);
  });
});

describe('ue usage', () => {
  it.each([
    [['xcap', 'fetch', 'index'], /unknown command 'fetch'/],
    [['xcap', 'get'], /missing required argument 'url'/],
    [
      ['xcap', 'put', 'resource-lists/users/x/index', '--data', 'a', '--file', 'b'],
      /--file or --data, not both/,
    ],
    [['xcap', 'put', 'resource-lists/users/x/index'], /--file FILE or --data TEXT/],
    [['xcap', 'get', 'index', '--quirks', 'iphone'], /Allowed choices are ims, android/],
    [['xcap', 'get', 'index', '--algorithm', 'AKAv1-MD5'], /the AP chooses .*ap\.auth\.algorithm/],
    [['xcap', 'get', 'http://xcap.home1.net/services/x'], /Ut runs over https/],
    [['xcap', 'get', 'index', '--impi', 'nobody@home1.net'], /not among the config's hss\.subscribers/],
    [['xcap', 'get', 'index', '--subscriber', '7'], /the config has 2 subscriber\(s\), 0 to 1/],
    [['xcap', 'get', 'index', '--impu', IMPU2], /use --identity/],
    [
      [
        'xcap',
        'get',
        'index',
        '--k',
        'q'.repeat(32),
        '--opc',
        '0'.repeat(32),
        '--impi',
        USER1.impi,
        '--impu',
        IMPU1,
      ],
      /^ue: --k: expected 32 hex digits\n$/,
    ],
    [['subscribe', IMPU1, '--count', '2', '--until-terminated'], /--count or --until-terminated, not both/],
    [['subscribe', IMPU1, '--list', '--event', 'presence.winfo'], /event lists are for --event presence/],
    [['publish', '--file', 'x.pidf', '--note', 'n'], /either it or --basic\/--note/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('%j exits 2 saying what to do', async (args, message) => {
    const r = await ue(args);
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toMatch(message);
  });

  it('no AP certificate where testbed up writes it: exit 2, pointing at --ca', async () => {
    const elsewhere = writeConfig('no-ca.yaml', { database: join(dir, 'elsewhere', 'hss.db') });
    const r = await ue(['xcap', 'get', 'index'], { config: elsewhere });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no AP certificate at ${join(dir, 'elsewhere', 'ap-certificate.pem')}`);
    expect(r.err).toContain('--ca FILE');
  });

  it('--help prints the commands on stderr and exits 0', async () => {
    const r = await ue(['--help'], { config: null });
    expect([r.code, r.out]).toEqual([0, '']);
    expect(r.err).toMatch(/Commands:\n\s+xcap[\s\S]+publish[\s\S]+subscribe/);
  });
});
