/**
 * Shared by the subscription tests: a real xcap-server on a free port (the presence server its trusted peer
 * on 127.0.0.1), documents written as the AP forwards a UE's request, and a watcher UE: an endpoint with a
 * sip-core subscriber whose NOTIFYs are queued.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@ut-testbed/config';
import {
  createEndpoint,
  createSubscriber,
  type ClientSubscription,
  type Endpoint,
  type Notification,
  type Subscriber,
  type Target,
} from '@ut-testbed/sip-core';
import { start, type XcapService } from '@ut-testbed/xcap-server';
import pino from 'pino';

export const TYPES = {
  'pres-rules': 'application/auth-policy+xml',
  'resource-lists': 'application/resource-lists+xml',
  'rls-services': 'application/rls-services+xml',
} as const;

export interface Xcap {
  svc: XcapService;
  /** the XCAP root, http://127.0.0.1:<port>/services */
  root: string;
  /** PUT (or DELETE with body undefined) of `<auid>/users/<user>/index` as `user`; resolves with the status */
  write(auid: keyof typeof TYPES, user: string, body: string | undefined): Promise<number>;
  close(): Promise<void>;
}

export async function startXcap(): Promise<Xcap> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-xcap-'));
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
              'X-3GPP-Asserted-Identity': `"${user}"`,
              ...(body !== undefined ? { 'Content-Type': TYPES[auid] } : {}),
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

/** A queue whose next() waits for the next item (events awaited, never slept for). */
export class Queue<T> {
  private readonly items: T[] = [];
  private readonly waiting: ((t: T) => void)[] = [];
  push(t: T): void {
    const w = this.waiting.shift();
    if (w) w(t);
    else this.items.push(t);
  }
  next(): Promise<T> {
    const t = this.items.shift();
    if (t !== undefined) return Promise.resolve(t);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  get size(): number {
    return this.items.length;
  }
}

export interface WatcherUe {
  ep: Endpoint;
  subscriber: Subscriber;
  notes: Queue<Notification>;
  /** SUBSCRIBE `uri` as `identity` (P-Asserted-Identity), NOTIFYs into `notes` */
  subscribe(o: {
    target: Target;
    uri: string;
    identity: string;
    event?: string;
    expires?: number;
    accept?: string[];
    headers?: [string, string][];
  }): Promise<ClientSubscription>;
  close(): Promise<void>;
}

export async function watcherUe(host = '127.0.0.1'): Promise<WatcherUe> {
  const holder: { subscriber?: Subscriber } = {};
  const ep = await createEndpoint({
    transports: [
      { protocol: 'udp', host, port: 0 },
      { protocol: 'tcp', host, port: 0 },
    ],
    allow: ['NOTIFY'],
    supported: ['eventlist'],
    onRequest: (req, tx) => {
      holder.subscriber!.handle(req, tx);
    },
  });
  const subscriber = createSubscriber({ endpoint: ep });
  holder.subscriber = subscriber;
  const notes = new Queue<Notification>();
  return {
    ep,
    subscriber,
    notes,
    subscribe: (o) =>
      subscriber.subscribe({
        target: o.target,
        uri: o.uri,
        from: `<${o.identity}>`,
        event: o.event ?? 'presence',
        expires: o.expires ?? 600,
        accept: o.accept ?? ['application/pidf+xml'],
        headers: [['P-Asserted-Identity', `<${o.identity}>`], ...(o.headers ?? [])],
        onNotify: (n) => notes.push(n),
      }),
    close: () => ep.close(),
  };
}

const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';

/** A pres-rules document: one rule per entry, `identity` one id (or `*` for any identity), everything provided. */
export function presRules(
  rules: { id: string; identity: string; handling: string; provide?: string }[],
): string {
  const provide =
    '<pr:provide-services><pr:all-services/></pr:provide-services>' +
    '<pr:provide-persons><pr:all-persons/></pr:provide-persons>' +
    '<pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/>';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<cr:ruleset xmlns:cr="${CP}" xmlns:pr="${PR}">\n` +
    rules
      .map(
        (r) =>
          `<cr:rule id="${r.id}"><cr:conditions><cr:identity>` +
          (r.identity === '*' ? '<cr:many/>' : `<cr:one id="${r.identity}"/>`) +
          `</cr:identity></cr:conditions><cr:actions><pr:sub-handling>${r.handling}</pr:sub-handling></cr:actions>` +
          `<cr:transformations>${r.provide ?? provide}</cr:transformations></cr:rule>\n`,
      )
      .join('') +
    '</cr:ruleset>\n'
  );
}
