/**
 * Shared by the SIP tests: a real presence server on free ports (its peers on 127.0.0.1 trusted, so the UA's
 * P-Asserted-Identity is believed), optionally reading a real xcap-server; documents written to the
 * xcap-server as the AP forwards a UE's Ut request (`X-3GPP-Asserted-Identity`); the documents themselves;
 * UAs with a trace sink.
 */
import { presenceSchema } from '@ut-testbed/config';
import {
  start as startPresenceServer,
  type ChangeReason,
  type PresenceService,
} from '@ut-testbed/presence-server';
import type { Clock, Protocol, SipMessage, Target } from '@ut-testbed/sip-core';
import { parseMessage } from '@ut-testbed/sip-core';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import pino from 'pino';
import { createUa, type Ua, type UaOptions } from '../../src/sip';

export const USER1 = 'sip:user1_public1@home1.net';
export const USER2 = 'sip:user2_public1@home1.net';
export const USER3 = 'sip:user3_public1@home1.net';

import { EventQueue as Queue } from '@ut-testbed/sip-core';
export { Queue };

export interface Presence {
  svc: PresenceService;
  target(protocol: Protocol): Target;
  /** resolves at the next change of `presentity`'s state with this reason (earlier changes are skipped) */
  changed(presentity: string, reason: ChangeReason): Promise<void>;
  close(): Promise<void>;
}

export async function startPresence(o: { xcapRoot?: string; clock?: Clock } = {}): Promise<Presence> {
  const changes = new Queue<[string, ChangeReason]>();
  const svc = await startPresenceServer({
    presence: presenceSchema.parse({
      listen: { host: '127.0.0.1', port: 0 },
      ...(o.xcapRoot !== undefined ? { xcapRoot: o.xcapRoot } : {}),
    }),
    realm: 'home1.net',
    logger: pino({ level: 'silent' }),
    ...(o.clock ? { clock: o.clock } : {}),
    onStateChange: (presentity, reason) => changes.push([presentity, reason]),
  });
  return {
    svc,
    async changed(presentity, reason) {
      for (;;) {
        const [p, r] = await changes.next();
        if (p === presentity && r === reason) return;
      }
    },
    target(protocol) {
      const [host, port] = svc.endpoints[protocol]!.split(':');
      return { protocol, host: host!, port: Number(port) };
    },
    close: () => svc.close(),
  };
}

export { startLocalXcap as startXcap, type LocalXcap as Xcap } from '@ut-testbed/xcap-server';

const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';

/** A pres-rules document (RFC 5025): one rule per entry for one identity, everything provided. */
export function presRules(rules: { id: string; identity: string; handling: string }[]): string {
  const provide =
    '<pr:provide-services><pr:all-services/></pr:provide-services>' +
    '<pr:provide-persons><pr:all-persons/></pr:provide-persons>' +
    '<pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/>';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<cr:ruleset xmlns:cr="${CP}" xmlns:pr="${PR}">\n` +
    rules
      .map(
        (r) =>
          `<cr:rule id="${r.id}"><cr:conditions><cr:identity><cr:one id="${r.identity}"/></cr:identity>` +
          `</cr:conditions><cr:actions><pr:sub-handling>${r.handling}</pr:sub-handling></cr:actions>` +
          `<cr:transformations>${provide}</cr:transformations></cr:rule>\n`,
      )
      .join('') +
    '</cr:ruleset>\n'
  );
}

/** A resource-lists document (RFC 4826) with one list `name` of these entries. */
export function resourceLists(name: string, entries: { uri: string; displayName?: string }[]): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n' +
    `  <list name="${name}">\n` +
    entries
      .map(
        (e) =>
          `    <entry uri="${e.uri}">` +
          (e.displayName !== undefined ? `<display-name>${e.displayName}</display-name>` : '') +
          '</entry>\n',
      )
      .join('') +
    '  </list>\n</resource-lists>\n'
  );
}

/** An rls-services document (RFC 4826 section 4) with one presence service of `owner`'s list `name`. */
export function rlsServices(serviceUri: string, owner: string, name: string): string {
  // the public XCAP root, as a phone writes it; the presence server reads it from its own xcapRoot
  const node = `https://xcap.home1.net:8443/services/resource-lists/users/${owner}/index/~~/resource-lists/list%5b@name=%22${name}%22%5d`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<rls-services xmlns="urn:ietf:params:xml:ns:rls-services">\n' +
    `  <service uri="${serviceUri}"><resource-list>${node}</resource-list>` +
    '<packages><package>presence</package></packages></service>\n' +
    '</rls-services>\n'
  );
}

export function pidf(entity: string, tuples: [id: string, basic: string, note?: string][]): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${entity}">\n` +
    tuples
      .map(
        ([id, basic, note]) =>
          `<tuple id="${id}"><status><basic>${basic}</basic></status>` +
          (note !== undefined ? `<note>${note}</note>` : '') +
          '</tuple>\n',
      )
      .join('') +
    '</presence>\n'
  );
}

export interface TracedUa {
  ua: Ua;
  sink: MemorySink;
  /** the SIP messages this UA sent, parsed, oldest first */
  sent(method?: string): SipMessage[];
}

/** A UA with a trace sink; `proxy` names where its requests go. */
export async function tracedUa(o: Omit<UaOptions, 'tracer'>): Promise<TracedUa> {
  const sink = new MemorySink();
  const ua = await createUa({ ...o, tracer: createTracer({ sinks: [sink] }) });
  return {
    ua,
    sink,
    sent(method) {
      const out: SipMessage[] = [];
      for (const e of sink.events) {
        if (e.from.name !== (o.name ?? 'ue')) continue;
        const r = parseMessage(Buffer.from(e.bytes), e.transport === 'udp' ? {} : { framing: 'stream' });
        if (r.ok && (method === undefined || r.message.method === method)) out.push(r.message);
      }
      return out;
    },
  };
}
