/**
 * The log engine, as klevdb's log.go: it owns the files and the writer lock,
 * runs one call at a time so that no read sees half a publish, and routes
 * each call. A writable log has a writer (writer.ts) that appends to the
 * head segment; a readonly one has a follower (follower.ts) that catches up
 * with its writer, in another tab, before each read. Reads (reader.ts) look
 * at the segment list (segments.ts) that both keep. Arguments arrive checked
 * by the client (client/validate.ts); the engine checks only what depends on
 * its own state.
 */
import { LogError, toLogError } from '../errors.ts';
import { indexEntrySize } from '../indexes/entry-size.ts';
import { IndexStore } from '../indexes/store.ts';
import { lockName } from '../namespace.ts';
import type { Directory, Env, HeldLock } from '../storage/files.ts';
import type { Stats } from '../types.ts';
import { backupSegments } from './backup.ts';
import { LogFollower } from './follower.ts';
import type { ResolvedOptions } from './options.ts';
import type { Producer } from './producers.ts';
import type { RawBatch, RawDeleteResult, RawLog } from './raw.ts';
import { LogReader } from './reader.ts';
import { FilePool } from '../segment/file-pool.ts';
import { LOADED_INDEX_BYTES, LoadedIndexes } from '../segment/loaded-indexes.ts';
import { sealedIndex } from './load.ts';
import { SegmentList, totals } from './segments.ts';
import { type RawSnapshot, SnapshotPins } from './snapshot.ts';
import { LogWriter } from './writer.ts';

export class LogEngine implements RawLog {
  private readonly list = new SegmentList();
  private readonly reader: LogReader;
  /** Null for a readonly log, and once the files were found removed. */
  private writer: LogWriter | null = null;
  /** A readonly log's only. */
  private follower: LogFollower | null = null;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Snapshots pinned for archive export; a rewrite first copies their bytes aside (engine/snapshot.ts). */
  private readonly pins = new SnapshotPins(() => this.closed);
  /** Set once the log's files were found removed under it: every call then rejects with it (see `storageRemoved`). */
  private removed: LogError | null = null;
  /** IndexedDB closed our connection, as clearing the site's data does: check the files before the next call. */
  private suspect = false;
  /** The open files of the segments, at most `maxOpenFiles` (segment/file-pool.ts), and their loaded indexes. */
  private readonly pool: FilePool;

  private constructor(
    private readonly env: Env,
    readonly path: string,
    private readonly dir: Directory,
    readonly options: ResolvedOptions,
    private readonly store: IndexStore,
    private readonly lock: HeldLock | null,
  ) {
    this.reader = new LogReader(this.list, path);
    const indexes = new LoadedIndexes(LOADED_INDEX_BYTES, sealedIndex(store, path, options.readonly));
    this.pool = new FilePool(dir, options.maxOpenFiles, options.readonly, indexes, () => this.writer?.fileMissing());
  }

  /**
   * Opens (or creates) the log at `dir`; the rules are in the TSDoc of `open`
   * (client/open.ts), which checks `dir` and the options once
   * (`normalizeDir`, `resolveOptions`) before they reach the engine.
   */
  static async open(env: Env, path: string, opts: ResolvedOptions): Promise<LogEngine> {
    // One engine at a time writes the files (a readonly log takes no lock). The lock, the directory and
    // IndexedDB are asked for at once, none needing another (each takes milliseconds); no file opens before the lock.
    const locking = opts.readonly ? Promise.resolve(null) : writerLock(env, path);
    const finding = env.root.subdir(path.split('/'), opts.createDirs);
    finding.catch(() => undefined); // not awaited if the lock is refused first
    const storing = IndexStore.open(env.idb); // never rejects: without IndexedDB every open rescans
    let lock: HeldLock | null = null;
    let store: IndexStore | undefined;
    let engine: LogEngine | undefined;
    try {
      lock = await locking;
      const directory = await finding;
      store = await storing;
      engine = new LogEngine(env, path, directory, opts, store, lock);
      await engine.start();
      return engine;
    } catch (err) {
      // Nothing may stay held (a file handle, the lock), or the next open would say Locked instead.
      await Promise.allSettled([...(engine?.list.all ?? []).map((s) => s.close()), engine?.writer?.close()]);
      if (store) store.close();
      else void storing.then((s) => s.close()); // a refused lock does not wait for IndexedDB
      lock?.release();
      throw toLogError(err, `opening log ${path}`);
    }
  }

  private async start(): Promise<void> {
    this.store.onLost = () => {
      this.suspect = true;
    };
    if (this.options.readonly) {
      this.follower = new LogFollower(this.pool, this.path, this.store, this.options, this.list, () =>
        this.storageRemoved(),
      );
      // A follower opens as it catches up before a read: the writer may remove or rewrite a file
      // between the listing and its opening, and the catch-up lists again rather than give up.
      await this.follower.read(async () => undefined);
      return;
    }
    const place = { pool: this.pool, path: this.path, store: this.store };
    this.writer = await LogWriter.open(place, this.options, this.list, {
      checkStored: () => this.checkStored(),
      beforeRewrite: (segment) => this.pins.preserve(this.dir, segment),
    });
    await this.runQueued(async () => this.writer?.retain());
  }

  /**
   * Runs calls one at a time, in call order; rejects `Closed` once closed and
   * `StorageRemoved` once the files were found gone. A writer's failure that
   * a removal could explain (the platform's, not the log's own answers such
   * as a deleted offset's NotFound) is checked against the files first.
   */
  private runQueued<T>(op: () => Promise<T>): Promise<T> {
    const result = this.queue.then(async () => {
      if (this.closed) throw new LogError('Closed', `log ${this.path} is closed`);
      this.pool.indexes.nextOperation(); // what the calls before used may be dropped now, no sooner
      if (this.suspect) await this.checkStored();
      if (this.removed) throw this.removed;
      try {
        return await op();
      } catch (err) {
        if (err instanceof LogError && (err.code === 'Internal' || err.cause !== undefined)) await this.checkStored();
        throw this.removed ?? err;
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** A read: a readonly log first catches up with what its writer did. */
  private readQueued<T>(op: () => Promise<T>): Promise<T> {
    return this.runQueued(() => (this.follower ? this.follower.read(op) : op()));
  }

  /** The writer, for a call that changes the log; a readonly log has none. */
  private requireWriter(): LogWriter {
    if (!this.writer) throw new LogError('Readonly', `log ${this.path} is open readonly`);
    return this.writer;
  }

  /**
   * Rejects `StorageRemoved` if the files are gone. A writer's sync access
   * handles go on reading and writing files removed under them (site data
   * cleared, storage evicted): only a look by name tells.
   */
  private async checkStored(): Promise<void> {
    this.suspect = false;
    const head = this.writer && !this.closed ? this.list.head : undefined;
    const stored = head ? await head.isStillStored(this.dir).catch(() => true) : true; // a failed look proves nothing
    if (!stored) throw this.storageRemoved();
    if (this.removed) throw this.removed;
  }

  /**
   * The files are gone: let go of the index store and the lock, so that a new
   * log can be opened there, and return the error every call now rejects
   * with. The file handles are dropped, not closed: Chromium's `close()` of a
   * sync access handle whose file was removed never returns (it blocks the
   * worker); they go with the worker or its realm.
   */
  private storageRemoved(): LogError {
    this.removed ??= new LogError(
      'StorageRemoved',
      `the files of log ${this.path} were removed while it was open ` +
        '(site data cleared, storage evicted, or its directory removed); what it held is gone, and opening it again starts a new log',
    );
    this.suspect = false;
    this.list.all = [];
    this.writer = null;
    this.store.close();
    this.lock?.release();
    return this.removed;
  }

  publish(records: Uint8Array, producer?: Producer): Promise<number> {
    return this.runQueued(() => this.requireWriter().publish(records, producer));
  }

  delete(offsets: number[]): Promise<RawDeleteResult> {
    return this.runQueued(() => this.requireWriter().delete(offsets));
  }

  nextOffset(): Promise<number> {
    return this.readQueued(async () => this.list.next);
  }

  consume(offset: number, maxCount: number): Promise<RawBatch> {
    return this.readQueued(() => this.reader.consume(offset, maxCount));
  }

  consumeByKey(key: Uint8Array, offset: number, maxCount: number): Promise<RawBatch> {
    return this.readQueued(() => this.reader.consumeByKey(key, offset, maxCount));
  }

  /** A readonly log may run this more than once (see `LogFollower.read`): a sentinel resolves afresh each time. */
  get(offset: number): Promise<Uint8Array> {
    return this.readQueued(() => this.reader.get(offset));
  }

  getByKey(key: Uint8Array): Promise<Uint8Array> {
    return this.readQueued(() => this.reader.getByKey(key));
  }

  getByTime(startUs: number): Promise<Uint8Array> {
    return this.readQueued(() => this.reader.getByTime(startUs));
  }

  stat(): Promise<Stats> {
    return this.readQueued(async () => ({
      segments: this.list.all.length,
      ...totals(this.list.all, indexEntrySize(this.options)),
    }));
  }

  /** Pins the log as it is now for an archive export; see engine/snapshot.ts. Release it when done. */
  pinSnapshot(): Promise<RawSnapshot> {
    return this.readQueued(async () => {
      await Promise.all(this.list.all.map((s) => s.loadIndex())); // an export reads every index
      return this.pins.pin(this.path, this.list.all, this.list.next, this.options);
    });
  }

  /** Bytes [start, end) of segment `s` of a pinned snapshot. Not queued: pinned bytes do not change. */
  readSnapshot(id: number, s: number, start: number, end: number): Promise<Uint8Array> {
    if (this.removed) return Promise.reject(this.removed);
    return this.pins.readSegment(id, s, start, end);
  }

  /** Index rows (indexes/rows.ts) of entries [from, to) of segment `s` of a pinned snapshot. */
  async readSnapshotIndex(id: number, s: number, from: number, to: number): Promise<Uint8Array> {
    if (this.removed) throw this.removed;
    return this.pins.readIndex(id, s, from, to);
  }

  /** Unpins a snapshot and removes the side copies of segments rewritten since it was pinned. */
  releaseSnapshot(id: number): Promise<void> {
    return this.pins.release(id);
  }

  /** Copies the log into `dir` (normalized by the client), which must hold no log and not be this one. */
  backup(dir: string): Promise<void> {
    return this.readQueued(async () => {
      if (dir === this.path) throw new LogError('InvalidArgument', `cannot back up ${this.path} onto itself`);
      const lock = await writerLock(this.env, dir);
      try {
        const targetDir = await this.env.root.subdir(dir.split('/'), true);
        await backupSegments(this.list.all, targetDir, this.path, dir, this.store);
      } finally {
        lock.release();
      }
    });
  }

  sync(): Promise<number> {
    return this.runQueued(async () => (this.writer ? this.writer.sync() : this.list.next));
  }

  /** Resolves once everything is released, also after the files were removed (there is nothing left to flush). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const closing = this.queue.then(async () => {
      if (this.closed) return;
      await this.checkStored().catch(() => undefined);
      this.closed = true;
      if (this.removed) return; // storageRemoved released everything
      try {
        await this.writer?.saveHead();
        await this.store.settle();
        await Promise.all(this.list.all.map((s) => s.close()));
        await this.writer?.close();
      } finally {
        await this.pins.releaseAll(); // before the lock: the next writer must not find our copies in use
        this.store.close();
        this.lock?.release();
      }
    });
    this.queue = closing.catch(() => undefined);
    return closing;
  }
}

/** The writer lock of the log at `path`, or `Locked` if another engine writes it. */
async function writerLock(env: Env, path: string): Promise<HeldLock> {
  const lock = await env.locks.tryAcquire(lockName(path)).catch((err: unknown) => {
    throw toLogError(err, `taking the writer lock of ${path}`);
  });
  if (!lock) throw new LogError('Locked', `log ${path} is open for writing elsewhere`);
  return lock;
}
