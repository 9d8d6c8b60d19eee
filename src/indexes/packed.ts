/**
 * The form a segment's index takes in IndexedDB (indexes/store.ts), apart
 * from the index itself (segment-index.ts) so that the client, which reads
 * no index, does not load it.
 */

/**
 * The version of `PackedIndex.data`'s layout. Change it with the layout: a
 * record of another layout is never unpacked (`IndexStore.load` leaves it
 * out), so its segment is rescanned and the record written anew.
 * 2: narrow columns (no offsets while dense, u32 time deltas). 3: each u32
 * column stored as differences from the entry before (`toDifferences` in segment-index.ts).
 */
export const PACKED_INDEX_LAYOUT = 3;

/** The serialized form kept in IndexedDB (see `IndexStore`). */
export interface PackedIndex {
  /** PACKED_INDEX_LAYOUT when written by this code. */
  layout: number;
  count: number;
  /** Times are u32 deltas after this time; null: f64 times. */
  timeBase: number | null;
  /** Offsets are base + entry; else `data` holds them. */
  dense: boolean;
  /**
   * times (f64 or u32 × count), then offsets unless dense, positions, hashes
   * (u32 × count each). Narrow times, offsets and positions are stored as
   * the difference from the entry before (the first as it is).
   */
  data: ArrayBuffer;
}
