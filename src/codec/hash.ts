/**
 * The key index stores a 32-bit hash per message (FNV-1a), not the key: it
 * keeps the index at a few bytes per message. Lookups compare the real key
 * bytes of each candidate, so collisions cost a read, never a wrong answer.
 *
 * The running hash is an int32 from the start (the offset basis is above
 * 2^31, a double as a literal): Firefox 140 ran the loop several times slower
 * when its first value was a double (BENCHMARKS.md, "Figures behind the
 * code").
 */
const OFFSET_BASIS = 0x811c9dc5 | 0;
const PRIME = 0x01000193;

export function keyHash(key: Uint8Array, start = 0, end = key.length): number {
  let h = OFFSET_BASIS;
  for (let i = start; i < end; i++) h = Math.imul(h ^ key[i]!, PRIME);
  return h >>> 0;
}
