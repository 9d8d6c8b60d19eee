/**
 * The project's two checksums, on one kind of table: CRC-32C (Castagnoli),
 * the checksum of every record, and CRC-32 (IEEE), that of zip entries in
 * archives. Both use slicing-by-16, the sixteen 256-entry tables in one flat
 * array: faster than slicing-by-8 on records of the usual size.
 *
 * The loop stands twice on purpose: every read verifies the records it
 * returns, and a loop over a module constant table is faster than one shared
 * loop taking the table as an argument. Tables and running values are int32:
 * with a Uint32Array and `>>> 0` (values above 2^31 are doubles) Firefox 140
 * ran the loop at an interpreter's speed (figures: BENCHMARKS.md, "Figures
 * behind the code").
 */
const SLICES = 16;

/** Table k at [256 k, 256 k + 256): the CRC of byte b followed by k zero bytes. */
function slicingTable(poly: number): Int32Array {
  const t = new Int32Array(SLICES * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c;
  }
  for (let k = 1; k < SLICES; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(k - 1) * 256 + i]!;
      t[k * 256 + i] = t[prev & 0xff]! ^ (prev >>> 8);
    }
  }
  return t;
}

/** Also the tables of the WebAssembly module (crc32c-wasm.ts), copied into its memory. */
export const CASTAGNOLI = slicingTable(0x82f63b78);
const IEEE = slicingTable(0xedb88320);

/**
 * CRC-32C of `bytes[start, end)`: the checksum of records. `prev`, the CRC-32C
 * of the bytes before, continues it (a long input checksummed piece by piece).
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, prev = 0): number {
  const t = CASTAGNOLI;
  let crc = ~prev;
  let i = start;
  for (; i + 16 <= end; i += 16) {
    const w = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc =
      t[3840 + (w & 0xff)]! ^
      t[3584 + ((w >>> 8) & 0xff)]! ^
      t[3328 + ((w >>> 16) & 0xff)]! ^
      t[3072 + (w >>> 24)]! ^
      t[2816 + bytes[i + 4]!]! ^
      t[2560 + bytes[i + 5]!]! ^
      t[2304 + bytes[i + 6]!]! ^
      t[2048 + bytes[i + 7]!]! ^
      t[1792 + bytes[i + 8]!]! ^
      t[1536 + bytes[i + 9]!]! ^
      t[1280 + bytes[i + 10]!]! ^
      t[1024 + bytes[i + 11]!]! ^
      t[768 + bytes[i + 12]!]! ^
      t[512 + bytes[i + 13]!]! ^
      t[256 + bytes[i + 14]!]! ^
      t[bytes[i + 15]!]!;
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** A running CRC-32 (IEEE), for zip entries checked chunk by chunk: `update` each chunk, then read `value`. */
export class Crc32 {
  private crc = -1;

  update(bytes: Uint8Array): this {
    const t = IEEE;
    const end = bytes.length;
    let crc = this.crc;
    let i = 0;
    for (; i + 16 <= end; i += 16) {
      const w = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
      crc =
        t[3840 + (w & 0xff)]! ^
        t[3584 + ((w >>> 8) & 0xff)]! ^
        t[3328 + ((w >>> 16) & 0xff)]! ^
        t[3072 + (w >>> 24)]! ^
        t[2816 + bytes[i + 4]!]! ^
        t[2560 + bytes[i + 5]!]! ^
        t[2304 + bytes[i + 6]!]! ^
        t[2048 + bytes[i + 7]!]! ^
        t[1792 + bytes[i + 8]!]! ^
        t[1536 + bytes[i + 9]!]! ^
        t[1280 + bytes[i + 10]!]! ^
        t[1024 + bytes[i + 11]!]! ^
        t[768 + bytes[i + 12]!]! ^
        t[512 + bytes[i + 13]!]! ^
        t[256 + bytes[i + 14]!]! ^
        t[bytes[i + 15]!]!;
    }
    for (; i < end; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
    this.crc = crc;
    return this;
  }

  get value(): number {
    return ~this.crc >>> 0;
  }
}
