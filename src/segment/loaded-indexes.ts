/**
 * The indexes of sealed segments held in memory, at most `limit` between
 * calls: least recently used dropped first, and loaded again from IndexedDB
 * on their next use (`Segment.loadIndex`). The head's index is never counted
 * nor dropped.
 *
 * Why a bound: a loaded index costs 12-26 bytes a message (time, position
 * and key hash, 4 bytes each; offsets and wide times when a rewrite or a
 * clock needs them; 5-6 more once key lookups have sorted it), so a reader
 * that walked a 30M-message log kept ~400 MB of them for good.
 *
 * When: callers load an index (`loadIndex`) and then ask it synchronously,
 * often across awaits (a read between entries), and retention loads several
 * before it walks them. So nothing used in the call now running is dropped:
 * the engine starts each call with `nextOperation`, and only indexes last
 * used in an earlier call may go, at that point or when another index
 * loads. A call that loads more than `limit` holds them all until the next
 * call, unless it lets each go as it moves past it (`release`: the reads
 * that walk segment after segment).
 */

import type { LazyIndex } from './lazy-index.ts';

/**
 * Sealed segments' indexes kept loaded between calls. A sequential consume
 * needs one or two; the rest serve reads near recent ones. At the default
 * rollover (1 MiB) four indexes are ~0.5 MB, whatever the log's size.
 */
export const LOADED_INDEXES = 4;

/** A segment whose loaded index can be dropped (`Segment.dropIndex`). */
export interface DroppableIndex {
  /** Drops the index unless something holds it; whether it went. */
  dropIndex(): boolean;
}

export class LoadedIndexes {
  /** Loaded indexes, least recently used first, each with the call that used it last. */
  private readonly used = new Map<DroppableIndex, number>();
  /** The call running now (see `nextOperation`). */
  private operation = 0;

  constructor(
    readonly limit = LOADED_INDEXES,
    /**
     * How a segment sealed by this log's writer loads its index again once
     * dropped (a summary's segment has its own way); null: a segment
     * without one is never dropped.
     */
    readonly reload: ((base: number) => LazyIndex) | null = null,
  ) {}

  /** Sealed indexes loaded now. */
  get size(): number {
    return this.used.size;
  }

  /** A call begins: what earlier calls used may be dropped. */
  nextOperation(): void {
    this.operation++;
    this.trim();
  }

  /** `index` was loaded or is being used: the most recently used, and kept until the call ends. */
  touched(index: DroppableIndex): void {
    this.used.delete(index);
    this.used.set(index, this.operation);
    this.trim();
  }

  /** The running call is done with `index`: it may be dropped before the call ends. */
  release(index: DroppableIndex): void {
    if (this.used.has(index)) this.used.set(index, -1);
  }

  /** `index` is no longer loaded or no longer droppable (its segment closed): stop counting it. */
  forget(index: DroppableIndex): void {
    this.used.delete(index);
  }

  /** Drops the least recently used indexes no running call uses, down to `limit`. */
  private trim(): void {
    for (const [index, operation] of this.used) {
      if (this.used.size <= this.limit) return;
      if (operation !== this.operation && index.dropIndex()) this.used.delete(index);
    }
  }
}
