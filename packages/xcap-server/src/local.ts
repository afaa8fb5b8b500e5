/**
 * An XCAP server on a free loopback port with its database in a temporary directory (removed on close),
 * and documents written to it as the AP forwards a UE's request (`X-3GPP-Asserted-Identity` from
 * 127.0.0.1, a trusted proxy). The real peer that the tests of the presence server, the UE and the testbed
 * read rules and lists from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@ut-testbed/config';
import pino from 'pino';
import { start, type XcapService } from './service';
import { findUsage } from './usages/registry';

/** The application usages a presence server reads, and so the ones `write` takes. */
export type LocalXcapAuid = 'pres-rules' | 'resource-lists' | 'rls-services';

export interface LocalXcap {
  svc: XcapService;
  /** the XCAP root, http://127.0.0.1:<port>/services */
  root: string;
  /** PUT (DELETE with body undefined) of `<auid>/users/<user>/index` as `user`; resolves with the status */
  write(auid: LocalXcapAuid, user: string, body: string | undefined): Promise<number>;
  close(): Promise<void>;
}

export async function startLocalXcap(): Promise<LocalXcap> {
  const dir = mkdtempSync(join(tmpdir(), 'xcap-local-'));
  const c = parseConfig({
    xcap: {
      listen: { host: '127.0.0.1', port: 0 },
      database: join(dir, 'xcap.db'),
      trustedProxies: ['127.0.0.1'],
    },
  });
  const svc = await start({ xcap: c.xcap, logger: pino({ level: 'silent' }) });
  const root = `http://${svc.endpoints.http}/services`;
  return {
    svc,
    root,
    write(auid, user, body) {
      return new Promise((resolve, reject) => {
        const req = request(
          `${root}/${auid}/users/${user}/index`,
          {
            method: body === undefined ? 'DELETE' : 'PUT',
            headers: {
              // what the AP adds after Digest AKA (DESIGN.md section 3)
              'X-3GPP-Asserted-Identity': `"${user}"`,
              ...(body !== undefined ? { 'Content-Type': findUsage(auid)!.mimeType } : {}),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    async close() {
      await svc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
