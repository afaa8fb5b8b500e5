/**
 * The admin HTTP listener (DESIGN.md sections 6 and 10): the provisioning API on the same database the
 * HSS serves from, health, and Prometheus metrics.
 *   GET    /subscribers                 list (keys only with ?secrets=true, and only to loopback clients)
 *   GET    /subscribers/{impi}          one subscriber, 404 when absent
 *   PUT    /subscribers/{impi}          create (201) or replace keys and IMPUs (200; SQN kept unless given)
 *   DELETE /subscribers/{impi}          204, 404 when absent
 *   GET    /metrics, GET /health
 * Bodies are JSON of at most 64 KiB with the keys of an `hss.subscribers` entry (without impi).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { subscriberSchema } from '@ut-testbed/config';
import { startAdmin as startAdminListener, type AdminServer } from '@ut-testbed/service-kit';
import type { SubscriberStore } from './store/types';
import { fromConfig, view } from './subscriber';
import type { HssMetrics } from './metrics';

const MAX_BODY = 64 * 1024;

function isLoopback(a: string | undefined): boolean {
  return a === '::1' || /^(::ffff:)?127\./.test(a ?? '');
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body) + '\n';
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    .end(text);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    return Promise.reject(new HttpError(415, 'the body must be application/json'));
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY)
    return Promise.reject(new HttpError(413, `the body is larger than ${MAX_BODY} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (over) return; // read and drop the rest, so that the 413 can be written
      if (size > MAX_BODY) {
        over = true;
        chunks.length = 0;
        reject(new HttpError(413, `the body is larger than ${MAX_BODY} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'the body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

export type { AdminServer };

export async function startAdmin(o: {
  host: string;
  port: number;
  store: SubscriberStore;
  metrics: HssMetrics;
}): Promise<AdminServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const secrets = url.searchParams.get('secrets') === 'true';
    // keys leave only towards this machine, whatever address the admin listener is bound to
    if (secrets && !isLoopback(req.socket.remoteAddress)) {
      throw new HttpError(403, 'secrets are given only to clients on this machine (loopback)');
    }
    const path = url.pathname;
    if (path === '/health') {
      if (req.method !== 'GET') throw new HttpError(405, 'use GET');
      return send(res, 200, { status: 'ok' });
    }
    if (path === '/metrics') {
      if (req.method !== 'GET') throw new HttpError(405, 'use GET');
      const text = await o.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': o.metrics.registry.contentType }).end(text);
      return;
    }
    if (path === '/subscribers') {
      if (req.method !== 'GET') throw new HttpError(405, 'use GET');
      return send(
        res,
        200,
        (await o.store.list()).map((s) => view(s, secrets)),
      );
    }
    const m = /^\/subscribers\/([^/]+)$/.exec(path);
    if (!m) throw new HttpError(404, `no resource ${path}`);
    let impi: string;
    try {
      impi = decodeURIComponent(m[1]!);
    } catch {
      throw new HttpError(400, 'the IMPI in the path is not valid percent-encoding');
    }
    switch (req.method) {
      case 'GET': {
        const s = await o.store.get(impi);
        if (!s) throw new HttpError(404, `no subscriber ${impi}`);
        return send(res, 200, view(s, secrets));
      }
      case 'PUT': {
        const body = await readBody(req);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new HttpError(400, 'the body must be a JSON object');
        }
        if ('impi' in body && (body as { impi: unknown }).impi !== impi) {
          throw new HttpError(400, 'impi in the body differs from the path');
        }
        const parsed = subscriberSchema.safeParse({ ...body, impi });
        if (!parsed.success) {
          const why = parsed.error.issues
            .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
            .join('; ');
          throw new HttpError(400, why);
        }
        const existed = (await o.store.get(impi)) !== undefined;
        await o.store.put(fromConfig(parsed.data));
        return send(res, existed ? 200 : 201, view((await o.store.get(impi))!));
      }
      case 'DELETE':
        if (!(await o.store.remove(impi))) throw new HttpError(404, `no subscriber ${impi}`);
        return send(res, 204);
      default:
        throw new HttpError(405, 'use GET, PUT or DELETE');
    }
  };
  // /health and /metrics (GET) are the kit's; everything else, errors included, is answered here
  return startAdminListener({
    host: o.host,
    port: o.port,
    configKey: 'hss.admin',
    metrics: o.metrics.registry,
    handle: async (req, res) => {
      await handle(req, res).catch((e: unknown) => {
        if (res.headersSent) return;
        if (e instanceof HttpError) send(res, e.status, { error: e.message });
        else send(res, 500, { error: 'internal error' });
      });
      return true;
    },
  });
}
