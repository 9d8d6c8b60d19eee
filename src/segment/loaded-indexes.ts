/**
 * The indexes of sealed segments held in memory, at most `budget` bytes of
 * them between calls: least recently used dropped first, and loaded again
 * from IndexedDB on their next use (`Segment.loadIndex`). The head's index
 * is never counted nor dropped.
 *
 * Why a bound: a loaded index costs 12-26 bytes a message (time, position
 * and key hash, 4 bytes each; offsets and wide times when a rewrite or a
 * clock needs them; 5-6 more once key lookups have sorted it), so a reader
 * that walked a 30M-message log kept ~400 MB of them for good.
 *
 * Why bytes rather than a count: a segment holds ~7,000 messages at the
 * default rollover and any number at another, and what a log may hold in
 * memory is bytes.
 *
 * When: callers load an index (`loadIndex`) and then ask it synchronously,
 * often across awaits (a read between entries), and retention loads several
 * before it walks them. So nothing used in the call now running is dropped:
 * the engine starts each call with `nextOperation`, and only indexes last
 * used in an earlier call may go, at that point or when another index
 * loads. A call that loads more than the budget holds them all until the
 * next call, unless it lets each go as it moves past it (`release`: the
 * reads that walk segment after segment).
 */

import type { LazyIndex } from './lazy-index.ts';

/**
 * Bytes of sealed segments' indexes kept loaded between calls: a log of up
 * to ~250,000 small messages keeps all of them (random reads never reload);
 * above, they cost at most ~4 bytes a message at 1M messages, ~0.15 at 30M.
 */
export const LOADED_INDEX_BYTES = 4 * 1024 * 1024;
/**
 * Indexes kept whatever their size, the most recently used: a consume reads
 * segments in order, and with a large rollover one index can pass the
 * budget alone; without these it would load the same index for every batch.
 */
export const MIN_LOADED_INDEXES = 2;

/** A segment whose loaded index can be dropped (`Segment.dropIndex`). */
export interface DroppableIndex {
  /** Bytes of memory its loaded index holds (0 when not loaded). */
  readonly indexBytes: number;
  /** Drops the index unless something holds it; whether it went. */
  dropIndex(): boolean;
}

/** A loaded index: the call that used it last (-1: released), and its bytes then. */
interface Use {
  operation: number;
  bytes: number;
}

export class LoadedIndexes {
  /** Loaded indexes, least recently used first. */
  private readonly used = new Map<DroppableIndex, Use>();
  /** Their bytes, as of their last use (a key lookup may have grown one since: counted at its next use). */
  private total = 0;
  /** The call running now (see `nextOperation`). */
  private operation = 0;

  constructor(
    readonly budget = LOADED_INDEX_BYTES,
    /**
     * How a segment sealed by this log's writer loads its index again once
     * dropped (a summary's segment has its own way); null: a segment
     * without one is never dropped.
     */
    readonly reload: ((base: number) => LazyIndex) | null = null,
  ) {}

  /** Sealed indexes loaded now. */
  get count(): number {
    return this.used.size;
  }

  /** Their bytes, as of each one's last use. */
  get bytes(): number {
    return this.total;
  }

  /** A call begins: what earlier calls used may be dropped. */
  nextOperation(): void {
    this.operation++;
    this.trim();
  }

  /** `index` was loaded or is being used: the most recently used, and kept until the call ends. */
  touched(index: DroppableIndex): void {
    this.forget(index);
    const bytes = index.indexBytes;
    this.used.set(index, { operation: this.operation, bytes });
    this.total += bytes;
    this.trim();
  }

  /** The running call is done with `index`: it may be dropped before the call ends. */
  release(index: DroppableIndex): void {
    const use = this.used.get(index);
    if (use) use.operation = -1;
  }

  /** `index` is no longer loaded or no longer droppable (its segment closed): stop counting it. */
  forget(index: DroppableIndex): void {
    const use = this.used.get(index);
    if (!use) return;
    this.used.delete(index);
    this.total -= use.bytes;
  }

  /** Drops the least recently used indexes that no running call uses, until they fit the budget. */
  private trim(): void {
    for (const [index, use] of this.used) {
      if (this.total <= this.budget || this.used.size <= MIN_LOADED_INDEXES) return;
      if (use.operation !== this.operation && index.dropIndex()) this.forget(index);
    }
  }
}
