/** The record codec on its own: checksums, batch encoding and sealing, decoding. */
import { describe, expect, it } from 'vitest';
import { Crc32, crc32c } from '../../src/codec/crc32.ts';
import { decodeRecords, encodeBatch, readRecord, RECORD_HEADER_SIZE } from '../../src/codec/record.ts';
import { sealBatch } from '../../src/codec/seal.ts';
import { flip } from './helpers.ts';

/** Bit-at-a-time CRC-32C: slow and obviously right, the reference for the table version. */
function referenceCrc(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c ^= bytes[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('matches the bitwise reference on every alignment and length', () => {
    const bytes = new Uint8Array(300).map((_, i) => (i * 151 + 7) & 0xff);
    for (let start = 0; start < 17; start++) {
      for (const end of [
        start,
        start + 1,
        start + 7,
        start + 8,
        start + 9,
        start + 15,
        start + 16,
        start + 17,
        start + 33,
        150,
        300,
      ]) {
        expect(crc32c(bytes, start, end)).toBe(referenceCrc(bytes, start, end));
      }
    }
  });
});

describe('Crc32 (IEEE, for zip entries)', () => {
  it('matches the standard check value, fed whole or in chunks', () => {
    const bytes = new TextEncoder().encode('123456789'.repeat(5));
    const whole = new Crc32().update(bytes).value;
    const chunked = new Crc32();
    for (let at = 0; at < bytes.length; at += 7) chunked.update(bytes.subarray(at, at + 7));
    expect(new Crc32().update(bytes.subarray(0, 9)).value).toBe(0xcbf43926);
    expect(chunked.value).toBe(whole);
  });
});

describe('batches', () => {
  const enc = new TextEncoder();
  const inputs = {
    keys: [enc.encode('k1'), new Uint8Array(0), enc.encode('k3')],
    values: [enc.encode('hello'), new Uint8Array(0), new Uint8Array(1000).fill(9)],
    timesUs: Float64Array.of(1_700_000_000_123_456, 5, 7),
  };

  it('seal gives offsets and checksums; decode reads back what was encoded', () => {
    const bytes = encodeBatch(inputs);
    const seen: number[] = [];
    expect(sealBatch(bytes, 40, (r) => seen.push(r.offset))).toBe(3);
    expect(seen).toEqual([40, 41, 42]);
    const view = new DataView(bytes.buffer);
    let at = 0;
    const left: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = readRecord(bytes, view, at, bytes.length)!; // verifies the checksum
      left.push(r.batchLeft);
      at += r.size;
    }
    expect(left).toEqual([2, 1, 0]);
    const messages = decodeRecords(bytes);
    expect(messages.map((m) => m.offset)).toEqual([40, 41, 42]);
    expect(messages[0]?.time).toBe(1_700_000_000_123.456);
    expect(messages[0]?.key).toEqual(enc.encode('k1'));
    expect(messages[1]?.key).toBeNull();
    expect(messages[1]?.value).toBeNull();
    expect(messages[2]?.value).toEqual(new Uint8Array(1000).fill(9));
  });

  it('a damaged record fails its checksum', () => {
    const bytes = encodeBatch(inputs);
    sealBatch(bytes, 0, () => undefined);
    flip(bytes, RECORD_HEADER_SIZE, 1);
    expect(readRecord(bytes, new DataView(bytes.buffer), 0, bytes.length)).toBeNull();
  });

  it('seal refuses a buffer that is not a whole batch', () => {
    const bytes = encodeBatch(inputs);
    expect(() => sealBatch(bytes.subarray(0, bytes.length - 1), 0, () => undefined)).toThrow();
    expect(() => sealBatch(bytes.subarray(0, 10), 0, () => undefined)).toThrow();
  });
});
