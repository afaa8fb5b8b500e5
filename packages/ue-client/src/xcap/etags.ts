/**
 * The UE's ETag per XCAP document (RFC 4825 7.11: one ETag per document, shared by all its elements and
 * attributes, new on every change). Every answer that carries an ETag refreshes the document's; a document
 * deleted or not found has none. Entity-tags are kept as received (quoted), since If-Match must send
 * them back exactly.
 */

export class EtagStore {
  readonly #tags = new Map<string, string>();

  get(document: string): string | undefined {
    return this.#tags.get(document);
  }

  /** After an answer about `document`: its ETag when it has one; `gone` when the document does not exist. */
  update(document: string, etag: string | undefined, gone = false): void {
    if (gone) this.#tags.delete(document);
    else if (etag !== undefined && etag !== '') this.#tags.set(document, etag);
  }

  forget(document: string): void {
    this.#tags.delete(document);
  }

  /** Every document with a known ETag. */
  entries(): [string, string][] {
    return [...this.#tags.entries()];
  }
}
