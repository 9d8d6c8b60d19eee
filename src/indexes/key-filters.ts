/**
 * The saved key filters of a log's sealed segments (`KEY_FILTER`), and the
 * walk of a key lookup over them. Each filter answers "no message here has
 * this key" without the segment's index, so a lookup loads only the
 * segments that may hold its key. Asked one after another, they cost a
 * lookup 0.3-0.4 ms at 10M messages (1,667 segments) and ~1 ms at 30M: each
 * probe a cache miss (BENCHMARKS.md, "The key lookups' walk, 32 segments to
 * a probe").
 *
 * So a run of 32 neighbouring segments whose filters are of one size is
 * bit-sliced into a `KeyBlock`: its word p holds bit p of all 32 filters,
 * and one probe sequence answers for the 32 segments at once. A block takes
 * its members' words over (the same bytes, not a copy), and each member's
 * `KeyFilterSlot` answers from the block from then on. Blocks form as
 * lookups walk (`keyCandidates`), from filters already read.
 *
 * A block is used whole only where its members still stand side by side in
 * the list, as it found them. Where one was removed or replaced (retention,
 * a rewrite), the others answer one by one from the block, which is what
 * they answered before: the walk's result never depends on the blocks.
 */
import { KEY_FILTER, mayHold, probeStart } from './segment-index.ts';

/** Segments a block slices together: one per bit of a 32-bit word. */
const BLOCK = 32;
/**
 * Blocks one walk makes at most: slicing 32 filters of 16 KB takes ~2 ms,
 * so a walk that found 52 runs ready (10M messages) would pay ~100 ms at
 * once; the rest wait for the next walks.
 */
const BLOCKS_PER_WALK = 8;

/** A sealed segment's saved key filter: its own words, or its column of a block. */
export class KeyFilterSlot {
  /** The block that holds this filter, and its column there; null while it holds its own words. */
  block: KeyBlock | null = null;
  column = 0;

  constructor(
    /** The filter's words while no block holds them. */
    public words: Uint32Array | null,
  ) {}

  /** True if no message of the segment has key hash `hash`, as the filter tells. */
  lacks(hash: number): boolean {
    if (this.words) return !mayHold(this.words, hash, KEY_FILTER);
    return ((this.block!.holders(hash) >>> this.column) & 1) === 0;
  }
}

/** `BLOCK` filters of one size, bit-sliced: bit j of `rows[p]` is bit p of member j's filter. */
export class KeyBlock {
  private readonly rows: Uint32Array;

  /** Takes over the words of `slots` (all of one length), which answer from this block from then on. */
  constructor(readonly slots: readonly KeyFilterSlot[]) {
    const filters = slots.map((s) => s.words!);
    const words = filters[0]!.length;
    this.rows = new Uint32Array(words * BLOCK);
    const square = new Uint32Array(BLOCK);
    for (let w = 0; w < words; w++) {
      for (let j = 0; j < BLOCK; j++) square[j] = filters[j]![w]!;
      transpose32(square);
      this.rows.set(square, w * BLOCK);
    }
    slots.forEach((slot, j) => {
      slot.block = this;
      slot.column = j;
      slot.words = null;
    });
  }

  /** Bit j set: member j may hold key hash `hash` (as `mayHold` answers for its filter). */
  holders(hash: number): number {
    // `mayHold`'s probe sequence (from `probeStart`), asked of 32 filters at once.
    const mask = this.rows.length - 1;
    const { bit: first, step } = probeStart(hash);
    let members = -1;
    for (let k = 0, bit = first & mask; k < KEY_FILTER.probes && members !== 0; k++, bit = (bit + step) & mask) {
      members &= this.rows[bit]!;
    }
    return members;
  }
}

/**
 * Transposes a 32×32 bit matrix in place: bit c of `m[r]` goes to bit r of
 * `m[c]`. Swaps ever smaller off-diagonal blocks (16×16, then 8×8, …).
 */
function transpose32(m: Uint32Array): void {
  for (let size = 16, low = 0x0000ffff; size > 0; size >>>= 1, low ^= low << size) {
    for (let r = 0; r < BLOCK; r = (r + size + 1) & ~size) {
      const t = ((m[r]! >>> size) ^ m[r + size]!) & low;
      m[r]! ^= t << size;
      m[r + size]! ^= t;
    }
  }
}

/** What a key walk needs of a segment: its saved key filter, null if none was read (or it has none). */
export interface KeyFiltered {
  readonly keyFilter: KeyFilterSlot | null;
}

/**
 * Positions of `segments` from `from` to `to` (inclusive; the walk goes
 * from `from` towards `to`, either way round), in that order, whose segment
 * may hold a message with key hash `hash`: all but those whose filter says
 * it has none. Lazily, so a lookup that finds its key in the first stops
 * the walk there. Makes a block of each run of 32 unsliced filters of one size
 * it walks past, up to `BLOCKS_PER_WALK`.
 */
export function* keyCandidates(segments: readonly KeyFiltered[], hash: number, from: number, to: number) {
  const step = from <= to ? 1 : -1;
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  let run: number[] = []; // positions just walked whose filters have their own words, all of one length
  let made = 0;
  for (let s = from; s >= lo && s <= hi; ) {
    const slot = segments[s]!.keyFilter;
    const block = slot?.block;
    if (block && standing(segments, block, s - slot!.column)) {
      const start = s - slot!.column;
      // The members from here on in the walk's direction, within the range.
      const first = step > 0 ? s : Math.max(lo, start);
      const last = step > 0 ? Math.min(hi, start + BLOCK - 1) : s;
      let members = block.holders(hash) & columns(first - start, last - start);
      while (members !== 0) {
        const j = 31 - Math.clz32(step > 0 ? members & -members : members); // the lowest set bit, or the highest
        yield start + j;
        members &= ~(1 << j);
      }
      s = step > 0 ? start + BLOCK : start - 1;
      run = [];
      continue;
    }
    if (!slot?.lacks(hash)) yield s;
    const words = slot?.words;
    if (words && run.length > 0 && lengthAt(segments, run[0]!) === words.length) run.push(s);
    else run = words ? [s] : [];
    if (run.length === BLOCK) {
      const order = step > 0 ? run : [...run].reverse();
      if (made++ < BLOCKS_PER_WALK) new KeyBlock(order.map((p) => segments[p]!.keyFilter!));
      run = [];
    }
    s += step;
  }
}

/** A mask of bits `from` to `to` (inclusive, 0-31). */
function columns(from: number, to: number): number {
  return (-1 >>> (31 - (to - from))) << from;
}

/** Whether `block`'s members stand at positions `start`, `start + 1`, … of `segments`, as it sliced them. */
function standing(segments: readonly KeyFiltered[], block: KeyBlock, start: number): boolean {
  if (start < 0 || start + BLOCK > segments.length) return false;
  for (let j = 0; j < BLOCK; j++) if (segments[start + j]!.keyFilter !== block.slots[j]) return false;
  return true;
}

function lengthAt(segments: readonly KeyFiltered[], s: number): number {
  return segments[s]!.keyFilter?.words?.length ?? -1;
}
