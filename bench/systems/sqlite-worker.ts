/** The SQLite-WASM side of the benchmark: opfs-sahpool VFS, prepared statements, a transaction per batch. */
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import type { BenchMessage } from '../messages.ts';
import { serve } from '../rpc.ts';
import type { ReadMessage } from './system.ts';

type Db = InstanceType<Awaited<ReturnType<typeof sqlite3InitModule>>['oo1']['DB']>;
type Stmt = ReturnType<Db['prepare']>;

let db: Db | null = null;
let next = 0;
let stmts: Record<'insert' | 'consume' | 'get' | 'byKey' | 'byTime', Stmt> | null = null;

function row(s: Stmt): ReadMessage {
  return { offset: s.getInt(0)!, key: s.getBlob(1), time: s.getInt(2)!, value: s.getBlob(3) };
}

function one(s: Stmt, args: unknown[]): ReadMessage | null {
  s.bind(args as never);
  const r = s.step() ? row(s) : null;
  s.reset(true);
  return r;
}

serve({
  async open(name: string) {
    const sqlite3 = await sqlite3InitModule();
    const pool = await sqlite3.installOpfsSAHPoolVfs({ clearOnInit: true });
    db = new pool.OpfsSAHPoolDb(name) as unknown as Db;
    db.exec(`CREATE TABLE messages(offset INTEGER PRIMARY KEY, key BLOB, time INTEGER, value BLOB);
             CREATE INDEX messages_key ON messages(key);
             CREATE INDEX messages_time ON messages(time);`);
    const cols = 'offset, key, time, value';
    stmts = {
      insert: db.prepare('INSERT INTO messages(offset, key, time, value) VALUES (?, ?, ?, ?)'),
      consume: db.prepare(`SELECT ${cols} FROM messages WHERE offset >= ? ORDER BY offset LIMIT ?`),
      get: db.prepare(`SELECT ${cols} FROM messages WHERE offset = ?`),
      byKey: db.prepare(`SELECT ${cols} FROM messages WHERE key = ? ORDER BY offset DESC LIMIT 1`),
      byTime: db.prepare(`SELECT ${cols} FROM messages WHERE time >= ? ORDER BY time, offset LIMIT 1`),
    };
    next = 0;
  },
  publish(batch: BenchMessage[]) {
    const insert = stmts!.insert;
    db!.exec('BEGIN');
    for (const m of batch) insert.bind([next++, m.key, m.time, m.value] as never).stepReset();
    db!.exec('COMMIT');
  },
  flush() {
    // Each COMMIT has synced through the VFS already.
  },
  consume(offset: number, max: number) {
    const s = stmts!.consume;
    s.bind([offset, max] as never);
    const out: ReadMessage[] = [];
    while (s.step()) out.push(row(s));
    s.reset(true);
    return out;
  },
  get(offset: number) {
    const r = one(stmts!.get, [offset]);
    if (!r) throw new Error(`no row ${offset}`);
    return r;
  },
  getByKey: (key: Uint8Array) => one(stmts!.byKey, [key]),
  getByTime: (time: number) => one(stmts!.byTime, [time]),
  close() {
    if (stmts) for (const s of Object.values(stmts)) s.finalize();
    db?.close();
    db = null;
    stmts = null;
  },
});
