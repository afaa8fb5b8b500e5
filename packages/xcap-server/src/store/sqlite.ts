/**
 * SQLite document store (better-sqlite3, WAL, synchronous=FULL) with group commit. Changes are staged in
 * memory, where `latest` sees them at once; the changes staged while a commit is on its way are written
 * together in the next transaction (by a writer thread for a database file: sqlite-writers.ts); each writer's
 * promise resolves after its transaction. A change is never split across
 * transactions, so a kill -9 leaves every document either as it was or as it was written, never half of one;
 * and no answer claims a change that is not on disk. Reads use a connection of their own in this thread, behind
 * a cache of recently used documents that each commit updates (this process is the database's only writer).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InlineWriter, ThreadWriter, type BatchWriter } from './sqlite-writers';
import type { DocumentKey, DocumentStore, StagedWrite, StoredDocument } from './types';

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

/** A staged change: the new version, or a removal (bytes undefined). */
interface Staged {
  key: DocumentKey;
  bytes?: Buffer;
  etag?: string;
  modified: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

const id = (k: DocumentKey) => `${k.auid}\n${k.xui}\n${k.path}`;

/** Committed documents by id, least recently used first out, bounded by their total size. */
class DocumentCache {
  private readonly entries = new Map<string, StoredDocument>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): StoredDocument | undefined {
    const d = this.entries.get(key);
    if (d) {
      this.entries.delete(key);
      this.entries.set(key, d);
    }
    return d;
  }

  set(key: string, d: StoredDocument): void {
    this.delete(key);
    if (d.bytes.length > this.maxBytes) return;
    this.entries.set(key, d);
    this.bytes += d.bytes.length;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.bytes.length;
    }
  }

  delete(key: string): void {
    const d = this.entries.get(key);
    if (!d) return;
    this.entries.delete(key);
    this.bytes -= d.bytes.length;
  }
}

export class SqliteDocumentStore implements DocumentStore {
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly writer: BatchWriter;
  /** the newest uncommitted change of each document (what `latest` sees) */
  private readonly staged = new Map<string, Staged>();
  private readonly cache = new DocumentCache(8 * 1024 * 1024);
  /** changes waiting for the next transaction, in the order they were staged */
  private next: Staged[] = [];
  /** the transaction on its way to the writer */
  private inFlight: Staged[] | undefined;
  private closed: Promise<void> | undefined;
  /** transactions committed and the changes they held (their ratio is the group size) */
  readonly commits = { transactions: 0, changes: 0 };
  private drained: (() => void) | undefined;

  constructor(path: string) {
    const inMemory = path === ':memory:';
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.stmt = {
      get: db.prepare<[string, string, string], { bytes: Buffer; etag: string; modified: number }>(
        'SELECT bytes, etag, modified FROM document WHERE auid = ? AND xui = ? AND path = ?',
      ),
      list: db.prepare<[string], { xui: string; path: string; bytes: Buffer }>(
        'SELECT xui, path, bytes FROM document WHERE auid = ? ORDER BY xui, path',
      ),
    };
    this.writer = inMemory ? new InlineWriter(db) : new ThreadWriter(path);
  }

  private read(k: DocumentKey): StoredDocument | undefined {
    const key = id(k);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const r = this.stmt.get.get(k.auid, k.xui, k.path);
    if (!r) return undefined;
    const d = { bytes: Buffer.from(r.bytes), etag: r.etag, modified: new Date(r.modified) };
    this.cache.set(key, d);
    return d;
  }

  async get(k: DocumentKey): Promise<StoredDocument | undefined> {
    return this.read(k);
  }

  async latest(k: DocumentKey): Promise<StoredDocument | undefined> {
    const s = this.staged.get(id(k));
    if (!s) return this.read(k);
    return s.bytes === undefined
      ? undefined
      : { bytes: s.bytes, etag: s.etag!, modified: new Date(s.modified) };
  }

  put(k: DocumentKey, bytes: Buffer): StagedWrite {
    return this.stage(k, bytes, newEtag());
  }

  delete(k: DocumentKey): StagedWrite {
    return this.stage(k);
  }

  private stage(key: DocumentKey, bytes?: Buffer, etag?: string): StagedWrite {
    if (this.closed) throw new Error('the document store is closed');
    const before = this.staged.get(id(key));
    const previousEtag = before ? before.etag : this.read(key)?.etag;
    let change!: Staged;
    const committed = new Promise<void>((resolve, reject) => {
      change = { key, modified: Date.now(), resolve, reject };
      if (bytes !== undefined) change.bytes = bytes;
      if (etag !== undefined) change.etag = etag;
    });
    this.staged.set(id(key), change);
    this.next.push(change);
    this.send();
    return {
      ...(etag !== undefined ? { etag } : {}),
      ...(previousEtag !== undefined ? { previousEtag } : {}),
      committed,
    };
  }

  /** Sends what is staged as one transaction, unless one is on its way (it goes when that one is done). */
  private send(): void {
    if (this.inFlight || this.next.length === 0) return;
    const batch = this.next;
    this.next = [];
    this.inFlight = batch;
    const rows = batch.map((c) => ({
      ...c.key,
      ...(c.bytes !== undefined ? { bytes: c.bytes, etag: c.etag } : {}),
      modified: c.modified,
    }));
    this.writer.write(rows).then(
      () => {
        this.inFlight = undefined;
        this.commits.transactions++;
        this.commits.changes += batch.length;
        for (const c of batch) {
          const key = id(c.key);
          if (c.bytes === undefined) this.cache.delete(key);
          else this.cache.set(key, { bytes: c.bytes, etag: c.etag!, modified: new Date(c.modified) });
          if (this.staged.get(key) === c) this.staged.delete(key);
        }
        for (const c of batch) c.resolve();
        this.send();
        if (!this.inFlight) this.drained?.();
      },
      (e: Error) => {
        // what was staged since builds on what failed: none of it may be committed now
        this.inFlight = undefined;
        const all = [...batch, ...this.next];
        this.next = [];
        this.staged.clear();
        for (const c of all) c.reject(e);
        this.drained?.();
      },
    );
  }

  async listUserDocuments(
    auid: string,
    view: 'committed' | 'latest' = 'committed',
  ): Promise<{ xui: string; path: string; bytes: Buffer }[]> {
    const rows = this.stmt.list
      .all(auid)
      .map((r) => ({ xui: r.xui, path: r.path, bytes: Buffer.from(r.bytes) }));
    if (view === 'committed') return rows;
    const out = new Map<string, { xui: string; path: string; bytes: Buffer }>(
      rows.map((r) => [id({ auid, ...r }), r]),
    );
    for (const s of this.staged.values()) {
      if (s.key.auid !== auid) continue;
      if (s.bytes === undefined) out.delete(id(s.key));
      else out.set(id(s.key), { xui: s.key.xui, path: s.key.path, bytes: s.bytes });
    }
    return [...out.values()].sort((a, b) =>
      a.xui === b.xui ? (a.path < b.path ? -1 : 1) : a.xui < b.xui ? -1 : 1,
    );
  }

  /** Waits for every staged change to be committed (or to fail), then closes. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      if (this.inFlight) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      await this.writer.close();
      this.db.close();
    })();
    return this.closed;
  }
}
