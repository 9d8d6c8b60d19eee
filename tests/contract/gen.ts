/**
 * The tests' one message generator. Message `i` of a run is made from `i`
 * alone, through a shape; each suite binds the shape its assertions were
 * written against, so `gen(3, 5)` is always messages 5, 6 and 7 of that shape.
 * No Node modules here: the browser harness imports it too.
 */
import type { NewMessage } from '../../src/types.ts';

/** 2023-01-01T00:00:00Z; the contract and kit shapes space messages one second apart from here. */
export const T0 = Date.UTC(2023, 0, 1);

/** Padding that gives the contract and kit values some body, so a few messages fill a small segment. */
const VALUE_PADDING = 'x'.repeat(16);

/** How message `i` looks. */
export interface MessageShape {
  /** The key's text for key number `k` (`i % keys`). */
  key(k: number): string;
  value(i: number): string;
  time(i: number): number;
  /** How many distinct keys a run cycles through when the call does not say. */
  keys: number;
}

/** `count` messages of a shape, numbered from `from`, cycling through `keys` keys. */
export type Gen = (count: number, from?: number, keys?: number) => NewMessage[];

/** The contract suite's: distinct keys `key-0000`, values `value-<i>-xxx…`, times one second apart from `T0`. */
export const CONTRACT_SHAPE: MessageShape = {
  key: (k) => `key-${String(k).padStart(4, '0')}`,
  value: (i) => `value-${i}-${VALUE_PADDING}`,
  time: (i) => T0 + i * 1000,
  keys: Infinity,
};

/** The kit's: keys `k<i % keys>`, values `v<i>-xxx…`, times one second apart from `T0`. */
export const KIT_SHAPE: MessageShape = {
  key: (k) => `k${k}`,
  value: (i) => `v${i}-${VALUE_PADDING}`,
  time: (i) => T0 + i * 1000,
  keys: 1_000_000,
};

/** The unit tier's, after klevdb's Gen: keys `k<i % keys>` (10 by default), values `v<i>`, times `1000 + i` ms. */
export const KLEVDB_SHAPE: MessageShape = {
  key: (k) => `k${k}`,
  value: (i) => `v${i}`,
  time: (i) => 1000 + i,
  keys: 10,
};

const encoder = new TextEncoder();

/** The generator of messages of `shape`. */
export function generator(shape: MessageShape): Gen {
  return (count, from = 0, keys = shape.keys) =>
    Array.from({ length: count }, (_, n) => {
      const i = from + n;
      return { key: encoder.encode(shape.key(i % keys)), value: encoder.encode(shape.value(i)), time: shape.time(i) };
    });
}
