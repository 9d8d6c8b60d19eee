/**
 * Durable cursors: named consumer positions stored with the log, so that a
 * projection resumes where it stopped after a reload or a crash.
 *
 * A cursor is one record in the `cursors` store of the log's IndexedDB
 * database (indexes/store.ts), keyed by the log's dir and the cursor's name.
 * A commit is one put in a `strict`-durability transaction: atomic, and on
 * disk when `commit` resolves. Cursors live beside the segments, not in them,
 * so a readonly log can commit too (a projection in a reader tab needs to),
 * and a commit never waits for the writer or blocks a publish.
 *
 * The store is opened on the client side (the page, for a worker-backed log)
 * on first use; the log itself is asked only for its next offset.
 */
import { invalidArgument, LogError, toLogError } from '../errors.ts';
import { IndexStore } from '../indexes/store.ts';
import { OffsetNewest, OffsetOldest, type Cursor, type Log } from '../types.ts';

export class Cursors {
  private store: Promise<IndexStore> | null = null;

  constructor(
    private readonly path: string,
    /** The IndexedDB factory; asked on first use. */
    private readonly idb: () => IDBFactory | undefined,
    private readonly log: Pick<Log, 'nextOffset'>,
    private readonly isClosed: () => boolean,
  ) {}

  private open(): Promise<IndexStore> {
    if (this.isClosed()) return Promise.reject(new LogError('Closed', `log ${this.path} is closed`));
    if (!this.store) {
      const factory = this.idb();
      if (!factory)
        return Promise.reject(new LogError('Unsupported', 'cursors need IndexedDB, which this context lacks'));
      const store = IndexStore.open(factory);
      this.store = store;
      // Unusable IndexedDB (calls reject Unsupported) or a failed open: try again on the next call.
      const retry = () => {
        if (this.store === store) this.store = null;
      };
      store.then((s) => s.unusableReason !== null && retry(), retry);
    }
    return this.store;
  }

  /** The cursor called `name` (any non-empty string). Cheap: nothing is read until asked. */
  cursor(name: string): Cursor {
    if (typeof name !== 'string' || name === '') throw invalidArgument('a cursor name must be a non-empty string');
    return {
      name,
      position: () => this.position(name),
      commit: (offset: number) => this.commit(name, offset),
    };
  }

  private async position(name: string): Promise<number> {
    const store = await this.open();
    try {
      return (await store.cursor(this.path, name)) ?? OffsetOldest;
    } catch (err) {
      throw toLogError(err, `reading cursor ${name} of ${this.path}`);
    }
  }

  private async commit(name: string, offset: number): Promise<void> {
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) {
      throw invalidArgument(`cursor offset must be an integer, got ${String(offset)}`);
    }
    if (offset < 0 && offset !== OffsetOldest && offset !== OffsetNewest) {
      throw new LogError('InvalidOffset', `offset ${offset} is negative and not OffsetOldest or OffsetNewest`);
    }
    let position: number | null = null; // OffsetOldest: forget the cursor
    if (offset !== OffsetOldest) {
      const next = await this.log.nextOffset();
      if (offset > next) throw new LogError('InvalidOffset', `offset ${offset} is past the next offset ${next}`);
      position = offset === OffsetNewest ? next : offset;
    }
    const store = await this.open();
    try {
      await store.putCursor(this.path, name, position);
    } catch (err) {
      throw toLogError(err, `committing cursor ${name} of ${this.path}`);
    }
  }

  /** The log closed: later calls reject `Closed`; a commit in flight completes or rejects `Closed`. */
  close(): void {
    const store = this.store;
    this.store = null;
    void store?.then(
      (s) => s.close(),
      () => undefined,
    );
  }
}
