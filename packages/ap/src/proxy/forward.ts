/**
 * Forwarding an authenticated request to its application server (TS 24.109 7.1: the AP as a reverse
 * proxy), over pooled keep-alive connections: hop-by-hop headers (RFC 9110 7.6.1) and what the UE must not
 * decide are removed (Authorization, any X-3GPP-Asserted-Identity it sent; TS 24.109 7.2), the identity the
 * AP vouches for is added, with X-Forwarded-* so the server can write absolute URIs as the UE sees them.
 * An unreachable server is 502, one that does not answer in time 504.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { httpRequestBytes, httpResponseBytes, type Tracer } from '@ut-testbed/trace';
import type { Socket } from 'node:net';

export interface Upstream {
  url: URL;
  agent: HttpAgent;
}

export function upstream(origin: string): Upstream {
  const url = new URL(origin);
  const agent =
    url.protocol === 'https:'
      ? new HttpsAgent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 })
      : new HttpAgent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 });
  return { url, agent };
}

export interface ForwardedResponse {
  status: number;
  reason: string;
  /** the server's headers without hop-by-hop ones, names as sent */
  headers: [string, string][];
  body: Buffer;
}

export class UpstreamError extends Error {
  constructor(
    readonly status: 502 | 504,
    message: string,
  ) {
    super(message);
  }
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/** Header names the AP sets itself, or that must not pass from the UE to the server. */
const NOT_FORWARDED = new Set([
  'authorization',
  'x-3gpp-asserted-identity',
  'x-3gpp-intended-identity',
  'content-length',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

/** The raw header list without hop-by-hop headers, including those a Connection header names. */
function endToEnd(raw: readonly string[]): [string, string][] {
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') {
      for (const t of raw[i + 1]!.split(',')) named.add(t.trim().toLowerCase());
    }
  }
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(n) && !named.has(n)) out.push([raw[i]!, raw[i + 1]!]);
  }
  return out;
}

export interface ForwardOptions {
  to: Upstream;
  req: IncomingMessage;
  body: Buffer;
  asserted: string;
  /** ms for the whole exchange with the server (default 10 s) */
  timeoutMs?: number;
  maxResponseBytes?: number;
  tracer: Tracer;
}

export function forward(o: ForwardOptions): Promise<ForwardedResponse> {
  const { req, to } = o;
  const headers: [string, string][] = endToEnd(req.rawHeaders).filter(
    ([k]) => !NOT_FORWARDED.has(k.toLowerCase()),
  );
  const client = req.socket.remoteAddress ?? '';
  headers.push(
    ['X-3GPP-Asserted-Identity', `"${o.asserted}"`],
    ['X-Forwarded-For', client.replace(/^::ffff:/, '')],
    ['X-Forwarded-Proto', 'https'],
    ...(req.headers.host ? ([['X-Forwarded-Host', req.headers.host]] as [string, string][]) : []),
    ['Content-Length', String(o.body.length)],
    // written here rather than by Node's agent, so that the trace holds every header sent
    ['Connection', 'keep-alive'],
  );
  const send = to.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const max = o.maxResponseBytes ?? 16 * 1024 * 1024;
  return new Promise<ForwardedResponse>((resolve, reject) => {
    const r = send(
      {
        host: to.url.hostname,
        port: to.url.port || (to.url.protocol === 'https:' ? 443 : 80),
        method: req.method,
        path: req.url,
        agent: to.agent,
        headers: headers.flat(),
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > max) {
            res.destroy();
            reject(new UpstreamError(502, `the application server's answer is larger than ${max} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const answer: ForwardedResponse = {
            status: res.statusCode ?? 502,
            reason: res.statusMessage ?? '',
            headers: endToEnd(res.rawHeaders).filter(([k]) => k.toLowerCase() !== 'content-length'),
            body,
          };
          traceResponse(o, r.socket, answer, res);
          resolve(answer);
        });
        res.on('error', (e) =>
          reject(new UpstreamError(502, `the application server's answer broke off: ${e.message}`)),
        );
      },
    );
    r.setTimeout(o.timeoutMs ?? 10_000, () => {
      r.destroy();
      reject(new UpstreamError(504, `the application server ${to.url.host} did not answer in time`));
    });
    r.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new UpstreamError(
          502,
          `the application server ${to.url.host} is unreachable: ${e.code ?? e.message}`,
        ),
      ),
    );
    // the request is traced once its connection is there (its addresses known), before any answer
    if (o.tracer.enabled)
      r.once('socket', (sock: Socket) => {
        if (sock.connecting) sock.once('connect', () => traceRequest(o, sock, headers));
        else traceRequest(o, sock, headers);
      });
    r.end(o.body);
  });
}

type Addresses = {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
} | null;

function ends(o: ForwardOptions, socket: Addresses) {
  return {
    ap: { name: 'ap', host: socket?.localAddress ?? '127.0.0.1', port: socket?.localPort ?? 0 },
    as: {
      name: 'xcap',
      host: socket?.remoteAddress ?? o.to.url.hostname,
      port: socket?.remotePort ?? Number(o.to.url.port),
    },
  };
}

function traceRequest(o: ForwardOptions, socket: Addresses, sent: [string, string][]): void {
  const { ap, as } = ends(o, socket);
  o.tracer.emit({
    iface: 'AS',
    proto: 'http',
    transport: 'tcp',
    from: ap,
    to: as,
    bytes: httpRequestBytes(
      { method: o.req.method, url: o.req.url, httpVersion: '1.1', rawHeaders: sent.flat() },
      o.body,
    ),
    summary: `${o.req.method} ${o.req.url}`,
  });
}

function traceResponse(
  o: ForwardOptions,
  socket: Addresses,
  answer: ForwardedResponse,
  res: IncomingMessage,
): void {
  if (!o.tracer.enabled) return;
  const { ap, as } = ends(o, socket);
  const raw: [string, string][] = [];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
    raw.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
  o.tracer.emit({
    iface: 'AS',
    proto: 'http',
    transport: 'tcp',
    from: as,
    to: ap,
    bytes: httpResponseBytes(answer.status, answer.reason, raw, answer.body),
    summary: `${answer.status} ${answer.reason}`,
  });
}
