/**
 * The writer of a log (klevdb's log_writer.go): it holds the head segment,
 * gives each publish its offsets and checksums and builds its index entries,
 * rolls to a new head when the old one is full, remembers producers so a
 * retried publish is answered rather than appended twice, flushes on
 * `autoSync`, deletes by rewriting a segment, and runs the `retention` hook
 * after each publish. A readonly log has none: it follows its writer instead
 * (follower.ts).
 */
import { keyHash } from '../codec/hash.ts';
import { sealBatch } from '../codec/seal.ts';
import { LogError } from '../errors.ts';
import { indexEntrySize } from '../indexes/entry-size.ts';
import type { IndexStore, SavedIndex } from '../indexes/store.ts';
import { type AppendedEntry, Segment } from '../segment/segment.ts';
import type { FilePool } from '../segment/file-pool.ts';
import { ChangeCounter } from './changes.ts';
import { AfterOpen } from './after-open.ts';
import { removeLeftovers } from './load.ts';
import { loadKnowing, saveKnownFiles, trustedNames } from './known-files.ts';
import type { ResolvedOptions } from './options.ts';
import { checkProducer, type Producer, ProducerTable, tableFiles } from './producers.ts';
import type { RawDeleteResult } from './raw.ts';
import { Retention } from './retention.ts';
import { type RewriteResult, rewriteSegment } from './rewrite.ts';
import type { Position, SegmentList } from './segments.ts';

/** What the writer asks of the engine around it. */
export interface WriterHooks {
  /** After a flush: throws `StorageRemoved` if what was flushed went to files removed under the log. */
  checkStored(): Promise<void>;
  /**
   * Before a segment is rewritten: an export still reading it must keep its
   * bytes (engine/snapshot.ts). Resolves true if that made a side copy.
   */
  beforeRewrite(segment: Segment): Promise<boolean>;
}

/** Where the writer keeps the log: the pool of its segment files (and their directory), its name for the index store, and the store. */
export interface WriterPlace {
  pool: FilePool;
  path: string;
  store: IndexStore;
}

export class LogWriter {
  private retention: Retention | null = null;
  /** Whether the next open must list the directory: a side copy was made, or a file found missing (known-files.ts). */
  private listNext = false;

  private constructor(
    private readonly place: WriterPlace,
    private readonly options: ResolvedOptions,
    private readonly list: SegmentList,
    private readonly producers: ProducerTable,
    private readonly hooks: WriterHooks,
    /** Tells followers when sealed segments change and when the head rolls (engine/changes.ts). */
    private readonly changes: ChangeCounter,
    /** What IndexedDB keeps of segments that are gone, removed after the open (load.ts `removeLeftovers`). */
    private readonly leftovers: AfterOpen,
  ) {}

  /**
   * Loads the log's segments into `list` (recovering what a crash left) and
   * its producer table. On failure, what was loaded stays in `list` for the
   * caller to close.
   */
  static async open(
    place: WriterPlace,
    options: ResolvedOptions,
    list: SegmentList,
    hooks: WriterHooks,
  ): Promise<LogWriter> {
    const { pool, path, store } = place;
    // What IndexedDB says is read while the counter opens (each costs milliseconds).
    const [opened, looked] = await Promise.allSettled([
      ChangeCounter.open(pool.dir),
      Promise.all([store.summaries(path), store.knownFiles(path)]),
    ]);
    if (opened.status === 'rejected') throw opened.reason;
    const changes = opened.value;
    let producers: ProducerTable;
    let summarized: number[];
    try {
      if (looked.status === 'rejected') throw looked.reason;
      const [summaries, known] = looked.value;
      const trusted = trustedNames(known, changes.now);
      // Recovery may finish a rewrite or an import, or cut the head: followers look at every file meanwhile.
      await changes.begin();
      const loading = loadKnowing(pool, path, store, options, summaries, trusted);
      // Where no listing is expected, the producer table's files are looked for while the segments load.
      const looking = trusted ? tableFiles(pool.dir) : undefined;
      looking?.catch(() => undefined); // not awaited if the load fails
      const { loaded, listed } = await loading;
      const { segments, stale } = loaded;
      summarized = loaded.summarized;
      list.all = segments;
      if (segments.length === 0) segments.push(await Segment.create(pool, 0));
      list.writerHead().keepOpen(true);
      for (const record of stale) store.putSoon(record);
      producers = await ProducerTable.open(pool.dir, list.next, listed ?? (await looking));
      await changes.end(list.writerHead().base);
      saveKnownFiles(store, path, changes.now, list.all, false);
    } catch (err) {
      await changes.close();
      throw err;
    }
    const isSegment = (base: number) => list.all.some((s) => s.base === base);
    const leftovers = new AfterOpen(() => removeLeftovers(store, path, summarized, isSegment));
    const writer = new LogWriter(place, options, list, producers, hooks, changes, leftovers);
    writer.retention = Retention.of(options, {
      segments: () => list.all,
      entrySize: indexEntrySize(options),
      deleteStored: (offsets) => writer.delete(offsets),
    });
    return writer;
  }

  private get head(): Segment {
    return this.list.writerHead();
  }

  /** Applies the `retention` option: on open (a log opened after a while may be over its age limit) and after every publish. */
  async retain(): Promise<void> {
    await this.retention?.apply();
  }

  /**
   * Appends a batch that `encodeBatch` encoded (the client does that). A
   * `producer`'s publish that was taken before (a retry whose first answer
   * was lost) is answered again from the producer table instead.
   */
  async publish(records: Uint8Array, producer?: Producer): Promise<number> {
    // Not the client's argument: a shared writer names itself (client/shared-writer.ts), also for other tabs.
    const from = producer === undefined ? undefined : checkProducer(producer);
    const known = from && this.producers.lookup(from.id, from.seq);
    if (known !== undefined) return known;
    if (records.length > 0) await this.append(records, from);
    await this.retain();
    return this.list.next;
  }

  private async append(records: Uint8Array, from: Producer | undefined): Promise<void> {
    const { count, entries } = seal(records, this.list.next, this.list.maxTime());
    // A batch never spans segments: one write keeps it all-or-nothing.
    if (this.head.count > 0 && this.head.size + records.length > this.options.rollover) await this.roll();
    const first = this.list.next;
    const undo = from && (await this.producers.record(from, first, count));
    try {
      await this.head.append(records, entries);
    } catch (err) {
      await undo?.();
      throw err;
    }
    if (from) this.producers.remember(from.id, from.seq, first + count);
    if (this.options.autoSync) await this.flushStored();
  }

  /** Seals the head (flushed, index saved) and starts a new one at the next offset. */
  private async roll(): Promise<void> {
    const sealed = this.head;
    await this.saveHead(true);
    this.list.all.push(await Segment.create(this.place.pool, this.list.next));
    sealed.keepOpen(false);
    await this.changes.rolled(this.head.base);
    this.saveKnownFiles();
  }

  /** A segment's file was found missing (segment/file-pool.ts): the next open lists, and goes on without it. */
  fileMissing(): void {
    if (this.listNext) return; // said already (every read of the file finds it missing)
    this.listNext = true;
    this.saveKnownFiles();
  }

  /** After the set of segment files changed and the change counter says so (known-files.ts). */
  private saveKnownFiles(): void {
    saveKnownFiles(this.place.store, this.place.path, this.changes.now, this.list.all, this.listNext);
  }

  /** Flushes the producer table, then the head: an entry is never less durable than its batch. */
  private async flush(): Promise<void> {
    await this.producers.flush();
    await this.head.flush();
  }

  /** Flushes, then makes sure what was flushed is in the log's files and not in files removed under it. */
  private async flushStored(): Promise<void> {
    await this.flush();
    await this.hooks.checkStored();
  }

  /** What a roll and a close need: the head flushed and its index saved (`sealed`: for good, it rolls). */
  async saveHead(sealed = false): Promise<void> {
    await this.flush();
    this.persist(this.head.saved(this.place.path, sealed));
  }

  /** Makes everything published so far durable; resolves to the next offset. */
  async sync(): Promise<number> {
    await this.flushStored();
    this.persist(this.head.saved(this.place.path, false));
    return this.list.next;
  }

  /** Saves a segment's index in the background: it is derived data, so a lost put only costs a rescan. */
  private persist(saved: SavedIndex): void {
    this.place.store.putSoon(saved);
  }

  /**
   * Deletes what one segment holds of `offsets`, as klevdb does per call: the
   * segment of the lowest offset still stored. Offsets not stored are no
   * error, as in klevdb; retention trims with this too.
   */
  async delete(offsets: number[]): Promise<RawDeleteResult> {
    const next = this.list.next;
    const wanted = new Set(offsets.filter((o) => Number.isSafeInteger(o) && o >= 0 && o < next));
    const first = await this.firstStored([...wanted].sort((a, b) => a - b));
    if (!first) return { deletedOffsets: [], deletedSize: 0 };
    // The newest message goes: an empty head named by the next offset keeps nextOffset across reopens.
    if (first.s === this.list.all.length - 1 && wanted.has(this.head.lastOffset)) await this.roll();
    const { pool, path, store } = this.place;
    const entrySize = indexEntrySize(this.options);
    // Begun before a side copy is made, so that a crash leaves the counter odd with the copy there.
    await this.changes.begin();
    let result: RewriteResult;
    try {
      if (await this.hooks.beforeRewrite(this.list.at(first.s))) this.listNext = true;
      result = await rewriteSegment({ pool, path, store, entrySize, segments: this.list.all, s: first.s, wanted });
    } finally {
      await this.changes.end(this.head.base);
      this.saveKnownFiles();
    }
    for (const record of result.records) this.persist(record);
    return { deletedOffsets: result.deletedOffsets, deletedSize: result.deletedSize };
  }

  /** Where the first of `sorted` offsets that is still stored lives, or null. */
  private async firstStored(sorted: number[]): Promise<Position | null> {
    for (const offset of sorted) {
      const at = await this.list.entryOf(offset);
      if (at) return at;
    }
    return null;
  }

  /** Removes the leftovers if that has not happened yet, then closes the producer table and the change counter (the engine closes the segments). */
  async close(): Promise<void> {
    await this.leftovers.finish();
    try {
      await this.producers.close();
    } finally {
      await this.changes.close();
    }
  }
}

/**
 * Gives a batch's records their offsets from `first` and their checksums, and
 * builds their index entries, times as the running maximum from `prevMaxTime`.
 * A buffer that is not a well-formed batch throws before anything is written.
 */
function seal(records: Uint8Array, first: number, prevMaxTime: number): { count: number; entries: AppendedEntry[] } {
  const entries: AppendedEntry[] = [];
  let maxTime = prevMaxTime;
  try {
    const count = sealBatch(records, first, (r) => {
      maxTime = Math.max(maxTime, r.timeUs);
      entries.push({
        offset: r.offset,
        at: r.at,
        timeUs: maxTime,
        hash: keyHash(records, r.keyStart, r.keyStart + r.keyLen),
      });
    });
    return { count, entries };
  } catch (err) {
    throw new LogError('Internal', `malformed publish batch (the client encodes it): ${(err as Error).message}`);
  }
}
