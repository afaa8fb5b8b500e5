// The document store's writer thread: one SQLite connection (WAL, synchronous=FULL) that writes each batch of
// changes it receives in one transaction and answers when the transaction is on disk. The statements come from
// src/store/sqlite-writers.ts, so both ways of committing run the same SQL.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const upsert = db.prepare(workerData.upsert);
const remove = db.prepare(workerData.delete);
const write = db.transaction((changes) => {
  for (const c of changes) {
    if (c.bytes === undefined) remove.run(c.auid, c.xui, c.path);
    else upsert.run(c);
  }
});

parentPort.on('message', (changes) => {
  try {
    write(changes);
    parentPort.postMessage({ ok: true });
  } catch (e) {
    parentPort.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
  }
});
