/**
 * The in-memory index of one segment: for each message its offset, file
 * position, indexed time and key hash, in parallel typed arrays, so a
 * million-message log costs ~12 MB and no objects.
 *
 * Two columns are stored narrow while they can be, the common case:
 * - offsets: none at all while the segment's offsets are dense from its base
 *   (offset = base + entry; only a rewrite that deleted messages leaves gaps),
 *   else u32s relative to the base;
 * - times: u32 microseconds after the segment's first indexed time while every
 *   time fits (a segment spanning up to ~71 minutes), else f64s.
 * A column widens, once, on the first append that does not fit.
 *
 * Indexed times are the running maximum of message times across the log
 * (klevdb's rule), so the times are sorted and time lookups can bisect.
 */

import { PACKED_INDEX_LAYOUT, type PackedIndex } from './packed.ts';
import type { SavedIndex, SegmentSummary } from './store.ts';

const INITIAL_CAPACITY = 64;
/** Entries appended since the last sort that a key lookup scans one by one before it sorts again. */
const UNSORTED_TAIL = 1024;
/**
 * Key lookups an index answers by scanning its hashes before it sorts them:
 * a scan costs a small part of the sort, and a segment loaded for one
 * random lookup of a large log is often never searched by key again.
 */
const SCANS_BEFORE_SORT = 32;
/** The largest time delta a narrow time column holds. */
const MAX_TIME_DELTA = 0xffffffff;

export interface IndexEntry {
  offset: number;
  position: number;
  timeUs: number;
  keyHash: number;
}

type Times = Float64Array | Uint32Array;

/** The arrays of a packed `data` for `n` entries, in their layout order. */
function packedArrays(data: ArrayBuffer, n: number, narrowTimes: boolean, dense: boolean) {
  const time: Times = narrowTimes ? new Uint32Array(data, 0, n) : new Float64Array(data, 0, n);
  let at = time.byteLength;
  const column = () => {
    const a = new Uint32Array(data, at, n);
    at += a.byteLength;
    return a;
  };
  const rel = dense ? null : column();
  return { time, rel, pos: column(), hash: column() };
}

function packedSize(n: number, narrowTimes: boolean, dense: boolean): number {
  return n * ((narrowTimes ? 4 : 8) + (dense ? 0 : 4) + 8);
}

/**
 * Rewrites a rising column as differences from the element before, in place.
 * IndexedDB compresses what it stores (Chromium: snappy): differences of
 * evenly sized and timed messages repeat, and a million-message log's
 * records then load in about half the time (BENCHMARKS.md).
 */
function toDifferences(column: Uint32Array): void {
  for (let i = column.length - 1; i > 0; i--) column[i]! -= column[i - 1]!;
}

/** Undoes `toDifferences` in place (u32 arithmetic wraps, so any column comes back exactly). */
function undoDifferences(column: Uint32Array): void {
  for (let i = 1; i < column.length; i++) column[i]! += column[i - 1]!;
}

/** Entries up to this many sort by one packed number: a u32 hash times ENTRY_SPAN plus the entry stays below 2^53. */
const ENTRY_SPAN = 2 ** 21;
const MAX_PACKED_ENTRY = ENTRY_SPAN;

/**
 * How a Bloom filter is sized: bits per entry (rounded up to a power of two
 * of bits in all) and bits probed per hash. A key lookup asks the filter of
 * every sealed segment, newest first, and each false yes loads a segment's
 * index from IndexedDB: so a sealed segment's saved filter (`KEY_FILTER`)
 * is sized for few false yeses (16-32 bits an entry, 8 probes: 0.0006% to
 * 0.06% of absent keys pass), where the in-memory one of a loaded index
 * only spares a bisection (`INDEX_FILTER`: 8-16 bits, 4 probes, ~1-2.5%).
 */
export interface BloomShape {
  bitsPerEntry: number;
  probes: number;
}

/** A sealed segment's saved key filter (`SegmentIndex.saved`). */
export const KEY_FILTER: BloomShape = { bitsPerEntry: 16, probes: 8 };
/** The filter of a loaded index, in memory only. */
export const INDEX_FILTER: BloomShape = { bitsPerEntry: 8, probes: 4 };

/**
 * The first bit `hash` probes and the odd step to the next, both from a
 * mixed hash, each from one half of it. Taken from the key hash itself, as
 * the first filters did (the step a product's low bits), every probe
 * depended only on the low bits a filter's size keeps: it acted as one
 * probe, and let 5-10% of absent keys through.
 */
export function probeStart(hash: number): { bit: number; step: number } {
  let h = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return { bit: h, step: (h >>> 16) | (h << 16) | 1 };
}

/** A Bloom filter of `hash[0, n)`, made as `shape` says. */
export function bloomOf(hash: Uint32Array, n: number, shape: BloomShape): Uint32Array {
  const bits = 2 ** Math.max(5, Math.ceil(Math.log2(Math.max(1, n) * shape.bitsPerEntry)));
  const bloom = new Uint32Array(bits / 32);
  const mask = bits - 1;
  for (let i = 0; i < n; i++) {
    const { bit: first, step } = probeStart(hash[i]!);
    for (let k = 0, bit = first & mask; k < shape.probes; k++, bit = (bit + step) & mask)
      bloom[bit >>> 5]! |= 1 << (bit & 31);
  }
  return bloom;
}

/** False if `hash` is surely not in `bloom` (made as `shape` says); true if it may be. */
export function mayHold(bloom: Uint32Array, hash: number, shape: BloomShape): boolean {
  const mask = bloom.length * 32 - 1;
  const { bit: first, step } = probeStart(hash);
  for (let k = 0, bit = first & mask; k < shape.probes; k++, bit = (bit + step) & mask) {
    if ((bloom[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
  }
  return true;
}

/** Index of the first of the sorted `column[0, count)` that is ≥ `target` (count if none). */
function firstAtLeast(column: Uint32Array | Float64Array, count: number, target: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (column[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A copy of `a`'s first `n` elements in a new array of `capacity`. */
function resized<T extends Uint32Array | Float64Array>(a: T, n: number, capacity: number): T {
  const b = new (a.constructor as new (n: number) => T)(capacity);
  b.set(a.subarray(0, n));
  return b;
}

export class SegmentIndex {
  count = 0;
  /** Offsets relative to the base, or null while they are base + entry. */
  private rel: Uint32Array | null = null;
  private pos: Uint32Array;
  private hash: Uint32Array;
  /** Indexed times: u32 deltas after `timeBase`, or f64s when `timeBase` is null. */
  private time: Times;
  private timeBase: number | null = null;
  /** Entry numbers ordered by (key hash, entry): built on the first key lookup, 4 bytes a message. */
  private byHash: Uint32Array | null = null;
  /** A Bloom filter of the hashes `byHash` orders, built with it: 1-2 bytes a message. */
  private bloom: Uint32Array | null = null;
  /** Key lookups answered by a scan so far (see `SCANS_BEFORE_SORT`). */
  private scans = 0;

  constructor(
    readonly base: number,
    capacity = INITIAL_CAPACITY,
  ) {
    this.pos = new Uint32Array(capacity);
    this.hash = new Uint32Array(capacity);
    this.time = new Uint32Array(capacity);
  }

  /** The index `packed` describes. It takes `packed.data` over (undone from differences in place): unpack a record once. */
  static unpack(base: number, packed: PackedIndex): SegmentIndex {
    const index = new SegmentIndex(base, 0);
    const arrays = packedArrays(packed.data, packed.count, packed.timeBase !== null, packed.dense);
    for (const column of [arrays.time, arrays.rel, arrays.pos])
      if (column instanceof Uint32Array) undoDifferences(column);
    ({ time: index.time, rel: index.rel, pos: index.pos, hash: index.hash } = arrays);
    index.timeBase = packed.timeBase;
    index.count = packed.count;
    return index;
  }

  pack(): PackedIndex {
    const n = this.count;
    const narrow = this.time instanceof Uint32Array;
    const dense = this.rel === null;
    const data = new ArrayBuffer(packedSize(n, narrow, dense));
    const packed = packedArrays(data, n, narrow, dense);
    packed.time.set(this.time.subarray(0, n));
    if (packed.rel) packed.rel.set(this.rel!.subarray(0, n));
    packed.pos.set(this.pos.subarray(0, n));
    packed.hash.set(this.hash.subarray(0, n));
    for (const column of [packed.time, packed.rel, packed.pos])
      if (column instanceof Uint32Array) toDifferences(column);
    return { layout: PACKED_INDEX_LAYOUT, count: n, timeBase: narrow ? this.timeBase : null, dense, data };
  }

  /**
   * Bytes of memory the index holds: its columns with their spare room
   * (none when unpacked from a record: 12 bytes a message while offsets are
   * dense and times narrow), and its key order and filter once built.
   */
  get bytes(): number {
    const columns = [this.time, this.rel, this.pos, this.hash, this.byHash, this.bloom];
    return columns.reduce((sum, c) => sum + (c?.byteLength ?? 0), 0);
  }

  private grow(): void {
    const capacity = Math.max(INITIAL_CAPACITY, this.count * 2);
    if (this.rel) this.rel = resized(this.rel, this.count, capacity);
    this.pos = resized(this.pos, this.count, capacity);
    this.hash = resized(this.hash, this.count, capacity);
    this.time = resized(this.time, this.count, capacity);
  }

  append(offset: number, position: number, timeUs: number, keyHash: number): void {
    if (this.count === this.pos.length) this.grow();
    const i = this.count++;
    if (this.rel) this.rel[i] = offset - this.base;
    else if (offset !== this.base + i) this.widenOffsets(i, offset);
    this.pos[i] = position;
    this.setTime(i, timeUs);
    this.hash[i] = keyHash;
  }

  /** Offsets stop being base + entry at entry `i`: keep them explicitly from now on. */
  private widenOffsets(i: number, offset: number): void {
    const rel = new Uint32Array(this.pos.length);
    for (let k = 0; k < i; k++) rel[k] = k;
    rel[i] = offset - this.base;
    this.rel = rel;
  }

  private setTime(i: number, timeUs: number): void {
    if (this.time instanceof Float64Array) {
      this.time[i] = timeUs;
      return;
    }
    if (i === 0) this.timeBase = timeUs;
    const delta = timeUs - this.timeBase!;
    if (delta >= 0 && delta <= MAX_TIME_DELTA && Number.isInteger(delta)) {
      this.time[i] = delta;
      return;
    }
    // A time the narrow column cannot hold: keep f64s from now on.
    const wide = new Float64Array(this.time.length);
    for (let k = 0; k < i; k++) wide[k] = this.timeAt(k);
    wide[i] = timeUs;
    this.time = wide;
    this.timeBase = null;
  }

  /** Forgets entries from `count` on (a batch rolled back). */
  truncate(count: number): void {
    this.count = Math.min(this.count, count);
    if (this.byHash && this.byHash.length > this.count) this.byHash = null;
  }

  /**
   * Entries whose key hash is `hash`, newest first. The first lookups scan
   * the hashes (`SCANS_BEFORE_SORT`); later ones bisect a hash-sorted order,
   * unless its Bloom filter already says the hash is not there (a key is
   * looked up in segment after segment, newest first: most of them do not
   * hold it, and a bisection there costs a cache miss a step); the head's
   * newest entries, not sorted yet, are scanned until there are enough of
   * them to sort again.
   */
  withHash(hash: number): number[] {
    if (!this.byHash && ++this.scans <= SCANS_BEFORE_SORT) return this.scanForHash(hash, 0);
    if (!this.byHash || this.count - this.byHash.length > UNSORTED_TAIL) this.sortByHash();
    const order = this.byHash!;
    const found = this.scanForHash(hash, order.length);
    if (!mayHold(this.bloom!, hash, INDEX_FILTER)) return found;
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hash[order[mid]!]! <= hash) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo - 1; k >= 0 && this.hash[order[k]!] === hash; k--) found.push(order[k]!);
    return found;
  }

  /** Entries from `from` on whose key hash is `hash`, newest first. */
  private scanForHash(hash: number, from: number): number[] {
    const found: number[] = [];
    for (let i = this.count - 1; i >= from; i--) if (this.hash[i] === hash) found.push(i);
    return found;
  }

  private sortByHash(): void {
    const n = this.count;
    const hash = this.hash;
    const order = new Uint32Array(n);
    if (n <= MAX_PACKED_ENTRY) {
      // (hash, entry) packed into one number sorts natively, much faster than with a comparator.
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = hash[i]! * ENTRY_SPAN + i;
      keys.sort();
      for (let i = 0; i < n; i++) order[i] = keys[i]! % ENTRY_SPAN;
    } else {
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => hash[a]! - hash[b]! || a - b);
    }
    this.byHash = order;
    this.bloom = bloomOf(hash, n, INDEX_FILTER);
  }

  /**
   * What IndexedDB keeps of the segment `file` names with this index: its
   * record, and if it is `sealed` (it will not grow) the summary and key
   * filter a later open reads instead (see `SegmentSummary`, `KeyFilter`).
   */
  saved(file: { dir: string; base: number; incarnation: number; size: number }, sealed: boolean): SavedIndex {
    const record = { ...file, ...this.pack() };
    if (!sealed) return { record };
    const { dir, base, incarnation } = file;
    const bloom = this.keyFilter().buffer as ArrayBuffer;
    return { record, summary: { dir, ...this.summary(file) }, filter: { dir, base, incarnation, bloom } };
  }

  /** The summary of the sealed segment `file` names with this index, but its directory (see `SegmentSummary`). */
  summary(file: { base: number; incarnation: number; size: number }): Omit<SegmentSummary, 'dir'> {
    const n = this.count;
    const { base, incarnation, size } = file;
    return {
      base,
      incarnation,
      size,
      count: n,
      firstOffset: n > 0 ? this.firstOffset : file.base,
      lastOffset: n > 0 ? this.lastOffset : file.base - 1,
      maxTime: this.maxTime,
      firstTime: n > 0 ? this.timeAt(0) : -Infinity,
    };
  }

  /** The Bloom filter of the key hashes a sealed segment saves (`KEY_FILTER`): 2-4 bytes a message. */
  keyFilter(): Uint32Array {
    return bloomOf(this.hash, this.count, KEY_FILTER);
  }

  offsetAt(i: number): number {
    return this.base + (this.rel ? this.rel[i]! : i);
  }

  positionAt(i: number): number {
    return this.pos[i]!;
  }

  /** Index of the first entry whose record starts at or after byte `position` (count if none). */
  entryAtOrAfter(position: number): number {
    return firstAtLeast(this.pos, this.count, position);
  }

  timeAt(i: number): number {
    return this.timeBase === null ? this.time[i]! : this.timeBase + this.time[i]!;
  }

  hashAt(i: number): number {
    return this.hash[i]!;
  }

  get firstOffset(): number {
    return this.offsetAt(0);
  }

  get lastOffset(): number {
    return this.offsetAt(this.count - 1);
  }

  /** Largest indexed time, or -Infinity when empty. */
  get maxTime(): number {
    return this.count === 0 ? -Infinity : this.timeAt(this.count - 1);
  }

  /** Index of the first entry with offset ≥ `offset` (count if none). */
  lowerBound(offset: number): number {
    const target = offset - this.base;
    if (!this.rel) return Math.min(this.count, Math.max(0, Math.ceil(target)));
    return firstAtLeast(this.rel, this.count, target);
  }

  /** Index of the entry with exactly `offset`, or -1. */
  find(offset: number): number {
    const i = this.lowerBound(offset);
    return i < this.count && this.offsetAt(i) === offset ? i : -1;
  }

  /** Index of the first entry whose indexed time is ≥ `timeUs` (count if none). */
  timeLowerBound(timeUs: number): number {
    // In the column's own terms: a delta after the base when narrow.
    return firstAtLeast(this.time, this.count, this.timeBase === null ? timeUs : timeUs - this.timeBase);
  }
}
