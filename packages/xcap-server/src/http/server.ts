/**
 * The HTTP listener: XCAP requests under the root, the change stream at /_changes, bounded header size,
 * header and request time, and body size. Every request and response is a trace event (interface AS);
 * responses are written with their headers in a fixed order so that the traced bytes are the wire bytes.
 */
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from '@ut-testbed/service-kit';
import { httpRequestBytes, httpResponseBytes, type Tracer } from '@ut-testbed/trace';
import { XcapError, xcapErrorBody } from '../errors';
import { sseEvent, type ChangeFeed } from '../changes';
import { handleXcap, MIME_ERROR, type HandlerContext, type XcapResponse } from './handler';
import { isTrusted } from './identity';

export interface XcapHttpOptions extends HandlerContext {
  host: string;
  port: number;
  tracer: Tracer;
  logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface XcapHttpServer {
  address: AddressInfo;
  /** stops accepting, lets in-flight requests finish, ends change streams */
  close(): Promise<void>;
}

function errorResponse(e: unknown): XcapResponse {
  if (e instanceof XcapError) {
    const headers: [string, string][] = [];
    if (e.detail.allow) headers.push(['Allow', e.detail.allow.join(', ')]);
    if (e.status === 409) {
      return {
        status: 409,
        headers: [['Content-Type', MIME_ERROR], ...headers],
        body: Buffer.from(xcapErrorBody(e), 'utf8'),
      };
    }
    return {
      status: e.status,
      headers: [['Content-Type', 'text/plain; charset=utf-8'], ...headers],
      body: Buffer.from(e.message + '\n', 'utf8'),
    };
  }
  return {
    status: 500,
    headers: [['Content-Type', 'text/plain; charset=utf-8']],
    body: Buffer.from('internal error\n'),
  };
}

/**
 * Collects the body into `chunks`, bounded: a declared or actual length over `max` is 413 (the rest of an
 * oversized body is not kept).
 */
function readBody(req: IncomingMessage, max: number, chunks: Buffer[]): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) {
    return Promise.reject(new XcapError(413, `the body is larger than ${max} bytes`));
  }
  return new Promise((resolve, reject) => {
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new XcapError(413, `the body is larger than ${max} bytes`));
        req.pause();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startXcapHttp(o: XcapHttpOptions): Promise<XcapHttpServer> {
  const streams = new Set<ServerResponse>();
  const endpoint = (host: string | undefined, port: number | undefined, name: string) => ({
    name,
    host: host ?? '127.0.0.1',
    port: port ?? 0,
  });

  /**
   * Who sent a request, for the trace: the AP forwards with X-Forwarded-For; another trusted peer (the
   * presence server) is named by its User-Agent product.
   */
  const peerName = (req: IncomingMessage): string => {
    if (req.headers['x-forwarded-for'] !== undefined) return 'ap';
    const product = /^([A-Za-z0-9._-]+)/.exec(req.headers['user-agent'] ?? '')?.[1];
    return product ? product.toLowerCase() : 'client';
  };

  const respond = (
    req: IncomingMessage,
    res: ServerResponse,
    reqBody: Buffer,
    r: XcapResponse,
    arrived: number = o.tracer.now(),
  ) => {
    const headers: [string, string][] = [
      ...r.headers.filter(([k]) => k !== 'Connection'),
      ['Content-Length', String(r.body.length)],
      ['Date', new Date().toUTCString()],
      ['Connection', r.headers.find(([k]) => k === 'Connection')?.[1] ?? 'keep-alive'],
    ];
    const reason = STATUS_CODES[r.status] ?? 'Unknown';
    res.writeHead(r.status, reason, headers.flat());
    res.end(r.body);
    if (o.tracer.enabled) {
      const s = req.socket;
      const client = endpoint(s.remoteAddress, s.remotePort, peerName(req));
      const server = endpoint(s.localAddress, s.localPort, 'xcap');
      o.tracer.emit({
        // when it came, not when it was answered: its place in a ladder is before what it caused
        ts: arrived,
        iface: 'AS',
        proto: 'http',
        transport: 'tcp',
        from: client,
        to: server,
        bytes: httpRequestBytes(req, reqBody),
        summary: `${req.method} ${req.url}`,
      });
      o.tracer.emit({
        iface: 'AS',
        proto: 'http',
        transport: 'tcp',
        from: server,
        to: client,
        bytes: httpResponseBytes(r.status, reason, headers, req.method === 'HEAD' ? undefined : r.body),
        summary: `${r.status} ${reason}`,
      });
    }
  };

  const changeStream = (req: IncomingMessage, res: ServerResponse, feed: ChangeFeed) => {
    if (!isTrusted(req.socket.remoteAddress, o.trustedProxies)) {
      respond(
        req,
        res,
        Buffer.alloc(0),
        errorResponse(new XcapError(403, 'the change stream is for trusted peers')),
      );
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    res.write(': xcap-diff change stream\n\n');
    let id = 0;
    const onChange = (xml: string) => res.write(sseEvent('xcap-diff', xml, ++id));
    feed.on('change', onChange);
    streams.add(res);
    res.on('close', () => {
      feed.off('change', onChange);
      streams.delete(res);
    });
  };

  const server: Server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    if (req.url === '/_changes' && req.method === 'GET') {
      changeStream(req, res, o.changes);
      return;
    }
    // the tracer's own clock: Date.now() is whole milliseconds on another time base, so an arrival stamped
    // with it could come before the sender's record of the same request and reorder the ladder
    const arrived = o.tracer.now();
    // the body is read here, once: the handler awaits it (PUT), the trace records it
    const chunks: Buffer[] = [];
    const body = readBody(req, o.maxBodyBytes, chunks);
    body.catch(() => undefined); // a handler that never asks for the body must not leave a rejection unhandled
    handleXcap(req, o, () => body).then(
      (r) => respond(req, res, Buffer.concat(chunks), r, arrived),
      (e: unknown) => {
        if (!(e instanceof XcapError))
          o.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'XCAP request failed');
        const r = errorResponse(e);
        if (e instanceof XcapError && e.status === 413) {
          // the rest of the body is not wanted: say so, and close once the answer is out
          r.headers.push(['Connection', 'close']);
          res.on('finish', () => req.socket.destroy());
        }
        respond(req, res, Buffer.concat(chunks), r, arrived);
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (err, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy(err);
  });
  const address = await listen(server, o.host, o.port, 'xcap.listen');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.end();
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
