/**
 * 64-bit fields of the on-disk formats. A DataView has no u64 accessor that
 * gives a number (only BigInt ones, slow on the read path), so each is two
 * little-endian u32 halves. Values stay below 2^53, so they fit a number.
 */

/** 2^32: the weight of a u64's high half, and one past the largest u32. */
export const TWO_32 = 2 ** 32;
/** Bytes of a u64 field. */
export const U64_SIZE = 8;
/** Byte of the high half within a u64 field. */
const HIGH = 4;

export function getU64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + HIGH, true) * TWO_32;
}

export function setU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, n >>> 0, true);
  view.setUint32(at + HIGH, Math.floor(n / TWO_32), true);
}
