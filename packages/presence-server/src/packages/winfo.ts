/**
 * The presence.winfo event package (RFC 3857) with application/watcherinfo+xml (RFC 3858): a presentity
 * subscribes to the watchers of its own presence. Only the presentity itself may (RFC 3857 5.2 leaves the
 * policy to the server; anyone else gets 403), and its subscription is active at once.
 *
 * The first NOTIFY, a refresh's and one after a failed NOTIFY carry full state; a change of watchers
 * (from the registry) gives a partial-state NOTIFY with the watchers that changed since the last one. Each
 * subscription counts its own versions. NOTIFYs are coalesced: while one is queued, further changes join it.
 */
import type {
  EventPackage,
  NotifyContent,
  SipMessage,
  SubscribeDecision,
  Subscription,
} from '@ut-testbed/sip-core';
import type { Notifier } from '@ut-testbed/sip-core';
import { watcherOf } from '../identity';
import { presentityOf } from '../publish';
import { buildWatcherinfo, WATCHERINFO_TYPE, type WatcherEntry } from '../winfo/document';
import type { WatcherRegistry } from '../winfo/watchers';
import { WINFO_PACKAGE } from '../watch/watches';

export interface WinfoPackageOptions {
  notifier: Notifier;
  registry: WatcherRegistry;
  domain: string;
  trustedPeers: ReadonlySet<string>;
  trustFrom: boolean;
}

interface WinfoSub {
  presentity: string;
  version: number;
  pending: Map<string, WatcherEntry>;
  queued: boolean;
}

export interface WinfoPackage extends EventPackage {
  /** the registry's onChange: the watchers of `presentity` changed */
  watchersChanged(presentity: string, pkg: string, changed: WatcherEntry[]): void;
}

export function winfoPackage(o: WinfoPackageOptions): WinfoPackage {
  const subs = new WeakMap<Subscription, WinfoSub>();
  const byPresentity = new Map<string, Set<Subscription>>();

  return {
    accept: [WATCHERINFO_TYPE],
    minExpires: 60,
    maxExpires: 3600,
    defaultExpires: 3600,

    onSubscribe(sub: Subscription, req: SipMessage, source): SubscribeDecision {
      const presentity = presentityOf(req.uri!, o.domain);
      if (presentity === undefined) return { reject: 404, reason: 'Not Found' };
      const who = watcherOf(req, source.host, o.trustedPeers, o.trustFrom);
      if (!who.ok)
        return { reject: 403, reason: 'Forbidden', headers: [['Warning', `399 - "${who.reason}"`]] };
      if (!who.watcher.identities.includes(presentity))
        return {
          reject: 403,
          reason: 'Forbidden',
          headers: [['Warning', `399 - "only ${presentity} may watch its watchers"`]],
        };
      subs.set(sub, { presentity, version: 0, pending: new Map(), queued: false });
      return 'accept';
    },

    onCreated(sub) {
      const s = subs.get(sub)!;
      let set = byPresentity.get(s.presentity);
      if (!set) byPresentity.set(s.presentity, (set = new Set()));
      set.add(sub);
    },

    state(sub, cause): NotifyContent {
      const s = subs.get(sub)!;
      s.queued = false;
      const partial = cause === 'update' && s.pending.size > 0;
      const watchers = partial ? [...s.pending.values()] : o.registry.list(s.presentity, WINFO_PACKAGE);
      s.pending.clear();
      s.version += 1;
      return {
        contentType: WATCHERINFO_TYPE,
        body: buildWatcherinfo({
          version: s.version,
          state: partial ? 'partial' : 'full',
          lists: [{ resource: s.presentity, package: WINFO_PACKAGE, watchers }],
        }),
      };
    },

    onTerminated(sub) {
      const s = subs.get(sub);
      if (!s) return;
      const set = byPresentity.get(s.presentity);
      set?.delete(sub);
      if (set?.size === 0) byPresentity.delete(s.presentity);
    },

    watchersChanged(presentity, pkg, changed) {
      if (pkg !== WINFO_PACKAGE) return;
      for (const sub of byPresentity.get(presentity) ?? []) {
        const s = subs.get(sub)!;
        for (const e of changed) s.pending.set(e.id, e);
        if (s.queued) continue;
        s.queued = true;
        void o.notifier.notify(sub);
      }
    },
  };
}
