/**
 * Persists segment indexes in IndexedDB: one record per segment (written when
 * a segment is sealed, rewritten, synced or closed), never one per message,
 * because IndexedDB manages only ~20k puts a second (measured in Chromium).
 *
 * Records are derived data. Each names the segment file's incarnation and the
 * byte size it covers; on open the engine trusts a record only if both agree
 * with the file, and rescans the segment otherwise (see `Segment.load`).
 */
import { unwrap, wrap, type IDBPDatabase } from 'idb';
import { LogError, toLogError } from '../errors.ts';
import type { PackedIndex } from './segment-index.ts';

const DB_NAME = 'opfs-log';
/** 2 added the `cursors` store (durable consumer positions, src/client/cursor.ts). */
const DB_VERSION = 2;
const STORE = 'segments';
const CURSORS = 'cursors';

/** A named consumer position of the log at `dir` (see src/client/cursor.ts). */
interface CursorRecord {
  dir: string;
  name: string;
  offset: number;
}

export interface SegmentRecord extends PackedIndex {
  dir: string;
  base: number;
  /** The random id in the segment file's header this index was built from. */
  incarnation: number;
  /** Bytes of the segment file (header included) the index covers. */
  size: number;
}

export class IndexStore {
  private db: IDBPDatabase | null = null;
  private closed = false;

  private constructor(private readonly factory: IDBFactory) {}

  static async open(factory: IDBFactory): Promise<IndexStore> {
    const store = new IndexStore(factory);
    await store.connection();
    return store;
  }

  /**
   * The database connection, reopened if another tab deleted or upgraded the
   * database: we close ours on `versionchange` so that we never block them.
   */
  private async connection(): Promise<IDBPDatabase> {
    if (this.closed) throw new LogError('Closed', 'the index store is closed');
    if (this.db) return this.db;
    try {
      const request = this.factory.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        // From any older version: add what is missing, keep what is there.
        const names = request.result.objectStoreNames;
        if (!names.contains(STORE)) request.result.createObjectStore(STORE, { keyPath: ['dir', 'base'] });
        if (!names.contains(CURSORS)) request.result.createObjectStore(CURSORS, { keyPath: ['dir', 'name'] });
      };
      const db = await (wrap(request) as Promise<IDBPDatabase>);
      unwrap(db).onversionchange = () => {
        db.close();
        if (this.db === db) this.db = null;
      };
      this.db = db;
      return db;
    } catch (err) {
      throw toLogError(err, 'opening the IndexedDB index store');
    }
  }

  private range(dir: string): IDBKeyRange {
    return IDBKeyRange.bound([dir, -Infinity], [dir, Infinity]);
  }

  /** Every record of one log, by segment base. */
  async load(dir: string): Promise<Map<number, SegmentRecord>> {
    const db = await this.connection();
    const records = (await db.getAll(STORE, this.range(dir))) as SegmentRecord[];
    return new Map(records.map((r) => [r.base, r]));
  }

  async put(record: SegmentRecord): Promise<void> {
    await (await this.connection()).put(STORE, record);
  }

  /** Removal must be durable before the segment it describes changes, hence strict. */
  async remove(dir: string, base: number): Promise<void> {
    const tx = (await this.connection()).transaction(STORE, 'readwrite', { durability: 'strict' });
    await Promise.all([tx.store.delete([dir, base]), tx.done]);
  }

  /** The committed offset of cursor `name` of log `dir`, or null if it was never committed. */
  async cursor(dir: string, name: string): Promise<number | null> {
    const record = (await (await this.connection()).get(CURSORS, [dir, name])) as CursorRecord | undefined;
    return record ? record.offset : null;
  }

  /** Every committed cursor of log `dir`, by name (strings sort before arrays, which bound the range). */
  async cursors(dir: string): Promise<Map<string, number>> {
    const range = IDBKeyRange.bound([dir, ''], [dir, []]);
    const records = (await (await this.connection()).getAll(CURSORS, range)) as CursorRecord[];
    return new Map(records.map((r) => [r.name, r.offset]));
  }

  /** Commits cursor `name` of log `dir` (null forgets it); strict, so it is on disk when this resolves. */
  async putCursor(dir: string, name: string, offset: number | null): Promise<void> {
    const tx = (await this.connection()).transaction(CURSORS, 'readwrite', { durability: 'strict' });
    const record: CursorRecord = { dir, name, offset: offset ?? 0 };
    await Promise.all([offset === null ? tx.store.delete([dir, name]) : tx.store.put(record), tx.done]);
  }

  close(): void {
    this.closed = true;
    this.db?.close();
    this.db = null;
  }
}
