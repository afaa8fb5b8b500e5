/** Shared by the tests: a presence server on free ports, a SIP client endpoint, PUBLISH requests, PIDF bodies. */
import { presenceSchema, type ConfigInput } from '@ut-testbed/config';
import { createEndpoint, createRequest, type Endpoint, type SipMessage } from '@ut-testbed/sip-core';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import pino from 'pino';
import { start, type PresenceOptions, type PresenceService } from '../src';

export const DOMAIN = 'home1.net';
export const USER1 = 'sip:user1_public1@home1.net';
export const USER2 = 'sip:user2_public1@home1.net';

export interface Server {
  svc: PresenceService;
  sink: MemorySink;
  target(protocol: 'udp' | 'tcp'): { protocol: 'udp' | 'tcp'; host: string; port: number };
}

export async function startServer(
  presence: NonNullable<ConfigInput['presence']> = {},
  extra: Omit<PresenceOptions, 'presence' | 'realm'> = {},
): Promise<Server> {
  const sink = new MemorySink();
  const svc = await start({
    presence: presenceSchema.parse({ ...presence, listen: { port: 0, ...presence.listen } }),
    realm: DOMAIN,
    tracer: createTracer({ sinks: [sink] }),
    logger: pino({ level: 'silent' }),
    ...extra,
  });
  return {
    svc,
    sink,
    target(protocol) {
      const [host, port] = svc.endpoints[protocol]!.split(':');
      return { protocol, host: host!, port: Number(port) };
    },
  };
}

export function client(host = '127.0.0.1'): Promise<Endpoint> {
  return createEndpoint({
    transports: [
      { protocol: 'udp', host, port: 0 },
      { protocol: 'tcp', host, port: 0 },
    ],
    allow: [],
    onRequest: () => undefined,
  });
}

export function pidf(entity: string, tuples: [id: string, basic: string][], extra = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${entity}">\n` +
    tuples
      .map(([id, basic]) => `<tuple id="${id}"><status><basic>${basic}</basic></status></tuple>\n`)
      .join('') +
    extra +
    '</presence>\n'
  );
}

export interface Publish {
  uri?: string;
  from?: string;
  pai?: string | null;
  event?: string | null;
  etag?: string;
  expires?: number | string;
  contentType?: string | null;
  body?: string;
  headers?: [string, string][];
}

/** A PUBLISH of USER1's presence, asserted (P-Asserted-Identity) as USER1, unless told otherwise. */
export function publishRequest(p: Publish = {}): SipMessage {
  const headers: [string, string][] = [];
  if (p.pai !== null) headers.push(['P-Asserted-Identity', `<${p.pai ?? USER1}>`]);
  if (p.event !== null) headers.push(['Event', p.event ?? 'presence']);
  if (p.etag !== undefined) headers.push(['SIP-If-Match', p.etag]);
  if (p.expires !== undefined) headers.push(['Expires', String(p.expires)]);
  if (p.body !== undefined && p.contentType !== null)
    headers.push(['Content-Type', p.contentType ?? 'application/pidf+xml']);
  headers.push(...(p.headers ?? []));
  return createRequest({
    method: 'PUBLISH',
    uri: p.uri ?? USER1,
    from: `<${p.from ?? USER1}>`,
    to: `<${p.uri ?? USER1}>`,
    headers,
    ...(p.body !== undefined ? { body: p.body } : {}),
  });
}
