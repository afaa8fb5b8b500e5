/**
 * The notifier side of RFC 6665 (section 4.2) on top of an endpoint: event packages, SUBSCRIBE handling
 * (initial, refresh, unsubscribe, fetch), the subscription timer on the injectable clock, and NOTIFYs sent
 * one at a time per subscription (each waits for the previous one's final response), CSeq increasing.
 *
 * SUBSCRIBE outside a dialog: no or unknown Event → 489 + Allow-Events; an Accept that covers none of the
 * package's types → 406 + Accept; no Contact → 400; 0 < Expires < minExpires → 423 + Min-Expires; above
 * maxExpires → lowered; no Expires → defaultExpires. The package decides (`accept`, `pending`, or a
 * rejection status); accepted or pending: 200 (RFC 6665 dropped 202) with Expires = the granted value,
 * Contact and the Record-Route copied (RFC 3261 12.1.1), then at once a NOTIFY `active;expires=N` (with the
 * package's state) or `pending;expires=N` (no body). Expires 0 on an initial SUBSCRIBE is a fetch: 200
 * `Expires: 0` and one NOTIFY `terminated;reason=timeout` with the state.
 *
 * SUBSCRIBE in a dialog: an unknown dialog, or no subscription of that event in it → 481; a CSeq lower than
 * the last → 500 (RFC 3261 12.2.2); a refresh resets the timer and gets 200 + a NOTIFY with the current
 * state; Expires 0 (unsubscribe, RFC 6665 4.2.1.4 "Unsubscribing") gets 200 `Expires: 0` and a final
 * NOTIFY `terminated` with the state and no reason: RFC 6665 4.1.3 defines `timeout` as "not refreshed
 * before it expired", which an unsubscribe is not, and lets the reason be absent (Kamailio sends
 * `reason=timeout` here; the subscriber side accepts both). Expiry on the clock → `terminated;reason=timeout`.
 *
 * A NOTIFY that fails (see NOTIFY_POLICY): 481, 408 (Timer F, built locally) and every other final
 * response but the retryable ones end the subscription at once, without another NOTIFY (the subscriber is
 * gone or refuses them; RFC 6665 4.2.2); 500, 503 (also the 503 built locally for a transport error) and
 * 504 keep it, and the current state is sent again after Retry-After (else `retryMs`), up to `maxRetries`
 * times in a row, unless a newer NOTIFY was sent or queued meanwhile; one more failure ends it too. A final NOTIFY that fails
 * changes nothing (the subscription is already over).
 */
import type { Endpoint, ServerTransactionHandle } from '../endpoint';
import type { SipMessage } from '../message';
import { systemClock, type Clock } from '../transaction/clock';
import type { ExtraHeaders } from '../transaction/response';
import type { Protocol, Target } from '../transport/types';
import { Dialog, DialogTable, requestDialogId, tagParam } from './dialog';
import { acceptable, formatEvent, parseEvent, type EventValue } from './event';

export type TerminationReason =
  'deactivated' | 'probation' | 'rejected' | 'timeout' | 'giveup' | 'noresource' | 'invariant';

/**
 * accept (active), pending, a rejection with a status, or `{ terminate }`: 200, then at once one NOTIFY
 * `terminated;reason=...` without a body (RFC 5025 3.2.1 block: terminated;reason=rejected, which tells the
 * watcher no more than a 200 does about whether the presentity exists).
 */
export type SubscribeDecision =
  | 'accept'
  | 'pending'
  | { reject: number; reason?: string; headers?: ExtraHeaders }
  | { terminate: TerminationReason };

export interface NotifyContent {
  contentType: string;
  body: Buffer | string;
}

export interface EventPackage {
  /** the body types this package's NOTIFYs carry (a SUBSCRIBE whose Accept covers none: 406) */
  accept: string[];
  /** seconds (defaults 60, 3600, 3600) */
  minExpires?: number;
  maxExpires?: number;
  defaultExpires?: number;
  /** an initial SUBSCRIBE (not refreshes): accept, keep pending, or reject with a status */
  onSubscribe(
    sub: Subscription,
    req: SipMessage,
    source: Target,
  ): SubscribeDecision | Promise<SubscribeDecision>;
  /**
   * The body of a NOTIFY for an active subscription (undefined: no body), read when the NOTIFY is sent (the
   * final one: when the subscription ends). `cause` lets a package with partial state (RFC 3857, RFC 4662)
   * send full state where it must: on the first NOTIFY with state, on a refresh, after a failed NOTIFY.
   */
  state(sub: Subscription, cause: NotifyCause): NotifyContent | undefined;
  /** the subscription exists: its 200 was sent (called before its first NOTIFY is queued) */
  onCreated?(sub: Subscription): void;
  /** a refresh was accepted (expiresAt is the new expiry) */
  onRefreshed?(sub: Subscription): void;
  /** headers of the 200s to SUBSCRIBEs and of every NOTIFY (e.g. `Require: eventlist`, RFC 4662 5.2) */
  headers?(sub: Subscription): ExtraHeaders;
  /** the subscription ended (after the final NOTIFY was queued, or without one when a NOTIFY failed) */
  onTerminated?(sub: Subscription, why: Termination): void;
}

/**
 * Why a NOTIFY is sent: `initial` the first one after the 200, or the first after pending → active;
 * `refresh` a SUBSCRIBE refresh; `update` notify() for a change; `retry` again after a failed NOTIFY; `final`
 * the terminated one.
 */
export type NotifyCause = 'initial' | 'refresh' | 'update' | 'retry' | 'final';

export interface Termination {
  by: 'expired' | 'unsubscribed' | 'fetched' | 'owner' | 'notify-failed';
  reason?: TerminationReason;
  /** the failed NOTIFY's response, for `notify-failed` */
  response?: SipMessage;
}

export interface Subscription {
  readonly event: EventValue;
  readonly dialog: Dialog;
  /** the initial SUBSCRIBE */
  readonly request: SipMessage;
  /** its Request-URI */
  readonly resource: string;
  readonly state: 'pending' | 'active' | 'terminated';
  /** when it expires, on the notifier's clock (ms) */
  readonly expiresAt: number;
  /** set when terminated */
  readonly termination?: Termination;
}

/** What happens to a subscription when one of its (non-final) NOTIFYs gets this final response. */
export function NOTIFY_POLICY(status: number): 'ok' | 'retry' | 'terminate' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 500 || status === 503 || status === 504) return 'retry';
  return 'terminate'; // 481, 408 and any other 3xx-6xx (404, 410, 480, 489, 501, 603 ...)
}

export interface NotifierOptions {
  endpoint: Endpoint;
  clock?: Clock;
  /** our Contact for the dialogs, by the transport the SUBSCRIBE came over (default: that transport's address) */
  contact?: (protocol: Protocol) => string;
  /** wait before resending after a retryable failure without Retry-After (default 5000 ms) */
  retryMs?: number;
  /** retries in a row before the subscription ends (default 2) */
  maxRetries?: number;
  onError?(error: unknown): void;
}

class Sub implements Subscription {
  state: 'pending' | 'active' | 'terminated' = 'pending';
  expiresAt = 0;
  termination?: Termination;
  timer: unknown;
  chain: Promise<unknown> = Promise.resolve();
  queued = 0;
  finalSent = false;
  retries = 0;
  /** NOTIFYs sent so far */
  sent = 0;
  retryTimer: unknown;
  constructor(
    readonly event: EventValue,
    readonly dialog: Dialog,
    readonly request: SipMessage,
    readonly pkg: EventPackage,
  ) {}
  get resource(): string {
    return this.request.uri!;
  }
}

interface FinalNotify {
  reason?: TerminationReason;
  retryAfter?: number;
  body: boolean;
}

export class Notifier {
  private readonly packages = new Map<string, EventPackage>();
  private readonly dialogs = new DialogTable();
  private readonly subs = new Map<string, Sub>();
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly o: NotifierOptions) {
    this.clock = o.clock ?? systemClock;
  }

  addPackage(event: string, pkg: EventPackage): void {
    this.packages.set(event, pkg);
  }

  /** the live subscriptions */
  get subscriptions(): Subscription[] {
    return [...this.subs.values()];
  }

  /** Takes a SUBSCRIBE (returns true; answered here), leaves other requests to the caller (false). */
  handle(req: SipMessage, tx: ServerTransactionHandle): boolean {
    if (req.method !== 'SUBSCRIBE') return false;
    const work = tagParam(req.get('To')) === '' ? this.initial(req, tx) : this.inDialog(req, tx);
    work.catch((e: unknown) => {
      this.o.onError?.(e);
      tx.respond(500, 'Server Internal Error');
    });
    return true;
  }

  /** Sends a NOTIFY with the current state (after the ones queued); resolves with its response. */
  notify(sub: Subscription): Promise<SipMessage | undefined> {
    const s = sub as Sub;
    if (s.state === 'terminated') return Promise.resolve(undefined);
    return this.enqueue(s, 'update');
  }

  /** Resolves once no NOTIFY of this subscription is queued or waiting for its response. */
  async settled(sub: Subscription): Promise<void> {
    const s = sub as Sub;
    for (;;) {
      const c = s.chain;
      await c;
      if (s.chain === c) return;
    }
  }

  /** pending → active, and a NOTIFY with the state. */
  activate(sub: Subscription): Promise<SipMessage | undefined> {
    const s = sub as Sub;
    if (s.state === 'terminated') return Promise.resolve(undefined);
    s.state = 'active';
    return this.enqueue(s, 'initial');
  }

  /** Ends a subscription with a final NOTIFY `terminated;reason=...` (and `retry-after`). */
  terminate(
    sub: Subscription,
    reason: TerminationReason,
    retryAfter?: number,
  ): Promise<SipMessage | undefined> {
    const s = sub as Sub;
    if (s.state === 'terminated') return Promise.resolve(undefined);
    const wasActive = s.state === 'active';
    return this.end(
      s,
      { by: 'owner', reason },
      {
        reason,
        ...(retryAfter !== undefined ? { retryAfter } : {}),
        body: wasActive && reason === 'timeout',
      },
    );
  }

  /** Stops the timers; sends nothing. */
  close(): void {
    this.closed = true;
    for (const s of this.subs.values()) {
      this.clock.clearTimeout(s.timer);
      this.clock.clearTimeout(s.retryTimer);
    }
    this.subs.clear();
  }

  private allowEvents(): string {
    return [...this.packages.keys()].join(', ');
  }

  private contact(protocol: Protocol): string {
    if (this.o.contact) return this.o.contact(protocol);
    const a = this.o.endpoint.addresses.find((x) => x.protocol === protocol) ?? this.o.endpoint.addresses[0]!;
    const host = a.host.includes(':') ? `[${a.host}]` : a.host;
    return `<sip:${host}:${a.port};transport=${protocol}>`;
  }

  private expiresOf(req: SipMessage, pkg: EventPackage): { granted: number } | { tooBrief: number } {
    const min = pkg.minExpires ?? 60;
    const max = pkg.maxExpires ?? 3600;
    const v = req.get('Expires');
    const requested = v === undefined ? (pkg.defaultExpires ?? 3600) : Number(v);
    if (requested > 0 && requested < min) return { tooBrief: min };
    return { granted: Math.min(requested, max) };
  }

  private async initial(req: SipMessage, tx: ServerTransactionHandle): Promise<void> {
    const event = parseEvent(req.get('Event'));
    const pkg = event && this.packages.get(event.type);
    if (!event || !pkg) {
      tx.respond(489, 'Bad Event', [['Allow-Events', this.allowEvents()]]);
      return;
    }
    const accept = req.getAll('Accept');
    if (accept.length > 0 && !acceptable(accept, pkg.accept)) {
      tx.respond(406, 'Not Acceptable', [['Accept', pkg.accept.join(', ')]]);
      return;
    }
    if (req.getAll('Contact').length === 0) {
      tx.respond(400, 'Missing Contact');
      return;
    }
    const exp = this.expiresOf(req, pkg);
    if ('tooBrief' in exp) {
      tx.respond(423, 'Interval Too Brief', [['Min-Expires', String(exp.tooBrief)]]);
      return;
    }
    const dialog = Dialog.fromRequest(req, tx.tag, tx.source.protocol);
    dialog.flow = tx.connection;
    const sub = new Sub(event, dialog, req, pkg);
    sub.expiresAt = this.clock.now() + exp.granted * 1000;
    const decision = await pkg.onSubscribe(sub, req, tx.source);
    if (typeof decision === 'object' && 'reject' in decision) {
      tx.respond(decision.reject, decision.reason ?? 'Rejected', decision.headers);
      return;
    }
    if (this.closed) return;
    sub.state = decision === 'accept' ? 'active' : 'pending';
    const ok = tx.respond(200, 'OK', [
      ['Expires', String(exp.granted)],
      ['Contact', this.contact(tx.source.protocol)],
      ...req.getAll('Record-Route').map((r) => ['Record-Route', r] as const),
      ['Allow-Events', this.allowEvents()],
      ...(pkg.headers?.(sub) ?? []),
    ]);
    if (!ok) return; // the transaction ended while the package was deciding
    pkg.onCreated?.(sub);
    if (typeof decision === 'object') {
      void this.end(
        sub,
        { by: 'owner', reason: decision.terminate },
        { reason: decision.terminate, body: false },
      );
      return;
    }
    this.dialogs.add(dialog);
    this.subs.set(subKey(dialog, event), sub);
    if (exp.granted === 0) {
      void this.end(
        sub,
        { by: 'fetched', reason: 'timeout' },
        { reason: 'timeout', body: sub.state === 'active' },
      );
      return;
    }
    this.arm(sub, exp.granted);
    void this.enqueue(sub, 'initial');
  }

  private async inDialog(req: SipMessage, tx: ServerTransactionHandle): Promise<void> {
    const dialog = this.dialogs.get(requestDialogId(req));
    const event = parseEvent(req.get('Event'));
    const sub = dialog && event ? this.subs.get(subKey(dialog, event)) : undefined;
    if (!dialog || !sub) {
      tx.respond(481, 'Call/Transaction Does Not Exist');
      return;
    }
    const seq = dialog.checkRemoteSeq(req);
    if (!seq.ok) {
      tx.respond(seq.status, seq.reason);
      return;
    }
    dialog.refreshTarget(req);
    // the flow the refresh came on, or none (UDP): NOTIFYs follow the refreshed target, not an older connection
    dialog.flow = tx.connection;
    const exp = this.expiresOf(req, sub.pkg);
    if ('tooBrief' in exp) {
      tx.respond(423, 'Interval Too Brief', [['Min-Expires', String(exp.tooBrief)]]);
      return;
    }
    const headers: ExtraHeaders = [
      ['Expires', String(exp.granted)],
      ['Contact', this.contact(tx.source.protocol)],
      ...(sub.pkg.headers?.(sub) ?? []),
    ];
    tx.respond(200, 'OK', headers);
    if (exp.granted === 0) {
      void this.end(sub, { by: 'unsubscribed' }, { body: sub.state === 'active' });
      return;
    }
    this.arm(sub, exp.granted);
    sub.pkg.onRefreshed?.(sub);
    void this.enqueue(sub, 'refresh');
  }

  private arm(sub: Sub, seconds: number): void {
    this.clock.clearTimeout(sub.timer);
    sub.expiresAt = this.clock.now() + seconds * 1000;
    sub.timer = this.clock.setTimeout(() => {
      if (sub.state === 'terminated') return;
      const wasActive = sub.state === 'active';
      void this.end(sub, { by: 'expired', reason: 'timeout' }, { reason: 'timeout', body: wasActive });
    }, seconds * 1000);
  }

  /** Marks the subscription over, queues its final NOTIFY, tells the package. */
  private end(sub: Sub, why: Termination, final: FinalNotify): Promise<SipMessage | undefined> {
    this.forget(sub, why);
    const p = this.enqueue(sub, 'final', final);
    sub.pkg.onTerminated?.(sub, why);
    return p;
  }

  private forget(sub: Sub, why: Termination): void {
    // the state a final NOTIFY reports is taken now, before the state becomes terminated
    sub.state = 'terminated';
    sub.termination = why;
    this.clock.clearTimeout(sub.timer);
    this.clock.clearTimeout(sub.retryTimer);
    this.subs.delete(subKey(sub.dialog, sub.event));
    this.dialogs.delete(sub.dialog.id);
  }

  private enqueue(sub: Sub, cause: NotifyCause, final?: FinalNotify): Promise<SipMessage | undefined> {
    sub.queued++;
    // the body of a final NOTIFY is the state at the time of termination
    const finalBody = final?.body ? sub.pkg.state(sub, 'final') : undefined;
    const p = sub.chain.then(async () => {
      sub.queued--;
      return this.send(sub, cause, final, finalBody);
    });
    sub.chain = p.catch((e: unknown) => this.o.onError?.(e));
    return p;
  }

  private async send(
    sub: Sub,
    cause: NotifyCause,
    final: FinalNotify | undefined,
    finalBody: NotifyContent | undefined,
  ) {
    if (sub.finalSent || this.closed) return undefined;
    if (!final && sub.state === 'terminated') return undefined;
    let state: string;
    let content: NotifyContent | undefined;
    if (final) {
      sub.finalSent = true;
      state = 'terminated';
      if (final.reason) state += `;reason=${final.reason}`;
      if (final.retryAfter !== undefined) state += `;retry-after=${final.retryAfter}`;
      content = finalBody;
    } else {
      const remaining = Math.max(0, Math.ceil((sub.expiresAt - this.clock.now()) / 1000));
      state = `${sub.state};expires=${remaining}`;
      content = sub.state === 'active' ? sub.pkg.state(sub, cause) : undefined;
    }
    const headers: (readonly [string, string])[] = [
      ['Event', formatEvent(sub.event)],
      ['Subscription-State', state],
      ['Contact', this.contact(sub.dialog.protocol)],
      ...(sub.pkg.headers?.(sub) ?? []),
    ];
    if (content) headers.push(['Content-Type', content.contentType]);
    const req = sub.dialog.createRequest('NOTIFY', headers, content?.body);
    sub.sent++;
    const res = await this.o.endpoint.request(req, sub.dialog.destination());
    if (final) return res;
    const verdict = NOTIFY_POLICY(res.status!);
    if (verdict === 'ok') {
      sub.retries = 0;
      return res;
    }
    if (sub.state === 'terminated') return res; // ended meanwhile: its final NOTIFY is queued
    if (verdict === 'retry' && sub.retries < (this.o.maxRetries ?? 2)) {
      sub.retries++;
      const ra = /^(\d+)/.exec(res.get('Retry-After') ?? '');
      const wait = ra ? Number(ra[1]) * 1000 : (this.o.retryMs ?? 5000);
      const mark = sub.sent;
      sub.retryTimer = this.clock.setTimeout(() => {
        // not when a newer NOTIFY went or is queued: it carries the current state already
        if (!over(sub) && sub.sent === mark && sub.queued === 0) void this.enqueue(sub, 'retry');
      }, wait);
      return res;
    }
    const why: Termination = { by: 'notify-failed', response: res };
    this.forget(sub, why);
    sub.finalSent = true; // nothing more goes to a subscriber that refused or did not answer
    sub.pkg.onTerminated?.(sub, why);
    return res;
  }
}

/** read through a function: the state may change across an await */
function over(sub: Sub): boolean {
  return sub.state === 'terminated';
}

function subKey(d: Dialog, e: EventValue): string {
  return `${d.key}\u0000${e.type}\u0000${e.id ?? ''}`;
}

export function createNotifier(o: NotifierOptions): Notifier {
  return new Notifier(o);
}
