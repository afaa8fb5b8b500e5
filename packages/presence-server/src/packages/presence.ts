/**
 * The presence event package (RFC 3856) on the notifier: a SUBSCRIBE to a presentity of this domain, or to
 * an event list service (RFC 4662, see rls/lists.ts).
 *
 * A SUBSCRIBE to a presentity: the watcher is the asserted identity (403 without one); the presentity's
 * rules decide (RFC 5025 3.2.1): allow → active with the transformed PIDF; polite-block → active with the
 * neutral document; confirm, or no rule matching → pending without a body; block → 200, then
 * terminated;reason=rejected. The presentity may always watch itself. A Request-URI that is not of
 * presence.domain → 404.
 */
import type {
  EventPackage,
  Notifier,
  NotifyContent,
  SipMessage,
  SubscribeDecision,
  Subscription,
  Termination,
  TerminationReason,
} from '@ut-testbed/sip-core';
import { watcherOf } from '../identity';
import { PIDF_TYPE } from '../pidf';
import { presentityOf } from '../publish';
import { RLMI_TYPE } from '../rls/rlmi';
import type { ListService } from '../rls/lists';
import type { PresenceDocuments } from '../watch/documents';
import type { Watch, WatchOwner, WatchStatus, WatchTable } from '../watch/watches';
import type { WatcherEvent } from '../winfo/document';

export interface PresencePackageOptions {
  notifier: Notifier;
  watches: WatchTable;
  documents: PresenceDocuments;
  lists: ListService;
  domain: string;
  trustedPeers: ReadonlySet<string>;
  trustFrom: boolean;
}

/** The watcher information event for the way a subscription ended. */
export function endEvent(why: Termination): WatcherEvent {
  switch (why.by) {
    case 'owner':
      return (why.reason ?? 'noresource') as WatcherEvent;
    // the subscriber is gone or refuses NOTIFYs; RFC 3857 has no better word than its subscription timing out
    case 'notify-failed':
    case 'expired':
    case 'unsubscribed':
    case 'fetched':
      return 'timeout';
  }
}

/** A direct subscription's side of its watch: NOTIFYs for it. */
class DirectWatch implements WatchOwner {
  queued = false;
  constructor(
    readonly sub: Subscription,
    readonly watch: Watch,
    private readonly notifier: Notifier,
  ) {}

  statusChanged(w: Watch, _from: WatchStatus, reason?: WatcherEvent): void {
    if (w.status === 'active') void this.notifier.activate(this.sub);
    else if (w.status === 'terminated')
      void this.notifier.terminate(this.sub, (reason ?? 'deactivated') as TerminationReason);
  }

  contentChanged(): void {
    if (this.queued) return;
    this.queued = true;
    void this.notifier.notify(this.sub);
  }
}

export function presencePackage(o: PresencePackageOptions): EventPackage {
  const direct = new WeakMap<Subscription, DirectWatch>();
  return {
    accept: [PIDF_TYPE, 'multipart/related', RLMI_TYPE],
    minExpires: 60,
    maxExpires: 3600,
    defaultExpires: 3600,

    async onSubscribe(sub: Subscription, req: SipMessage, source): Promise<SubscribeDecision> {
      const who = watcherOf(req, source.host, o.trustedPeers, o.trustFrom);
      if (!who.ok)
        return { reject: 403, reason: 'Forbidden', headers: [['Warning', `399 - "${who.reason}"`]] };
      const service = await o.lists.isService(req.uri!, who.watcher.identities[0]!);
      if (service) return o.lists.subscribe(sub, req, who.watcher, service);
      const presentity = presentityOf(req.uri!, o.domain);
      if (presentity === undefined) return { reject: 404, reason: 'Not Found' };
      const placeholder: WatchOwner = { statusChanged: () => undefined, contentChanged: () => undefined };
      const watch = await o.watches.open(sub.dialog.key, presentity, who.watcher, placeholder, sub.expiresAt);
      const d = new DirectWatch(sub, watch, o.notifier);
      watch.owner = d;
      direct.set(sub, d);
      if (watch.status === 'terminated') return { terminate: 'rejected' };
      return watch.status === 'active' ? 'accept' : 'pending';
    },

    onCreated(sub) {
      const d = direct.get(sub);
      if (d) o.watches.add(d.watch);
      else o.lists.created(sub);
    },

    onRefreshed(sub) {
      const d = direct.get(sub);
      if (d) o.watches.refreshed(d.watch, sub.expiresAt);
      else o.lists.refreshed(sub);
    },

    headers(sub) {
      return o.lists.isList(sub) ? [['Require', 'eventlist']] : [];
    },

    state(sub, cause): NotifyContent | undefined {
      const d = direct.get(sub);
      if (d) {
        d.queued = false;
        return o.documents.body(d.watch.presentity, d.watch.permissions);
      }
      return o.lists.state(sub, cause !== 'update');
    },

    onTerminated(sub, why) {
      const d = direct.get(sub);
      if (d) o.watches.remove(d.watch, endEvent(why));
      else o.lists.terminated(sub, endEvent(why));
    },
  };
}
