/**
 * The admin listener of a service (DESIGN.md sections 6 and 10): `GET /health` and `GET /metrics`
 * (Prometheus text), and whatever else the service serves there (the HSS provisioning API).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from './listen';

export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface AdminOptions {
  host: string;
  port: number;
  /** the config key of the address, for errors (e.g. `xcap.admin`) */
  configKey: string;
  metrics: MetricsSource;
  /** the body of /health (default `{ status: 'ok' }`) */
  health?: () => object;
  /** other routes: resolves true when it answered the request */
  handle?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface AdminServer {
  address: AddressInfo;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body) + '\n';
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    .end(text);
};

export async function startAdmin(o: AdminOptions): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const answer = async () => {
      if (req.method === 'GET' && req.url === '/health')
        return json(res, 200, o.health?.() ?? { status: 'ok' });
      if (req.method === 'GET' && req.url === '/metrics') {
        const text = await o.metrics.metrics();
        return void res.writeHead(200, { 'content-type': o.metrics.contentType }).end(text);
      }
      if (o.handle && (await o.handle(req, res))) return;
      json(res, 404, { error: 'not found' });
    };
    answer().catch(() => {
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  const address = await listen(server, o.host, o.port, o.configKey);
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
