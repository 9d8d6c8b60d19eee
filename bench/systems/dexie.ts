/** Dexie 4 on IndexedDB: a table keyed by offset with indexes on key and time. */
import Dexie, { type Table } from 'dexie';
import type { BenchMessage } from '../messages.ts';
import type { ReadMessage, System } from './system.ts';

interface Row {
  offset: number;
  key: Uint8Array;
  time: number;
  value: Uint8Array;
}

export class DexieSystem implements System {
  readonly name = 'Dexie 4';
  readonly settings =
    "table '&offset, key, time', bulkAdd per batch (one transaction each), between().limit() range reads";
  private db: (Dexie & { messages: Table<Row, number> }) | null = null;
  private next = 0;
  private runs = 0;

  async open(): Promise<void> {
    const name = `bench-dexie-${Date.now()}-${this.runs++}`;
    const db = new Dexie(name) as Dexie & { messages: Table<Row, number> };
    db.version(1).stores({ messages: '&offset, key, time' });
    await db.open();
    this.db = db;
    this.next = 0;
  }

  private get d() {
    if (!this.db) throw new Error('not open');
    return this.db;
  }

  async publish(batch: BenchMessage[]): Promise<void> {
    const rows = batch.map((m, i) => ({ offset: this.next + i, key: m.key, time: m.time, value: m.value }));
    await this.d.messages.bulkAdd(rows);
    this.next += batch.length;
  }

  async flush(): Promise<void> {
    // Every bulkAdd transaction has committed when it resolves; nothing is left to flush.
  }

  async consume(offset: number, max: number): Promise<ReadMessage[]> {
    return this.d.messages.where('offset').between(offset, Infinity, true, true).limit(max).toArray();
  }

  async get(offset: number): Promise<ReadMessage> {
    const row = await this.d.messages.get(offset);
    if (!row) throw new Error(`Dexie: no row ${offset}`);
    return row;
  }

  async getByKey(key: Uint8Array): Promise<ReadMessage | null> {
    return (await this.d.messages.where('key').equals(key).last()) ?? null;
  }

  async getByTime(time: number): Promise<ReadMessage | null> {
    return (await this.d.messages.where('time').aboveOrEqual(time).first()) ?? null;
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    if (db) await db.delete();
  }
}
