/**
 * A bare node:https server with the AP's certificate and TLS settings and nothing of the AP: the floor of
 * what a handshake costs in Node, for profile-handshakes.ts. Like the AP, it answers a request it cannot
 * parse with a 400 and ends the connection with close_notify. With --session-callbacks it also has
 * 'newSession' and 'resumeSession' listeners that answer at once, as the AP's in-memory session cache
 * nearly does: any such listener makes Node parse each ClientHello and wait for the callback before the
 * handshake goes on.
 *
 *   node --import tsx bench/bare-https-server.ts CERT KEY [--session-callbacks]
 *
 * Prints {"ready":true,"service":"bare-https","endpoints":{"https":"127.0.0.1:PORT"}}; SIGTERM ends it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

const [cert, key, ...flags] = process.argv.slice(2);
const server = createServer(
  {
    cert: readFileSync(cert!, 'utf8'),
    key: readFileSync(key!, 'utf8'),
    minVersion: 'TLSv1.2',
    sessionIdContext: 'ut-testbed',
    ticketKeys: randomBytes(48),
    keepAliveTimeout: 0,
  },
  (_req, res) => res.writeHead(404, { 'Content-Length': '0' }).end(),
);
server.on('clientError', (_err, socket) => {
  if (socket.writable)
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  else socket.destroy();
});
if (flags.includes('--session-callbacks')) {
  // asynchronous like a store lookup, answered on the next microtask
  server.on(
    'newSession',
    (_id: Buffer, _data: Buffer, done: () => void) => void Promise.resolve().then(done),
  );
  server.on(
    'resumeSession',
    (_id: Buffer, done: (e: Error | null, s: Buffer | null) => void) =>
      void Promise.resolve().then(() => done(null, null)),
  );
}
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as AddressInfo;
  process.stdout.write(
    JSON.stringify({ ready: true, service: 'bare-https', endpoints: { https: `127.0.0.1:${a.port}` } }) +
      '\n',
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
