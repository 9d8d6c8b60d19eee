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
import { getU64, setU64 } from '../codec/u64.ts';
import type { IndexEntry, SegmentIndex } from './segment-index.ts';

export const ROW_OFFSET = 0;
export const ROW_TIME = 8;
export const ROW_POSITION = 16;
export const ROW_KEY_HASH = 20;
export const INDEX_ROW_SIZE = 24;

/** Rows for entries [from, to) of `index`. */
export function encodeIndexRows(index: SegmentIndex, from: number, to: number): Uint8Array {
  const bytes = new Uint8Array((to - from) * INDEX_ROW_SIZE);
  const view = new DataView(bytes.buffer);
  for (let i = from, at = 0; i < to; i++, at += INDEX_ROW_SIZE) {
    setU64(view, at + ROW_OFFSET, index.offsetAt(i));
    setU64(view, at + ROW_TIME, index.timeAt(i));
    view.setUint32(at + ROW_POSITION, index.positionAt(i), true);
    view.setUint32(at + ROW_KEY_HASH, index.hashAt(i), true);
  }
  return bytes;
}

/** The row at byte `at` of `view`. */
export function decodeIndexRow(view: DataView, at: number): IndexEntry {
  return {
    offset: getU64(view, at + ROW_OFFSET),
    timeUs: getU64(view, at + ROW_TIME),
    position: view.getUint32(at + ROW_POSITION, true),
    keyHash: view.getUint32(at + ROW_KEY_HASH, true),
  };
}
