/** The key hash is stored in every index: it must stay FNV-1a, bit for bit. */
import { describe, expect, it } from 'vitest';
import { keyHash } from '../../src/codec/hash.ts';

/** FNV-1a as its definition reads, on unbounded numbers reduced mod 2^32. */
function reference(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Number((BigInt((h ^ b) >>> 0) * 0x01000193n) % 2n ** 32n);
  return h >>> 0;
}

describe('keyHash', () => {
  it('gives the published FNV-1a values', () => {
    const enc = new TextEncoder();
    expect(keyHash(new Uint8Array(0))).toBe(0x811c9dc5);
    expect(keyHash(enc.encode('a'))).toBe(0xe40c292c);
    expect(keyHash(enc.encode('foobar'))).toBe(0xbf9cf968);
  });

  it('matches the definition on every range of random bytes', () => {
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 197 + 31) & 0xff);
    for (let start = 0; start < 8; start++)
      for (let end = start; end <= bytes.length; end++)
        expect(keyHash(bytes, start, end)).toBe(reference(bytes.subarray(start, end)));
  });
});
