/**
 * The change stream: the server-sent events parser on inputs split at every byte, xcap-diff documents as the
 * XCAP server writes them, and the follower against a real xcap-server (changes after PUT and DELETE, a
 * restart on the same port) and against small servers of the test's own (403 then 200, oversized and
 * malformed events, silence), with reconnection delays on a ManualClock.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@ut-testbed/config';
import { ManualClock, type Clock } from '@ut-testbed/sip-core';
import { start, xcapDiff, type XcapService } from '@ut-testbed/xcap-server';
import pino from 'pino';
import { XmlError } from '../src/pidf';
import {
  ChangeFollower,
  parseXcapDiff,
  SseParser,
  SseTooLarge,
  type DocumentChange,
  type SseEvent,
} from '../src/xcap/changes';
import { XcapClient } from '../src/xcap/client';

const USER1 = 'sip:user1_public1@home1.net';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function parseAll(chunks: Uint8Array[], maxEventBytes?: number): { events: SseEvent[]; retries: number[] } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const p = new SseParser((e) => events.push(e), {
    ...(maxEventBytes !== undefined ? { maxEventBytes } : {}),
    onRetry: (ms) => retries.push(ms),
  });
  for (const c of chunks) p.push(c);
  p.end();
  return { events, retries };
}

/** The stream cut in two at every byte offset, in three at many pairs of offsets, and into single bytes. */
function* splits(bytes: Buffer): Generator<Uint8Array[]> {
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j += 7)
      yield [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
  }
  yield [...bytes].map((b) => Uint8Array.of(b));
}

describe('server-sent events parser (WHATWG HTML 9.2.6)', () => {
  const stream = Buffer.from(
    '\ufeff: a comment\r\n' +
      'id: 1\r\n' +
      'event: xcap-diff\r\n' +
      'data: <a>\r\n' +
      'data:  two spaces\r\n' +
      '\r\n' +
      'data:x\rdata\r\r' +
      'event: e\nid: 2\ndata: é😀\n\n' +
      'retry: 1500\nretry: soon\nevent: lonely\n\n' +
      'data\n\n' +
      'id\nevent: unfinished\ndata: dropped at the end',
    'utf8',
  );
  const expected: SseEvent[] = [
    { type: 'xcap-diff', data: '<a>\n two spaces', lastEventId: '1' },
    { type: 'message', data: 'x\n', lastEventId: '1' },
    { type: 'e', data: 'é😀', lastEventId: '2' },
    { type: 'message', data: '', lastEventId: '2' },
  ];

  it('reads fields, comments, CRLF, CR and LF, a BOM, and drops an unfinished event', () => {
    expect(parseAll([stream])).toEqual({ events: expected, retries: [1500] });
  });

  it('gives the same events however the bytes are split: inside UTF-8 sequences, between CR and LF', () => {
    let n = 0;
    for (const chunks of splits(stream)) {
      expect(parseAll(chunks).events).toEqual(expected);
      n++;
    }
    expect(n).toBeGreaterThan(stream.length);
  });

  it('a CR at the end of one chunk and an LF at the start of the next are one line end', () => {
    const { events } = parseAll([
      Buffer.from('data: a\r'),
      Buffer.from('\ndata: b\r'),
      Buffer.from('\n\r'),
      Buffer.from('\n'),
    ]);
    expect(events).toEqual([{ type: 'message', data: 'a\nb', lastEventId: '' }]);
  });

  it('an event or a line over maxEventBytes throws SseTooLarge', () => {
    expect(() =>
      parseAll([Buffer.from(`data: ${'x'.repeat(50)}\ndata: ${'y'.repeat(50)}\n\n`)], 100),
    ).toThrow(SseTooLarge);
    expect(() =>
      parseAll([Buffer.from(`data: ${'x'.repeat(60)}`), Buffer.from('x'.repeat(60))], 100),
    ).toThrow(SseTooLarge);
    // the bound is per event: many small events pass
    const many = Buffer.from(`data: ${'x'.repeat(40)}\n\n`.repeat(10));
    expect(parseAll([many], 100).events).toHaveLength(10);
  });
});

describe('xcap-diff documents (RFC 5874)', () => {
  it("reads the XCAP server's own documents: created, changed, deleted", () => {
    const r = 'http://xcap.home1.net/services';
    const sel = `resource-lists/users/${USER1}/index`;
    expect(parseXcapDiff(xcapDiff({ xcapRoot: r, documentSelector: sel, newEtag: 'e1' }))).toEqual([
      { documentSelector: sel, newEtag: 'e1', xcapRoot: r },
    ]);
    expect(
      parseXcapDiff(xcapDiff({ xcapRoot: r, documentSelector: sel, previousEtag: 'e1', newEtag: 'e&2"' })),
    ).toEqual([{ documentSelector: sel, previousEtag: 'e1', newEtag: 'e&2"', xcapRoot: r }]);
    expect(parseXcapDiff(xcapDiff({ xcapRoot: r, documentSelector: sel, previousEtag: 'e2' }))).toEqual([
      { documentSelector: sel, previousEtag: 'e2', xcapRoot: r },
    ]);
  });

  it('several documents in one; element and attribute changes are not document changes', () => {
    const xml =
      '<d:xcap-diff xmlns:d="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://x/services">' +
      '<d:document sel="a/users/sip:a@h/index" new-etag="1"/>' +
      '<d:element sel="a/users/sip:a@h/index/~~/r/l" exists="1"/>' +
      '<d:document sel="b/global/index" previous-etag="7" new-etag="8"><d:body-not-changed/></d:document>' +
      '</d:xcap-diff>';
    expect(parseXcapDiff(xml)).toEqual([
      { documentSelector: 'a/users/sip:a@h/index', newEtag: '1', xcapRoot: 'http://x/services' },
      { documentSelector: 'b/global/index', previousEtag: '7', newEtag: '8', xcapRoot: 'http://x/services' },
    ]);
  });

  it('anything else is an XmlError', () => {
    const ns = 'xmlns="urn:ietf:params:xml:ns:xcap-diff"';
    expect(() => parseXcapDiff(`<xcap-diff ${ns}><document sel="a"`)).toThrow(XmlError);
    expect(() => parseXcapDiff('<xcap-diff><document sel="a"/></xcap-diff>')).toThrow(XmlError);
    expect(() => parseXcapDiff(`<xcap-diff ${ns}><document new-etag="1"/></xcap-diff>`)).toThrow(XmlError);
    expect(() => parseXcapDiff(`<!DOCTYPE x [<!ENTITY e "e">]><xcap-diff ${ns}/>`)).toThrow(XmlError);
  });
});

type Entry =
  { kind: 'connected' } | { kind: 'change'; change: DocumentChange } | { kind: 'disconnected'; error: Error };

/** The follower's callbacks in order; next() resolves with the next one (already seen or still to come). */
class Log {
  private readonly entries: Entry[] = [];
  private readonly waiting: ((e: Entry) => void)[] = [];
  private read = 0;

  push(e: Entry): void {
    const w = this.waiting.shift();
    if (w) {
      this.read++;
      this.entries.push(e);
      w(e);
    } else this.entries.push(e);
  }

  next(): Promise<Entry> {
    if (this.read < this.entries.length) return Promise.resolve(this.entries[this.read++]!);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** what has arrived and not been read by next() */
  get unread(): Entry[] {
    return this.entries.slice(this.read);
  }
}

/** A ManualClock that also records the delay of every timer set on it. */
function recordingClock(): { clock: Clock & { advance(ms: number): void }; delays: number[] } {
  const manual = new ManualClock();
  const delays: number[] = [];
  return {
    delays,
    clock: {
      now: () => manual.now(),
      setTimeout: (fn, ms) => {
        delays.push(ms);
        return manual.setTimeout(fn, ms);
      },
      clearTimeout: (h) => manual.clearTimeout(h),
      advance: (ms) => manual.advance(ms),
    },
  };
}

const CONNECT_TIMEOUT = 10_000;
const backoffs = (delays: number[]) => delays.filter((d) => d !== CONNECT_TIMEOUT);

function follow(
  root: string,
  clock: Clock,
  extra: Partial<ConstructorParameters<typeof ChangeFollower>[0]> = {},
) {
  const log = new Log();
  const f = new ChangeFollower({
    root,
    clock,
    onChange: (change) => log.push({ kind: 'change', change }),
    onConnected: () => log.push({ kind: 'connected' }),
    onDisconnected: (error) => log.push({ kind: 'disconnected', error }),
    ...extra,
  });
  cleanups.push(() => f.close());
  return { f, log };
}

describe('following a real xcap-server', () => {
  let dir: string;
  let xcap: XcapService;
  let root: string;

  const boot = async (port: number) => {
    const c = parseConfig({
      xcap: {
        listen: { host: '127.0.0.1', port },
        database: join(dir, 'xcap.db'),
        trustedProxies: ['127.0.0.1'],
      },
    });
    xcap = await start({ xcap: c.xcap, logger: pino({ level: 'silent' }) });
    root = `http://${xcap.endpoints.http}/services`;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ps-xcap-changes-'));
    await boot(0);
  });
  afterAll(async () => {
    await xcap.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function send(
    method: 'PUT' | 'DELETE',
    path: string,
    body?: string,
  ): Promise<{ status: number; etag?: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'X-3GPP-Asserted-Identity': `"${USER1}"` };
      if (body !== undefined) headers['Content-Type'] = 'application/resource-lists+xml';
      const req = request(`${root}/${path}`, { method, headers }, (res: IncomingMessage) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            ...(res.headers.etag ? { etag: res.headers.etag.replace(/"/g, '') } : {}),
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const LIST =
    '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="a"/></resource-lists>';

  it('a change after each PUT and DELETE, with the selector and the ETags; onConnected once', async () => {
    const clock = new ManualClock();
    const { f, log } = follow(root, clock);
    expect(f.connected).toBe(false);
    f.start();
    expect(await log.next()).toEqual({ kind: 'connected' });
    expect(f.connected).toBe(true);

    const path = `resource-lists/users/${USER1}/watched`;
    const created = await send('PUT', path, LIST);
    expect(created.status).toBe(201);
    const c1 = await log.next();
    expect(c1).toEqual({
      kind: 'change',
      change: { documentSelector: path, newEtag: created.etag, xcapRoot: root },
    });

    // the ETag on the stream is the one a GET returns
    const client = new XcapClient({ root });
    cleanups.push(() => client.close());
    expect((await client.get(path, USER1)).etag).toBe(created.etag);

    const replaced = await send('PUT', path, LIST);
    expect(replaced.status).toBe(200);
    expect(await log.next()).toEqual({
      kind: 'change',
      change: { documentSelector: path, previousEtag: created.etag, newEtag: replaced.etag, xcapRoot: root },
    });

    expect((await send('DELETE', path)).status).toBe(200);
    expect(await log.next()).toEqual({
      kind: 'change',
      change: { documentSelector: path, previousEtag: replaced.etag, xcapRoot: root },
    });
    expect(log.unread).toEqual([]);
  });

  it('reconnects after a restart on the same port and says so with onConnected', async () => {
    const { clock, delays } = recordingClock();
    const { f, log } = follow(root, clock);
    f.start();
    expect(await log.next()).toEqual({ kind: 'connected' });
    const port = Number(new URL(root).port);

    await xcap.close();
    const gone = await log.next();
    expect(gone.kind === 'disconnected' && gone.error.message).toMatch(/_changes ended/);
    expect(f.connected).toBe(false);
    expect(delays).toEqual([CONNECT_TIMEOUT, 500]);

    await boot(port);
    expect(new URL(root).port).toBe(String(port));
    clock.advance(499);
    expect(delays).toEqual([CONNECT_TIMEOUT, 500]);
    clock.advance(1);
    // the retry timer fired: a new attempt, with its own connect timeout
    expect(delays).toEqual([CONNECT_TIMEOUT, 500, CONNECT_TIMEOUT]);
    expect(await log.next()).toEqual({ kind: 'connected' });
    expect(f.connected).toBe(true);

    const path = `resource-lists/users/${USER1}/after-restart`;
    const put = await send('PUT', path, LIST);
    expect(await log.next()).toEqual({
      kind: 'change',
      change: { documentSelector: path, newEtag: put.etag, xcapRoot: root },
    });
    expect(log.unread).toEqual([]);
  });

  it('after close(): disconnected, no callbacks, no timers', async () => {
    const clock = new ManualClock();
    const { f, log } = follow(root, clock);
    const witness = follow(root, new ManualClock());
    witness.f.start();
    f.start();
    expect(await witness.log.next()).toEqual({ kind: 'connected' });
    expect(await log.next()).toEqual({ kind: 'connected' });
    await f.close();
    expect(f.connected).toBe(false);
    const path = `resource-lists/users/${USER1}/unwatched`;
    const put = await send('PUT', path, LIST);
    // the server writes each change to every stream at once: by the time the witness has it, so would f
    expect(await witness.log.next()).toEqual({
      kind: 'change',
      change: { documentSelector: path, newEtag: put.etag, xcapRoot: root },
    });
    expect(log.unread).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

interface Script {
  (req: IncomingMessage, res: ServerResponse, n: number): void;
}

/** An HTTP server answering the n-th request with the script; its root has /services like the XCAP root. */
async function scripted(script: Script): Promise<{ root: string; requests: string[] }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) =>
    script(req, res, requests.push(`${req.method} ${req.url}`) - 1),
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  );
  return { root: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services`, requests };
}

const sse = (res: ServerResponse) =>
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
const diffEvent = (sel: string, etag: string) =>
  `id: 1\nevent: xcap-diff\ndata: ${xcapDiff({ xcapRoot: 'http://x/services', documentSelector: sel, newEtag: etag }).trim().replace(/\n/g, '\ndata: ')}\n\n`;

describe('reconnection and limits', () => {
  it('a non-2xx answer is retried with a doubling backoff, reset once connected', async () => {
    const streams: ServerResponse[] = [];
    const srv = await scripted((_req, res, n) => {
      if (n < 2)
        res.writeHead(403, { 'Content-Type': 'text/plain' }).end('the change stream is for trusted peers\n');
      else {
        sse(res);
        res.write(': hello\n\n');
        streams.push(res);
      }
    });
    const { clock, delays } = recordingClock();
    const { f, log } = follow(srv.root, clock);
    f.start();
    const first = await log.next();
    expect(first.kind === 'disconnected' && first.error.message).toMatch(/answered 403 text\/plain/);
    expect(backoffs(delays)).toEqual([500]);
    clock.advance(499);
    expect(delays).toHaveLength(2);
    clock.advance(1);
    expect(delays).toHaveLength(3);
    expect((await log.next()).kind).toBe('disconnected');
    expect(backoffs(delays)).toEqual([500, 1000]);
    clock.advance(999);
    expect(delays).toHaveLength(4);
    clock.advance(1);
    expect(delays).toHaveLength(5);
    expect(await log.next()).toEqual({ kind: 'connected' });
    expect(srv.requests).toEqual(['GET /_changes', 'GET /_changes', 'GET /_changes']);

    streams[0]!.write(diffEvent('resource-lists/users/sip:a@h/index', 'e9'));
    expect(await log.next()).toEqual({
      kind: 'change',
      change: {
        documentSelector: 'resource-lists/users/sip:a@h/index',
        newEtag: 'e9',
        xcapRoot: 'http://x/services',
      },
    });
    streams[0]!.end();
    const ended = await log.next();
    expect(ended.kind === 'disconnected' && ended.error.message).toMatch(/ended/);
    expect(backoffs(delays)).toEqual([500, 1000, 500]);
  });

  it('an event over maxEventBytes or a malformed xcap-diff drops the connection; the next one is made', async () => {
    const srv = await scripted((_req, res, n) => {
      sse(res);
      if (n === 0) res.write(`event: xcap-diff\ndata: ${'x'.repeat(2000)}`);
      else if (n === 1)
        res.write(
          'event: xcap-diff\ndata: <xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff"><document\n\n',
        );
      else res.write(diffEvent('pres-rules/users/sip:a@h/index', 'ok'));
    });
    const clock = new ManualClock();
    const { f, log } = follow(srv.root, clock, { maxEventBytes: 1024 });
    f.start();
    expect(await log.next()).toEqual({ kind: 'connected' });
    const big = await log.next();
    expect(big.kind === 'disconnected' && big.error).toBeInstanceOf(SseTooLarge);
    clock.advance(500);
    expect(await log.next()).toEqual({ kind: 'connected' });
    const bad = await log.next();
    expect(bad.kind === 'disconnected' && bad.error).toBeInstanceOf(XmlError);
    // connected in between: the backoff started again from 500 ms
    clock.advance(500);
    expect(await log.next()).toEqual({ kind: 'connected' });
    expect(await log.next()).toEqual({
      kind: 'change',
      change: {
        documentSelector: 'pres-rules/users/sip:a@h/index',
        newEtag: 'ok',
        xcapRoot: 'http://x/services',
      },
    });
    expect(srv.requests).toHaveLength(3);
  });

  it('idleTimeoutMs: a stream silent for that long is dropped and made again', async () => {
    const srv = await scripted((_req, res) => {
      sse(res);
      res.flushHeaders();
    });
    const clock = new ManualClock();
    const { f, log } = follow(srv.root, clock, { idleTimeoutMs: 30_000 });
    f.start();
    expect(await log.next()).toEqual({ kind: 'connected' });
    clock.advance(29_999);
    expect(log.unread).toEqual([]);
    clock.advance(1);
    const idle = await log.next();
    expect(idle.kind === 'disconnected' && idle.error.message).toBe(
      'nothing on the change stream for 30000 ms',
    );
    clock.advance(500);
    expect(await log.next()).toEqual({ kind: 'connected' });
    expect(srv.requests).toHaveLength(2);
  });

  it('a server that accepts and never answers: given up after connectTimeoutMs, then retried', async () => {
    const held: Socket[] = [];
    const silent = createNetServer((s) => held.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of held) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const accepted = new Promise<void>((resolve) => silent.once('connection', () => resolve()));
    const { clock, delays } = recordingClock();
    const { f, log } = follow(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/services`, clock, {
      connectTimeoutMs: 2000,
    });
    f.start();
    await accepted;
    clock.advance(2000);
    const timedOut = await log.next();
    expect(timedOut.kind === 'disconnected' && timedOut.error.message).toMatch(
      /no answer on .*\/_changes within 2000 ms/,
    );
    expect(delays).toEqual([2000, 500]);
    expect(f.connected).toBe(false);
  });
});
