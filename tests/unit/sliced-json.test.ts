/** The snapshot encoder: JSON.stringify's bytes for what JSON keeps, a refusal for anything else. */
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/codec/crc32.ts';
import { LogError } from '../../src/errors.ts';
import { decodeJson, encodeJson } from '../../src/projection/sliced-json.ts';
import { rejection } from './helpers.ts';

describe('encodeJson', () => {
  it('writes what JSON.stringify writes, with its CRC-32C, also for a state too large for one slice', async () => {
    const big = {
      items: Array.from({ length: 200_000 }, (_, i) => ({ id: i, t: `é"\\${i}\n`, ok: i % 2 === 0, x: null })),
    };
    const values: unknown[] = [
      0,
      -0,
      1.5e300,
      'text',
      true,
      null,
      [],
      {},
      [1, [2, [3, {}]]],
      { a: 1, skip: undefined, b: { c: [true, false, null] } },
      { skip: undefined },
      Object.assign(Object.create(null), { n: 1 }),
      big,
    ];
    for (const value of values) {
      const { bytes, crc } = await encodeJson(value);
      const text = JSON.stringify(value);
      expect(new TextDecoder().decode(bytes)).toBe(text);
      expect(crc).toBe(crc32c(new TextEncoder().encode(text)));
      expect(decodeJson(bytes)).toEqual(JSON.parse(text));
    }
  }, 30_000); // 200,000 objects sliced 8 ms at a time, checked against JSON.stringify: seconds on a loaded machine

  it('refuses, naming where, what JSON would give back as something else', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = { again: cyclic };
    const cases: [unknown, RegExp][] = [
      [{ a: Number.NaN }, /NaN at \.a/],
      [[1, Number.POSITIVE_INFINITY], /Infinity at \[1\]/],
      [{ m: new Map() }, /Map at \.m/],
      [{ s: [new Set()] }, /Set at \.s\[0\]/],
      [new Date(0), /Date at its top/],
      [{ b: 1n }, /bigint at \.b/],
      [{ f: () => 1 }, /function at \.f/],
      [[undefined], /undefined at \[0\]/],
      [cyclic, /cycle at \.self\.again/],
    ];
    for (const [value, message] of cases) {
      const err = await rejection(encodeJson(value));
      expect(err).toBeInstanceOf(LogError);
      expect(err.code).toBe('InvalidArgument');
      expect(err.message).toMatch(message);
    }
  });
});
