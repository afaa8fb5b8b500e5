import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { indOf, makeSqn, seqOf } from '@ut-testbed/aka-crypto';
import { parseConfig } from '@ut-testbed/config';
import { provision, SqliteSubscriberStore, fromConfig } from '../src';
import { USER1 } from './support';

const sub = {
  impi: USER1.impi,
  impus: USER1.impus,
  k: USER1.k,
  opc: USER1.opc,
  amf: USER1.amf,
  scheme: 'Digest-AKAv1-MD5' as const,
};

describe('SQLite subscriber store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hss-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps subscribers, IMPU order and SEQ_HE across a reopen', async () => {
    const path = join(dir, 'hss.db');
    const a = new SqliteSubscriberStore(path);
    expect(await a.add(sub)).toBe(true);
    expect(await a.add(sub)).toBe(false);
    const [sqns] = await a.allocateSqns([{ impi: sub.impi, consumer: 'ap.home1.net', count: 3 }]);
    expect(sqns!.map((s) => seqOf(s))).toEqual([1, 2, 3]);
    await a.close();
    const b = new SqliteSubscriberStore(path);
    const got = (await b.get(sub.impi))!;
    expect(got.impus).toEqual(USER1.impus);
    expect(got.seqHe).toBe(3);
    expect(got.k.equals(USER1.k)).toBe(true);
    // the consumer keeps its IND after the reopen; a new consumer gets the next free one
    const [again] = await b.allocateSqns([{ impi: sub.impi, consumer: 'ap.home1.net', count: 1 }]);
    const [other] = await b.allocateSqns([{ impi: sub.impi, consumer: 'scscf.home1.net', count: 1 }]);
    expect(indOf(again![0]!)).toBe(indOf(sqns![0]!));
    expect(indOf(other![0]!)).not.toBe(indOf(sqns![0]!));
    expect(seqOf(other![0]!)).toBe(5);
    expect(await b.impisOf(USER1.impus[2]!)).toEqual([USER1.impi]);
    await b.close();
  });

  it('keeps concurrent allocations apart and fails only the request with an unknown IMPI', async () => {
    const s = new SqliteSubscriberStore(':memory:');
    await s.add(sub);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        s.allocateSqns([{ impi: sub.impi, consumer: `c${i % 3}`, count: 2 }]),
      ),
    );
    const all = results.flatMap((r) => r[0]!);
    expect(new Set(all.map((x) => seqOf(x))).size).toBe(100);
    expect((await s.get(sub.impi))!.seqHe).toBe(100);
    // an unknown IMPI fails its own request only
    const mixed = await Promise.allSettled([
      s.allocateSqns([{ impi: 'nobody@home1.net', consumer: 'c0', count: 1 }]),
      s.allocateSqns([{ impi: sub.impi, consumer: 'c0', count: 1 }]),
    ]);
    expect(mixed[0]!.status).toBe('rejected');
    expect(mixed[1]!.status).toBe('fulfilled');
    await s.close();
  });

  it('resync follows TS 33.102 6.3.5 on the stored value', async () => {
    const s = new SqliteSubscriberStore(':memory:');
    await s.add({ ...sub, seqHe: 10 });
    expect(await s.resync(sub.impi, makeSqn(500, 3))).toBe(true);
    expect((await s.get(sub.impi))!.seqHe).toBe(500);
    expect(await s.resync(sub.impi, makeSqn(20, 3))).toBe(false);
    expect((await s.get(sub.impi))!.seqHe).toBe(500);
    await s.close();
  });
});

describe('SQLite store durability and bounds', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hss-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('commits with WAL and synchronous=FULL (2): a commit is on disk when it returns', async () => {
    const s = new SqliteSubscriberStore(join(dir, 'd.db'));
    expect(s.settings()).toEqual({ journalMode: 'wal', synchronous: 2 });
    await s.close();
  });

  it('remembers an own IND for at most 32 consumers; more (or absurd names) share INDs and leave no row', async () => {
    const path = join(dir, 'i.db');
    const s = new SqliteSubscriberStore(path);
    await s.add(sub);
    const names = [...Array.from({ length: 40 }, (_, i) => `peer${i}.home1.net`), 'x'.repeat(300)];
    for (const consumer of names) await s.allocateSqns([{ impi: sub.impi, consumer, count: 1 }]);
    await s.close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT consumer, ind FROM ind ORDER BY ind').all() as {
      consumer: string;
      ind: number;
    }[];
    db.close();
    expect(rows).toHaveLength(32);
    expect(rows.map((r) => r.ind)).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(rows.some((r) => r.consumer.length > 255)).toBe(false);
  });
});

describe('provisioning from hss.subscribers', () => {
  it('adds absent subscribers, never overwrites an existing one, and names the differing fields', async () => {
    const s = new SqliteSubscriberStore(':memory:');
    const cfg = parseConfig({}).hss.subscribers;
    const first = await provision(s, cfg);
    expect(first.added).toEqual([
      'user1_private@home1.net',
      'user2_private@home1.net',
      'user3_private@home1.net',
    ]);
    await s.allocateSqns([{ impi: USER1.impi, consumer: 'ap', count: 4 }]);
    const changed = cfg.map((c, i) => (i === 0 ? { ...c, k: '00'.repeat(16), impus: [c.impus[0]!] } : c));
    const second = await provision(s, changed);
    expect(second.added).toEqual([]);
    expect(second.differing).toEqual([{ impi: USER1.impi, fields: ['k', 'impus'] }]);
    const kept = (await s.get(USER1.impi))!;
    expect(kept.k.equals(USER1.k)).toBe(true);
    expect(kept.seqHe).toBe(4);
    await s.close();
  });

  it('derives OPc from OP once, when provisioning', () => {
    const c = parseConfig({
      hss: {
        subscribers: [
          {
            impi: 'a@home1.net',
            impus: ['sip:a@home1.net'],
            k: USER1.k.toString('hex'),
            op: 'cdc202d5123e20f62b6d676ac72cb318',
            amf: 'b9b9',
          },
        ],
      },
    }).hss.subscribers[0]!;
    expect(fromConfig(c).opc.toString('hex')).toBe(USER1.opc.toString('hex'));
  });
});
