/**
 * SQLite document store (better-sqlite3, WAL, synchronous=FULL): each change is one statement in one
 * transaction, so a kill -9 leaves either the old or the new document, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DocumentKey, DocumentStore, StoredDocument } from './types';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS document (
  auid TEXT NOT NULL,
  xui TEXT NOT NULL,
  path TEXT NOT NULL,
  bytes BLOB NOT NULL,
  etag TEXT NOT NULL,
  created INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  PRIMARY KEY (auid, xui, path)
);
`;

/** A strong, opaque entity-tag, new for every change (also when the bytes are the same). */
export function newEtag(): string {
  return randomBytes(12).toString('base64url');
}

export class SqliteDocumentStore implements DocumentStore {
  private readonly db: Database.Database;
  private readonly stmt;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.stmt = {
      get: db.prepare<[string, string, string], { bytes: Buffer; etag: string; modified: number }>(
        'SELECT bytes, etag, modified FROM document WHERE auid = ? AND xui = ? AND path = ?',
      ),
      etag: db.prepare<[string, string, string], { etag: string }>(
        'SELECT etag FROM document WHERE auid = ? AND xui = ? AND path = ?',
      ),
      upsert: db.prepare(`INSERT INTO document (auid, xui, path, bytes, etag, created, modified)
        VALUES (@auid, @xui, @path, @bytes, @etag, @now, @now)
        ON CONFLICT(auid, xui, path) DO UPDATE SET bytes = excluded.bytes, etag = excluded.etag, modified = excluded.modified`),
      delete: db.prepare('DELETE FROM document WHERE auid = ? AND xui = ? AND path = ?'),
      list: db.prepare<[string], { xui: string; path: string; bytes: Buffer }>(
        'SELECT xui, path, bytes FROM document WHERE auid = ? ORDER BY xui, path',
      ),
    };
  }

  async get(k: DocumentKey): Promise<StoredDocument | undefined> {
    const r = this.stmt.get.get(k.auid, k.xui, k.path);
    return r ? { bytes: Buffer.from(r.bytes), etag: r.etag, modified: new Date(r.modified) } : undefined;
  }

  async put(
    k: DocumentKey,
    bytes: Buffer,
  ): Promise<{ etag: string; created: boolean; previousEtag?: string }> {
    return this.db.transaction(() => {
      const previous = this.stmt.etag.get(k.auid, k.xui, k.path)?.etag;
      const etag = newEtag();
      this.stmt.upsert.run({ ...k, bytes, etag, now: Date.now() });
      return previous === undefined
        ? { etag, created: true }
        : { etag, created: false, previousEtag: previous };
    })();
  }

  async delete(k: DocumentKey): Promise<string | undefined> {
    return this.db.transaction(() => {
      const previous = this.stmt.etag.get(k.auid, k.xui, k.path)?.etag;
      if (previous !== undefined) this.stmt.delete.run(k.auid, k.xui, k.path);
      return previous;
    })();
  }

  async listUserDocuments(auid: string): Promise<{ xui: string; path: string; bytes: Buffer }[]> {
    return this.stmt.list.all(auid).map((r) => ({ xui: r.xui, path: r.path, bytes: Buffer.from(r.bytes) }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
