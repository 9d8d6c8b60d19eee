/**
 * The in-memory index of one segment: for each message its offset, file
 * position, indexed time and key hash, in parallel typed arrays (20 bytes a
 * message), so a million-message log costs ~20 MB and no objects.
 *
 * Offsets are stored relative to the segment's base. Indexed times are the
 * running maximum of message times across the log (klevdb's rule), so the
 * array is sorted and time lookups can bisect.
 */

const INITIAL_CAPACITY = 64;
/** Entries appended since the last sort that a key lookup scans one by one before it sorts again. */
const UNSORTED_TAIL = 1024;

export interface IndexEntry {
  offset: number;
  position: number;
  timeUs: number;
  keyHash: number;
}

/**
 * The version of `PackedIndex.data`'s layout. Change it with the layout: a
 * record of another layout is never unpacked (`IndexStore.load` leaves it
 * out), so its segment is rescanned and the record written anew.
 */
export const PACKED_INDEX_LAYOUT = 1;

/** The serialized form kept in IndexedDB (see `IndexStore`). */
export interface PackedIndex {
  /** PACKED_INDEX_LAYOUT when written by this code. */
  layout: number;
  count: number;
  /** times (f64 × count) then offsets, positions, hashes (u32 × count each). */
  data: ArrayBuffer;
}

/** Bytes of one entry in `PackedIndex.data`. */
const PACKED_ENTRY_SIZE = Float64Array.BYTES_PER_ELEMENT + 3 * Uint32Array.BYTES_PER_ELEMENT;

/** The four arrays of `data` for `n` entries, in their layout order. */
function packedArrays(data: ArrayBuffer, n: number) {
  const time = new Float64Array(data, 0, n);
  const rel = new Uint32Array(data, time.byteLength, n);
  const pos = new Uint32Array(data, rel.byteOffset + rel.byteLength, n);
  const hash = new Uint32Array(data, pos.byteOffset + pos.byteLength, n);
  return { time, rel, pos, hash };
}

export class SegmentIndex {
  count = 0;
  private rel: Uint32Array;
  private pos: Uint32Array;
  private hash: Uint32Array;
  private time: Float64Array;
  /** Entry numbers ordered by (key hash, entry): built on the first key lookup, 4 bytes a message. */
  private byHash: Uint32Array | null = null;

  constructor(readonly base: number, capacity = INITIAL_CAPACITY) {
    this.rel = new Uint32Array(capacity);
    this.pos = new Uint32Array(capacity);
    this.hash = new Uint32Array(capacity);
    this.time = new Float64Array(capacity);
  }

  static unpack(base: number, packed: PackedIndex): SegmentIndex {
    const index = new SegmentIndex(base, 0);
    ({ time: index.time, rel: index.rel, pos: index.pos, hash: index.hash } = packedArrays(packed.data, packed.count));
    index.count = packed.count;
    return index;
  }

  pack(): PackedIndex {
    const n = this.count;
    const data = new ArrayBuffer(n * PACKED_ENTRY_SIZE);
    const packed = packedArrays(data, n);
    packed.time.set(this.time.subarray(0, n));
    packed.rel.set(this.rel.subarray(0, n));
    packed.pos.set(this.pos.subarray(0, n));
    packed.hash.set(this.hash.subarray(0, n));
    return { layout: PACKED_INDEX_LAYOUT, count: n, data };
  }

  private grow(): void {
    const capacity = Math.max(INITIAL_CAPACITY, this.count * 2);
    const copy = <T extends Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, this.count));
      return b;
    };
    this.rel = copy(this.rel, (n) => new Uint32Array(n));
    this.pos = copy(this.pos, (n) => new Uint32Array(n));
    this.hash = copy(this.hash, (n) => new Uint32Array(n));
    this.time = copy(this.time, (n) => new Float64Array(n));
  }

  append(offset: number, position: number, timeUs: number, keyHash: number): void {
    if (this.count === this.rel.length) this.grow();
    const i = this.count++;
    this.rel[i] = offset - this.base;
    this.pos[i] = position;
    this.time[i] = timeUs;
    this.hash[i] = keyHash;
  }

  /** Forgets entries from `count` on (a batch rolled back). */
  truncate(count: number): void {
    this.count = Math.min(this.count, count);
    if (this.byHash && this.byHash.length > this.count) this.byHash = null;
  }

  /**
   * Entries whose key hash is `hash`, newest first. Sealed segments answer by
   * bisecting a hash-sorted order; the head's newest entries, not sorted yet,
   * are scanned until there are enough of them to sort again.
   */
  withHash(hash: number): number[] {
    if (!this.byHash || this.count - this.byHash.length > UNSORTED_TAIL) this.sortByHash();
    const order = this.byHash!;
    const found: number[] = [];
    for (let i = this.count - 1; i >= order.length; i--) if (this.hash[i] === hash) found.push(i);
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hash[order[mid]] <= hash) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo - 1; k >= 0 && this.hash[order[k]] === hash; k--) found.push(order[k]);
    return found;
  }

  private sortByHash(): void {
    const order = new Uint32Array(this.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const hash = this.hash;
    order.sort((a, b) => hash[a] - hash[b] || a - b);
    this.byHash = order;
  }

  offsetAt(i: number): number {
    return this.base + this.rel[i];
  }

  positionAt(i: number): number {
    return this.pos[i];
  }

  timeAt(i: number): number {
    return this.time[i];
  }

  hashAt(i: number): number {
    return this.hash[i];
  }

  get firstOffset(): number {
    return this.base + this.rel[0];
  }

  get lastOffset(): number {
    return this.base + this.rel[this.count - 1];
  }

  /** Largest indexed time, or -Infinity when empty. */
  get maxTime(): number {
    return this.count === 0 ? -Infinity : this.time[this.count - 1];
  }

  /** Index of the first entry with offset ≥ `offset` (count if none). */
  lowerBound(offset: number): number {
    const target = offset - this.base;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the entry with exactly `offset`, or -1. */
  find(offset: number): number {
    const i = this.lowerBound(offset);
    return i < this.count && this.rel[i] === offset - this.base ? i : -1;
  }

  /** Index of the first entry whose indexed time is ≥ `timeUs` (count if none). */
  timeLowerBound(timeUs: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.time[mid] < timeUs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Bytes of index one message costs for a log's options: its offset and
 * position always, its time and key hash when those indexes are on.
 */
export function indexEntrySize(options: { keyIndex: boolean; timeIndex: boolean }): number {
  return 8 + (options.timeIndex ? 8 : 0) + (options.keyIndex ? 4 : 0);
}
