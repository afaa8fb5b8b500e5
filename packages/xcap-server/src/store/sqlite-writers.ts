/**
 * How the document store commits a batch of changes in one transaction: a database file by a writer thread
 * (workers/sqlite-writer.mjs: the fsync never holds up the event loop), `:memory:` on the store's own
 * connection (a second connection could not see that database, and there is no fsync to wait for).
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** One change as the writer writes it: a new version, or a removal (no bytes). */
export interface ChangeRow {
  auid: string;
  xui: string;
  path: string;
  bytes?: Buffer;
  etag?: string;
  modified: number;
}

export interface BatchWriter {
  /** writes the changes in one transaction; one batch at a time */
  write(changes: ChangeRow[]): Promise<void>;
  close(): Promise<void>;
}

export const UPSERT = `INSERT INTO document (auid, xui, path, bytes, etag, created, modified)
  VALUES (@auid, @xui, @path, @bytes, @etag, @modified, @modified)
  ON CONFLICT(auid, xui, path) DO UPDATE SET bytes = excluded.bytes, etag = excluded.etag, modified = excluded.modified`;
export const DELETE = 'DELETE FROM document WHERE auid = ? AND xui = ? AND path = ?';

/** workers/ of the package: two levels above both src/store and dist/store */
const WRITER = join(__dirname, '..', '..', 'workers', 'sqlite-writer.mjs');

export class ThreadWriter implements BatchWriter {
  private readonly worker: Worker;
  private pending: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private stopped: Error | undefined;

  constructor(path: string) {
    this.worker = new Worker(WRITER, { workerData: { path, upsert: UPSERT, delete: DELETE } });
    // an idle writer must not keep the process alive; a commit on its way does (ref'd meanwhile)
    this.worker.unref();
    this.worker.on('message', (r: { ok: boolean; message?: string }) => {
      const p = this.pending;
      this.pending = undefined;
      this.worker.unref();
      if (r.ok) p?.resolve();
      else p?.reject(new Error(`the commit failed: ${r.message ?? 'unknown error'}`));
    });
    const fail = (e: Error) => {
      this.stopped = e;
      this.pending?.reject(e);
      this.pending = undefined;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the SQLite writer stopped (exit code ${code})`)));
  }

  write(changes: ChangeRow[]): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(changes);
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

export class InlineWriter implements BatchWriter {
  private readonly run: (changes: ChangeRow[]) => void;

  constructor(db: Database.Database) {
    const upsert = db.prepare(UPSERT);
    const remove = db.prepare(DELETE);
    this.run = db.transaction((changes: ChangeRow[]) => {
      for (const c of changes) {
        if (c.bytes === undefined) remove.run(c.auid, c.xui, c.path);
        else upsert.run(c);
      }
    });
  }

  async write(changes: ChangeRow[]): Promise<void> {
    this.run(changes);
  }

  async close(): Promise<void> {}
}
