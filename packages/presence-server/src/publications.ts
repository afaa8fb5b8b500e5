/**
 * Event state publications (RFC 3903) of the presence package, in memory: one entity tag per publication,
 * a new one on every successful PUBLISH, expiry on the clock, and a queue per presentity so that its
 * PUBLISHes (and expiries) take effect one at a time in arrival order.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '@ut-testbed/sip-core';
import { composePidf, PIDF_TYPE, type PidfDocument } from './pidf';

export interface Publication {
  readonly presentity: string;
  etag: string;
  body: string;
  doc: PidfDocument;
  /** the order of the last body (initial or modify): a higher one is newer */
  seq: number;
  expiresAt: number;
  timer: unknown;
}

export interface ComposedState {
  contentType: string;
  body: string;
}

/** Why the state of a presentity changed, for {@link PublicationStoreOptions.onChange}. */
export type ChangeReason = 'published' | 'modified' | 'refreshed' | 'removed' | 'expired';

export interface PublicationStoreOptions {
  clock: Clock;
  /** called in the presentity's queue: the next publication of that presentity waits for it */
  onChange?: (presentity: string, reason: ChangeReason) => void | Promise<void>;
  onError?: (e: unknown) => void;
}

export class PublicationStore {
  private readonly byEtag = new Map<string, Publication>();
  private readonly byPresentity = new Map<string, Set<Publication>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;
  private seq = 0;
  private closed = false;

  constructor(private readonly o: PublicationStoreOptions) {}

  /** How many publications are alive. */
  get size(): number {
    return this.byEtag.size;
  }

  /**
   * Runs `fn` after everything queued before for this presentity (a rejected one included), and the
   * change callbacks of those; resolves with its result.
   */
  serialize<T>(presentity: string, fn: () => T | Promise<T>): Promise<T> {
    const prev = this.queues.get(presentity) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(presentity, tail);
    void tail.then(() => {
      if (this.queues.get(presentity) === tail) this.queues.delete(presentity);
    });
    return next;
  }

  /** The publication of this presentity with this entity tag (412 when there is none). */
  find(presentity: string, etag: string): Publication | undefined {
    const p = this.byEtag.get(etag);
    return p && p.presentity === presentity ? p : undefined;
  }

  /** A new publication; returns it with its entity tag. (The caller reports the change: {@link changed}.) */
  add(presentity: string, body: string, doc: PidfDocument, expires: number): Publication {
    const p: Publication = {
      presentity,
      etag: this.newEtag(),
      body,
      doc,
      seq: ++this.seq,
      expiresAt: 0,
      timer: undefined,
    };
    this.byEtag.set(p.etag, p);
    let set = this.byPresentity.get(presentity);
    if (!set) this.byPresentity.set(presentity, (set = new Set()));
    set.add(p);
    this.arm(p, expires);
    return p;
  }

  /** A refresh (no body) or a modify (body): a new entity tag and a new expiry. */
  update(p: Publication, expires: number, body?: { text: string; doc: PidfDocument }): void {
    this.byEtag.delete(p.etag);
    p.etag = this.newEtag();
    this.byEtag.set(p.etag, p);
    if (body) {
      p.body = body.text;
      p.doc = body.doc;
      p.seq = ++this.seq;
    }
    this.arm(p, expires);
  }

  /** Removes it (Expires 0). */
  remove(p: Publication): void {
    this.drop(p);
  }

  /** A fresh entity tag that names nothing (the 200 to a PUBLISH whose state ends at once). */
  newEtag(): string {
    return `${this.prefix}.${(++this.counter).toString(36)}`;
  }

  /** The publications of a presentity, newest body first. */
  publications(presentity: string): Publication[] {
    return [...(this.byPresentity.get(presentity) ?? [])].sort((a, b) => b.seq - a.seq);
  }

  /** The presentity's publications composed into one PIDF document; undefined when there is none. */
  composedState(presentity: string): ComposedState | undefined {
    const pubs = this.publications(presentity);
    if (pubs.length === 0) return undefined;
    return {
      contentType: PIDF_TYPE,
      body: composePidf(
        presentity,
        pubs.map((p) => p.doc),
      ),
    };
  }

  /** Clears every timer; nothing expires or changes afterwards. */
  close(): void {
    this.closed = true;
    for (const p of this.byEtag.values()) this.o.clock.clearTimeout(p.timer);
    this.byEtag.clear();
    this.byPresentity.clear();
  }

  private arm(p: Publication, expires: number): void {
    if (p.timer !== undefined) this.o.clock.clearTimeout(p.timer);
    p.expiresAt = this.o.clock.now() + expires * 1000;
    const etag = p.etag;
    p.timer = this.o.clock.setTimeout(() => {
      p.timer = undefined;
      this.serialize(p.presentity, async () => {
        // refreshed meanwhile (a new tag), removed, or closed: nothing to do
        if (this.closed || p.etag !== etag || this.byEtag.get(etag) !== p) return;
        this.drop(p);
        await this.changed(p.presentity, 'expired');
      }).catch((e: unknown) => this.o.onError?.(e));
    }, expires * 1000);
  }

  private drop(p: Publication): void {
    if (p.timer !== undefined) this.o.clock.clearTimeout(p.timer);
    p.timer = undefined;
    this.byEtag.delete(p.etag);
    const set = this.byPresentity.get(p.presentity);
    set?.delete(p);
    if (set?.size === 0) this.byPresentity.delete(p.presentity);
  }

  /** Calls `onChange` (its failure goes to `onError`); the caller awaits it inside the presentity's queue. */
  async changed(presentity: string, reason: ChangeReason): Promise<void> {
    if (!this.o.onChange) return;
    try {
      await this.o.onChange(presentity, reason);
    } catch (e) {
      this.o.onError?.(e);
    }
  }
}
