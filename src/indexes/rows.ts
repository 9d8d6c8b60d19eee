/**
 * Index rows: the portable form of a segment's index, as an archive stores it
 * (see src/archive/). One row per message, little-endian, independent of the
 * in-memory layout and of the platform's byte order:
 *
 *   0  offset    u64  the message's offset
 *   8  time      u64  indexed time in microseconds (the log's running maximum)
 *  16  position  u32  byte position of the record in its segment file
 *  20  keyHash   u32  hash of the key (codec/hash.ts)
 */
import type { IndexEntry, SegmentIndex } from './segment-index.ts';

export const INDEX_ROW_SIZE = 24;

const TWO_32 = 2 ** 32;

/** Rows for entries [from, to) of `index`. */
export function encodeIndexRows(index: SegmentIndex, from: number, to: number): Uint8Array {
  const bytes = new Uint8Array((to - from) * INDEX_ROW_SIZE);
  const view = new DataView(bytes.buffer);
  for (let i = from, at = 0; i < to; i++, at += INDEX_ROW_SIZE) {
    const offset = index.offsetAt(i);
    const time = index.timeAt(i);
    view.setUint32(at, offset >>> 0, true);
    view.setUint32(at + 4, Math.floor(offset / TWO_32), true);
    view.setUint32(at + 8, time >>> 0, true);
    view.setUint32(at + 12, Math.floor(time / TWO_32), true);
    view.setUint32(at + 16, index.positionAt(i), true);
    view.setUint32(at + 20, index.hashAt(i), true);
  }
  return bytes;
}

/** The row at byte `at` of `view`. */
export function decodeIndexRow(view: DataView, at: number): IndexEntry {
  return {
    offset: view.getUint32(at, true) + view.getUint32(at + 4, true) * TWO_32,
    timeUs: view.getUint32(at + 8, true) + view.getUint32(at + 12, true) * TWO_32,
    position: view.getUint32(at + 16, true),
    keyHash: view.getUint32(at + 20, true),
  };
}
