/**
 * Projections: the state an app shows, folded from a log in offset order by
 * a pure `apply`, kept current as messages arrive (on the log's `consume`
 * and `consumeBlocking`: no polling) and saved now and then as a snapshot
 * (snapshots.ts) so that a reload folds only what came after it.
 *
 * Every tab folds for itself (a fold is cheap; a state cannot be shared
 * between pages), and the tab holding the projection's Web Lock saves the
 * snapshots, so they are written once whatever the number of tabs.
 */
import { LogError } from '../errors.ts';
import { LOG_SURROUNDINGS, type LogSurroundings } from '../client/facade.ts';
import type { HeldLock } from '../storage/files.ts';
import { projectionLockName } from '../namespace.ts';
import type { TypedBatch, TypedLog, TypedMessage } from '../typed/typed.ts';
import type { Batch, Log, Message } from '../types.ts';
import { checkProjectionOptions, type ResolvedProjectionOptions, type SnapshotOptions } from './options.ts';
import { type NewSnapshot, type SnapshotRecord, SnapshotStore } from './snapshots.ts';
import { type Checksummed, checksum, decodeJson, encodeJson } from './sliced-json.ts';
import { Listeners, type ReadLog, readLogOf } from './store.ts';

/** Messages asked for per read. */
const BATCH = 5_000;

/** Where a projection is: see `Projection.status`. */
export type ProjectionStatus = 'loading' | 'live' | 'failed' | 'closed';

/** A saved snapshot: the offset its state was folded to, and when it was saved. */
export interface SnapshotInfo {
  offset: number;
  /** Milliseconds since the Unix epoch. */
  savedAt: number;
}

/** What a projection is made of; see `projection`. */
export interface ProjectionOptions<S, M> {
  /**
   * Names the projection's snapshots (1 to 200 characters). Projections of
   * one log with the same name and version, in any tab, share them: give
   * projections that fold differently different names.
   */
  name: string;
  /**
   * An integer ≥ 0. Change it whenever `apply` or the state's shape changes:
   * snapshots of other versions are never used, so the new version folds
   * from the oldest message (and removes the older versions' snapshots).
   */
  version: number;
  /** The state before any message. It is never changed (with `clone`, a copy is). */
  initial: S;
  /**
   * The state after `message`. It must not change `state` (return a new one,
   * as a React reducer does) unless `clone` is given, and must depend on
   * nothing but its arguments, so every tab folds the same state. If it
   * throws, the projection fails (see `Projection.status`).
   */
  apply: (state: S, message: M) => S;
  /**
   * Lets `apply` change the state it is given in place, for speed: the
   * projection hands it a `clone` of the current state once per batch of
   * messages, so a state once shown is never changed and an `apply` that
   * throws leaves the last one whole.
   */
  clone?: (state: S) => S;
  /** When snapshots are saved and how (see `SnapshotOptions`); false: never (every load folds from the oldest). */
  snapshots?: SnapshotOptions<S> | false;
}

/**
 * A log folded into a state, current in every tab; from `projection`.
 * It is a store in the sense of React's `useSyncExternalStore` (`subscribe`,
 * `getState`) and of Svelte (`subscribe` calls at once and returns the
 * unsubscribe), so `$projection` works in a Svelte component.
 *
 * What it shows under each change to the log: the fold of the messages it
 * has read, in offset order.
 * - Messages deleted, trimmed or compacted away after it folded them stay
 *   in the state; those gone before it read them are skipped. So two tabs
 *   agree unless a message is removed between the folds of one and of the
 *   other; `rebuild()` folds what remains.
 * - A log found shorter than the offset folded to (an import replaced it,
 *   or storage was cleared and a new log begun) is folded again from the
 *   oldest message. `importArchive` removes the dir's snapshots, so a load
 *   after it folds the new log; it replaces a log only while no writer has
 *   it open, so a projection live across it is over a readonly log, and
 *   folds anew by itself only if the new log is shorter: else call
 *   `rebuild()`.
 * - A snapshot is used only if its checksum, version and log agree: the
 *   offset it was folded to is not past the log's end, and its last message
 *   is still there with the same time (or was deleted since). Otherwise the
 *   previous snapshot is tried, then a fold from the oldest message.
 */
export interface Projection<S> {
  readonly name: string;
  readonly version: number;
  /** The state before any message (from the options). */
  readonly initial: S;
  /** The current state: the same object until it changes. */
  getState(): S;
  /**
   * Calls `listener` with the state at once, and again after every change of
   * the state or of `status`, `offset` or `snapshot` (so the state may be the
   * same object). Returns the function that unsubscribes. A listener that
   * throws is reported (`reportError`) and stays subscribed.
   */
  subscribe(listener: (state: S) => void): () => void;
  /**
   * Resolves with the state once the projection has caught up with the log
   * for the first time (status `live`); rejects with `error` if it fails or
   * is closed before.
   */
  readonly ready: Promise<S>;
  /** The offset folded to: the state includes every message below it that was read. */
  readonly offset: number;
  /**
   * `loading`: folding what the log held when it started (from a snapshot,
   * or from the oldest message). `live`: caught up, following new messages
   * as they are published, in any tab. `failed`: it stopped, `error` says why
   * (`apply` threw: `Internal`, the error as its cause and the message's
   * offset in `failedAt`; or the log failed or closed under it), and the
   * state and offset stay those before the batch that failed; `rebuild()`
   * starts again. `closed`: `close()` was called.
   */
  readonly status: ProjectionStatus;
  /** Why it failed; null unless `status` is `failed`. */
  readonly error: LogError | null;
  /** The offset of the message `apply` threw on; null unless it did. */
  readonly failedAt: number | null;
  /** The newest snapshot this projection started from or saved; null if none. */
  readonly snapshot: SnapshotInfo | null;
  /** Why the last snapshot could not be saved (a state JSON cannot keep, IndexedDB failing); null after a save succeeds. */
  readonly snapshotError: LogError | null;
  /**
   * Saves a snapshot now, if this tab is the one that saves them, the state
   * changed since the last, and there was no failure; resolves to the newest
   * snapshot (null if none, e.g. with `snapshots: false`).
   */
  saveSnapshot(): Promise<SnapshotInfo | null>;
  /** Drops the state and the saved snapshots of this version and folds again from the oldest message. */
  rebuild(): Promise<void>;
  /**
   * Stops following the log, saving a snapshot first if this tab saves them
   * and the state changed; the state stays readable. The log itself stays
   * open. A second call returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * Folds `log` into a state with `options.apply` and keeps it current; see
 * `Projection`. Works over a byte `Log` (messages as `Message`) and a
 * `TypedLog` (messages decoded by its codecs; a message that does not decode
 * fails the projection), open for writing or readonly. Bad options or a log
 * that is not one throw `InvalidArgument`; a closed log fails it (`Closed`).
 */
export function projection<S>(log: Log, options: ProjectionOptions<S, Message>): Projection<S>;
export function projection<S, K, V>(
  log: TypedLog<K, V>,
  options: ProjectionOptions<S, TypedMessage<K, V>>,
): Projection<S>;
export function projection<S>(
  log: Log | TypedLog<unknown, unknown>,
  options: ProjectionOptions<S, never>,
): Projection<S> {
  const { log: read, raw } = readLogOf(log, 'projection');
  return new LogProjection<S>(read, raw, checkProjectionOptions<S, unknown>(options));
}

/** `apply` threw on the message at `offset`. */
class ApplyFailed extends Error {
  constructor(
    readonly offset: number,
    readonly error: unknown,
  ) {
    super('apply threw');
  }
}

class LogProjection<S> implements Projection<S> {
  readonly name: string;
  readonly version: number;
  readonly initial: S;
  readonly ready: Promise<S>;
  private state: S;
  offset = 0;
  status: ProjectionStatus = 'loading';
  error: LogError | null = null;
  failedAt: number | null = null;
  snapshot: SnapshotInfo | null = null;
  snapshotError: LogError | null = null;

  private readonly listeners = new Listeners<S>(() => this.state);
  private readonly surroundings: LogSurroundings | undefined;
  private settleReady!: { resolve: (s: S) => void; reject: (e: LogError) => void } | null;
  /** Ends the current fold (close, rebuild). */
  private stop = new AbortController();
  private running: Promise<void>;
  private closing: Promise<void> | null = null;
  /** The last message folded, saved with a snapshot. */
  private anchor: { offset: number; time: number } | null = null;
  /** Messages folded since the last snapshot. */
  private unsaved = 0;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private saving: Promise<SnapshotInfo | null> | null = null;
  private store: Promise<SnapshotStore | null> | null = null;
  /** Held while this tab saves the snapshots: asked for at start, granted when no other tab holds it. */
  private saver: HeldLock | null = null;
  private readonly stopSaver = new AbortController();

  constructor(
    private readonly log: ReadLog,
    private readonly raw: Log,
    private readonly options: ResolvedProjectionOptions<S, unknown>,
  ) {
    this.name = options.name;
    this.version = options.version;
    this.initial = options.initial;
    this.state = options.initial;
    this.surroundings = (raw as { [LOG_SURROUNDINGS]?: () => LogSurroundings })[LOG_SURROUNDINGS]?.();
    this.ready = new Promise<S>((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => undefined); // rejects for whoever awaits it; never unhandled
    this.askToSave();
    this.running = this.follow(this.stop.signal);
  }

  getState(): S {
    return this.state;
  }

  subscribe(listener: (state: S) => void): () => void {
    return this.listeners.add(listener);
  }

  private changed(): void {
    this.listeners.notify();
  }

  /** Folds from the newest usable snapshot (or the oldest message) and follows the log until `signal` aborts. */
  private async follow(signal: AbortSignal, fromSnapshot = true): Promise<void> {
    try {
      if (fromSnapshot) await this.resume();
      for (;;) {
        if (signal.aborted) return;
        const live = this.status === 'live';
        let batch: Batch | TypedBatch<unknown, unknown>;
        try {
          batch = live
            ? await this.log.consumeBlocking(this.offset, BATCH, { signal })
            : await this.log.consume(this.offset, BATCH);
        } catch (err) {
          if (signal.aborted) return;
          // Past the log's end: the log was replaced by a shorter one (an import, storage cleared). Fold it anew.
          if (err instanceof LogError && err.code === 'InvalidOffset') {
            this.restart();
            continue;
          }
          throw err;
        }
        if (signal.aborted) return;
        if (!live && batch.messages.length === 0 && batch.nextOffset === this.offset) this.goLive();
        else this.fold(batch);
      }
    } catch (err) {
      if (!signal.aborted) this.fail(err);
    }
  }

  /** Back to the initial state, folding from the oldest message. */
  private restart(): void {
    this.state = this.initial;
    this.offset = 0;
    this.anchor = null;
    this.unsaved = 0;
    if (this.status === 'live') this.status = 'loading';
    this.changed();
  }

  private goLive(): void {
    this.status = 'live';
    this.settleReady?.resolve(this.state);
    this.settleReady = null;
    this.changed();
  }

  private fold(batch: Batch | TypedBatch<unknown, unknown>): void {
    const { messages } = batch;
    if (messages.length === 0) {
      this.offset = batch.nextOffset; // skipped what was deleted
      return;
    }
    const { apply, clone } = this.options;
    let state = clone ? clone(this.state) : this.state;
    for (const message of messages) {
      try {
        state = apply(state, message);
      } catch (err) {
        throw new ApplyFailed(message.offset, err);
      }
    }
    const last = messages.at(-1)!;
    this.state = state;
    this.offset = batch.nextOffset;
    this.anchor = { offset: last.offset, time: last.time };
    this.unsaved += messages.length;
    this.changed();
    this.scheduleSave();
  }

  private fail(err: unknown): void {
    if (err instanceof ApplyFailed) {
      const why = (err.error as Error)?.message ?? String(err.error);
      this.error = new LogError('Internal', `projection ${this.name}: apply threw at offset ${err.offset}: ${why}`, {
        cause: err.error,
      });
      this.failedAt = err.offset;
    } else {
      this.error =
        err instanceof LogError
          ? err
          : new LogError('Internal', `projection ${this.name}: ${String((err as Error)?.message ?? err)}`, {
              cause: err,
            });
    }
    this.status = 'failed';
    this.clearSaveTimer();
    this.settleReady?.reject(this.error);
    this.settleReady = null;
    this.changed();
  }

  // ---- snapshots ----

  private snapshots(): Promise<SnapshotStore | null> {
    if (!this.store) {
      const idb = this.surroundings?.idb;
      this.store = this.options.snapshots && this.surroundings ? SnapshotStore.open(idb) : Promise.resolve(null);
    }
    return this.store;
  }

  /** Waits in line to be the tab that saves this projection's snapshots. */
  private askToSave(): void {
    const locks = this.surroundings?.locks;
    if (!this.options.snapshots || !locks || !this.surroundings) return;
    const { dir } = this.surroundings;
    locks.acquire(projectionLockName(dir, this.name, this.version), this.stopSaver.signal).then(
      (held) => {
        if (this.stopSaver.signal.aborted) void held.release();
        else {
          this.saver = held;
          this.scheduleSave();
          // Off the load's path, by the one tab that writes snapshots: older code's are of no use now.
          void this.snapshots().then((store) =>
            store?.removeOtherVersions(dir, this.name, this.version).catch(() => undefined),
          );
        }
      },
      () => undefined, // closed before it was granted
    );
  }

  /** Starts from the newest snapshot that checks out, if any. */
  private async resume(): Promise<void> {
    const store = await this.snapshots();
    if (!store || !this.surroundings) return;
    const { dir } = this.surroundings;
    const records = await store.load(dir, this.name, this.version).catch(() => [] as SnapshotRecord[]);
    if (records.length === 0) return;
    const next = await this.raw.nextOffset();
    for (const record of records) {
      const state = await this.restore(record, next);
      if (state === undefined) {
        // Of no use to any tab: free its slot, so the next save keeps the good one beside it.
        await store.removeSlot(record).catch(() => undefined);
        continue;
      }
      this.state = state.value;
      this.offset = record.offset;
      this.anchor = record.anchor;
      this.snapshot = { offset: record.offset, savedAt: record.savedAt };
      this.changed();
      return;
    }
  }

  /** The state a snapshot holds, if it checks out against its checksum and the log (see `Projection`). */
  private async restore(record: SnapshotRecord, next: number): Promise<{ value: S } | undefined> {
    if (record.offset > next) return undefined;
    if ((await checksum(record.bytes)).crc !== record.crc) return undefined;
    if (record.anchor) {
      try {
        if ((await this.raw.get(record.anchor.offset)).time !== record.anchor.time) return undefined;
      } catch (err) {
        if (!(err instanceof LogError && err.code === 'NotFound')) throw err;
      }
    }
    try {
      const codec = this.options.snapshots?.codec;
      return { value: (codec ? codec.decode(record.bytes) : decodeJson(record.bytes)) as S };
    } catch {
      return undefined;
    }
  }

  /** Saves when `every` messages are unsaved, or `interval` after the first of them. */
  private scheduleSave(): void {
    const settings = this.options.snapshots;
    if (!settings || !this.saver || this.unsaved === 0 || this.saving || this.status === 'failed') return;
    if (this.unsaved >= settings.every) {
      void this.saveSnapshot();
    } else if (!this.saveTimer) {
      this.saveTimer = setTimeout(() => {
        this.saveTimer = null;
        void this.saveSnapshot();
      }, settings.interval);
    }
  }

  private clearSaveTimer(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
  }

  saveSnapshot(): Promise<SnapshotInfo | null> {
    if (this.saving) return this.saving.then(() => this.saveSnapshot());
    if (!this.saver || this.unsaved === 0 || this.status === 'failed') return Promise.resolve(this.snapshot);
    this.clearSaveTimer();
    const saving = this.save().finally(() => {
      this.saving = null;
      // Messages folded meanwhile are saved now; after a failure, only once more come.
      if (!this.snapshotError) this.scheduleSave();
    });
    this.saving = saving;
    return saving;
  }

  private async save(): Promise<SnapshotInfo | null> {
    // The state is never changed once shown (see `fold`), so it can be encoded while folding goes on.
    const { state, offset, anchor, unsaved } = this;
    this.unsaved = 0;
    try {
      const store = await this.snapshots();
      if (!store || !this.surroundings) return this.snapshot;
      const codec = this.options.snapshots?.codec;
      const encoded: Checksummed = codec ? await checksum(codec.encode(state)) : await encodeJson(state);
      const record: NewSnapshot = {
        dir: this.surroundings.dir,
        name: this.name,
        version: this.version,
        offset,
        anchor,
        savedAt: Date.now(),
        ...encoded,
      };
      await store.save(record);
      this.snapshot = { offset, savedAt: record.savedAt };
      this.snapshotError = null;
    } catch (err) {
      this.unsaved += unsaved; // try again with the next fold
      this.snapshotError =
        err instanceof LogError ? err : new LogError('Internal', `saving a snapshot of ${this.name}`, { cause: err });
    }
    this.changed();
    return this.snapshot;
  }

  async rebuild(): Promise<void> {
    if (this.closing) throw new LogError('Closed', `projection ${this.name} is closed`);
    this.stop.abort();
    await this.running;
    await this.saving?.catch(() => undefined);
    const store = await this.snapshots();
    if (store && this.surroundings) await store.remove(this.surroundings.dir, this.name, this.version);
    this.snapshot = null;
    this.error = null;
    this.failedAt = null;
    this.status = 'loading';
    this.restart();
    this.stop = new AbortController();
    this.running = this.follow(this.stop.signal, false);
  }

  close(): Promise<void> {
    this.closing ??= this.shut();
    return this.closing;
  }

  private async shut(): Promise<void> {
    this.stop.abort();
    this.stopSaver.abort();
    this.clearSaveTimer();
    await this.running;
    if (this.status !== 'failed') await this.saveSnapshot();
    await this.saver?.release();
    (await this.store)?.close();
    this.status = 'closed';
    this.settleReady?.reject(new LogError('Closed', `projection ${this.name} was closed before it caught up`));
    this.settleReady = null;
    this.changed();
    this.listeners.clear();
  }
}
