/**
 * The saved key filters' blocks (src/indexes/key-filters.ts) must answer
 * exactly what each member's own filter answers, and a key walk must find
 * the same segments with blocks as without, however the list changed under
 * them. A block that answered "not here" for a segment that holds the key
 * would make getByKey miss a message that is there.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyBlock, KeyFilterSlot, keyCandidates, type KeyFiltered } from '../../src/indexes/key-filters.ts';
import { bloomOf, KEY_FILTER, mayHold } from '../../src/indexes/segment-index.ts';
import { deleteAll } from '../../src/retention/delete-all.ts';
import { trimByOffset } from '../../src/retention/by-offset.ts';
import { enc, freshEnv, openLog } from './helpers.ts';

/** A deterministic stream of u32s (xorshift), so a failure repeats. */
function randoms(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** A filter of `n` random key hashes, and the hashes. */
function filterOf(next: () => number, n: number): { words: Uint32Array; hashes: number[] } {
  const hashes = Array.from({ length: n }, next);
  return { words: bloomOf(Uint32Array.from(hashes), n, KEY_FILTER), hashes };
}

/** A segment of the walk: its slot, a copy of its filter's words to check the blocks against, and two of its keys. */
function segment(filter: { words: Uint32Array; hashes: number[] } | null) {
  const words = filter?.words ?? null;
  const slot: KeyFiltered = { keyFilter: words ? new KeyFilterSlot(words.slice()) : null };
  return Object.assign(slot, { words, keys: filter?.hashes.slice(0, 2) ?? [] });
}

/** What the walk must answer: every position in walk order whose own filter does not rule the key out. */
function expected(list: { words: Uint32Array | null }[], hash: number, from: number, to: number): number[] {
  const out: number[] = [];
  const step = from <= to ? 1 : -1;
  for (let s = from; s !== to + step; s += step) {
    const words = list[s]!.words;
    if (!words || mayHold(words, hash, KEY_FILTER)) out.push(s);
  }
  return out;
}

describe('key filter blocks', () => {
  it('answer for each of their 32 members exactly what its own filter answers', () => {
    const next = randoms(7);
    for (const n of [1, 100, 700]) {
      const filters = Array.from({ length: 32 }, () => filterOf(next, n));
      const slots = filters.map((f) => new KeyFilterSlot(f.words.slice()));
      const block = new KeyBlock(slots);
      expect(slots.every((s) => s.words === null && s.block === block)).toBe(true);
      const asked = [...filters.flatMap((f) => f.hashes.slice(0, 20)), ...Array.from({ length: 3000 }, next)];
      let wrong = 0;
      for (const hash of asked) {
        const members = block.holders(hash);
        filters.forEach((f, j) => {
          const own = mayHold(f.words, hash, KEY_FILTER);
          if (((members >>> j) & 1) !== Number(own) || slots[j]!.lacks(hash) === own) wrong++;
        });
      }
      expect(wrong).toBe(0);
      // Every member's own keys pass: a filter never says "not here" for a key it holds.
      expect(filters.every((f, j) => f.hashes.every((hash) => !slots[j]!.lacks(hash)))).toBe(true);
    }
  });

  it('leave a walk finding the same segments, both ways, over any range, as the list changes under them', () => {
    const next = randoms(11);
    // Mostly one size, so runs of 32 form, broken by segments without a filter and by ten of another size.
    const made = (i: number) =>
      i % 41 === 40 ? segment(null) : segment(filterOf(next, i >= 100 && i < 110 ? 900 : 200));
    const list = Array.from({ length: 150 }, (_, i) => made(i));
    const absent = Array.from({ length: 100 }, next);
    const check = () => {
      const last = list.length - 1;
      // Keys some segments hold (each in its own and maybe a false yes elsewhere), and keys none holds.
      for (const hash of [...list.flatMap((s) => s.keys), ...absent]) {
        for (const [from, to] of [
          [last, 0],
          [0, last],
          [37, last],
          [last - 5, 3],
          [70, 70],
        ] as const) {
          expect([...keyCandidates(list, hash, from, to)]).toEqual(expected(list, hash, from, to));
        }
      }
    };
    check(); // forms the blocks
    expect(list.filter((s) => s.keyFilter?.block).length).toBeGreaterThanOrEqual(64);
    const holders = vi.spyOn(KeyBlock.prototype, 'holders');
    check(); // answers from them
    expect(holders).toHaveBeenCalled();
    list.splice(0, 3); // retention: the oldest go
    check();
    list[50] = made(1); // a rewrite: one member replaced
    list.splice(90, 1);
    check();
    list.push(...Array.from({ length: 40 }, (_, i) => made(i))); // rolls
    check();
  });
});

describe('key lookups over many sealed segments', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('find every key through the blocks, as the log is trimmed and rewritten', async () => {
    const env = freshEnv();
    const writer = await openLog(env, 'log', { rollover: 400 });
    // 1,200 messages, ~120 segments; key `k${i % 50}` recurs in many of them, `u${i}` once.
    for (let b = 0; b < 120; b++) {
      const batch = Array.from({ length: 10 }, (_, j) => {
        const i = b * 10 + j;
        return { key: enc.encode(j % 2 ? `u${i}` : `k${i % 50}`), value: enc.encode(`v${i}`) };
      });
      await writer.publish(batch);
    }
    await writer.close();
    const log = await openLog(env, 'log', { rollover: 400 });
    expect((await log.stat()).segments).toBeGreaterThan(64);
    const holders = vi.spyOn(KeyBlock.prototype, 'holders');
    const lookups = async (oldest: number) => {
      for (let i = oldest; i < 1200; i += 7) {
        const key = i % 2 ? `u${i}` : `k${i % 50}`;
        expect((await log.getByKey(enc.encode(key))).offset).toBe(i % 2 ? i : newestOf(i % 50));
      }
      const all = await log.consumeByKey(enc.encode('k10'), 0, 1000);
      expect(all.messages.map((m) => m.offset)).toEqual(
        [...Array(1200).keys()].filter((o) => o >= oldest && o % 2 === 0 && o % 50 === 10),
      );
      await expect(log.getByKey(enc.encode('absent'))).rejects.toMatchObject({ code: 'NotFound' });
    };
    await lookups(0); // reads the filters
    await lookups(0); // slices them
    holders.mockClear();
    await lookups(0);
    expect(holders).toHaveBeenCalled();
    // A trim and a rewrite (the deletes) change the list under the blocks.
    await trimByOffset(log, 205);
    await deleteAll(log, [301, 303, 305]);
    const gone = new Set([301, 303, 305]);
    for (let i = 205; i < 1200; i += 2) {
      const got = log.getByKey(enc.encode(`u${i}`));
      if (gone.has(i)) await expect(got).rejects.toMatchObject({ code: 'NotFound' });
      else expect((await got).offset).toBe(i);
    }
    const after = await log.consumeByKey(enc.encode('k10'), 0, 1000);
    expect(after.messages.map((m) => m.offset)).toEqual(
      [...Array(1200).keys()].filter((o) => o >= 205 && o % 2 === 0 && o % 50 === 10),
    );
    await log.close();
  });
});

/** The newest offset with key `k${n}`: the even offsets o with o % 50 === n. */
function newestOf(n: number): number {
  let o = 1199;
  while (o % 2 !== 0 || o % 50 !== n) o--;
  return o;
}
