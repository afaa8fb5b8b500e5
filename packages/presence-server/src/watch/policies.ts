/**
 * The presentities' authorization rules, read from the XCAP server as a trusted peer (asserting the
 * presentity's identity): the IETF document `pres-rules/users/<presentity>/index` (RFC 5025 9.4) and the OMA
 * one `org.openmobilealliance.pres-rules/users/<presentity>/pres-rules` (OMA Presence XDM), whose rules are
 * evaluated together (RFC 4745 10: every matching rule counts, whatever document it is in). OMA
 * external lists the rules name are resolved to their members once per rules version.
 *
 * Cached per presentity until the change stream says one of its documents changed, or the stream
 * reconnects (changes may have been missed). An XCAP server that cannot be reached gives no rules (so no
 * rule matches: pending, see watches.ts), and that is not cached: the reconnect of the change stream
 * re-evaluates.
 */
import type { Logger } from 'pino';
import { aorOf } from '../identity';
import {
  evaluate,
  externalListRefs,
  parsePresRules,
  PROVIDE_ALL,
  type Permissions,
  type PresRules,
} from '../rules/pres-rules';
import { resolveService } from '../rls/resolve';
import { XcapClient } from '../xcap/client';
import type { WatcherIdentity } from '../identity';

interface Loaded {
  rules: PresRules;
  externalLists: Map<string, Set<string>>;
}

export const RULES_DOCUMENTS = [
  (p: string) => `pres-rules/users/${p}/index`,
  (p: string) => `org.openmobilealliance.pres-rules/users/${p}/pres-rules`,
] as const;

export class Policies {
  private readonly cache = new Map<string, Promise<Loaded>>();
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly xcap: XcapClient,
    private readonly logger: Logger,
    /** the time of day `<validity>` conditions are checked at (ms since the epoch) */
    private readonly now: () => number,
  ) {}

  /** Bumped whenever the presentity's rules may have changed: an evaluation older than that is stale. */
  version(presentity: string): number {
    return this.versions.get(presentity) ?? 0;
  }

  invalidate(presentity: string): void {
    this.cache.delete(presentity);
    this.versions.set(presentity, this.version(presentity) + 1);
  }

  invalidateAll(): void {
    for (const p of [...this.cache.keys(), ...this.versions.keys()]) this.invalidate(p);
  }

  /** What `watcher` may see of `presentity` now (the presentity watching itself sees everything). */
  async permissions(presentity: string, watcher: WatcherIdentity, sphere?: string): Promise<Permissions> {
    if (!watcher.anonymous && watcher.identities.includes(presentity))
      return { subHandling: 'allow', transformations: PROVIDE_ALL, matched: [] };
    const loaded = await this.load(presentity);
    const p = evaluate(
      loaded.rules,
      { identities: watcher.anonymous ? [] : watcher.identities, anonymous: watcher.anonymous },
      {
        now: new Date(this.now()),
        ...(sphere !== undefined ? { sphere } : {}),
        externalLists: loaded.externalLists,
      },
    );
    return p;
  }

  private load(presentity: string): Promise<Loaded> {
    let p = this.cache.get(presentity);
    if (!p) {
      p = this.fetch(presentity);
      this.cache.set(presentity, p);
      // a failed read is not remembered
      p.catch(() => undefined);
      void p.then(
        (l) => {
          if (l === NOTHING && this.cache.get(presentity) === p) this.cache.delete(presentity);
        },
        () => this.cache.delete(presentity),
      );
    }
    return p;
  }

  private async fetch(presentity: string): Promise<Loaded> {
    const rules: PresRules = { rules: [] };
    for (const doc of RULES_DOCUMENTS) {
      const path = doc(presentity);
      let res;
      try {
        res = await this.xcap.get(path, presentity);
      } catch (e) {
        this.logger.warn({ err: e, path }, 'pres-rules not readable: the default applies');
        return NOTHING;
      }
      if (res.status === 404) continue;
      if (res.status !== 200) {
        this.logger.warn({ path, status: res.status }, 'pres-rules not readable: the default applies');
        continue;
      }
      try {
        rules.rules.push(...parsePresRules(res.body).rules);
      } catch (e) {
        this.logger.warn({ err: e, path }, 'pres-rules not parsed: the document is ignored');
      }
    }
    const externalLists = new Map<string, Set<string>>();
    for (const anc of externalListRefs(rules)) {
      const members = await resolveService(
        { uri: anc, resourceList: anc, packages: [] },
        { fetch: (uri) => this.xcap.getOwn(presentity, uri) },
      );
      externalLists.set(anc, new Set(members.resources.map((r) => aorOf(r.uri) ?? r.uri)));
    }
    return { rules, externalLists };
  }
}

/** No rules could be read (the XCAP server is away): the default applies and nothing is cached. */
const NOTHING: Loaded = { rules: { rules: [] }, externalLists: new Map() };
