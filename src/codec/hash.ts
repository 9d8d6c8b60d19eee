/**
 * The key index stores a 32-bit hash per message (FNV-1a), not the key: it
 * keeps the index at a few bytes per message. Lookups compare the real key
 * bytes of each candidate, so collisions cost a read, never a wrong answer.
 */
export function keyHash(key: Uint8Array, start = 0, end = key.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= key[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
