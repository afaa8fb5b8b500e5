/**
 * The subscriber side of RFC 6665 (section 4.1): `subscribe()` sends a SUBSCRIBE and resolves with the
 * subscription once its 2xx came (the dialog made from the 2xx, or from a NOTIFY that came first: 4.1.2.4);
 * NOTIFYs are answered 200 and handed to `onNotify` (481 when they match no subscription, 500 for a CSeq
 * lower than the last, 489 for another event, 400 without Subscription-State); a NOTIFY `terminated` ends
 * the subscription. `refresh()` and `unsubscribe()` send SUBSCRIBEs in the dialog. No automatic refresh:
 * the owner refreshes before `expires` runs out.
 */
import type { Endpoint, ServerTransactionHandle } from '../endpoint';
import { createRequest } from '../endpoint';
import type { SipMessage } from '../message';
import type { ExtraHeaders } from '../transaction/response';
import type { Protocol, Target } from '../transport/types';
import { Dialog, DialogTable, tagParam } from './dialog';
import { formatEvent, parseEvent, parseSubscriptionState, type EventValue } from './event';

export interface Notification {
  request: SipMessage;
  state: string;
  expires?: number;
  reason?: string;
  retryAfter?: number;
  contentType?: string;
  body: Buffer;
}

export interface SubscribeOptions {
  /** where the SUBSCRIBE goes (a proxy, or the notifier) */
  target: Target;
  /** the Request-URI (the resource) */
  uri: string;
  /** From (a tag is added) */
  from: string;
  /** To (default `<uri>`) */
  to?: string;
  event: string | EventValue;
  expires: number;
  accept?: string[];
  headers?: ExtraHeaders;
  onNotify?(n: Notification, sub: ClientSubscription): void;
}

export class SubscribeError extends Error {
  override name = 'SubscribeError';
  constructor(readonly response: SipMessage) {
    super(`SUBSCRIBE failed: ${response.status} ${response.reason}`);
  }
}

export class ClientSubscription {
  /** set once the 2xx or the first NOTIFY came */
  dialog: Dialog | undefined;
  state: string = 'init';
  /** the expiration the last 2xx granted (seconds) */
  expires: number | undefined;
  reason: string | undefined;
  /** the 2xx to the initial SUBSCRIBE */
  response: SipMessage | undefined;
  readonly notifications: Notification[] = [];
  readonly terminated: Promise<Notification | undefined>;
  resolveTerminated!: (n: Notification | undefined) => void;

  constructor(
    private readonly owner: Subscriber,
    readonly request: SipMessage,
    readonly event: EventValue,
    readonly options: SubscribeOptions,
  ) {
    this.terminated = new Promise((resolve) => (this.resolveTerminated = resolve));
  }

  /** A SUBSCRIBE in the dialog with this Expires (default: the one first asked for); resolves with its response. */
  refresh(expires = this.options.expires): Promise<SipMessage> {
    return this.owner.resubscribe(this, expires);
  }

  /** A SUBSCRIBE with Expires 0; the notifier's final NOTIFY then ends the subscription. */
  unsubscribe(): Promise<SipMessage> {
    return this.owner.resubscribe(this, 0);
  }
}

export interface SubscriberOptions {
  endpoint: Endpoint;
  /** our Contact by transport (default: that transport's address) */
  contact?: (protocol: Protocol) => string;
}

export class Subscriber {
  private readonly dialogs = new DialogTable();
  private readonly byDialog = new Map<string, ClientSubscription>();
  /** subscriptions waiting for their 2xx, by Call-ID and From tag (a NOTIFY may come first) */
  private readonly early = new Map<string, ClientSubscription>();

  constructor(private readonly o: SubscriberOptions) {}

  private contact(protocol: Protocol): string {
    if (this.o.contact) return this.o.contact(protocol);
    const a = this.o.endpoint.addresses.find((x) => x.protocol === protocol) ?? this.o.endpoint.addresses[0]!;
    const host = a.host.includes(':') ? `[${a.host}]` : a.host;
    return `<sip:${host}:${a.port};transport=${protocol}>`;
  }

  private headers(sub: ClientSubscription, expires: number, protocol: Protocol): ExtraHeaders {
    return [
      ['Event', formatEvent(sub.event)],
      ['Expires', String(expires)],
      ['Contact', this.contact(protocol)],
      ...(sub.options.accept ? [['Accept', sub.options.accept.join(', ')] as const] : []),
    ];
  }

  async subscribe(o: SubscribeOptions): Promise<ClientSubscription> {
    const event = typeof o.event === 'string' ? { type: o.event } : o.event;
    const base = createRequest({ method: 'SUBSCRIBE', uri: o.uri, from: o.from, to: o.to ?? `<${o.uri}>` });
    const sub = new ClientSubscription(this, base, event, o);
    for (const [name, value] of [...this.headers(sub, o.expires, o.target.protocol), ...(o.headers ?? [])])
      base.headers.splice(base.headers.length - 1, 0, { name, value });
    const earlyKey = `${base.get('Call-ID')}\u0000${tagParam(base.get('From'))}`;
    this.early.set(earlyKey, sub);
    let res: SipMessage;
    try {
      res = await this.o.endpoint.request(base, o.target);
    } finally {
      this.early.delete(earlyKey);
    }
    if (res.status! < 200 || res.status! >= 300) {
      if (sub.dialog) this.drop(sub, undefined);
      throw new SubscribeError(res);
    }
    sub.expires = Number(res.get('Expires') ?? o.expires);
    sub.response = res;
    if (!sub.dialog) {
      const d = Dialog.fromResponse(base, res, o.target.protocol);
      sub.dialog = d;
      if (sub.state === 'init') sub.state = 'pending';
      this.dialogs.add(d);
      this.byDialog.set(d.key, sub);
    } else if (sub.state !== 'terminated') sub.dialog.refreshTarget(res);
    return sub;
  }

  /** @internal */
  async resubscribe(sub: ClientSubscription, expires: number): Promise<SipMessage> {
    const d = sub.dialog;
    if (!d || sub.state === 'terminated') throw new Error('the subscription is over');
    const target = d.destination();
    // the caller's headers again (P-Asserted-Identity, Supported: eventlist, Privacy): each SUBSCRIBE stands alone
    const req = d.createRequest('SUBSCRIBE', [
      ...this.headers(sub, expires, target.protocol),
      ...(sub.options.headers ?? []),
    ]);
    const res = await this.o.endpoint.request(req, target);
    if (res.status! >= 200 && res.status! < 300) {
      sub.expires = Number(res.get('Expires') ?? expires);
      d.refreshTarget(res);
    } else if (res.status === 481 || res.status === 408) this.drop(sub, undefined);
    return res;
  }

  /** Takes a NOTIFY (returns true; answered here), leaves other requests to the caller (false). */
  handle(req: SipMessage, tx: ServerTransactionHandle): boolean {
    if (req.method !== 'NOTIFY') return false;
    const found = this.dialogs.forRequest(req);
    let sub = found && this.byDialog.get(found.key);
    let dialog = found;
    if (!sub) {
      sub = this.early.get(`${req.get('Call-ID')}\u0000${tagParam(req.get('To'))}`);
      if (!sub || sub.dialog || req.getAll('Contact').length === 0) {
        tx.respond(481, 'Call/Transaction Does Not Exist');
        return true;
      }
    }
    const event = parseEvent(req.get('Event'));
    if (!event || event.type !== sub.event.type || event.id !== sub.event.id) {
      tx.respond(489, 'Bad Event');
      return true;
    }
    const ss = req.get('Subscription-State');
    if (ss === undefined) {
      tx.respond(400, 'Missing Subscription-State');
      return true;
    }
    let parsed;
    try {
      parsed = parseSubscriptionState(ss);
    } catch {
      tx.respond(400, 'Bad Subscription-State');
      return true;
    }
    if (!dialog) {
      // RFC 6665 4.1.2.4: the NOTIFY came before the 2xx and creates the dialog
      dialog = Dialog.fromNotify(sub.request, req, tx.source.protocol);
      sub.dialog = dialog;
      this.dialogs.add(dialog);
      this.byDialog.set(dialog.key, sub);
    } else {
      const seq = dialog.checkRemoteSeq(req);
      if (!seq.ok) {
        tx.respond(seq.status, seq.reason);
        return true;
      }
      dialog.refreshTarget(req);
    }
    tx.respond(200, 'OK');
    const ct = req.get('Content-Type');
    const n: Notification = {
      request: req,
      ...parsed,
      ...(ct !== undefined ? { contentType: ct } : {}),
      body: req.body,
    };
    sub.state = parsed.state;
    sub.notifications.push(n);
    sub.options.onNotify?.(n, sub);
    if (parsed.state === 'terminated') this.drop(sub, n);
    return true;
  }

  private drop(sub: ClientSubscription, n: Notification | undefined): void {
    sub.state = 'terminated';
    sub.reason = n?.reason;
    if (sub.dialog) {
      this.dialogs.delete(sub.dialog.id);
      this.byDialog.delete(sub.dialog.key);
    }
    sub.resolveTerminated(n);
  }
}

export function createSubscriber(o: SubscriberOptions): Subscriber {
  return new Subscriber(o);
}
