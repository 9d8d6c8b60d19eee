/**
 * Persists segment indexes in IndexedDB: one record per segment (written when
 * a segment is sealed, rewritten, synced or closed), never one per message,
 * because IndexedDB manages only some thousands of puts a second (BENCHMARKS.md).
 *
 * Records are derived data. Each names the segment file's incarnation and the
 * byte size it covers; on open the engine trusts a record only if both agree
 * with the file, and rescans the segment otherwise (see `Segment.load`). A
 * record whose packing is of another layout (`PACKED_INDEX_LAYOUT`: an older
 * or newer opfs-log wrote it) is never read: `load` leaves it out, as if it
 * were missing, and the rescan writes a current one over it.
 */
import { unwrap, wrap, type IDBPDatabase } from 'idb';
import { LogError } from '../errors.ts';
import { DB_NAME } from '../namespace.ts';
import { PACKED_INDEX_LAYOUT, type PackedIndex } from './packed.ts';
import {
  migrateSummaries,
  putSummary,
  type SegmentSummary,
  SUMMARY_PAGES,
  type SummaryPage,
  unpackPages,
} from './summary-pages.ts';

export type { SegmentSummary };

/**
 * 2 added the `cursors` store (durable consumer positions, src/client/cursor.ts);
 * 3 the `summaries` store (a sealed segment's summary, read on open instead of
 * its whole index) and the `filters` store (its key filter, read on the first
 * key lookup: in the summaries, they made an open of 10M messages take
 * seconds, BENCHMARKS.md); 4 the `keyFilters` store, of filters that let far
 * fewer absent keys through (indexes/segment-index.ts `KEY_FILTER`). The
 * first filters stay in `filters`, where a version of opfs-log that knew only
 * them reads them and writes its own: this one never reads nor writes them,
 * so neither version misreads the other's; 5 the `knownFiles` store (the
 * segment files a writer knows its log to have, which spare an open the
 * listing of its directory: engine/known-files.ts); 6 the `summaryPages`
 * store, of many summaries a record (indexes/summary-pages.ts), into which
 * the upgrade moves the `summaries` store's and then deletes that store. A
 * version that knew the `summaries` store and opens the database after the
 * upgrade (it never upgrades over a newer one) finds none there, so it opens
 * segments from their files and writes no summary: a page made stale by a
 * change it made is caught as any changed file is (`Segment.fromSummary`).
 */
const DB_VERSION = 6;
const STORE = 'segments';
const CURSORS = 'cursors';
const SUMMARIES = 'summaries';
const FILTERS = 'filters';
const KEY_FILTERS = 'keyFilters';
const KNOWN_FILES = 'knownFiles';

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

/** A sealed segment's Bloom filter of its key hashes (indexes/segment-index.ts `bloomOf`), 2-4 bytes a message. */
export interface KeyFilter {
  dir: string;
  base: number;
  /** The file it was made of, as the summary's. */
  incarnation: number;
  bloom: ArrayBuffer;
}

/**
 * The segment files of a log as its writer last knew them, with the change
 * counter's state they go with (engine/changes.ts): an open that finds the
 * counter in that state takes these for the directory's listing
 * (engine/known-files.ts says when, and what a crash leaves).
 */
export interface KnownFiles {
  dir: string;
  seq: number;
  head: number;
  /** The bases of every segment file, the head's last. */
  bases: number[];
  /**
   * False unless the next open must list the directory even so: side copies
   * of an export (engine/snapshot.ts) are there too, or a segment file was
   * found missing. Absent (a record saved before this field) lists too.
   */
  listNext: boolean;
}

/** A segment's record as saved, with its summary if it is sealed (none: any summary of it is dropped). */
export interface SavedIndex {
  record: SegmentRecord;
  summary?: SegmentSummary | undefined;
  filter?: KeyFilter | undefined;
}

/** Why IndexedDB cannot be used: the store then keeps nothing. */
class Unusable {
  constructor(readonly reason: string) {}
}

/**
 * Opens the database at our version, or, when another script of the origin
 * upgraded it past ours, at the version it has: we never upgrade over someone
 * else, since their next open at their version would then fail. Resolves to
 * an `Unusable` when a store we need is missing or the open is blocked (a
 * connection at an older version that does not close).
 */
async function openDatabase(factory: IDBFactory): Promise<IDBPDatabase | Unusable> {
  try {
    return await request(factory, DB_VERSION);
  } catch (err) {
    if ((err as { name?: unknown } | null)?.name !== 'VersionError') throw err;
  }
  const db = await request(factory);
  if (db instanceof Unusable || db.objectStoreNames.contains(STORE)) return db;
  db.close();
  return new Unusable(`the IndexedDB database ${DB_NAME} (version ${db.version}) has no ${STORE} store`);
}

/**
 * How long an open may wait before the log goes on without IndexedDB. A
 * blocked open says so at once, but an open queued behind another
 * context's blocked one hears nothing until that one is done.
 */
const OPEN_PATIENCE_MS = 3000;

/** Opens of this context still waiting (blocked or slow): a new one would only queue behind them. */
const waiting = new WeakMap<IDBFactory, Promise<unknown>>();

function request(factory: IDBFactory, version?: number): Promise<IDBPDatabase | Unusable> {
  if (waiting.has(factory)) {
    return Promise.resolve(new Unusable(`an earlier open of the IndexedDB database ${DB_NAME} is still waiting`));
  }
  const req = version === undefined ? factory.open(DB_NAME) : factory.open(DB_NAME, version);
  req.onupgradeneeded = () => {
    // From any older version (or none): add what is missing, keep what is there.
    const names = req.result.objectStoreNames;
    if (!names.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: ['dir', 'base'] });
    if (!names.contains(CURSORS)) req.result.createObjectStore(CURSORS, { keyPath: ['dir', 'name'] });
    if (!names.contains(SUMMARY_PAGES)) migrateSummaries(req.result, req.transaction!, SUMMARIES);
    if (!names.contains(FILTERS)) req.result.createObjectStore(FILTERS, { keyPath: ['dir', 'base'] });
    if (!names.contains(KEY_FILTERS)) req.result.createObjectStore(KEY_FILTERS, { keyPath: ['dir', 'base'] });
    if (!names.contains(KNOWN_FILES)) req.result.createObjectStore(KNOWN_FILES, { keyPath: 'dir' });
  };
  const opened = wrap(req) as Promise<IDBPDatabase>;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<Unusable>((resolve) => {
    const giveUp = (why: string) => {
      resolve(new Unusable(`opening the IndexedDB database ${DB_NAME} ${why}`));
      waiting.set(factory, opened);
      // Should it open after all, nobody uses it: close it so that it blocks nobody.
      opened
        .then(
          (db) => db.close(),
          () => undefined,
        )
        .finally(() => waiting.delete(factory));
    };
    req.onblocked = () => giveUp('is blocked by a connection at an older version');
    timer = setTimeout(() => giveUp(`took over ${OPEN_PATIENCE_MS} ms`), OPEN_PATIENCE_MS);
  });
  return Promise.race([opened, stuck]).finally(() => clearTimeout(timer));
}

/**
 * Segment index records and cursors in IndexedDB. Index records are derived
 * data, so a database that cannot be used (missing, upgraded by someone else
 * without our stores, blocked, failing) never fails the log: the store then
 * keeps nothing (`load` finds no record, `put` and `remove` do nothing) and
 * every open rescans the segments. Cursors need it for durability: their
 * calls reject `Unsupported` then.
 */
/** How long `putSoon` gathers records before writing them in one transaction. */
const PUT_DELAY_MS = 50;

const queueKey = (dir: string, base: number) => `${base} ${dir}`;

export class IndexStore {
  private db: IDBPDatabase | null = null;
  private unusable: Unusable | null = null;
  private closed = false;
  /** Records (with summaries) `putSoon` has not written yet, the latest of each segment. */
  private readonly queued = new Map<string, SavedIndex>();
  /** The known files `putSoon` has not written yet, the latest of each log. */
  private readonly queuedFiles = new Map<string, KnownFiles>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Writes of queued records under way: `settle` waits for them. */
  private readonly writing = new Set<Promise<void>>();

  /**
   * Said when IndexedDB closes our connection on its own, as it does when the
   * site's data is cleared: the log's files may be gone too (engine.ts checks).
   */
  onLost: () => void = () => undefined;

  private constructor(private readonly factory: IDBFactory | undefined) {}

  /** Never rejects: an IndexedDB that cannot be used gives a store that keeps nothing. */
  static async open(factory: IDBFactory | undefined): Promise<IndexStore> {
    const store = new IndexStore(factory);
    await store.connection();
    return store;
  }

  /** Null once IndexedDB proved unusable; then `unusableReason` says why. */
  get unusableReason(): string | null {
    return this.unusable?.reason ?? null;
  }

  /**
   * The database connection, reopened if another tab deleted or upgraded the
   * database: we close ours on `versionchange` so that we never block them.
   * Null if IndexedDB cannot be used (for the rest of this store's life).
   */
  private async connection(): Promise<IDBPDatabase | null> {
    if (this.closed) throw new LogError('Closed', 'the index store is closed');
    if (this.db) return this.db;
    if (this.unusable) return null;
    let db: IDBPDatabase | Unusable;
    try {
      if (!this.factory) throw new Error('this context has no IndexedDB');
      db = await openDatabase(this.factory);
    } catch (err) {
      db = new Unusable(`opening the IndexedDB database ${DB_NAME}: ${describe(err)}`);
    }
    if (this.closed && !(db instanceof Unusable)) db.close();
    if (this.closed) throw new LogError('Closed', 'the index store is closed');
    if (db instanceof Unusable) {
      this.unusable = db;
      return null;
    }
    const opened = db;
    unwrap(opened).onversionchange = () => {
      opened.close();
      if (this.db === opened) this.db = null;
    };
    unwrap(opened).onclose = () => {
      if (this.db === opened) this.db = null; // the next use opens a new connection
      this.onLost();
    };
    this.db = opened;
    return opened;
  }

  /** The connection if it has `store`; else null (segments) or `Unsupported` (cursors). */
  private async with(store: typeof STORE | typeof CURSORS): Promise<IDBPDatabase | null> {
    const db = await this.connection();
    const reason =
      db === null
        ? this.unusable!.reason
        : db.objectStoreNames.contains(store)
          ? null
          : `the IndexedDB database ${DB_NAME} (version ${db.version}) has no ${store} store`;
    if (reason === null) return db;
    if (store === CURSORS) throw new LogError('Unsupported', `cursors need IndexedDB, which cannot be used: ${reason}`);
    return null;
  }

  private range(dir: string): IDBKeyRange {
    return IDBKeyRange.bound([dir, -Infinity], [dir, Infinity]);
  }

  /**
   * Every record of one log in the current layout, by segment base; none if
   * IndexedDB fails.
   */
  async load(dir: string): Promise<Map<number, SegmentRecord>> {
    const db = await this.with(STORE);
    if (!db) return new Map();
    try {
      const records = (await db.getAll(STORE, this.range(dir))) as Partial<SegmentRecord>[];
      const current = records.filter((r): r is SegmentRecord => r.layout === PACKED_INDEX_LAYOUT);
      return new Map(current.map((r) => [r.base, r]));
    } catch {
      return new Map();
    }
  }

  /** The bases of every record of one log (of any layout); none if IndexedDB fails. */
  async bases(dir: string): Promise<number[]> {
    const db = await this.with(STORE);
    if (!db) return [];
    try {
      const keys = (await db.getAllKeys(STORE, this.range(dir))) as [string, number][];
      return keys.map(([, base]) => base);
    } catch {
      return [];
    }
  }

  /** The record of one segment if it is in the current layout; none if IndexedDB fails. */
  async record(dir: string, base: number): Promise<SegmentRecord | undefined> {
    const db = await this.with(STORE);
    if (!db) return undefined;
    try {
      const record = (await db.get(STORE, [dir, base])) as Partial<SegmentRecord> | undefined;
      return record?.layout === PACKED_INDEX_LAYOUT ? (record as SegmentRecord) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The summaries of one log's sealed segments, by base; none if IndexedDB
   * fails or keeps none (then every segment is opened as it was before
   * summaries: its record read and checked against its file).
   */
  async summaries(dir: string): Promise<Map<number, SegmentSummary>> {
    const db = await this.with(STORE);
    if (!db?.objectStoreNames.contains(SUMMARY_PAGES)) return new Map();
    try {
      return unpackPages((await db.getAll(SUMMARY_PAGES, this.range(dir))) as SummaryPage[]);
    } catch {
      return new Map();
    }
  }

  /** The key filters of one log's sealed segments, by base; none if IndexedDB fails or keeps none. */
  filters(dir: string): Promise<Map<number, KeyFilter>> {
    return this.bySegment<KeyFilter>(KEY_FILTERS, dir);
  }

  /** Everything `store` keeps of the log at `dir`, by segment base; none if IndexedDB fails or has no such store. */
  private async bySegment<T extends { base: number }>(store: string, dir: string): Promise<Map<number, T>> {
    const db = await this.with(STORE);
    if (!db?.objectStoreNames.contains(store)) return new Map();
    try {
      const all = (await db.getAll(store, this.range(dir))) as T[];
      return new Map(all.map((v) => [v.base, v]));
    } catch {
      return new Map();
    }
  }

  /** The segment files the writer of the log at `dir` last knew; none if IndexedDB fails or keeps none. */
  async knownFiles(dir: string): Promise<KnownFiles | undefined> {
    const db = await this.with(STORE);
    if (!db?.objectStoreNames.contains(KNOWN_FILES)) return undefined;
    try {
      return (await db.get(KNOWN_FILES, dir)) as KnownFiles | undefined;
    } catch {
      return undefined;
    }
  }

  /** Saves a record now, with its summary and filter (a sealed segment's) or without (any of them is dropped). */
  async put(saved: SavedIndex): Promise<void> {
    await this.write([saved], 'relaxed');
  }

  /**
   * Saves a record (and its summary, as `put`) soon, in one transaction with the
   * others queued meanwhile (a transaction costs about as much as its puts;
   * a busy log seals several segments a second). Never rejects: records are
   * derived data, and a lost one costs its segment a rescan on open.
   */
  putSoon(saved: SavedIndex | KnownFiles): void {
    if ('record' in saved) this.queued.set(queueKey(saved.record.dir, saved.record.base), saved);
    else this.queuedFiles.set(saved.dir, saved);
    this.timer ??= setTimeout(() => void this.writeQueued(), PUT_DELAY_MS);
  }

  /** Writes what is queued now and waits for every write under way. */
  async settle(): Promise<void> {
    void this.writeQueued();
    await Promise.all(this.writing);
  }

  private writeQueued(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const queued = [...this.queued.values()];
    const files = [...this.queuedFiles.values()];
    this.queued.clear();
    this.queuedFiles.clear();
    if (queued.length === 0 && files.length === 0) return Promise.resolve();
    const write = Promise.all([
      queued.length > 0 && this.write(queued, 'relaxed'),
      files.length > 0 && this.writeFiles(files),
    ]).then(
      () => undefined,
      () => undefined,
    );
    this.writing.add(write);
    void write.finally(() => this.writing.delete(write));
    return write;
  }

  /**
   * In one transaction, for each segment: its record, summary and filter put
   * as `saved` holds them (any it lacks deleted), or, given a key alone, all
   * three deleted. The filters of an earlier version (`FILTERS`) are left:
   * that version checks a filter's incarnation against its file, so a stale
   * one misleads it into nothing, and a transaction over one store fewer
   * needs less room at the quota (Firefox refused one there).
   */
  private async write(changes: (SavedIndex | [string, number])[], durability: 'relaxed' | 'strict'): Promise<void> {
    const db = await this.with(STORE);
    if (!db) return;
    const has = (name: string) => db.objectStoreNames.contains(name);
    const all = has(SUMMARY_PAGES) && has(KEY_FILTERS);
    const tx = db.transaction(all ? [STORE, SUMMARY_PAGES, KEY_FILTERS] : [STORE], 'readwrite', { durability });
    const done: Promise<unknown>[] = [tx.done];
    const each = changes.map((change) => {
      const saved = Array.isArray(change) ? undefined : change;
      const key: [string, number] = saved ? [saved.record.dir, saved.record.base] : (change as [string, number]);
      return { saved, key };
    });
    for (const { saved, key } of each) {
      const stores: [string, object | undefined][] = [[STORE, saved?.record]];
      if (all) stores.push([KEY_FILTERS, saved?.filter]);
      for (const [name, value] of stores) {
        done.push(value ? tx.objectStore(name).put(value) : tx.objectStore(name).delete(key));
      }
    }
    // A page is read and written again for each summary, one after another: two in one page see each other.
    const pages = async () => {
      for (const { saved, key } of each) await putSummary(tx.objectStore(SUMMARY_PAGES), ...key, saved?.summary);
    };
    if (all) done.push(pages());
    await Promise.all(done);
  }

  private async writeFiles(files: KnownFiles[]): Promise<void> {
    const db = await this.with(STORE);
    if (!db?.objectStoreNames.contains(KNOWN_FILES)) return;
    const tx = db.transaction(KNOWN_FILES, 'readwrite', { durability: 'relaxed' });
    await Promise.all([tx.done, ...files.map((f) => tx.store.put(f))]);
  }

  /** Removal (of the record, summary and filter) must be durable before the segment they describe changes, hence strict. */
  async remove(dir: string, base: number): Promise<void> {
    this.queued.delete(queueKey(dir, base));
    await this.write([[dir, base]], 'strict');
  }

  /** The committed offset of cursor `name` of log `dir`, or null if it was never committed. */
  async cursor(dir: string, name: string): Promise<number | null> {
    const record = (await (await this.with(CURSORS))!.get(CURSORS, [dir, name])) as CursorRecord | undefined;
    return record ? record.offset : null;
  }

  /**
   * Every committed cursor of log `dir`, by name (strings sort before arrays,
   * which bound the range). None where IndexedDB cannot be used: no cursor
   * could have been committed there.
   */
  async cursors(dir: string): Promise<Map<string, number>> {
    const db = await this.connection();
    if (!db?.objectStoreNames.contains(CURSORS)) return new Map();
    const range = IDBKeyRange.bound([dir, ''], [dir, []]);
    const records = (await db.getAll(CURSORS, range)) as CursorRecord[];
    return new Map(records.map((r) => [r.name, r.offset]));
  }

  /** Commits cursor `name` of log `dir` (null forgets it); strict, so it is on disk when this resolves. */
  async putCursor(dir: string, name: string, offset: number | null): Promise<void> {
    const tx = (await this.with(CURSORS))!.transaction(CURSORS, 'readwrite', { durability: 'strict' });
    const record: CursorRecord = { dir, name, offset: offset ?? 0 };
    await Promise.all([offset === null ? tx.store.delete([dir, name]) : tx.store.put(record), tx.done]);
  }

  /** Closes the connection; records still queued are dropped (call `settle` first to keep them). */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queued.clear();
    this.queuedFiles.clear();
    this.db?.close();
    this.db = null;
  }
}

function describe(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown } | null;
  return typeof e?.message === 'string' ? `${String(e.name)}: ${e.message}` : String(err);
}
