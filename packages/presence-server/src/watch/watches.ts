/**
 * Watches: a watcher's interest in one presentity, from a SUBSCRIBE to that presentity or from one resource
 * of an event list (the RLS's back-end subscription, RFC 4662 4.4, kept inside this server). Each has the
 * status the presentity's rules give it (RFC 5025 3.2.1 sub-handling) and the permissions its NOTIFYs are
 * built with; each is one watcher in the presentity's watcher information (RFC 3857).
 *
 * The table re-evaluates a presentity's watches when its rules change and tells each watch's owner what
 * changed; the owner sends the NOTIFY (a presence NOTIFY, or a partial RLMI for a list).
 */
import type { Logger } from 'pino';
import type { WatcherIdentity } from '../identity';
import type { Permissions, SubHandling } from '../rules/pres-rules';
import type { WatcherEvent, WatcherEntry } from '../winfo/document';
import type { WatcherRegistry } from '../winfo/watchers';
import type { Policies } from './policies';

export type WatchStatus = 'pending' | 'active' | 'terminated';

export const WINFO_PACKAGE = 'presence';
/** NOTIFYs of one change queued per turn of the event loop (see stateChanged). */
export const FANOUT_SLICE = 50;

export interface WatchOwner {
  /** the status changed (pending → active, active → terminated ...), with the reason when terminated */
  statusChanged(w: Watch, from: WatchStatus, reason?: WatcherEvent): void;
  /** still active, but what it may see changed (permissions, or the presentity's state) */
  contentChanged(w: Watch): void;
}

export interface Watch {
  /** unique among all watches (a dialog key, or a list subscription's key and the resource) */
  readonly key: string;
  readonly presentity: string;
  readonly watcher: WatcherIdentity;
  /** who is told about changes (set once the subscription that holds the watch exists) */
  owner: WatchOwner;
  status: WatchStatus;
  permissions: Permissions;
  /** the rules version the permissions were computed with */
  rulesVersion: number;
  expiresAt: number;
  /** the watcher information entry (stable id) */
  entry?: WatcherEntry;
}

/**
 * What a sub-handling means for a subscription (RFC 5025 3.2.1). Undefined (no rule matched, or no rules
 * document) is pending, as with confirm: RFC 5025 makes block the default value, but a presentity that has
 * written no rule yet has not decided, and a pending watcher is what its watcher information shows it so
 * that it can (RFC 3857 3.1, DESIGN section2 flow). A matching rule without sub-handling is block.
 */
export function statusOf(s: SubHandling | undefined): 'active' | 'pending' | 'rejected' {
  if (s === 'allow' || s === 'polite-block') return 'active';
  if (s === 'block') return 'rejected';
  return 'pending';
}

export class WatchTable {
  private readonly byPresentity = new Map<string, Map<string, Watch>>();

  constructor(
    private readonly policies: Policies,
    private readonly registry: WatcherRegistry,
    private readonly sphereOf: (presentity: string) => string | undefined,
    private readonly logger: Logger,
  ) {}

  /** A new watch, evaluated but not yet in the table (see {@link add}). */
  async open(
    key: string,
    presentity: string,
    watcher: WatcherIdentity,
    owner: WatchOwner,
    expiresAt: number,
  ): Promise<Watch> {
    const rulesVersion = this.policies.version(presentity);
    const permissions = await this.policies.permissions(presentity, watcher, this.sphereOf(presentity));
    const s = statusOf(permissions.subHandling);
    return {
      key,
      presentity,
      watcher,
      owner,
      status: s === 'rejected' ? 'terminated' : s,
      permissions,
      rulesVersion,
      expiresAt,
    };
  }

  /** Puts an opened watch in the table and in the watcher information (a blocked one as rejected). */
  add(w: Watch): void {
    let m = this.byPresentity.get(w.presentity);
    if (!m) this.byPresentity.set(w.presentity, (m = new Map()));
    const rejected = w.status === 'terminated';
    w.entry = this.registry.subscribed(this.wkey(w), {
      uri: w.watcher.uri,
      identities: w.watcher.identities,
      ...(w.watcher.displayName !== undefined ? { displayName: w.watcher.displayName } : {}),
      anonymous: w.watcher.anonymous,
      status: rejected ? 'pending' : w.status === 'active' ? 'active' : 'pending',
      expiresAt: w.expiresAt,
    });
    if (rejected) {
      this.registry.transition(this.wkey(w), 'terminated', 'rejected');
      return;
    }
    m.set(w.key, w);
    // the rules changed while this watch was being evaluated
    if (this.policies.version(w.presentity) !== w.rulesVersion) void this.reevaluate(w.presentity);
  }

  refreshed(w: Watch, expiresAt: number): void {
    w.expiresAt = expiresAt;
    if (w.status !== 'terminated') this.registry.refreshed(this.wkey(w), expiresAt);
  }

  /** The watch ended (its owner's subscription ended, or the list lost the resource). */
  remove(w: Watch, event: WatcherEvent): void {
    const m = this.byPresentity.get(w.presentity);
    if (!m?.delete(w.key)) return;
    if (m.size === 0) this.byPresentity.delete(w.presentity);
    if (w.status !== 'terminated') this.registry.transition(this.wkey(w), 'terminated', event);
    w.status = 'terminated';
  }

  of(presentity: string): Watch[] {
    return [...(this.byPresentity.get(presentity)?.values() ?? [])];
  }

  get presentities(): string[] {
    return [...this.byPresentity.keys()];
  }

  get size(): number {
    let n = 0;
    for (const m of this.byPresentity.values()) n += m.size;
    return n;
  }

  /**
   * The presentity's state changed: every active watch gets it, FANOUT_SLICE watches per turn of the event
   * loop. Queued all at once, a thousand NOTIFYs would be built in one run of promise jobs, and nothing,
   * not even the PUBLISH's 200 sent just before, would leave until the last one is built (a UDP send waits
   * for a nextTick); the turns also let the subscribers' 200s be read before the socket buffer fills.
   */
  stateChanged(presentity: string): void {
    const active = this.of(presentity).filter((w) => w.status === 'active');
    const slice = (from: number) => {
      for (const w of active.slice(from, from + FANOUT_SLICE))
        if (w.status === 'active') w.owner.contentChanged(w);
      if (from + FANOUT_SLICE < active.length) setImmediate(() => slice(from + FANOUT_SLICE));
    };
    if (active.length > 0) setImmediate(() => slice(0));
  }

  /**
   * The presentity's rules changed: each watch is evaluated again and its owner told what changed, and the
   * watchers whose subscription timed out while pending (RFC 3857 `waiting`) are decided if the rules now
   * allow or block them.
   */
  async reevaluate(presentity: string): Promise<void> {
    const watches = this.of(presentity);
    const waiting = this.registry.waiting(presentity, WINFO_PACKAGE);
    if (watches.length === 0 && waiting.length === 0) return;
    const version = this.policies.version(presentity);
    const sphere = this.sphereOf(presentity);
    for (const w of waiting) {
      const identity = { uri: w.uri, identities: w.identities, anonymous: w.anonymous };
      let next: ReturnType<typeof statusOf>;
      try {
        next = statusOf((await this.policies.permissions(presentity, identity, sphere)).subHandling);
      } catch (e) {
        this.logger.error({ err: e, presentity }, 'rules evaluation failed');
        continue;
      }
      // a decision cannot be taken back: none on rules that changed during the evaluation (the change
      // that did it runs this again)
      if (this.policies.version(presentity) !== version) return;
      if (next !== 'pending') this.registry.decide(w.key, next === 'active' ? 'approved' : 'rejected');
    }
    for (const w of watches) {
      let p: Permissions;
      try {
        p = await this.policies.permissions(presentity, w.watcher, sphere);
      } catch (e) {
        this.logger.error({ err: e, presentity }, 'rules evaluation failed');
        continue;
      }
      if (w.status === 'terminated' || !this.byPresentity.get(presentity)?.has(w.key)) continue;
      const before = w.status;
      const beforeKey = JSON.stringify([w.permissions.subHandling, w.permissions.transformations]);
      w.permissions = p;
      w.rulesVersion = version;
      const next = statusOf(p.subHandling);
      if (next === 'rejected') {
        w.status = 'terminated';
        this.detach(w, 'rejected');
        w.owner.statusChanged(w, before, 'rejected');
      } else if (before === 'pending' && next === 'active') {
        w.status = 'active';
        this.registry.transition(this.wkey(w), 'active', 'approved');
        w.owner.statusChanged(w, before);
      } else if (before === 'active' && next === 'pending') {
        // permission withdrawn: the subscription ends and may be tried again (RFC 3857 3.2.3 deactivated)
        w.status = 'terminated';
        this.detach(w, 'deactivated');
        w.owner.statusChanged(w, before, 'deactivated');
      } else if (before === 'active' && JSON.stringify([p.subHandling, p.transformations]) !== beforeKey) {
        w.owner.contentChanged(w);
      }
    }
  }

  /** Every presentity with watches or waiting watchers (after the change stream was away, say). */
  async reevaluateAll(): Promise<void> {
    const all = new Set([...this.presentities, ...this.registry.presentitiesWaiting(WINFO_PACKAGE)]);
    for (const p of all) await this.reevaluate(p);
  }

  private detach(w: Watch, event: WatcherEvent): void {
    const m = this.byPresentity.get(w.presentity);
    m?.delete(w.key);
    if (m?.size === 0) this.byPresentity.delete(w.presentity);
    this.registry.transition(this.wkey(w), 'terminated', event);
  }

  private wkey(w: Watch) {
    return { presentity: w.presentity, package: WINFO_PACKAGE, subscription: w.key };
  }
}
