/**
 * The presence document a watcher gets: the presentity's composed publications reduced to what its
 * permissions grant (RFC 5025 3.3), the neutral document for polite-block (RFC 5025 3.2.1), or, when nothing
 * is published, a PIDF with no tuple (RFC 3863 allows none: the presentity's state is unknown, which is
 * what a watcher must be told; OpenSIPS invents a "closed" tuple instead).
 *
 * Bodies are cached by presentity state version and transformation key: a PUBLISH seen by a thousand
 * watchers with the same permissions is transformed once.
 */
import type { NotifyContent } from '@ut-testbed/sip-core';
import { PIDF_NS, PIDF_TYPE } from '../pidf';
import type { PublicationStore } from '../publications';
import { transformationsKey, type Permissions } from '../rules/pres-rules';
import { neutralPidf, transformPidf } from '../rules/transform';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export function emptyPidf(entity: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="${PIDF_NS}" entity="${esc(entity)}"/>\n`;
}

export class PresenceDocuments {
  private readonly versions = new Map<string, number>();
  private readonly cache = new Map<string, { version: number; bodies: Map<string, string> }>();

  constructor(private readonly store: PublicationStore) {}

  /** The presentity's state changed: its cached bodies are stale. */
  changed(presentity: string): void {
    this.versions.set(presentity, (this.versions.get(presentity) ?? 0) + 1);
    this.cache.delete(presentity);
  }

  version(presentity: string): number {
    return this.versions.get(presentity) ?? 0;
  }

  body(presentity: string, permissions: Permissions): NotifyContent {
    if (permissions.subHandling === 'polite-block')
      return { contentType: PIDF_TYPE, body: neutralPidf(presentity) };
    const version = this.version(presentity);
    let entry = this.cache.get(presentity);
    if (!entry || entry.version !== version) {
      entry = { version, bodies: new Map() };
      this.cache.set(presentity, entry);
    }
    const key = transformationsKey(permissions.transformations);
    let body = entry.bodies.get(key);
    if (body === undefined) {
      const composed = this.store.composedState(presentity);
      body = composed ? transformPidf(composed.body, permissions.transformations) : emptyPidf(presentity);
      entry.bodies.set(key, body);
    }
    return { contentType: PIDF_TYPE, body };
  }

  /** The composed document as published (for the sphere condition), if any. */
  composed(presentity: string): string | undefined {
    return this.store.composedState(presentity)?.body;
  }
}
