/** Retention's rules (src/engine/retention-rules.ts), which the `retention` option and the trim functions share. */
import { describe, expect, it } from 'vitest';
import {
  byAge,
  byCount,
  byOffset,
  bySize,
  deleteInRounds,
  type RetainedMessage,
  type Rule,
  removed,
  removedOf,
  removesAny,
} from '../../src/engine/retention-rules.ts';

/** Five messages, oldest first: offsets 10, 11, 13 (12 deleted), 14, 15; sizes 100, 50, 25, 10, 5 (total 190); times out of order at 14. */
const LOG: RetainedMessage[] = [
  { offset: 10, size: 100, time: 1000 },
  { offset: 11, size: 50, time: 2000 },
  { offset: 13, size: 25, time: 3000 },
  { offset: 14, size: 10, time: 500 },
  { offset: 15, size: 5, time: 4000 },
];
const TOTAL = 190;

const cases: [name: string, rule: Rule, offsets: number[]][] = [
  ['byCount: under the cap', byCount(5, 6), []],
  ['byCount: at the cap', byCount(5, 5), []],
  ['byCount: one over', byCount(5, 4), [10]],
  ['byCount: 0 keeps none', byCount(5, 0), [10, 11, 13, 14, 15]],
  ['bySize: one byte above the total', bySize(TOTAL, TOTAL + 1), []],
  ['bySize: exactly at the bound loses the oldest', bySize(TOTAL, TOTAL), [10]],
  ['bySize: landing exactly on the bound is not below it', bySize(TOTAL, TOTAL - 100), [10, 11]],
  ['bySize: one byte below that', bySize(TOTAL, TOTAL - 101), [10, 11]],
  ['bySize: 0 takes every message', bySize(TOTAL, 0), [10, 11, 13, 14, 15]],
  ['byAge: before the oldest', byAge(999), []],
  ['byAge: at a time is at or before it', byAge(2000), [10, 11]],
  ['byAge: an old message behind a young one stays', byAge(3500), [10, 11, 13, 14]],
  ['byAge: stops at the first young one', byAge(2500), [10, 11]],
  ['byOffset: before the oldest', byOffset(10), []],
  ['byOffset: across a gap', byOffset(14), [10, 11, 13]],
  ['byOffset: past the end', byOffset(Number.POSITIVE_INFINITY), [10, 11, 13, 14, 15]],
];

describe('retention rules', () => {
  it.each(cases)('%s', async (_name, rule, offsets) => {
    expect(removed(LOG, rule)).toEqual(offsets);
    expect(removesAny(LOG, rule)).toBe(offsets.length > 0);
    async function* oneByOne() {
      yield* LOG;
    }
    expect(await removedOf(oneByOne(), rule)).toEqual(offsets);
  });

  it('looks no further than the first message a rule keeps', async () => {
    let read = 0;
    async function* counted() {
      for (const m of LOG) {
        read++;
        yield m;
      }
    }
    expect(await removedOf(counted(), byAge(1500))).toEqual([10]);
    expect(read).toBe(2);
  });

  it('an empty log: no rule removes anything', () => {
    for (const [, rule] of cases) expect(removesAny([], rule)).toBe(false);
    expect(removed([], bySize(0, 0))).toEqual([]);
  });

  it('deleteInRounds: a call per segment until none is left or a call deletes nothing', async () => {
    const segments = [[1, 2], [3], [5, 6]];
    const calls: number[][] = [];
    const result = await deleteInRounds([6, 1, 2, 3, 5, 9], async (remaining) => {
      calls.push([...remaining]);
      const lowest = Math.min(...remaining);
      const holding = segments.find((s) => s.includes(lowest)) ?? [];
      const deleted = holding.filter((o) => remaining.has(o));
      return { deletedOffsets: deleted, deletedSize: deleted.length * 10 };
    });
    expect([...result.deletedOffsets].sort((a, b) => a - b)).toEqual([1, 2, 3, 5, 6]);
    expect(result.deletedSize).toBe(50);
    expect(calls).toEqual([[6, 1, 2, 3, 5, 9], [6, 3, 5, 9], [6, 5, 9], [9]]);
  });

  it('deleteInRounds: nothing asked, no call', async () => {
    const result = await deleteInRounds([], async () => {
      throw new Error('called');
    });
    expect(result).toEqual({ deletedOffsets: new Set(), deletedSize: 0 });
  });
});
