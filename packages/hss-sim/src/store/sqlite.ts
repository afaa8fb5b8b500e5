/**
 * The SQLite subscriber store (better-sqlite3, WAL, synchronous=FULL: a commit is on disk when it
 * returns). SQN allocations arriving in the same turn of the event loop are written in one transaction
 * (group commit), which is what lets one fsync serve a burst of MARs. Subscribers are cached in memory;
 * the cache is dropped whenever another connection (e.g. `hss-sim subscriber` in another process) has
 * committed, which SQLite reports through PRAGMA data_version.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  DEFAULT_IND_BITS,
  IndAllocator,
  makeSqn,
  SQN_BITS,
  SqnExhaustedError,
  SqnGenerator,
} from '@ut-testbed/aka-crypto';
import type { AuthScheme } from '@ut-testbed/config';
import type { NewSubscriber, SqnAllocation, Subscriber, SubscriberStore } from './types';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS subscriber (
  impi TEXT PRIMARY KEY,
  k BLOB NOT NULL CHECK (length(k) = 16),
  opc BLOB NOT NULL CHECK (length(opc) = 16),
  amf BLOB NOT NULL CHECK (length(amf) = 2),
  seq_he INTEGER NOT NULL DEFAULT 0 CHECK (seq_he >= 0),
  scheme TEXT NOT NULL DEFAULT 'Digest-AKAv1-MD5'
);
CREATE TABLE IF NOT EXISTS impu (
  impi TEXT NOT NULL REFERENCES subscriber(impi) ON DELETE CASCADE,
  impu TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (impi, impu)
);
CREATE INDEX IF NOT EXISTS impu_by_impu ON impu(impu);
-- one IND per consumer of vectors (TS 33.102 Annex C.1.2), shared by all subscribers
CREATE TABLE IF NOT EXISTS ind (consumer TEXT PRIMARY KEY, ind INTEGER NOT NULL);
`;

const MAX_SEQ = 2 ** (SQN_BITS - DEFAULT_IND_BITS) - 1;

interface Row {
  impi: string;
  k: Buffer;
  opc: Buffer;
  amf: Buffer;
  seq_he: number;
  scheme: AuthScheme;
}

interface Pending {
  requests: readonly SqnAllocation[];
  resolve: (v: number[][]) => void;
  reject: (e: Error) => void;
}

export class SqliteSubscriberStore implements SubscriberStore {
  private readonly db: Database.Database;
  private readonly inds: IndAllocator;
  /** consumers whose IND is in the database */
  private readonly storedConsumers = new Set<string>();
  private queue: Pending[] = [];
  private flushScheduled = false;
  private readonly stmt;
  private readonly cache = new Map<string, Subscriber>();
  private dataVersion = -1;

  /** `path` ":memory:" keeps everything in memory (tests). */
  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // a writer in another process (hss-sim subscriber) holds the lock for milliseconds: wait that long
    this.db = new Database(path, { timeout: 2000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.stmt = {
      get: db.prepare<[string], Row>(
        'SELECT impi, k, opc, amf, seq_he, scheme FROM subscriber WHERE impi = ?',
      ),
      impus: db.prepare<[string], { impu: string }>('SELECT impu FROM impu WHERE impi = ? ORDER BY position'),
      impisOf: db.prepare<[string], { impi: string }>('SELECT impi FROM impu WHERE impu = ? ORDER BY impi'),
      all: db.prepare<[], Row>('SELECT impi, k, opc, amf, seq_he, scheme FROM subscriber ORDER BY impi'),
      insert: db.prepare(
        'INSERT INTO subscriber (impi, k, opc, amf, seq_he, scheme) VALUES (@impi, @k, @opc, @amf, @seqHe, @scheme)',
      ),
      upsert: db.prepare(`INSERT INTO subscriber (impi, k, opc, amf, seq_he, scheme)
        VALUES (@impi, @k, @opc, @amf, @seqHe, @scheme)
        ON CONFLICT(impi) DO UPDATE SET k = excluded.k, opc = excluded.opc, amf = excluded.amf,
          scheme = excluded.scheme, seq_he = CASE WHEN @keepSeq THEN subscriber.seq_he ELSE excluded.seq_he END`),
      deleteImpus: db.prepare('DELETE FROM impu WHERE impi = ?'),
      insertImpu: db.prepare('INSERT INTO impu (impi, impu, position) VALUES (?, ?, ?)'),
      remove: db.prepare('DELETE FROM subscriber WHERE impi = ?'),
      seq: db.prepare<[string], { seq_he: number }>('SELECT seq_he FROM subscriber WHERE impi = ?'),
      setSeq: db.prepare('UPDATE subscriber SET seq_he = ? WHERE impi = ?'),
      inds: db.prepare<[], { consumer: string; ind: number }>('SELECT consumer, ind FROM ind'),
      insertInd: db.prepare('INSERT OR IGNORE INTO ind (consumer, ind) VALUES (?, ?)'),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
    const stored = this.stmt.inds.all().map((r) => [r.consumer, r.ind] as [string, number]);
    this.inds = new IndAllocator(DEFAULT_IND_BITS, stored);
    for (const [c] of stored) this.storedConsumers.add(c);
  }

  private toSubscriber(r: Row): Subscriber {
    return {
      impi: r.impi,
      impus: this.stmt.impus.all(r.impi).map((x) => x.impu),
      k: Buffer.from(r.k),
      opc: Buffer.from(r.opc),
      amf: Buffer.from(r.amf),
      seqHe: r.seq_he,
      scheme: r.scheme,
    };
  }

  async get(impi: string): Promise<Subscriber | undefined> {
    const v = this.stmt.dataVersion.get()!;
    if (v !== this.dataVersion) {
      this.cache.clear();
      this.dataVersion = v;
    }
    let s = this.cache.get(impi);
    if (!s) {
      const r = this.stmt.get.get(impi);
      if (!r) return undefined;
      s = this.toSubscriber(r);
      if (this.cache.size >= 100_000) this.cache.clear();
      this.cache.set(impi, s);
    }
    return s;
  }

  async impisOf(impu: string): Promise<string[]> {
    return this.stmt.impisOf.all(impu).map((r) => r.impi);
  }

  async list(): Promise<Subscriber[]> {
    return this.stmt.all.all().map((r) => this.toSubscriber(r));
  }

  private writeImpus(impi: string, impus: readonly string[]): void {
    this.stmt.deleteImpus.run(impi);
    impus.forEach((u, i) => this.stmt.insertImpu.run(impi, u, i));
  }

  async add(s: NewSubscriber): Promise<boolean> {
    this.cache.delete(s.impi);
    return this.db
      .transaction(() => {
        if (this.stmt.get.get(s.impi)) return false;
        this.stmt.insert.run({ ...s, seqHe: s.seqHe ?? 0 });
        this.writeImpus(s.impi, s.impus);
        return true;
      })
      .immediate();
  }

  async put(s: NewSubscriber): Promise<void> {
    this.cache.delete(s.impi);
    this.db
      .transaction(() => {
        this.stmt.upsert.run({ ...s, seqHe: s.seqHe ?? 0, keepSeq: s.seqHe === undefined ? 1 : 0 });
        this.writeImpus(s.impi, s.impus);
      })
      .immediate();
  }

  async remove(impi: string): Promise<boolean> {
    this.cache.delete(impi);
    return this.stmt.remove.run(impi).changes > 0;
  }

  async resync(impi: string, sqnMs: number): Promise<boolean> {
    // IMMEDIATE: take the write lock before reading SEQ_HE, so no other writer moves it in between
    const seq = this.db
      .transaction(() => {
        const row = this.stmt.seq.get(impi);
        if (!row) throw new Error(`unknown IMPI ${impi}`);
        const g = new SqnGenerator(row.seq_he);
        if (!g.resync(sqnMs)) return undefined;
        this.stmt.setSeq.run(g.seqHe, impi);
        return g.seqHe;
      })
      .immediate();
    if (seq === undefined) return false;
    const cached = this.cache.get(impi);
    if (cached) cached.seqHe = seq;
    return true;
  }

  allocateSqns(requests: readonly SqnAllocation[]): Promise<number[][]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ requests, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * The IND of a consumer (the Origin-Host of a MAR, which the peer chooses): one of its own, remembered in
   * the database, for the first 2^IND consumers with a sane name (at most 255 octets, a DiameterIdentity);
   * any further consumer shares INDs round robin and is not remembered, so no peer can grow the table.
   */
  private indFor(consumer: string, pending: [string, number][]): number {
    if (this.storedConsumers.has(consumer)) return this.inds.indFor(consumer);
    const planned = pending.find(([c]) => c === consumer);
    if (planned) return planned[1];
    if (consumer.length <= 255 && this.storedConsumers.size + pending.length < 2 ** DEFAULT_IND_BITS) {
      const ind = this.inds.indFor(consumer);
      pending.push([consumer, ind]);
      return ind;
    }
    this.sharedInd = (this.sharedInd + 1) % 2 ** DEFAULT_IND_BITS;
    return this.sharedInd;
  }

  private sharedInd = -1;

  /** One transaction for every allocation queued since the last flush; answers wait for its commit. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    const results = new Map<Pending, number[][] | Error>();
    const newInds: [string, number][] = [];
    const seqs = new Map<string, number>();
    try {
      this.db
        .transaction(() => {
          for (const p of batch) {
            try {
              const out: number[][] = [];
              const planned = new Map<string, number>();
              for (const r of p.requests) {
                let seq = planned.get(r.impi) ?? seqs.get(r.impi);
                if (seq === undefined) {
                  const row = this.stmt.seq.get(r.impi);
                  if (!row) throw new Error(`unknown IMPI ${r.impi}`);
                  seq = row.seq_he;
                }
                if (seq + r.count > MAX_SEQ) throw new SqnExhaustedError(`SEQ of ${r.impi} is used up`);
                const ind = this.indFor(r.consumer, newInds);
                const sqns: number[] = [];
                for (let i = 1; i <= r.count; i++) sqns.push(makeSqn(seq + i, ind));
                planned.set(r.impi, seq + r.count);
                out.push(sqns);
              }
              for (const [impi, seq] of planned) seqs.set(impi, seq);
              results.set(p, out);
            } catch (e) {
              results.set(p, e instanceof Error ? e : new Error(String(e)));
            }
          }
          for (const [impi, seq] of seqs) this.stmt.setSeq.run(seq, impi);
          for (const [consumer, ind] of newInds) this.stmt.insertInd.run(consumer, ind);
        })
        .immediate();
      for (const [consumer] of newInds) this.storedConsumers.add(consumer);
      for (const [impi, seq] of seqs) {
        const cached = this.cache.get(impi);
        if (cached) cached.seqHe = seq;
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of batch) {
      const r = results.get(p)!;
      if (r instanceof Error) p.reject(r);
      else p.resolve(r);
    }
  }

  /** The durability settings in force (journal mode and synchronous level), for checks and diagnostics. */
  settings(): { journalMode: string; synchronous: number } {
    return {
      journalMode: this.db.pragma('journal_mode', { simple: true }) as string,
      synchronous: this.db.pragma('synchronous', { simple: true }) as number,
    };
  }

  async close(): Promise<void> {
    if (this.queue.length) this.flush();
    this.db.close();
  }
}
