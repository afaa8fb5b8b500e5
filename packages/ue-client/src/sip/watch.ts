/**
 * One subscription of the UA (RFC 6665 section 4.1, subscriber side) with the state its NOTIFYs carried:
 * the presentity's PIDF for `presence` (RFC 3856), the merged watcher list for `presence.winfo` (RFC 3857;
 * RFC 3858 section 4 by the presence server's `applyWatcherinfo`), the merged list for an event list
 * (RFC 4662, see ./list-view). sip-core's ClientSubscription keeps the dialog (NOTIFY before the 200,
 * CSeq order, refresh, unsubscribe); this adds the typed views, the updates as events and as a queue that
 * `next()` reads, the lost-notification refresh, an optional automatic refresh, and the answer to a NOTIFY
 * whose body cannot be taken.
 *
 * Such a NOTIFY is answered 400 (415 for a type not accepted) rather than 200: RFC 6665 4.1.3 has the
 * subscriber answer 200 once the notification is "deemed acceptable", and this one is not. A non-2xx
 * without Retry-After makes the notifier remove the subscription (RFC 6665 4.2.2), so the watch ends here
 * too, with the error: both ends then agree there is no subscription, where a 200 would leave a watch
 * showing a state it never received. A later NOTIFY of that dialog gets 481.
 *
 * Not here: several subscriptions in one dialog (`id`, sip-core has none either), forked NOTIFYs, the
 * RFC 6665 `retry-after` acted upon (it is reported, the caller decides), list subscriptions to event
 * packages other than presence.
 */
import { EventEmitter } from 'node:events';
import { applyWatcherinfo, type WatcherinfoDocument } from '@ut-testbed/presence-server';
import {
  SubscribeError,
  type ClientSubscription,
  type Clock,
  type ExtraHeaders,
  type Notification,
  type SipMessage,
} from '@ut-testbed/sip-core';
import { NotifyBodyError, WatchEndedError } from './errors';
import { applyList, type ListView } from './list-view';
import { ACCEPT, decodeNotifyBody, type NotifyBody, type WatchKind } from './notify-bodies';
import type { PresenceState } from './pidf';
import { refreshDelayMs, RefreshTimer } from './refresh';

export const DEFAULT_SUBSCRIBE_EXPIRES = 3600;
/** updates kept for `next()` when nobody reads them; the oldest are dropped beyond */
export const MAX_BUFFERED_UPDATES = 1000;

export type WatchEventPackage = 'presence' | 'presence.winfo';

export interface WatchOptions {
  /** default presence */
  event?: WatchEventPackage;
  /** an event list (RFC 4662): `Supported: eventlist` and the list types in Accept; presence only */
  list?: boolean;
  /** seconds asked for (default 3600) */
  expires?: number;
  /** refresh on the clock before the subscription runs out (default false) */
  autoRefresh?: boolean;
  /** more header fields for the initial SUBSCRIBE (e.g. `Privacy: id`) */
  headers?: ExtraHeaders;
}

/** init: no NOTIFY yet (the state comes with the NOTIFYs, not with the 200); else their Subscription-State */
export type WatchState = 'init' | 'pending' | 'active' | 'terminated';

export interface WatchUpdate {
  state: WatchState;
  /** Subscription-State reason (a terminated NOTIFY), e.g. rejected, deactivated, timeout, noresource */
  reason?: string;
  retryAfter?: number;
  /** Subscription-State expires */
  expires?: number;
  /** the NOTIFY; absent when the watch ended here (close, a refresh answered 481/408, no final NOTIFY) */
  notification?: Notification;
  /** the views after this NOTIFY */
  presence?: PresenceState;
  watcherinfo?: WatcherinfoDocument;
  list?: ListView;
  /** list: the resources this NOTIFY carried, when it was applied */
  changed?: string[];
  /** notifications were lost (a version gap): the view is unchanged, a refresh asks for full state */
  resync?: boolean;
  /** why the watch ended here: the NOTIFY's body (NotifyBodyError), a failed refresh (SubscribeError) */
  error?: Error;
}

/** What a watch needs of its UA. */
export interface WatchContext {
  clock: Clock;
  t1: number;
  /** the warn-agent of a Warning header (host:port) */
  agent: string;
  /** replaces the 200 that the subscriber is about to send for this NOTIFY */
  answer(notify: SipMessage, status: number, reason: string, headers: ExtraHeaders): void;
}

const STATES: readonly string[] = ['pending', 'active', 'terminated'];

export class Watch extends EventEmitter<{
  update: [update: WatchUpdate];
  /** a NOTIFY that could not be taken, or an automatic refresh that failed */
  error: [error: Error];
  terminated: [update: WatchUpdate];
}> {
  readonly kind: WatchKind;
  state: WatchState = 'init';
  reason: string | undefined;
  retryAfter: number | undefined;
  /** the interval last granted, by a 2xx or a NOTIFY's Subscription-State (seconds) */
  expires: number | undefined;
  /** when that runs out, on the UA's clock (ms) */
  expiresAt: number | undefined;
  presence: PresenceState | undefined;
  watcherinfo: WatcherinfoDocument | undefined;
  list: ListView | undefined;
  /** the last error (see the 'error' event) */
  error: Error | undefined;
  /** sip-core's subscription: the dialog, the NOTIFYs as received */
  subscription: ClientSubscription | undefined;
  /** resolves with the last update once the watch is terminated */
  readonly ended: Promise<WatchUpdate>;

  private resolveEnded!: (u: WatchUpdate) => void;
  private done = false;
  private resyncing = false;
  private readonly buffered: WatchUpdate[] = [];
  private readonly waiting: { resolve: (u: WatchUpdate) => void; reject: (e: Error) => void }[] = [];
  private readonly timer: RefreshTimer;
  private requested: number;

  constructor(
    readonly uri: string,
    readonly event: WatchEventPackage,
    isList: boolean,
    private readonly options: WatchOptions,
    private readonly ctx: WatchContext,
  ) {
    super();
    this.kind = isList ? 'list' : event === 'presence.winfo' ? 'winfo' : 'presence';
    this.requested = options.expires ?? DEFAULT_SUBSCRIBE_EXPIRES;
    this.timer = new RefreshTimer(ctx.clock);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get accept(): string[] {
    return [...ACCEPT[this.kind]];
  }

  /** The next update not yet read (in NOTIFY order); rejects with WatchEndedError once none will come. */
  next(): Promise<WatchUpdate> {
    const u = this.buffered.shift();
    if (u) return Promise.resolve(u);
    if (this.done) return Promise.reject(new WatchEndedError(`the watch of ${this.uri} is terminated`));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WatchUpdate, void, undefined> {
    for (;;) {
      if (this.done && this.buffered.length === 0) return;
      yield await this.next();
    }
  }

  /** A SUBSCRIBE in the dialog (default: the interval asked for last); the notifier answers with full state. */
  async refresh(expires = this.requested): Promise<void> {
    const sub = this.live();
    let asked = expires;
    let res = await sub.refresh(asked);
    if (res.status === 423) {
      const min = Number(res.get('Min-Expires'));
      if (Number.isSafeInteger(min) && min > asked) res = await sub.refresh((asked = min));
    }
    const status = res.status!;
    if (status >= 200 && status < 300) {
      this.requested = asked;
      this.granted(sub.expires ?? asked);
      return;
    }
    const error = new SubscribeError(res);
    // sip-core ends the subscription on 481 and 408: there is none at the notifier any more
    if (sub.state === 'terminated' && !this.done) this.finish({ state: 'terminated', error });
    throw error;
  }

  /** SUBSCRIBE with Expires 0, then the final NOTIFY (waited for up to 64*T1, as it may be lost on UDP). */
  async unsubscribe(): Promise<WatchUpdate> {
    if (this.done) return this.ended;
    const res = await this.sendUnsubscribe();
    if (!this.done) {
      const status = res.status!;
      if (status < 200 || status >= 300) {
        if (this.subscription?.state === 'terminated') this.finish({ state: 'terminated' });
        else throw new SubscribeError(res);
      } else {
        const t = this.ctx.clock.setTimeout(() => this.finish({ state: 'terminated' }), 64 * this.ctx.t1);
        void this.ended.then(() => this.ctx.clock.clearTimeout(t));
      }
    }
    return this.ended;
  }

  /** @internal the unsubscribe alone (the UA closing does not wait for final NOTIFYs) */
  sendUnsubscribe(): Promise<SipMessage> {
    this.timer.cancel();
    return this.live().unsubscribe();
  }

  /** @internal ends the watch without a word on the wire (the UA closing) */
  stop(): void {
    if (!this.done) this.finish({ state: 'terminated' });
  }

  /** @internal the 2xx to the initial SUBSCRIBE came */
  attach(sub: ClientSubscription, asked: number): void {
    this.subscription = sub;
    this.requested = asked;
    if (!this.done) this.granted(sub.expires ?? asked);
  }

  /** @internal sip-core's onNotify: the NOTIFY passed its checks and a 200 is about to be sent */
  onNotify(n: Notification, sub: ClientSubscription): void {
    this.subscription ??= sub;
    if (this.done) {
      this.ctx.answer(n.request, 481, 'Call/Transaction Does Not Exist', []);
      return;
    }
    let body: NotifyBody;
    try {
      body = decodeNotifyBody(this.kind, n.contentType, n.body);
    } catch (e) {
      const error = e instanceof NotifyBodyError ? e : new NotifyBodyError(400, String(e), { cause: e });
      const phrase = error.message.replace(/["\\]/g, "'").slice(0, 200);
      this.ctx.answer(
        n.request,
        error.status,
        error.status === 415 ? 'Unsupported Media Type' : 'Bad Request',
        error.status === 415
          ? [['Accept', this.accept.join(', ')]]
          : [['Warning', `399 ${this.ctx.agent} "${phrase}"`]],
      );
      this.fail(error);
      this.finish({ state: 'terminated', notification: n, error });
      return;
    }
    const update: WatchUpdate = {
      state: (STATES.includes(n.state) ? n.state : this.state) as WatchState,
      notification: n,
    };
    if (n.reason !== undefined) update.reason = n.reason;
    if (n.retryAfter !== undefined) update.retryAfter = n.retryAfter;
    if (n.expires !== undefined) update.expires = n.expires;
    this.apply(body, update);
    this.state = update.state;
    this.reason = n.reason;
    this.retryAfter = n.retryAfter;
    if (update.state === 'terminated') {
      this.finish(update);
      return;
    }
    // RFC 6665 4.1.3: the NOTIFY's expires is the subscription's current duration
    if (n.expires !== undefined) this.granted(n.expires);
    this.deliver(update);
    if (update.resync) this.resync();
  }

  private apply(body: NotifyBody, update: WatchUpdate): void {
    if (body.type === 'presence') this.presence = body.presence;
    else if (body.type === 'winfo') {
      const next = applyWatcherinfo(this.watcherinfo, body.watcherinfo);
      if (next === 'resync') update.resync = true;
      else this.watcherinfo = next;
    } else if (body.type === 'list') {
      const next = applyList(this.list, body.list, body.parts);
      if (next === 'resync') update.resync = true;
      else if (next !== this.list) {
        this.list = next;
        update.changed = body.list.resources.map((r) => r.uri);
      }
    }
    if (this.presence) update.presence = this.presence;
    if (this.watcherinfo) update.watcherinfo = this.watcherinfo;
    if (this.list) update.list = this.list;
  }

  /** A refresh for full state after lost notifications; one at a time, after the 200 to this NOTIFY. */
  private resync(): void {
    if (this.resyncing) return;
    this.resyncing = true;
    queueMicrotask(() => {
      this.refresh()
        .catch((e: unknown) => this.fail(e))
        .finally(() => (this.resyncing = false));
    });
  }

  private granted(seconds: number): void {
    this.expires = seconds;
    this.expiresAt = this.ctx.clock.now() + seconds * 1000;
    if (this.options.autoRefresh && seconds > 0 && !this.done)
      this.timer.schedule(refreshDelayMs(seconds, this.ctx.t1), () => {
        this.refresh().catch((e: unknown) => this.fail(e));
      });
  }

  private live(): ClientSubscription {
    const sub = this.subscription;
    if (this.done || !sub)
      throw new Error(`the watch of ${this.uri} is ${this.done ? 'terminated' : 'not set up'}`);
    return sub;
  }

  private fail(e: unknown): void {
    this.error = e instanceof Error ? e : new Error(String(e));
    // an 'error' event nobody listens to would throw: the error is kept in `error` either way
    if (this.listenerCount('error') > 0) this.emit('error', this.error);
  }

  private deliver(u: WatchUpdate): void {
    const w = this.waiting.shift();
    if (w) w.resolve(u);
    else {
      this.buffered.push(u);
      if (this.buffered.length > MAX_BUFFERED_UPDATES) this.buffered.shift();
    }
    this.emit('update', u);
  }

  private finish(u: WatchUpdate): void {
    if (this.done) return;
    this.state = 'terminated';
    this.reason = u.reason;
    this.retryAfter = u.retryAfter;
    this.timer.cancel();
    if (u.error) this.error = u.error;
    if (this.presence) u.presence ??= this.presence;
    if (this.watcherinfo) u.watcherinfo ??= this.watcherinfo;
    if (this.list) u.list ??= this.list;
    this.deliver(u);
    this.done = true;
    for (const w of this.waiting.splice(0))
      w.reject(new WatchEndedError(`the watch of ${this.uri} is terminated`));
    this.resolveEnded(u);
    this.emit('terminated', u);
  }
}
