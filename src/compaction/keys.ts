/** Message keys as Map keys: compaction tracks every key it has seen, as klevdb does in a radix tree. */

/** Bytes per String.fromCharCode call (its arguments go on the stack). */
const CHUNK = 8192;

/** A string that equals another exactly when the bytes do (one char per byte). */
export function keyString(key: Uint8Array): string {
  if (key.length <= CHUNK) return String.fromCharCode.apply(null, key as unknown as number[]);
  let out = '';
  for (let at = 0; at < key.length; at += CHUNK) {
    out += String.fromCharCode.apply(null, key.subarray(at, at + CHUNK) as unknown as number[]);
  }
  return out;
}
