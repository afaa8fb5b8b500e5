/**
 * The AP's HTTPS listener (TS 24.109 7, TS 33.222 Annex D): TLS terminated here once for every application
 * server, the Digest AKA decision for each request, the user bound to the TLS connection after a successful
 * authentication (later requests on it need no new challenge), and the request forwarded by route.
 *
 * Connections stay open after 401 and 2xx answers. An idle connection is closed by the AP with a TLS
 * close_notify before the TCP FIN (socket.end()), never a bare reset, so that clients keep their session
 * for resumption. Bounded: header size and time, request time, body size, connections.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { listen } from '@ut-testbed/service-kit';
import { httpRequestBytes, httpResponseBytes, type Tracer } from '@ut-testbed/trace';
import type { Authenticator, Binding, Decision } from '../auth/authenticator';
import { IdentityError, intendedIdentity, xuiOf } from '../identity';
import { forward, UpstreamError, type Upstream } from '../proxy/forward';
import { selectRoute, type Route } from '../proxy/routes';
import type { ApMetrics } from '../metrics';

export interface ApHttpOptions {
  host: string;
  port: number;
  /** PEM certificate and key, and the session options of the TLS session cache */
  tls: { cert: string; key: string; sessionIdContext: string; sessionTimeout: number; ticketKeys: Buffer };
  /** called with the server before it listens (the session cache attaches its handlers here) */
  attach(server: Server): void;
  authenticator: Authenticator;
  routes: readonly (Route & { to: Upstream })[];
  tracer: Tracer;
  metrics: ApMetrics;
  logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  maxBodyBytes?: number;
  /** ms an idle connection stays open (default 30 s) */
  idleTimeoutMs?: number;
  maxConnections?: number;
  upstreamTimeoutMs?: number;
}

export interface ApHttpServer {
  address: AddressInfo;
  close(): Promise<void>;
}

interface ConnectionState {
  binding?: Binding;
  active: number;
  idle?: NodeJS.Timeout;
}

interface Answer {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

const text = (status: number, phrase: string, headers: [string, string][] = []): Answer => ({
  status,
  headers: [['Content-Type', 'text/plain; charset=utf-8'], ...headers],
  body: Buffer.from(phrase + '\n', 'utf8'),
});

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number, chunks: Buffer[]): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startApHttp(o: ApHttpOptions): Promise<ApHttpServer> {
  const states = new WeakMap<TLSSocket, ConnectionState>();
  const sockets = new Set<TLSSocket>();
  const idleMs = o.idleTimeoutMs ?? 30_000;
  const maxBody = o.maxBodyBytes ?? 1024 * 1024;

  let closing = false;
  const arm = (s: TLSSocket, st: ConnectionState) => {
    clearTimeout(st.idle);
    if (st.active > 0) return;
    if (closing) s.end();
    else st.idle = setTimeout(() => s.end(), idleMs);
  };

  const server = createServer(
    {
      cert: o.tls.cert,
      key: o.tls.key,
      minVersion: 'TLSv1.2',
      sessionIdContext: o.tls.sessionIdContext,
      sessionTimeout: o.tls.sessionTimeout,
      ticketKeys: o.tls.ticketKeys,
      maxHeaderSize: 16 * 1024,
      // the AP closes idle connections itself, with close_notify (see arm)
      keepAliveTimeout: 0,
    },
    (req, res) => void handle(req, res),
  );
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxConnections = o.maxConnections ?? 4096;
  o.attach(server);
  server.on('secureConnection', (s: TLSSocket) => {
    const st: ConnectionState = { active: 0 };
    states.set(s, st);
    sockets.add(s);
    arm(s, st);
    s.on('close', () => {
      clearTimeout(st.idle);
      sockets.delete(s);
    });
  });
  server.on('tlsClientError', (_e, s) => s.destroy());
  server.on('clientError', (err, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy(err);
  });

  const ends = (req: IncomingMessage) => {
    const s = req.socket;
    return {
      ue: { name: 'ue', host: s.remoteAddress ?? '', port: s.remotePort ?? 0 },
      ap: { name: 'ap', host: s.localAddress ?? '', port: s.localPort ?? 0 },
    };
  };

  /** The request as it arrived, recorded before anything is done about it (the ladder keeps its order). */
  const traceRequest = (req: IncomingMessage, body: Buffer) => {
    if (!o.tracer.enabled) return;
    const { ue, ap } = ends(req);
    o.tracer.emit({
      iface: 'Ut',
      proto: 'http',
      transport: 'tls',
      from: ue,
      to: ap,
      bytes: httpRequestBytes(req, body),
      summary: `${req.method} ${req.url}`,
    });
  };

  const respond = (req: IncomingMessage, res: ServerResponse, a: Answer, started: bigint) => {
    // RFC 9112 9.3: the client may ask to close (Connection: close, or HTTP/1.0 without keep-alive)
    const asked = String(req.headers.connection ?? '').toLowerCase();
    const close =
      asked.split(',').some((t) => t.trim() === 'close') ||
      (req.httpVersion === '1.0' && !asked.split(',').some((t) => t.trim() === 'keep-alive'));
    if (close) res.on('finish', () => req.socket.end());
    const headers: [string, string][] = [
      ...a.headers,
      ['Content-Length', String(a.body.length)],
      ['Date', new Date().toUTCString()],
      ['Connection', close ? 'close' : 'keep-alive'],
    ];
    const reason = STATUS_CODES[a.status] ?? 'Unknown';
    res.writeHead(a.status, reason, headers.flat());
    res.end(req.method === 'HEAD' ? undefined : a.body);
    o.metrics.requests.inc({ status: String(a.status) });
    o.metrics.requestSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    if (!o.tracer.enabled) return;
    const { ue, ap } = ends(req);
    o.tracer.emit({
      iface: 'Ut',
      proto: 'http',
      transport: 'tls',
      from: ap,
      to: ue,
      bytes: httpResponseBytes(a.status, reason, headers, req.method === 'HEAD' ? undefined : a.body),
      summary: `${a.status} ${reason}`,
    });
  };

  const decide = async (req: IncomingMessage, body: Buffer, st: ConnectionState | undefined) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = selectRoute(o.routes, req.headers.host, path) as (Route & { to: Upstream }) | undefined;
    if (!route) return { answer: text(404, `no application server serves ${path}`) };
    let intended: string | undefined;
    try {
      intended = intendedIdentity(req.headers['x-3gpp-intended-identity']);
    } catch (e) {
      if (e instanceof IdentityError) return { answer: text(400, e.message) };
      throw e;
    }
    const decision: Decision = await o.authenticator.decide(
      {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        authorization: req.headers.authorization,
        intended,
        xui: xuiOf(path, route.pathPrefix),
        body,
      },
      st?.binding,
    );
    return { decision, route };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const socket = req.socket as TLSSocket;
    const st = states.get(socket);
    if (st) {
      st.active++;
      clearTimeout(st.idle);
      res.on('finish', () => {
        st.active--;
        arm(socket, st);
      });
    }
    const chunks: Buffer[] = [];
    let body: Buffer;
    try {
      body = await readBody(req, maxBody, chunks);
    } catch (e) {
      const a =
        e instanceof BodyTooLarge
          ? text(413, `the body is larger than ${maxBody} bytes`)
          : text(400, 'the body could not be read');
      res.on('finish', () => socket.end());
      traceRequest(req, Buffer.concat(chunks));
      respond(req, res, a, started);
      return;
    }
    traceRequest(req, body);
    let answer: Answer;
    try {
      const d = await decide(req, body, st);
      if ('answer' in d) answer = d.answer!;
      else answer = await act(req, body, d.decision, d.route, st);
    } catch (e) {
      o.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'request failed');
      answer = text(500, 'internal error');
    }
    respond(req, res, answer, started);
  };

  const act = async (
    req: IncomingMessage,
    body: Buffer,
    d: Decision,
    route: Route & { to: Upstream },
    st: ConnectionState | undefined,
  ): Promise<Answer> => {
    switch (d.kind) {
      case 'challenge':
        o.metrics.challenges.inc({ reason: d.reason });
        if (d.failure) o.metrics.failures.inc({ reason: d.failure });
        return { status: 401, headers: [['WWW-Authenticate', d.wwwAuthenticate]], body: Buffer.alloc(0) };
      case 'deny':
        o.metrics.failures.inc({ reason: d.reason });
        return text(d.status, d.phrase);
      case 'unavailable':
        o.metrics.failures.inc({ reason: d.reason });
        return text(503, d.phrase, [['Retry-After', '5']]);
      case 'pass': {
        if (d.fresh) {
          o.metrics.successes.inc();
          if (st) st.binding = d.binding;
        }
        try {
          const r = await forward({
            to: route.to,
            req,
            body,
            asserted: d.asserted,
            tracer: o.tracer,
            ...(o.upstreamTimeoutMs !== undefined ? { timeoutMs: o.upstreamTimeoutMs } : {}),
          });
          const headers: [string, string][] = r.headers.filter(
            ([k]) => !['date', 'connection'].includes(k.toLowerCase()),
          );
          if (d.authenticationInfo) headers.push(['Authentication-Info', d.authenticationInfo]);
          return { status: r.status, headers, body: r.body };
        } catch (e) {
          if (e instanceof UpstreamError) {
            o.metrics.upstreamErrors.inc({ status: String(e.status) });
            return text(e.status, e.message);
          }
          throw e;
        }
      }
    }
  };

  const address = await listen(server, o.host, o.port, 'ap.listen');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        // connections still open after a grace period (a request that does not end, a handshake left
        // half done) are cut, so that closing always finishes
        const cut = setTimeout(() => server.closeAllConnections(), 2000);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        // idle connections are ended (close_notify); busy ones finish their request first
        for (const s of sockets) {
          const st = states.get(s);
          if (!st || st.active === 0) s.end();
        }
      }),
  };
}
