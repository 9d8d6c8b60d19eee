/**
 * The header at the start of every segment file (little-endian):
 *
 *   0  magic        u32  SEGMENT_MAGIC
 *   4  version      u16  SEGMENT_VERSION
 *   6  flags        u16  none defined yet, written 0
 *   8  base         u64  offset of the segment's first message
 *  16  incarnation  u32  random per file written; ties IndexedDB records to it
 *  20  crc32c       u32  over bytes [0, 20)
 */
import { crc32c } from './crc32.ts';
import { getU64, setU64, TWO_32 } from './u64.ts';

export const SEGMENT_MAGIC = 0x474c504f; // "OPLG"
export const SEGMENT_VERSION = 1;

export const SEG_MAGIC = 0;
export const SEG_VERSION = 4;
export const SEG_FLAGS = 6;
export const SEG_BASE = 8;
export const SEG_INCARNATION = 16;
/** The checksum covers every byte before it. */
export const SEG_CRC = 20;
export const SEGMENT_HEADER_SIZE = 24;

export function encodeSegmentHeader(base: number, incarnation: number): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(SEG_MAGIC, SEGMENT_MAGIC, true);
  view.setUint16(SEG_VERSION, SEGMENT_VERSION, true);
  view.setUint16(SEG_FLAGS, 0, true);
  setU64(view, SEG_BASE, base);
  view.setUint32(SEG_INCARNATION, incarnation, true);
  view.setUint32(SEG_CRC, crc32c(bytes, 0, SEG_CRC), true);
  return bytes;
}

/** The header's incarnation, or null if the bytes are not a valid header for `base`. */
export function decodeSegmentHeader(bytes: Uint8Array, base: number): number | null {
  if (bytes.length < SEGMENT_HEADER_SIZE) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_SIZE);
  if (view.getUint32(SEG_MAGIC, true) !== SEGMENT_MAGIC) return null;
  if (view.getUint16(SEG_VERSION, true) !== SEGMENT_VERSION) return null;
  if (view.getUint32(SEG_CRC, true) !== crc32c(bytes, 0, SEG_CRC)) return null;
  return getU64(view, SEG_BASE) === base ? view.getUint32(SEG_INCARNATION, true) : null;
}

/** A fresh incarnation for a file about to be written. */
export function newIncarnation(): number {
  return (Math.random() * TWO_32) >>> 0;
}
