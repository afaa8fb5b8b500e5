/**
 * The UE's SIP user agent for presence on sip-core: PUBLISH without REGISTER (RFC 3903, ./publisher),
 * SUBSCRIBE to presence, presence.winfo and event lists (RFC 6665 with RFC 3856, 3857, 4662, ./watch), and
 * the NOTIFYs that come back. One endpoint (UDP and TCP by default) takes the NOTIFYs and hands them to
 * sip-core's subscriber; requests go to one `proxy`: the presence server itself, or an S-CSCF stand-in.
 *
 * Identity: with `assertIdentity` (the default) every PUBLISH and initial SUBSCRIBE carries
 * `P-Asserted-Identity` with the UA's identity. In IMS the S-CSCF asserts it (RFC 3325, TS 24.229); the
 * presence server believes it only from its trusted peers (presence.trustedPeers), so the UA stands in for
 * the S-CSCF of the lab and must send from such an address. Off, the UA sends none, as a UE behind a real
 * P-CSCF/S-CSCF would (it may add P-Preferred-Identity through `headers`).
 *
 * Not here: REGISTER and authentication (IMS AKA on Gm), RFC 3263 server location (the proxy is an
 * address), TLS, Route sets towards an outbound proxy other than the one target.
 */
import { randomBytes } from 'node:crypto';
import {
  createEndpoint,
  createSubscriber,
  parseNameAddr,
  SubscribeError,
  systemClock,
  type ClientSubscription,
  type Clock,
  type Endpoint,
  type ExtraHeaders,
  type Protocol,
  type ServerTransactionHandle,
  type SipMessage,
  type Subscriber,
  type Target,
} from '@ut-testbed/sip-core';
import type { Tracer } from '@ut-testbed/trace';
import { Publication, type PublishBody, type PublishOptions } from './publisher';
import { DEFAULT_SUBSCRIBE_EXPIRES, Watch, type WatchOptions } from './watch';

export interface UaOptions {
  /** the public identity, e.g. sip:user1_public1@home1.net */
  identity: string;
  displayName?: string;
  /** where every request goes (the presence server, or an S-CSCF stand-in) */
  proxy: Target;
  /** where the UA listens (default UDP and TCP on 127.0.0.1, free ports) */
  transports?: { protocol: Protocol; host: string; port: number }[];
  /** add P-Asserted-Identity (default true), see above */
  assertIdentity?: boolean;
  /** the clock of the transactions and of the refreshes (a ManualClock in tests) */
  clock?: Clock;
  tracer?: Tracer;
  /** trace names of this UA (default 'ue') and of the proxy (default 'ps') */
  name?: string;
  proxyName?: string;
}

type Answer = [status: number, reason: string, headers: ExtraHeaders];

export class Ua {
  readonly identity: string;
  readonly publications = new Set<Publication>();
  readonly watches = new Set<Watch>();
  private readonly subscriber: Subscriber;
  private readonly clock: Clock;
  private readonly from: string;
  private readonly asserted: string | undefined;
  private readonly tupleId = `t${randomBytes(4).toString('hex')}`;
  /** replacements of the 200 the subscriber gives a NOTIFY, by request, while it is being handled */
  private readonly answers = new WeakMap<SipMessage, Answer>();
  private closed = false;

  private constructor(
    readonly endpoint: Endpoint,
    private readonly o: UaOptions,
    subscriberFor: (ua: Ua) => Subscriber,
  ) {
    this.identity = o.identity;
    this.clock = o.clock ?? systemClock;
    const display =
      o.displayName !== undefined ? `"${o.displayName.replace(/["\\]/g, (c) => `\\${c}`)}" ` : '';
    this.from = `${display}<${o.identity}>`;
    this.asserted = (o.assertIdentity ?? true) ? this.from : undefined;
    this.subscriber = subscriberFor(this);
  }

  static async create(o: UaOptions): Promise<Ua> {
    const uri = parseNameAddr(`<${o.identity}>`).parsed;
    if (uri.scheme !== 'sip' && uri.scheme !== 'sips')
      throw new TypeError(`the identity ${o.identity} is not a SIP URI`);
    const transports = o.transports ?? [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
    ];
    if (!transports.some((t) => t.protocol === o.proxy.protocol))
      throw new TypeError(`the proxy is ${o.proxy.protocol} and the UA has no ${o.proxy.protocol} transport`);
    const holder: { ua?: Ua } = {};
    const proxyName = o.proxyName ?? 'ps';
    const endpoint = await createEndpoint({
      transports,
      allow: ['NOTIFY'],
      // a list's NOTIFYs carry Require: eventlist (RFC 4662), which the endpoint would otherwise answer 420
      supported: ['eventlist'],
      onRequest: (req, tx) => holder.ua!.onRequest(req, tx),
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.tracer ? { tracer: o.tracer } : {}),
      iface: 'Gm',
      name: o.name ?? 'ue',
      peerName: (p) => (p.host === o.proxy.host && p.port === o.proxy.port ? proxyName : 'peer'),
    });
    const ua = new Ua(endpoint, o, () => createSubscriber({ endpoint }));
    holder.ua = ua;
    return ua;
  }

  /** The bound addresses (the Contacts of the subscriptions). */
  get addresses(): readonly Target[] {
    return this.endpoint.addresses;
  }

  /** An initial PUBLISH of a PIDF document, or of a one-tuple document built from a status. */
  async publish(body: PublishBody, options: PublishOptions = {}): Promise<Publication> {
    this.open();
    const p = await Publication.publish(
      {
        endpoint: this.endpoint,
        proxy: this.o.proxy,
        identity: this.identity,
        from: this.from,
        ...(this.asserted !== undefined ? { asserted: this.asserted } : {}),
        clock: this.clock,
        tupleId: this.tupleId,
        removed: (p) => this.publications.delete(p),
      },
      body,
      options,
    );
    if (p.state === 'active') this.publications.add(p);
    return p;
  }

  /**
   * SUBSCRIBE `uri`; resolves with the watch on the 2xx (a 423 retried once with Min-Expires), rejects with
   * sip-core's SubscribeError on another final response.
   */
  async subscribe(uri: string, options: WatchOptions = {}): Promise<Watch> {
    this.open();
    const event = options.event ?? 'presence';
    const list = options.list ?? false;
    if (list && event !== 'presence') throw new TypeError('event lists are subscribed for presence only');
    const agent = this.endpoint.addresses[0]!;
    const watch = new Watch(uri, event, list, options, {
      clock: this.clock,
      t1: this.endpoint.timers.t1,
      agent: `${agent.host.includes(':') ? `[${agent.host}]` : agent.host}:${agent.port}`,
      answer: (req, status, reason, headers) => this.answers.set(req, [status, reason, headers]),
    });
    const headers: (readonly [string, string])[] = [];
    if (this.asserted !== undefined) headers.push(['P-Asserted-Identity', this.asserted]);
    if (list) headers.push(['Supported', 'eventlist']);
    headers.push(...(options.headers ?? []));
    let expires = options.expires ?? DEFAULT_SUBSCRIBE_EXPIRES;
    let sub: ClientSubscription;
    for (let retried = false; ; retried = true) {
      try {
        sub = await this.subscriber.subscribe({
          target: this.o.proxy,
          uri,
          from: this.from,
          event,
          expires,
          accept: watch.accept,
          headers,
          onNotify: (n, s) => watch.onNotify(n, s),
        });
        break;
      } catch (e) {
        const min =
          e instanceof SubscribeError && e.response.status === 423 && Number(e.response.get('Min-Expires'));
        if (retried || !min || !Number.isSafeInteger(min) || min <= expires) throw e;
        expires = min;
      }
    }
    watch.attach(sub, expires);
    this.watches.add(watch);
    void watch.ended.then(() => this.watches.delete(watch));
    return watch;
  }

  /**
   * Stops every refresh and closes the endpoint. With `clean`, first unsubscribes each live watch and
   * removes each live publication, then waits for the watches' final NOTIFYs (a final NOTIFY sent to a
   * closed port is resent to it until the notifier gives up); all of that for at most 4*T1, so that a peer
   * that has gone does not hold the close for a whole Timer F.
   */
  async close(o: { clean?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    if (o.clean) {
      const watches = [...this.watches];
      const farewell = (async () => {
        await Promise.allSettled([
          ...watches.map((w) => w.sendUnsubscribe()),
          ...[...this.publications].map((p) => p.remove()),
        ]);
        await Promise.allSettled(watches.map((w) => w.ended));
      })();
      let timer: unknown;
      await Promise.race([
        farewell,
        new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, 4 * this.endpoint.timers.t1))),
      ]);
      this.clock.clearTimeout(timer);
    }
    this.closed = true;
    for (const p of this.publications) p.stop();
    for (const w of this.watches) w.stop();
    await this.endpoint.close();
  }

  private open(): void {
    if (this.closed) throw new Error('the UA is closed');
  }

  /**
   * NOTIFY: the subscriber's checks and dialog handling run with the response held back, so that a watch
   * that cannot take the body answers 400/415 (or 481 once it ended) in place of the subscriber's 200.
   */
  private onRequest(req: SipMessage, tx: ServerTransactionHandle): void {
    let held: Answer | undefined;
    let body: Buffer | string | undefined;
    const handle: ServerTransactionHandle = {
      request: tx.request,
      source: tx.source,
      tag: tx.tag,
      ...(tx.connection ? { connection: tx.connection } : {}),
      respond(status, reason, headers, b) {
        held ??= [status, reason, headers ?? []];
        body = b;
        return undefined;
      },
    };
    if (!this.subscriber.handle(req, handle)) {
      tx.respond(405, 'Method Not Allowed', [['Allow', 'NOTIFY, CANCEL']]);
      return;
    }
    const replaced = this.answers.get(req);
    if (held && held[0] === 200 && replaced) tx.respond(...replaced);
    else if (held) tx.respond(held[0], held[1], held[2], body);
  }
}

export function createUa(o: UaOptions): Promise<Ua> {
  return Ua.create(o);
}
