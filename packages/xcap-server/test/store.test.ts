/**
 * The SQLite document store on real files: staged changes, group commit (counted by another connection's
 * PRAGMA data_version), a failing commit, closing with changes staged, and the in-memory database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDocumentStore } from '../src/store/sqlite';

const key = (xui: string, path = 'index') => ({ auid: 'resource-lists', xui, path });
const bytes = (s: string) => Buffer.from(s, 'utf8');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xcap-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteDocumentStore', () => {
  it('a staged change is seen by latest() at once, by get() only once it is committed', async () => {
    const store = new SqliteDocumentStore(join(dir, 'x.db'));
    const w = store.put(key('sip:a@h'), bytes('<a/>'));
    expect((await store.latest(key('sip:a@h')))?.etag).toBe(w.etag);
    expect(await store.get(key('sip:a@h'))).toBeUndefined();
    expect(await store.listUserDocuments('resource-lists')).toEqual([]);
    expect((await store.listUserDocuments('resource-lists', 'latest')).map((d) => d.xui)).toEqual([
      'sip:a@h',
    ]);
    await w.committed;
    expect((await store.get(key('sip:a@h')))?.bytes.toString()).toBe('<a/>');
    expect(w.previousEtag).toBeUndefined();
    const second = store.put(key('sip:a@h'), bytes('<b/>'));
    expect(second.previousEtag).toBe(w.etag);
    await second.committed;
    await store.close();
  });

  it('changes staged while a commit is on its way share the next transaction', async () => {
    const store = new SqliteDocumentStore(join(dir, 'x.db'));
    const writes = Array.from({ length: 50 }, (_, i) =>
      store.put(key(`sip:u${i}@h`), bytes(`<v n="${i}"/>`)),
    );
    await Promise.all(writes.map((w) => w.committed));
    // the first change goes at once, the 49 staged meanwhile in one more transaction
    expect(store.commits).toEqual({ transactions: 2, changes: 50 });
    expect((await store.listUserDocuments('resource-lists')).length).toBe(50);
    await store.close();
  });

  it('changes of one document staged together: the last one is what is stored', async () => {
    const store = new SqliteDocumentStore(join(dir, 'x.db'));
    const writes = Array.from({ length: 10 }, (_, i) => store.put(key('sip:a@h'), bytes(`<v n="${i}"/>`)));
    expect(writes.slice(1).map((w) => w.previousEtag)).toEqual(writes.slice(0, -1).map((w) => w.etag));
    await Promise.all(writes.map((w) => w.committed));
    const got = await store.get(key('sip:a@h'));
    expect(got?.bytes.toString()).toBe('<v n="9"/>');
    expect(got?.etag).toBe(writes[9]!.etag);
    await store.close();
  });

  it('a failed commit fails its changes and those staged after it; nothing of them is stored', async () => {
    const path = join(dir, 'x.db');
    const store = new SqliteDocumentStore(path);
    await store.put(key('sip:ok@h'), bytes('<ok/>')).committed;
    // another connection makes the database refuse one user's documents
    const admin = new Database(path);
    admin.exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON document WHEN NEW.xui = 'sip:refused@h' BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
    );
    admin.close();
    const first = store.put(key('sip:refused@h'), bytes('<no/>'));
    const after = store.put(key('sip:other@h'), bytes('<later/>'));
    await expect(first.committed).rejects.toThrow(/refused by test/);
    await expect(after.committed).rejects.toThrow(/refused by test/);
    expect(await store.latest(key('sip:other@h'))).toBeUndefined();
    expect(await store.get(key('sip:refused@h'))).toBeUndefined();
    // the store goes on: a later change commits
    await store.put(key('sip:other@h'), bytes('<again/>')).committed;
    expect((await store.get(key('sip:other@h')))?.bytes.toString()).toBe('<again/>');
    await store.close();
  });

  it('close() commits what is staged first', async () => {
    const path = join(dir, 'x.db');
    const store = new SqliteDocumentStore(path);
    const writes = [store.put(key('sip:a@h'), bytes('<a/>')), store.put(key('sip:b@h'), bytes('<b/>'))];
    const removal = store.delete(key('sip:a@h'));
    expect(removal.previousEtag).toBe(writes[0]!.etag);
    await store.close();
    await Promise.all([...writes, removal].map((w) => w.committed));
    const reopened = new SqliteDocumentStore(path);
    expect(await reopened.get(key('sip:a@h'))).toBeUndefined();
    expect((await reopened.get(key('sip:b@h')))?.etag).toBe(writes[1]!.etag);
    await reopened.close();
  });

  it('an in-memory database commits on its own connection', async () => {
    const store = new SqliteDocumentStore(':memory:');
    const w = store.put(key('sip:a@h'), bytes('<a/>'));
    await w.committed;
    expect((await store.get(key('sip:a@h')))?.etag).toBe(w.etag);
    await store.delete(key('sip:a@h')).committed;
    expect(await store.get(key('sip:a@h'))).toBeUndefined();
    await store.close();
  });
});
