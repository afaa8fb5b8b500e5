/** Opening a listener the way every service reports it: errors name the config key that chose the address. */
import type { AddressInfo, Server } from 'node:net';

/** `host:port`, IPv6 hosts in brackets, as endpoints are printed. */
export function hostPort(a: AddressInfo): string {
  return `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
}

/**
 * Listens on host:port; a failure is an Error naming `configKey` (e.g. `ap.listen: 127.0.0.1:8443 is in use`),
 * which the start command prints as its one line.
 */
export function listen(server: Server, host: string, port: number, configKey: string): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    const fail = (e: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      reject(
        new Error(
          e.code === 'EADDRINUSE'
            ? `${configKey}: ${where} is in use`
            : `${configKey}: cannot listen on ${where}: ${e.message}`,
          { cause: e },
        ),
      );
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve(server.address() as AddressInfo);
    });
  });
}
