/**
 * Event list subscriptions (RFC 4662) to the services of the users' rls-services documents (RFC 4826 4):
 * the service is found in the XCAP server's global index `rls-services/global/index`; only its owner (the
 * user whose own rls-services document holds it) may subscribe to it, and only the owner's documents (and
 * global ones) are read to resolve its list; each resource of this domain becomes a watch of that presentity
 * with the list's subscriber as the watcher (the back-end subscription of RFC 4662 4.4, inside this server,
 * so the presentity's rules and watcher information see the subscriber itself).
 *
 * NOTIFYs: multipart/related with the RLMI document first and one PIDF part per active instance; full state
 * on the first NOTIFY, on refreshes, after a failed NOTIFY and after the list itself changed; otherwise
 * partial state with the resources that changed since the last NOTIFY (RFC 4662 5.2, 5.3).
 *
 * Not here: back-end SIP subscriptions to resources of other domains (they are listed with an instance
 * `terminated` reason `noresource`); nested lists as nested RLMI (the list is flattened, RFC 4826 4.3);
 * event packages other than presence.
 */
import type { NotifyContent, Subscription, SubscribeDecision, Notifier } from '@ut-testbed/sip-core';
import type { Logger } from 'pino';
import type { WatcherIdentity } from '../identity';
import { ALLOW_EVENTS } from '../publish';
import type { PresenceDocuments } from '../watch/documents';
import type { Watch, WatchOwner, WatchStatus, WatchTable } from '../watch/watches';
import type { WatcherEvent } from '../winfo/document';
import { XcapClient } from '../xcap/client';
import { resolveService, type Resource } from './resolve';
import { buildListNotifyBody, ListIds, type RlmiInstance, type RlmiResource } from './rlmi';
import { allowsPackage, findService, parseRlsServices, type Service } from './services';

export const EVENTLIST = 'eventlist';

export interface ListServiceOptions {
  xcap: XcapClient;
  watches: WatchTable;
  documents: PresenceDocuments;
  /** our presentities: the AOR of a URI of presence.domain, else undefined */
  presentityOf: (uri: string) => string | undefined;
  domain: string;
  /** presence.xcapRoot: entry-ref values are relative to it */
  xcapRoot: string;
  logger: Logger;
  maxResources?: number;
}

interface Member {
  resource: Resource;
  presentity?: string;
  watch?: Watch;
  state: WatchStatus;
  reason?: string;
}

/** One list subscription: its resources, their instances, and what changed since the last NOTIFY. */
class ListSubscription implements WatchOwner {
  readonly ids: ListIds;
  members = new Map<string, Member>();
  name: string | undefined;
  version = 0;
  readonly changed = new Set<string>();
  fullNext = true;
  queued = false;
  /** re-resolutions of this list, one at a time */
  chain: Promise<void> = Promise.resolve();

  constructor(
    readonly sub: Subscription,
    readonly service: Service,
    readonly owner: string,
    readonly watcher: WatcherIdentity,
    private readonly lists: ListService,
  ) {
    this.ids = new ListIds(lists.o.domain);
  }

  get key(): string {
    return `${this.sub.dialog.key}\u0000list`;
  }

  statusChanged(w: Watch, _from: WatchStatus, reason?: WatcherEvent): void {
    const m = this.members.get(w.key);
    if (!m) return;
    m.state = w.status;
    if (reason !== undefined) m.reason = reason;
    this.mark(w.key);
  }

  contentChanged(w: Watch): void {
    if (this.members.has(w.key)) this.mark(w.key);
  }

  mark(key: string): void {
    this.changed.add(key);
    this.kick();
  }

  kick(): void {
    if (this.queued || this.sub.state !== 'active') return;
    this.queued = true;
    void this.lists.notifier?.notify(this.sub);
  }

  body(full: boolean): NotifyContent {
    this.queued = false;
    full = full || this.fullNext;
    this.fullNext = false;
    const keys = full ? [...this.members.keys()] : [...this.changed].filter((k) => this.members.has(k));
    this.changed.clear();
    this.version += 1;
    const resources: RlmiResource[] = [];
    const parts = [];
    for (const k of keys) {
      const m = this.members.get(k)!;
      const instance: RlmiInstance = { id: this.ids.instanceId(m.resource.uri), state: m.state };
      if (m.state === 'terminated' && m.reason !== undefined) instance.reason = m.reason;
      if (m.state === 'active' && m.watch) {
        const cid = this.ids.contentId();
        instance.cid = cid;
        const content = this.lists.o.documents.body(m.watch.presentity, m.watch.permissions);
        parts.push({ cid, contentType: content.contentType, body: content.body });
      }
      resources.push({
        uri: m.resource.uri,
        ...(m.resource.name !== undefined ? { name: m.resource.name } : {}),
        instances: [instance],
      });
    }
    return buildListNotifyBody(
      {
        uri: this.sub.resource,
        version: this.version,
        fullState: full,
        ...(this.name !== undefined ? { name: this.name } : {}),
        resources,
      },
      parts,
      { rootCid: this.ids.contentId() },
    );
  }
}

export class ListService {
  notifier: Notifier | undefined;
  private readonly bySub = new WeakMap<Subscription, ListSubscription>();
  private readonly live = new Set<ListSubscription>();
  private index: Promise<Service[] | undefined> | undefined;

  constructor(readonly o: ListServiceOptions) {}

  /** Whether `uri` is a service of the global index (read once until rls-services change). */
  async isService(uri: string, identity: string): Promise<Service | undefined> {
    if (!this.index) {
      const p = this.readServices('rls-services/global/index', identity);
      this.index = p;
      void p.then((s) => {
        if (s === undefined && this.index === p) this.index = undefined; // not cached when unreadable
      });
    }
    const services = await this.index;
    return services ? findService(services, uri) : undefined;
  }

  /** rls-services changed somewhere: the global index is read again when next needed. */
  servicesChanged(): void {
    this.index = undefined;
  }

  /** An initial SUBSCRIBE to a service URI. */
  async subscribe(
    sub: Subscription,
    req: { getAll(n: string): string[] },
    watcher: WatcherIdentity,
    service: Service,
  ): Promise<SubscribeDecision> {
    // every Supported header field, each a comma list (RFC 3261 7.3.1)
    const supported = req.getAll('Supported').map((s) => s.trim().toLowerCase());
    if (!supported.includes(EVENTLIST))
      return { reject: 421, reason: 'Extension Required', headers: [['Require', EVENTLIST]] };
    // the owner, and the service as the owner's document has it now (the global index may be older)
    const found = await this.ownerOf(service.uri, watcher);
    if (!found) return { reject: 403, reason: 'Forbidden' };
    const { owner, service: current } = found;
    if (!allowsPackage(current, sub.event.type))
      // RFC 6665 8.3.2: a 489 lists the packages the server does serve
      return { reject: 489, reason: 'Bad Event', headers: [['Allow-Events', ALLOW_EVENTS]] };
    const list = new ListSubscription(sub, current, owner, watcher, this);
    await this.resolveInto(list);
    this.bySub.set(sub, list);
    return 'accept';
  }

  isList(sub: Subscription): boolean {
    return this.bySub.has(sub);
  }

  created(sub: Subscription): void {
    const list = this.bySub.get(sub);
    if (!list) return;
    this.live.add(list);
    for (const m of list.members.values()) if (m.watch) this.o.watches.add(m.watch);
    // add() sets a blocked watch's status
    for (const m of list.members.values()) if (m.watch) m.state = m.watch.status;
  }

  refreshed(sub: Subscription): void {
    const list = this.bySub.get(sub);
    if (!list) return;
    for (const m of list.members.values()) if (m.watch) this.o.watches.refreshed(m.watch, sub.expiresAt);
  }

  terminated(sub: Subscription, event: WatcherEvent): void {
    const list = this.bySub.get(sub);
    if (!list) return;
    this.live.delete(list);
    for (const m of list.members.values()) if (m.watch) this.o.watches.remove(m.watch, event);
  }

  state(sub: Subscription, full: boolean): NotifyContent | undefined {
    return this.bySub.get(sub)?.body(full);
  }

  /** The owner's lists or services changed: its list subscriptions are resolved again. */
  ownerChanged(owner: string): Promise<void> {
    return Promise.all([...this.live].filter((l) => l.owner === owner).map((l) => this.reresolve(l))).then(
      () => undefined,
    );
  }

  /** Every list again (the change stream reconnected). */
  async all(): Promise<void> {
    await Promise.all([...this.live].map((l) => this.reresolve(l)));
  }

  private reresolve(list: ListSubscription): Promise<void> {
    const next = list.chain.then(async () => {
      if (!this.live.has(list)) return;
      const own = await this.readServices(`rls-services/users/${list.owner}/index`, list.owner);
      if (own === undefined) return; // unreadable now: the next reconnect tries again
      const service = findService(own, list.service.uri);
      if (!service) {
        await this.notifier?.terminate(list.sub, 'noresource');
        return;
      }
      const before = list.members;
      const fresh = new ListSubscription(list.sub, service, list.owner, list.watcher, this);
      await this.resolveInto(fresh, before);
      // ended meanwhile: the watches opened for it were never added, so there is nothing to undo
      if (!this.live.has(list)) return;
      for (const [k, m] of before)
        if (!fresh.members.has(k) && m.watch) this.o.watches.remove(m.watch, 'timeout');
      for (const [k, m] of fresh.members) {
        if (before.has(k)) continue;
        if (m.watch) {
          this.o.watches.add(m.watch);
          m.state = m.watch.status;
        }
      }
      list.members = fresh.members;
      list.name = fresh.name;
      list.fullNext = true;
      list.kick();
    });
    list.chain = next.catch((e: unknown) => this.o.logger.error({ err: e }, 'list resolution failed'));
    return list.chain;
  }

  /** Resolves the list's service into members (keeping the watches of `keep` for resources still there). */
  private async resolveInto(list: ListSubscription, keep?: Map<string, Member>): Promise<void> {
    const resolved = await resolveService(list.service, {
      fetch: (uri) => this.o.xcap.getOwn(list.owner, uri),
      xcapRoot: this.o.xcapRoot,
      maxResources: this.o.maxResources ?? 1000,
    });
    if (resolved.unresolved.length > 0)
      this.o.logger.warn(
        { service: list.service.uri, unresolved: resolved.unresolved },
        'list references not resolved',
      );
    list.name = resolved.name;
    const members = new Map<string, Member>();
    await Promise.all(
      resolved.resources.map(async (resource) => {
        const presentity = this.o.presentityOf(resource.uri);
        const key = `${list.key}\u0000${presentity ?? resource.uri}`;
        const kept = keep?.get(key);
        if (kept) {
          members.set(key, { ...kept, resource });
          return;
        }
        if (!presentity) {
          members.set(key, { resource, state: 'terminated', reason: 'noresource' });
          return;
        }
        const watch = await this.o.watches.open(key, presentity, list.watcher, list, list.sub.expiresAt);
        members.set(key, {
          resource,
          presentity,
          watch,
          state: watch.status,
          ...(watch.status === 'terminated' ? { reason: 'rejected' } : {}),
        });
      }),
    );
    // in the list's order
    const ordered = new Map<string, Member>();
    for (const r of resolved.resources) {
      const k = `${list.key}\u0000${this.o.presentityOf(r.uri) ?? r.uri}`;
      const m = members.get(k);
      if (m && !ordered.has(k)) ordered.set(k, m);
    }
    list.members = ordered;
  }

  /** Which of the watcher's identities owns the service (its own rls-services document holds it), and it. */
  private async ownerOf(
    serviceUri: string,
    watcher: WatcherIdentity,
  ): Promise<{ owner: string; service: Service } | undefined> {
    for (const id of watcher.identities) {
      const own = await this.readServices(`rls-services/users/${id}/index`, id);
      const service = own && findService(own, serviceUri);
      if (service) return { owner: id, service };
    }
    return undefined;
  }

  private async readServices(path: string, identity: string): Promise<Service[] | undefined> {
    try {
      const res = await this.o.xcap.get(path, identity);
      if (res.status === 404) return [];
      if (res.status !== 200) {
        this.o.logger.warn({ path, status: res.status }, 'rls-services not readable');
        return undefined;
      }
      return parseRlsServices(res.body);
    } catch (e) {
      this.o.logger.warn({ err: e, path }, 'rls-services not readable');
      return undefined;
    }
  }
}
