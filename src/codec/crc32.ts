/**
 * CRC-32C (Castagnoli), the checksum of every record. Every read verifies
 * the records it returns, so this sits on the hot path: slicing-by-16, with
 * the sixteen 256-entry tables in one flat array (measured ~1.3–1.9× faster
 * than slicing-by-8 on 138-byte records).
 */
const POLY = 0x82f63b78;
const SLICES = 16;

/** Table k at [256 k, 256 k + 256): the CRC of byte b followed by k zero bytes. */
const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(SLICES * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let k = 1; k < SLICES; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(k - 1) * 256 + i];
      t[k * 256 + i] = (t[prev & 0xff] ^ (prev >>> 8)) >>> 0;
    }
  }
  return t;
})();

/** CRC-32C of `bytes[start, end)`. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLE;
  let crc = 0xffffffff;
  let i = start;
  for (; i + 16 <= end; i += 16) {
    const w = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc =
      t[3840 + (w & 0xff)] ^ t[3584 + ((w >>> 8) & 0xff)] ^ t[3328 + ((w >>> 16) & 0xff)] ^ t[3072 + (w >>> 24)] ^
      t[2816 + bytes[i + 4]] ^ t[2560 + bytes[i + 5]] ^ t[2304 + bytes[i + 6]] ^ t[2048 + bytes[i + 7]] ^
      t[1792 + bytes[i + 8]] ^ t[1536 + bytes[i + 9]] ^ t[1280 + bytes[i + 10]] ^ t[1024 + bytes[i + 11]] ^
      t[768 + bytes[i + 12]] ^ t[512 + bytes[i + 13]] ^ t[256 + bytes[i + 14]] ^ t[bytes[i + 15]];
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
