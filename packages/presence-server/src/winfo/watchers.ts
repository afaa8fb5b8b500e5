/**
 * The watchers of each presentity, per event package, as the watcher information template-package sees them:
 * the subscription state machine of RFC 3857 section 4.7.1 (states pending, active, waiting, terminated;
 * the events of the `event` attribute) applied per watcher subscription, and the RFC 3858 entries that
 * describe them. It sends nothing: every change is handed to `onChange`, from which the caller makes a
 * partial-state NOTIFY for each winfo subscription of that presentity (each with its own version counter);
 * `list` is the full state for the first NOTIFY and for refreshes.
 *
 * Not here: authorization (the caller decides pending or active and reports decisions through
 * `transition`), the expiry of watcher subscriptions (the caller's subscription timers report `timeout`),
 * the rate limiting of notifications (RFC 3857 section 4.10), SIP URI equivalence (watcher URIs are compared
 * as given, so the caller passes the canonical asserted identity).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '@ut-testbed/sip-core';
import type { WatcherEntry, WatcherEvent, WatcherStatus } from './document';

/** What a watcher that asked for privacy (Privacy: id, RFC 3323/3325) is shown as. */
export const ANONYMOUS_URI = 'sip:anonymous@anonymous.invalid';

/**
 * How long a subscription that timed out while pending stays `waiting`: long enough for a presentity that
 * was offline to subscribe to its watcher information, see the attempt and decide.
 */
export const DEFAULT_WAITING_SECONDS = 24 * 3600;

// setTimeout fires at once beyond 2^31 - 1 ms
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WatcherKey {
  presentity: string;
  package: string;
  /** unique for the watcher's subscription, e.g. its dialog key */
  subscription: string;
}

export interface NewWatcher {
  /** the watcher's identity as received (the asserted one) */
  uri: string;
  /** the AORs the policy knows it by (every asserted identity); default [uri] */
  identities?: string[];
  displayName?: string;
  /** the watcher asked for privacy: watcher information shows {@link ANONYMOUS_URI} and no display name */
  anonymous: boolean;
  status: 'pending' | 'active';
  /** when the subscription expires, on the clock's time line (ms) */
  expiresAt: number;
}

/** A subscription that timed out while pending, which the presentity may still approve or reject. */
export interface WaitingWatcher {
  key: WatcherKey;
  /** the identity as received, also for an anonymous watcher: the server's policy needs it */
  uri: string;
  /** the AORs the policy knows it by */
  identities: string[];
  anonymous: boolean;
  entry: WatcherEntry;
}

export interface WatcherRegistryOptions {
  clock: Clock;
  /** default {@link DEFAULT_WAITING_SECONDS} */
  waitingSeconds?: number;
  /** the entries that changed, together, for one partial-state notification of that presentity and package */
  onChange: (presentity: string, pkg: string, changed: WatcherEntry[]) => void;
}

interface Watcher {
  readonly id: string;
  key: WatcherKey;
  uri: string;
  identities: string[];
  displayName: string | undefined;
  readonly anonymous: boolean;
  status: WatcherStatus;
  event: WatcherEvent;
  /** when the subscription was created (ms on the clock) */
  since: number;
  /** when it stopped being a subscription (timed out into waiting, or terminated) */
  endedAt: number | undefined;
  expiresAt: number;
  timer: unknown;
}

type Target = 'active' | 'pending' | 'terminated';

/**
 * The transitions of the RFC 3857 state machine after `subscribe` (which is {@link WatcherRegistry.subscribed}),
 * by the Subscription-State the notifier moves the subscription to and the event that moves it:
 * - pending: approved makes it active; timeout (it expired, or the watcher unsubscribed, before any
 *   decision) makes it waiting; the other reasons terminate it;
 * - active: any reason except giveup (authorization was obtained) and approved terminates it;
 * - waiting: there is no subscription any more, so a decision (approved or rejected), noresource or giveup
 *   (the waiting time is over) terminates it.
 */
function nextStatus(from: WatcherStatus, to: Target, event: WatcherEvent): WatcherStatus | undefined {
  switch (from) {
    case 'pending':
      if (to === 'active') return event === 'approved' ? 'active' : undefined;
      if (to !== 'terminated') return undefined;
      if (event === 'timeout') return 'waiting';
      return event === 'subscribe' || event === 'approved' ? undefined : 'terminated';
    case 'active':
      if (to !== 'terminated') return undefined;
      return event === 'subscribe' || event === 'approved' || event === 'giveup' ? undefined : 'terminated';
    case 'waiting':
      if (to === 'active') return event === 'approved' ? 'terminated' : undefined;
      if (to !== 'terminated') return undefined;
      return event === 'rejected' || event === 'noresource' || event === 'giveup' ? 'terminated' : undefined;
    default:
      return undefined;
  }
}

const groupKey = (presentity: string, pkg: string) => JSON.stringify([presentity, pkg]);

export class WatcherRegistry {
  private readonly clock: Clock;
  private readonly waitingMs: number;
  private readonly onChange: WatcherRegistryOptions['onChange'];
  /** by presentity and package, then by subscription, in the order they were added */
  private readonly groups = new Map<string, Map<string, Watcher>>();
  private readonly ids = new Set<string>();

  constructor(o: WatcherRegistryOptions) {
    const seconds = o.waitingSeconds ?? DEFAULT_WAITING_SECONDS;
    if (!Number.isFinite(seconds) || seconds < 0 || seconds * 1000 > MAX_TIMER_MS)
      throw new RangeError(
        `waitingSeconds must be between 0 and ${Math.floor(MAX_TIMER_MS / 1000)}: ${seconds}`,
      );
    this.clock = o.clock;
    this.waitingMs = seconds * 1000;
    this.onChange = o.onChange;
  }

  /**
   * A new subscription from a watcher (the `subscribe` event: pending when no policy decides it yet, active
   * when the policy accepts it). A subscription the policy rejects never reaches the registry.
   *
   * A `waiting` row of the same (not anonymous) watcher is that watcher asking again: a pending subscription
   * takes the row over (same id, back to pending), so that repeated attempts show as one watcher awaiting a
   * decision; an active one means the decision was made, and the waiting row ends as approved.
   */
  subscribed(k: WatcherKey, w: NewWatcher): WatcherEntry {
    const group = this.group(k.presentity, k.package, true);
    if (group.has(k.subscription))
      throw new Error(`the watcher subscription ${k.subscription} exists already`);
    const now = this.clock.now();
    const changed: WatcherEntry[] = [];
    const earlier = w.anonymous
      ? undefined
      : [...group.values()].find((x) => x.status === 'waiting' && !x.anonymous && x.uri === w.uri);
    let watcher: Watcher;
    if (earlier && w.status === 'pending') {
      this.clock.clearTimeout(earlier.timer);
      group.delete(earlier.key.subscription);
      earlier.timer = undefined;
      earlier.key = { ...k };
      earlier.displayName = w.displayName;
      earlier.identities = w.identities ?? [w.uri];
      earlier.status = 'pending';
      earlier.event = 'subscribe';
      earlier.since = now;
      earlier.endedAt = undefined;
      earlier.expiresAt = w.expiresAt;
      watcher = earlier;
    } else {
      if (earlier) changed.push(this.end(earlier, 'approved'));
      watcher = {
        id: this.newId(),
        key: { ...k },
        uri: w.uri,
        identities: w.identities ?? [w.uri],
        displayName: w.displayName,
        anonymous: w.anonymous,
        status: w.status,
        event: 'subscribe',
        since: now,
        endedAt: undefined,
        expiresAt: w.expiresAt,
        timer: undefined,
      };
      this.ids.add(watcher.id);
    }
    // ending the waiting row may have emptied (and dropped) the group
    this.group(k.presentity, k.package, true).set(k.subscription, watcher);
    const entry = this.entry(watcher);
    changed.push(entry);
    this.onChange(k.presentity, k.package, changed);
    return entry;
  }

  /**
   * A refresh of a pending or active subscription: only the expiration changes, which is no transition of
   * the state machine, so nothing is notified. False when there is no such subscription.
   */
  refreshed(k: WatcherKey, expiresAt: number): boolean {
    const w = this.find(k);
    if (!w || (w.status !== 'pending' && w.status !== 'active')) return false;
    w.expiresAt = expiresAt;
    return true;
  }

  /**
   * Moves the subscription to the Subscription-State `to` because of `event` (see {@link nextStatus}); the
   * entry as it is now, or undefined for an unknown (or already terminated) subscription. A pending
   * subscription that times out becomes waiting and, unless decided, terminates with giveup after the
   * waiting time; a terminated one is reported once and forgotten. Moving to the state it is in changes
   * nothing; a move the state machine does not have is an Error.
   */
  transition(k: WatcherKey, to: Target, event: WatcherEvent): WatcherEntry | undefined {
    const w = this.find(k);
    if (!w) return undefined;
    if (to === w.status) return this.entry(w);
    const status = nextStatus(w.status, to, event);
    if (status === undefined)
      throw new Error(`RFC 3857 has no transition from ${w.status} to ${to} on ${event} (${k.subscription})`);
    let entry: WatcherEntry;
    if (status === 'terminated') {
      entry = this.end(w, event);
    } else {
      w.status = status;
      w.event = event;
      if (status === 'waiting') {
        w.endedAt = this.clock.now();
        w.timer = this.clock.setTimeout(() => {
          w.timer = undefined;
          this.onChange(w.key.presentity, w.key.package, [this.end(w, 'giveup')]);
        }, this.waitingMs);
      }
      entry = this.entry(w);
    }
    this.onChange(k.presentity, k.package, [entry]);
    return entry;
  }

  /**
   * The full state of a presentity's watchers for a package: pending, active and waiting subscriptions.
   * Terminated ones are in the partial notification that reports their end and in no later document.
   */
  list(presentity: string, pkg: string): WatcherEntry[] {
    const group = this.group(presentity, pkg, false);
    return group ? [...group.values()].map((w) => this.entry(w)) : [];
  }

  /** The `waiting` watchers: the presentity may still approve or reject them (RFC 3857 section 4.7.1). */
  waiting(presentity: string, pkg: string): WaitingWatcher[] {
    const group = this.group(presentity, pkg, false);
    if (!group) return [];
    return [...group.values()]
      .filter((w) => w.status === 'waiting')
      .map((w) => ({
        key: { ...w.key },
        uri: w.uri,
        identities: [...w.identities],
        anonymous: w.anonymous,
        entry: this.entry(w),
      }));
  }

  /** The presentities that have `waiting` watchers of a package (a missed rules change may decide them). */
  presentitiesWaiting(pkg: string): string[] {
    const out: string[] = [];
    for (const group of this.groups.values()) {
      const w = [...group.values()].find((x) => x.status === 'waiting' && x.key.package === pkg);
      if (w) out.push(w.key.presentity);
    }
    return out;
  }

  /**
   * The presentity's policy decided a `waiting` watcher (RFC 3857 4.7.1: approved or rejected ends it). A
   * row that is no longer waiting (taken over by a new subscription, or ended) is left alone: undefined.
   */
  decide(k: WatcherKey, decision: 'approved' | 'rejected'): WatcherEntry | undefined {
    if (this.find(k)?.status !== 'waiting') return undefined;
    return decision === 'approved'
      ? this.transition(k, 'active', 'approved')
      : this.transition(k, 'terminated', 'rejected');
  }

  /** Stops the waiting timers and forgets every watcher, without notifications. */
  close(): void {
    for (const group of this.groups.values())
      for (const w of group.values()) if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
    this.groups.clear();
    this.ids.clear();
  }

  private group(presentity: string, pkg: string, create: true): Map<string, Watcher>;
  private group(presentity: string, pkg: string, create: false): Map<string, Watcher> | undefined;
  private group(presentity: string, pkg: string, create: boolean): Map<string, Watcher> | undefined {
    const key = groupKey(presentity, pkg);
    let group = this.groups.get(key);
    if (!group && create) this.groups.set(key, (group = new Map()));
    return group;
  }

  private find(k: WatcherKey): Watcher | undefined {
    return this.group(k.presentity, k.package, false)?.get(k.subscription);
  }

  /** Terminates and forgets the watcher; its last entry. */
  private end(w: Watcher, event: WatcherEvent): WatcherEntry {
    if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
    w.timer = undefined;
    w.status = 'terminated';
    w.event = event;
    w.endedAt ??= this.clock.now();
    const group = this.group(w.key.presentity, w.key.package, false);
    group?.delete(w.key.subscription);
    if (group?.size === 0) this.groups.delete(groupKey(w.key.presentity, w.key.package));
    this.ids.delete(w.id);
    return this.entry(w);
  }

  /** Random, so that an id tells nothing of the dialog, the watcher or how many subscriptions there were. */
  private newId(): string {
    for (;;) {
      const id = `w${randomBytes(9).toString('base64url')}`;
      if (!this.ids.has(id)) return id;
    }
  }

  private entry(w: Watcher): WatcherEntry {
    const now = this.clock.now();
    const entry: WatcherEntry = {
      id: w.id,
      uri: w.anonymous ? ANONYMOUS_URI : w.uri,
      status: w.status,
      event: w.event,
      durationSubscribed: Math.max(0, Math.floor(((w.endedAt ?? now) - w.since) / 1000)),
    };
    if (!w.anonymous && w.displayName !== undefined) entry.displayName = w.displayName;
    // only a subscription that exists has time left
    if (w.status === 'pending' || w.status === 'active')
      entry.expiration = Math.max(0, Math.ceil((w.expiresAt - now) / 1000));
    return entry;
  }
}
