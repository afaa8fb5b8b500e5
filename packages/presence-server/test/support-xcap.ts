/**
 * Shared by the subscription tests: a real xcap-server on a free port (the presence server its trusted peer
 * on 127.0.0.1), documents written as the AP forwards a UE's request, and a watcher UE: an endpoint with a
 * sip-core subscriber whose NOTIFYs are queued.
 */
import {
  createEndpoint,
  createSubscriber,
  type ClientSubscription,
  type Endpoint,
  type Notification,
  type Subscriber,
  type Target,
} from '@ut-testbed/sip-core';

export { startLocalXcap as startXcap, type LocalXcap as Xcap } from '@ut-testbed/xcap-server';
import { EventQueue as Queue } from '@ut-testbed/sip-core';
export { Queue };

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
