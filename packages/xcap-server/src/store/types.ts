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

export interface DocumentStore {
  get(key: DocumentKey): Promise<StoredDocument | undefined>;
  /** writes the document with a new ETag in one transaction; resolves with it */
  put(key: DocumentKey, bytes: Buffer): Promise<{ etag: string; created: boolean; previousEtag?: string }>;
  /** resolves with the ETag the document had, undefined when there was none */
  delete(key: DocumentKey): Promise<string | undefined>;
  listUserDocuments(auid: string): Promise<{ xui: string; path: string; bytes: Buffer }[]>;
  close(): Promise<void>;
}
