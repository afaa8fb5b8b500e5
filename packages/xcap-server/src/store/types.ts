/** Documents as stored: one row per document with its exact bytes and ETag (DESIGN.md section 7). */

export interface DocumentKey {
  auid: string;
  /** the XUI of a users-tree document */
  xui: string;
  /** the document path under users/<xui>/ */
  path: string;
}

export interface StoredDocument {
  bytes: Buffer;
  /** the entity-tag value without quotes */
  etag: string;
  modified: Date;
}

/** A change accepted by the store: its ETag is known at once, the commit follows. */
export interface StagedWrite {
  /** the new ETag (a delete has none) */
  etag?: string;
  /** the ETag the document had, undefined when there was none */
  previousEtag?: string;
  /** resolves when the change is on disk; rejects if the commit failed (the change is then gone) */
  committed: Promise<void>;
}

/**
 * Reads see committed documents, except `latest`, which also sees staged ones: a writer serialised per
 * document builds on the change before it without waiting for its commit, and nobody else sees a change before
 * it is durable.
 */
export interface DocumentStore {
  get(key: DocumentKey): Promise<StoredDocument | undefined>;
  latest(key: DocumentKey): Promise<StoredDocument | undefined>;
  /** stages the document with a new ETag */
  put(key: DocumentKey, bytes: Buffer): StagedWrite;
  /** stages the removal of the document */
  delete(key: DocumentKey): StagedWrite;
  listUserDocuments(
    auid: string,
    view?: 'committed' | 'latest',
  ): Promise<{ xui: string; path: string; bytes: Buffer }[]>;
  /** transactions committed so far, and the changes they held */
  readonly commits: { readonly transactions: number; readonly changes: number };
  /** commits what is staged, then closes */
  close(): Promise<void>;
}
