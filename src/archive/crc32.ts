/**
 * CRC-32 (IEEE 802.3, the checksum of zip entries; not the CRC-32C that
 * records use). Incremental, so an entry can be checked chunk by chunk;
 * slicing-by-4 tables, as an import checks every byte of the archive twice.
 */
const POLY = 0xedb88320;

const TABLES: Uint32Array[] = (() => {
  const tables = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    tables[0][i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    for (let t = 1; t < 4; t++) {
      const prev = tables[t - 1][i];
      tables[t][i] = (tables[0][prev & 0xff] ^ (prev >>> 8)) >>> 0;
    }
  }
  return tables;
})();

/** A running CRC-32: `update` with each chunk, then read `value`. */
export class Crc32 {
  private crc = 0xffffffff;

  update(bytes: Uint8Array): this {
    const [t0, t1, t2, t3] = TABLES;
    const end = bytes.length;
    let crc = this.crc;
    let i = 0;
    for (; i + 4 <= end; i += 4) {
      crc ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
      crc = t3[crc & 0xff] ^ t2[(crc >>> 8) & 0xff] ^ t1[(crc >>> 16) & 0xff] ^ t0[crc >>> 24];
    }
    for (; i < end; i++) crc = t0[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    this.crc = crc;
    return this;
  }

  get value(): number {
    return (this.crc ^ 0xffffffff) >>> 0;
  }
}

/** CRC-32 of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  return new Crc32().update(bytes).value;
}
