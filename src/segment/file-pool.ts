/**
 * The open files of one log's segments, at most `limit` at once. A sealed
 * segment's file is opened on its first use and closed again, least recently
 * used first, when another needs the room; the head is kept open (`pinned`).
 *
 * Why a bound: every open sync access handle is an open file, and Safari
 * refuses more than about 252 of them a page, so a log of thousands of
 * segments that held them all could not be opened there (BENCHMARKS.md).
 * Why lazily: opening a file costs a millisecond or more (tens in Firefox),
 * so a log that opened every segment took longer to open the more it held.
 *
 * Every use of a file counts while it runs: a file in use is never closed
 * under it, so the bound is exceeded only while more than `limit` files are
 * in use at once (the engine runs one call at a time; an export's reads run
 * beside it).
 *
 * Where opening a file for writing costs more than opening it readonly
 * (`sealedReadonly`), a sealed segment's file opens readonly instead, which
 * on OPFS reads `getFile()` snapshots and holds no handle. Firefox opens and
 * closes a sync access handle in tens of milliseconds and reads a snapshot
 * in well under one; Chromium the other way round (BENCHMARKS.md, "What a
 * random read pays"). The pool compares the two on the files themselves
 * rather than against a fixed figure: on a busy machine both grow, and a
 * fixed figure sent Chromium to snapshots there. The writer never writes a
 * sealed segment, so nothing it does needs the handle.
 */
import { LogError } from '../errors.ts';
import type { Directory, StoredFile } from '../storage/files.ts';
import { LoadedIndexes } from './loaded-indexes.ts';

/** Checks a file when it is opened (again): throws if it is not the file its segment describes. */
export type OpenCheck = (file: StoredFile) => Promise<void>;

/** Sealed files open readonly where a handle's open costs this many times a readonly open, or more. */
const HANDLE_OVER_SNAPSHOT = 4;
/** Opens of sealed files for writing that are compared with a snapshot's read: the first ones. */
const COMPARED_OPENS = 3;

export class FilePool {
  /** Open files, least recently used first (a `Set` keeps insertion order; a use moves a file to the end). */
  private readonly open = new Set<PooledFile>();
  /** Milliseconds of the first opens of sealed files for writing, each with a readonly open of the same file. */
  private readonly compared: { open: number; snapshot: number }[] = [];

  constructor(
    readonly dir: Directory,
    readonly limit: number,
    readonly readonly: boolean,
    /** The bound on the segments' loaded indexes, kept here because every segment of the log reaches its pool. */
    readonly indexes = new LoadedIndexes(),
    /** Told when a file that should be there is not (`missing`). */
    private readonly lost: (name: string) => void = () => undefined,
  ) {}

  /**
   * The file `name`, opened on its first use (or by `openNow`). `check` runs
   * on every open of an existing file, so a file changed while it was
   * closed is caught then.
   */
  file(name: string, check: OpenCheck | null = null): PooledFile {
    return new PooledFile(this, name, check);
  }

  /** `file` was used: it is the most recently used now. */
  touched(file: PooledFile): void {
    this.open.delete(file);
    this.open.add(file);
  }

  /** Before a file opens: closes the least recently used idle files until there is room for one more. */
  async makeRoom(): Promise<void> {
    for (const other of [...this.open]) {
      if (this.open.size < this.limit) break;
      if (other.idle) await other.release();
    }
  }

  forget(file: PooledFile): void {
    this.open.delete(file);
  }

  /**
   * What an open of the existing file `name` rejects with when it failed
   * with `err`: a file that is not there was removed behind the log's back
   * (by hand, or with the rest of its storage: the engine tells which), so
   * it is `Corrupted`, not the `NotFound` a read answers for an offset or
   * key the log does not have.
   */
  missing(name: string, err: unknown): unknown {
    if (!(err instanceof LogError) || err.code !== 'NotFound') return err;
    this.lost(name);
    return new LogError('Corrupted', `${name} is missing: its file was removed while the log knew it`, { cause: err });
  }

  /**
   * Whether a sealed segment's file opens readonly: where, in each of the
   * first opens for writing compared, opening the handle took
   * `HANDLE_OVER_SNAPSHOT` times as long as a readonly open of the file, and
   * more than a millisecond (memory files: both next to nothing).
   */
  get sealedReadonly(): boolean {
    const all = this.compared;
    return all.length >= COMPARED_OPENS && all.every((c) => c.open > 1 && c.open >= HANDLE_OVER_SNAPSHOT * c.snapshot);
  }

  /**
   * The sealed file `name` was opened for writing in `openMs`: times a
   * readonly open of it beside, to its size (on OPFS, a `getFile()`
   * snapshot, most of what a snapshot's read costs; no bytes read), while
   * fewer than `COMPARED_OPENS` were compared.
   */
  async compare(name: string, openMs: number): Promise<void> {
    if (this.compared.length >= COMPARED_OPENS) return;
    const started = performance.now();
    try {
      const snapshot = await this.dir.openFile(name, { create: false, readonly: true });
      await snapshot.size().finally(() => snapshot.close());
    } catch {
      return; // no comparison this time: the read's failure is for the segment's own reads to report
    }
    this.compared.push({ open: openMs, snapshot: performance.now() - started });
  }
}

/**
 * A segment's file as the pool keeps it: the `StoredFile` interface, opened
 * on demand. `close()` is final, as a handle's is: a closed file is not
 * opened again (a rewrite closes the old segment; a read racing it must fail,
 * not read the new file under the old index).
 */
export class PooledFile implements StoredFile {
  private handle: StoredFile | null = null;
  private opening: Promise<StoredFile> | null = null;
  private uses = 0;
  private closed = false;
  /** Kept open whatever the bound: the writer's head. */
  pinned = false;
  /** A sealed segment's file, which is only read: it may open readonly (see `FilePool.sealedReadonly`). */
  sealed = false;

  constructor(
    private readonly pool: FilePool,
    readonly name: string,
    private readonly check: OpenCheck | null,
  ) {}

  /** Open and not in use: the pool may close it. */
  get idle(): boolean {
    return this.handle !== null && this.uses === 0 && !this.pinned && this.opening === null;
  }

  /** Opens the file now unless it is open; `create` creates it if missing (and then skips the check). */
  async openNow(create = false): Promise<StoredFile> {
    if (this.closed) throw new LogError('Closed', `${this.name} was closed`);
    if (this.handle) {
      this.pool.touched(this);
      return this.handle;
    }
    this.opening ??= (async () => {
      await this.pool.makeRoom();
      const readonly = this.pool.readonly || (this.sealed && !this.pinned && this.pool.sealedReadonly);
      const started = performance.now();
      const unchanging = readonly && !this.pool.readonly; // a writer's own sealed file: nobody else writes it
      const handle = await this.pool.dir.openFile(this.name, { create, readonly, unchanging }).catch((err: unknown) => {
        throw create ? err : this.pool.missing(this.name, err);
      });
      if (!readonly && !create && this.sealed) await this.pool.compare(this.name, performance.now() - started);
      try {
        if (!create) await this.check?.(handle);
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw err;
      }
      return handle;
    })();
    try {
      const handle = await this.opening;
      if (this.closed) {
        await handle.close();
        throw new LogError('Closed', `${this.name} was closed`);
      }
      this.handle = handle;
    } finally {
      this.opening = null;
    }
    this.pool.touched(this);
    return this.handle;
  }

  /** Runs `op` on the open file; the pool does not close it meanwhile. */
  private async use<T>(op: (file: StoredFile) => Promise<T>): Promise<T> {
    this.uses++;
    try {
      return await op(await this.openNow());
    } finally {
      this.uses--;
    }
  }

  read(position: number, length: number): Promise<Uint8Array> {
    return this.use((f) => f.read(position, length));
  }

  write(data: Uint8Array, position: number): Promise<void> {
    return this.use((f) => f.write(data, position));
  }

  size(): Promise<number> {
    return this.use((f) => f.size());
  }

  truncate(size: number): Promise<void> {
    return this.use((f) => f.truncate(size));
  }

  /** Nothing to commit while the file is closed: closing committed it. */
  async commit(): Promise<void> {
    if (this.handle) await this.use((f) => f.commit());
  }

  async flush(): Promise<void> {
    if (this.handle) await this.use((f) => f.flush());
  }

  /** Closes the handle for the pool; the next use opens the file again. */
  async release(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    this.pool.forget(this);
    await handle?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.release();
  }
}
