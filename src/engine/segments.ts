/**
 * A log's segments in offset order, and where an offset lives among them.
 * The last one, the head, is the only one that grows; every other is
 * sealed. The writer adds heads and rewrites segments in place; a follower
 * replaces the list when it reloads; reads only look.
 */
import { LogError } from '../errors.ts';
import type { Segment } from '../segment/segment.ts';

/**
 * How many messages `segments` hold and what `stat().size` counts of them:
 * their files' bytes plus `entrySize` index bytes a message.
 */
export function totals(segments: readonly Segment[], entrySize: number): { messages: number; size: number } {
  let messages = 0;
  let bytes = 0;
  for (const seg of segments) {
    messages += seg.count;
    bytes += seg.size;
  }
  return { messages, size: bytes + messages * entrySize };
}

/** A message's place: segment number `s`, entry `i` of its index. */
export interface Position {
  s: number;
  i: number;
}

export class SegmentList {
  /** Oldest first. Rewrites replace or remove elements of this very array (engine/rewrite.ts). */
  all: Segment[] = [];

  /** The segment that takes appends; none only before a log's first load or after its files were removed. */
  get head(): Segment | undefined {
    return this.all.at(-1);
  }

  /** The head, which a writer always has (it creates one on open and on every roll). */
  writerHead(): Segment {
    const head = this.head;
    if (!head) throw new LogError('Internal', 'the log has no head segment');
    return head;
  }

  /** The offset the next message gets: only the head can be empty, and it is named by that offset then. */
  get next(): number {
    const head = this.head;
    if (!head) return 0;
    return head.count > 0 ? head.lastOffset + 1 : head.base;
  }

  /** Oldest offset still stored, or null if no message is. */
  oldest(): number | null {
    const seg = this.all.find((s) => s.count > 0);
    return seg ? seg.firstOffset : null;
  }

  /** Newest offset still stored, or null if no message is. */
  newest(): number | null {
    return this.newestHolding()?.lastOffset ?? null;
  }

  /** The running time maximum so far: what the next message's indexed time may not go below. */
  maxTime(): number {
    return this.newestHolding()?.maxTime ?? -Infinity;
  }

  private newestHolding(): Segment | undefined {
    for (let s = this.all.length - 1; s >= 0; s--) if (this.all[s]!.count > 0) return this.all[s];
    return undefined;
  }

  /** Number of the segment `offset` falls in: the last one based at or before it (0 if none is). */
  segmentFor(offset: number): number {
    let lo = 0;
    let hi = this.all.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.all[mid]!.base <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Position of the first message at or after `offset`, or null. Loads the indexes it looks at. */
  async locate(offset: number): Promise<Position | null> {
    for (let s = this.segmentFor(offset); s < this.all.length; s++) {
      await this.all[s]!.loadIndex();
      const i = this.all[s]!.lowerBound(offset);
      if (i < this.all[s]!.count) return { s, i };
    }
    return null;
  }

  /**
   * Position of the message at exactly `offset`, or null if none is stored.
   * Loads the index it looks at; `toRead`, for a read of that message, opens
   * its file meanwhile (`Segment.loadIndexToRead`).
   */
  async entryOf(offset: number, toRead = false): Promise<Position | null> {
    const s = this.segmentFor(offset);
    await (toRead ? this.all[s]?.loadIndexToRead() : this.all[s]?.loadIndex());
    const i = this.all[s]?.find(offset) ?? -1;
    return i >= 0 ? { s, i } : null;
  }

  /** The segment at `s`, which a position found in this list names. */
  at(s: number): Segment {
    const seg = this.all[s];
    if (!seg) throw new LogError('Internal', `no segment number ${s} of ${this.all.length}`);
    return seg;
  }
}
