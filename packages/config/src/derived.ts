/**
 * Values that follow from the configuration and that several packages need alike: derived in one place so
 * that a UE, the testbed and the services agree on them.
 */
import { dirname, resolve } from 'node:path';

/**
 * The XCAP root as a UE names it (DESIGN.md section 2): the XCAP server's name in the realm, on the port the
 * AP listens on, with the XCAP server's root path. `port` stands in for a configured port 0.
 */
export function publicXcapRoot(
  config: { realm: string; ap: { listen: { port: number } }; xcap: { root: string } },
  port?: number,
): string {
  return `https://xcap.${config.realm}:${config.ap.listen.port || port}${config.xcap.root}`;
}

/**
 * The AP certificate a UE trusts: `ap.tls.cert` when configured, else where `testbed up` writes the one the AP
 * generated, next to the HSS database (under .testbed/ by default).
 */
export function apCertificatePath(config: {
  hss: { database: string };
  ap: { tls: { cert: string | null } };
}): string {
  return config.ap.tls.cert ?? resolve(dirname(config.hss.database), 'ap-certificate.pem');
}
