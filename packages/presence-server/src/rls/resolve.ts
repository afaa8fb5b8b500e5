/**
 * RFC 4826 section 4.3: how the RLS turns a service into the resources it subscribes to. The service's list
 * (inline, or the <list> its <resource-list> URI names) is flattened in document order: entries are taken,
 * nested lists descended into, <entry-ref> (RFC 4826 section 3.2: relative to the XCAP root, naming an
 * <entry>) and <external> (an absolute URI naming a <list>) dereferenced through the caller's fetch.
 * Resources are de-duplicated by URI equality (RFC 3261 19.1.4), the first occurrence and its display name
 * kept. A reference already dereferenced is not followed again: a list that refers to itself, directly or
 * through others, ends there, and a list reached twice adds nothing the first time did not.
 *
 * Bounds: `maxResources` distinct resources, `maxDepth` levels of nesting and dereferencing. What they cut
 * is reported (`truncated`, and references not followed in `unresolved`), never silently lost. Not here:
 * which XCAP URIs the RLS may fetch and as whom (the caller's fetch decides and refuses foreign ones).
 */
import { parseNode, UriSet, type FragmentOptions, type ListNode, type Service } from './services';

export interface Resource {
  uri: string;
  name?: string;
}

export interface ResolveOptions {
  /**
   * fetches an XCAP URI (absolute http(s), or relative to the XCAP root for entry-ref): the element (a <list>
   * or <entry>) as text, or undefined when not found / not allowed. The caller maps URIs to its XCAP server
   * and refuses URIs that are not its own. A rejection counts as undefined.
   */
  fetch(uri: string): Promise<string | undefined>;
  /** bound (default 1000): beyond it the rest is dropped, reported in `truncated` */
  maxResources?: number;
  /** bound on nesting/dereference depth (default 16) */
  maxDepth?: number;
  /**
   * the XCAP root URI: when given, entry-ref refs are resolved against it (RFC 3986 section 5, the root taken
   * as a directory) and fetch only sees absolute URIs, so a node reached by both forms is fetched once
   */
  xcapRoot?: string;
  /** how fetched elements are parsed (the namespace bindings they were stored under) */
  fragment?: FragmentOptions;
  /** fetches under way at once (default 8): siblings' references are fetched ahead of their turn */
  concurrency?: number;
}

export interface Resolved {
  resources: Resource[];
  /** the display-name of the service's list */
  name?: string;
  /** URIs that could not be fetched or parsed, or were not followed because of maxDepth */
  unresolved: string[];
  /** something was dropped by maxResources or maxDepth */
  truncated: boolean;
}

class Fetcher {
  private readonly cache = new Map<string, Promise<string | undefined>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly fetch: (uri: string) => Promise<string | undefined>,
    private readonly limit: number,
  ) {}

  /** every fetch started, settled (none rejects) */
  settled(): Promise<unknown> {
    return Promise.all(this.cache.values());
  }

  get(uri: string): Promise<string | undefined> {
    let p = this.cache.get(uri);
    if (!p) {
      p = this.run(uri);
      this.cache.set(uri, p);
    }
    return p;
  }

  private async run(uri: string): Promise<string | undefined> {
    // a finished fetch hands its slot to the next one waiting, so that no newcomer slips in between
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await this.fetch(uri);
    } catch {
      return undefined;
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

class Resolution {
  readonly out: Resolved = { resources: [], unresolved: [], truncated: false };
  private readonly seen = new UriSet();
  /** references dereferenced (or being dereferenced) in this resolution */
  private readonly followed = new Set<string>();
  readonly fetcher: Fetcher;
  private readonly max: number;
  private readonly maxDepth: number;
  private full = false;

  constructor(private readonly o: ResolveOptions) {
    this.max = o.maxResources ?? 1000;
    this.maxDepth = o.maxDepth ?? 16;
    this.fetcher = new Fetcher(o.fetch, Math.max(1, o.concurrency ?? 8));
  }

  refUri(ref: string): string {
    if (this.o.xcapRoot === undefined) return ref;
    const root = this.o.xcapRoot.endsWith('/') ? this.o.xcapRoot : this.o.xcapRoot + '/';
    try {
      return new URL(ref, root).href;
    } catch {
      return ref;
    }
  }

  add(uri: string, name: string | undefined): void {
    if (this.full || this.seen.has(uri)) return;
    if (this.out.resources.length >= this.max) {
      this.out.truncated = true;
      this.full = true;
      return;
    }
    this.seen.add(uri);
    this.out.resources.push(name === undefined ? { uri } : { uri, name });
  }

  /** The node a reference names, or undefined (recorded in unresolved). */
  async node(uri: string) {
    const text = await this.fetcher.get(uri);
    if (text !== undefined) {
      try {
        return parseNode(text, this.o.fragment ?? {});
      } catch {
        // an unparsable node is as good as a missing one
      }
    }
    this.out.unresolved.push(uri);
    return undefined;
  }

  async follow(uri: string, depth: number, name: string | undefined): Promise<void> {
    if (this.followed.has(uri)) return;
    this.followed.add(uri);
    if (depth > this.maxDepth) {
      this.out.unresolved.push(uri);
      this.out.truncated = true;
      return;
    }
    const node = await this.node(uri);
    if (!node) return;
    if (node.kind === 'entry') this.add(node.uri, name ?? node.displayName);
    else await this.walk(node, depth);
  }

  async walk(list: ListNode, depth: number): Promise<void> {
    const refs = list.items.map((item) =>
      item.kind === 'entryRef' ? this.refUri(item.ref) : item.kind === 'external' ? item.anchor : undefined,
    );
    // siblings' references are fetched ahead; the answers are still used in document order
    if (depth < this.maxDepth)
      for (const r of refs) if (r !== undefined && !this.followed.has(r)) void this.fetcher.get(r);
    for (const [i, item] of list.items.entries()) {
      if (this.full) return;
      switch (item.kind) {
        case 'entry':
          this.add(item.uri, item.displayName);
          break;
        case 'list':
          if (depth + 1 > this.maxDepth) this.out.truncated = true;
          else await this.walk(item, depth + 1);
          break;
        case 'entryRef':
          // the entry-ref's own display-name is how the list's owner named the resource; the referenced
          // entry's applies when it has none
          await this.follow(refs[i]!, depth + 1, item.displayName);
          break;
        case 'external':
          await this.follow(refs[i]!, depth + 1, undefined);
          break;
      }
    }
  }

  async run(service: Service): Promise<Resolved> {
    let root: ListNode | undefined = service.list;
    if (!root) {
      const uri = service.resourceList!;
      this.followed.add(uri);
      const node = await this.node(uri);
      if (!node) return this.out;
      // <resource-list> names a <list>; an <entry> there is taken as a list of one
      root = node.kind === 'list' ? node : { kind: 'list', items: [node] };
    }
    if (root.displayName !== undefined) this.out.name = root.displayName;
    await this.walk(root, 0);
    return this.out;
  }
}

export async function resolveService(service: Service, o: ResolveOptions): Promise<Resolved> {
  const r = new Resolution(o);
  try {
    return await r.run(service);
  } finally {
    // fetches started ahead for references a bound then cut are let finish: nothing outlives the call
    await r.fetcher.settled();
  }
}
