/** The in-memory segment index: bisecting offsets and times, key-hash lookups, packing. */
import { describe, expect, it } from 'vitest';
import { keyHash } from '../../src/codec/hash.ts';
import {
  type BloomShape,
  bloomOf,
  INDEX_FILTER,
  KEY_FILTER,
  mayHold,
  SegmentIndex,
} from '../../src/indexes/segment-index.ts';

function indexWith(hashes: number[], base = 100): SegmentIndex {
  const index = new SegmentIndex(base);
  hashes.forEach((h, i) => {
    index.append(base + i * 2, 24 + i * 40, 1000 + i, h);
  });
  return index;
}

describe('SegmentIndex', () => {
  it('finds offsets exactly and by lower bound, with gaps', () => {
    const index = indexWith([1, 2, 3, 4]); // offsets 100, 102, 104, 106
    expect(index.find(104)).toBe(2);
    expect(index.find(103)).toBe(-1);
    expect(index.lowerBound(103)).toBe(2);
    expect(index.lowerBound(99)).toBe(0);
    expect(index.lowerBound(107)).toBe(4);
    expect(index.timeLowerBound(1002)).toBe(2);
  });

  it('lists entries of a key hash newest first, sorted or not yet sorted', () => {
    const hashes = [5, 3, 5, 7, 5];
    const index = indexWith(hashes);
    expect([...index.withHash(5)]).toEqual([4, 2, 0]);
    expect([...index.withHash(4)]).toEqual([]);
    // Grow past the unsorted tail so the lookup sorts again, then add a few more unsorted ones.
    for (let i = 0; i < 3000; i++) index.append(200 + i, 0, 0, i % 3 === 0 ? 5 : 9);
    index.append(5000, 0, 0, 5);
    const expected: number[] = [];
    for (let i = index.count - 1; i >= 0; i--) if (index.hashAt(i) === 5) expected.push(i);
    expect([...index.withHash(5)]).toEqual(expected);
    index.append(5001, 0, 0, 5);
    expect([...index.withHash(5)][0]).toBe(index.count - 1);
  });

  it('forgets rolled-back entries in key lookups', () => {
    const index = indexWith([5, 5, 5]);
    expect([...index.withHash(5)]).toEqual([2, 1, 0]);
    index.truncate(1);
    expect([...index.withHash(5)]).toEqual([0]);
  });

  it('packs and unpacks to the same entries', () => {
    const index = indexWith([11, 22, 33]);
    const copy = SegmentIndex.unpack(100, index.pack());
    for (let i = 0; i < 3; i++) {
      expect([copy.offsetAt(i), copy.positionAt(i), copy.timeAt(i), copy.hashAt(i)]).toEqual([
        index.offsetAt(i),
        index.positionAt(i),
        index.timeAt(i),
        index.hashAt(i),
      ]);
    }
    copy.append(200, 1, 2, 44);
    expect(copy.count).toBe(4);
    expect([...copy.withHash(44)]).toEqual([3]);
  });

  it('keeps dense offsets and short time spans narrow, and widens each column on the first entry that does not fit', () => {
    const entries = (index: SegmentIndex) =>
      Array.from({ length: index.count }, (_, i) => [
        index.offsetAt(i),
        index.positionAt(i),
        index.timeAt(i),
        index.hashAt(i),
      ]);
    const index = new SegmentIndex(50);
    for (let i = 0; i < 100; i++) index.append(50 + i, 24 + i, 1_700_000_000_000_000 + i * 1000, i);
    // Dense offsets and times within 2^32 µs of the first: 12 bytes an entry packed (time, position, hash).
    const narrow = index.pack();
    expect([narrow.dense, narrow.timeBase, narrow.data.byteLength]).toEqual([true, 1_700_000_000_000_000, 100 * 12]);
    expect(index.find(149)).toBe(99);
    expect(index.lowerBound(10)).toBe(0);
    expect(index.lowerBound(150)).toBe(100);
    expect(index.timeLowerBound(1_700_000_000_000_000 + 5500)).toBe(6);

    const before = entries(index);
    index.append(152, 500, 1_700_000_000_000_000 + 2 ** 32, 7); // a gap, and a time past the narrow range
    const wide = index.pack();
    expect([wide.dense, wide.timeBase, wide.data.byteLength]).toEqual([false, null, 101 * 20]);
    expect(entries(index).slice(0, 100)).toEqual(before);
    expect([index.offsetAt(100), index.timeAt(100)]).toEqual([152, 1_700_000_000_000_000 + 2 ** 32]);
    expect(index.find(151)).toBe(-1);
    expect(index.find(152)).toBe(100);
    expect(entries(SegmentIndex.unpack(50, wide))).toEqual(entries(index));
    expect(entries(SegmentIndex.unpack(50, narrow))).toEqual(before);
  });

  it('widens times that are fractional or run backwards', () => {
    for (const second of [1000.5, 999]) {
      const index = new SegmentIndex(0);
      index.append(0, 24, 1000, 1);
      index.append(1, 60, second, 2);
      expect([index.timeAt(0), index.timeAt(1), index.pack().timeBase]).toEqual([1000, second, null]);
    }
  });

  it('finds every key hash it holds, sorted or not, and none it does not (the Bloom filter in front of the bisection)', () => {
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    const index = new SegmentIndex(0);
    const held = new Map<number, number[]>();
    for (let i = 0; i < 5000; i++) {
      const h = i % 7 === 0 && i > 0 ? index.hashAt(i - 1) : random(); // some hashes twice
      index.append(i, 24 + i, 1000 + i, h);
      held.set(h, [i, ...(held.get(h) ?? [])]);
    }
    for (const [h, entries] of held) expect(index.withHash(h)).toEqual(entries);
    for (let k = 0; k < 5000; k++) {
      const h = random();
      if (!held.has(h)) expect(index.withHash(h)).toEqual([]);
    }
    index.append(5000, 0, 7000, 12345); // unsorted yet: found by the scan of the newest entries
    expect(index.withHash(12345)[0]).toBe(5000);
  });

  it('lets as few absent keys through its Bloom filters as their size promises, for keys as alike as `k1`, `k2`', () => {
    const enc = new TextEncoder();
    /** Share of 2,000 absent keys that 20 filters of `n` keys each let through. */
    const passing = (n: number, shape: BloomShape) => {
      let passed = 0;
      for (let f = 0; f < 20; f++) {
        const hashes = Uint32Array.from({ length: n }, (_, i) => keyHash(enc.encode(`k${f * n + i}`)));
        const bloom = bloomOf(hashes, n, shape);
        expect([...hashes].every((h) => mayHold(bloom, h, shape))).toBe(true); // never a false no
        for (let j = 0; j < 2000; j++) if (mayHold(bloom, keyHash(enc.encode(`absent-${j}`)), shape)) passed++;
      }
      return passed / 40_000;
    };
    expect(passing(6000, KEY_FILTER)).toBeLessThan(0.0006);
    expect(passing(6000, INDEX_FILTER)).toBeLessThan(0.025);
    expect(passing(20, KEY_FILTER)).toBeLessThan(0.0006);
  });

  it('answers key lookups alike while it scans its hashes and once it has sorted them', () => {
    const hashes = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 97);
    const index = indexWith(hashes);
    const expected = (h: number) => hashes.flatMap((x, i) => (x === h ? [i] : [])).reverse();
    for (let round = 0; round < 100; round++) {
      const h = (round * 13) % 101; // 97..100 are held by no entry
      expect(index.withHash(h)).toEqual(expected(h));
    }
  });
});
