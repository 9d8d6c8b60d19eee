/**
 * Record framing: how one message is laid out in a segment file.
 *
 *   0  crc32c     u32  over bytes [4, end) of the record
 *   4  batchLeft  u32  records that follow in the same publish batch (0 = last)
 *   8  keyLen     u32
 *  12  valueLen   u32
 *  16  offset     u64
 *  24  time       u64  microseconds since the Unix epoch
 *  32  key, then value
 *
 * `batchLeft` makes a batch all-or-nothing: recovery keeps a record only if
 * the batch it belongs to reached its last record (codec/batches.ts).
 * Integers are little-endian; u64s are kept below 2^53 so they fit a number.
 */
import { crc32c } from './crc32.ts';
import { getU64, setU64 } from './u64.ts';
import type { Message } from '../types.ts';

export const REC_CRC = 0;
/** The checksum covers the record from this field to its end. */
export const REC_BATCH_LEFT = 4;
export const REC_KEY_LEN = 8;
export const REC_VALUE_LEN = 12;
export const REC_OFFSET = 16;
export const REC_TIME = 24;
export const RECORD_HEADER_SIZE = 32;
/** Largest key + value of one message, as klevdb allows. */
export const MAX_PAYLOAD_SIZE = 64 * 1024 * 1024;
/** Positions in a segment are u32, so one batch (which never spans segments) stays well below 4 GiB. */
export const MAX_BATCH_SIZE = 2 ** 31;

/**
 * A publish batch ready to encode, validated, as columns rather than an
 * object per message (publish makes no garbage per message): message i is
 * `keys[i]`, `values[i]` and `timesUs[i]` (microseconds).
 */
export interface RecordColumns {
  keys: Uint8Array[];
  values: Uint8Array[];
  timesUs: Float64Array;
}

/** A decoded record header plus where it and its payload lie in the buffer. */
export interface RecordView {
  /** Where the record starts. */
  at: number;
  offset: number;
  timeUs: number;
  batchLeft: number;
  keyStart: number;
  keyLen: number;
  valueLen: number;
  /** Total bytes of the record, header included. */
  size: number;
}

export function recordSize(keyLen: number, valueLen: number): number {
  return RECORD_HEADER_SIZE + keyLen + valueLen;
}

/** The size the header at `at` claims for its record, or -1 if its payload is over MAX_PAYLOAD_SIZE (a damaged header). */
export function recordSizeAt(view: DataView, at: number): number {
  const payload = view.getUint32(at + REC_KEY_LEN, true) + view.getUint32(at + REC_VALUE_LEN, true);
  return payload > MAX_PAYLOAD_SIZE ? -1 : RECORD_HEADER_SIZE + payload;
}

/** The checksum a record of `size` bytes at `at` should carry. */
function checksumOf(bytes: Uint8Array, at: number, size: number): number {
  return crc32c(bytes, at + REC_BATCH_LEFT, at + size);
}

/** Why the bytes at a position hold no record: they end before it does, its header claims too much, or its checksum fails. */
export type RecordProblem = 'truncated' | 'oversized' | 'checksum';

/** Reads the record at `at` of bytes [.., end), or says why there is none (a torn or damaged tail). */
export function parseRecord(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  end: number,
  verify = true,
): RecordView | RecordProblem {
  if (end - at < RECORD_HEADER_SIZE) return 'truncated';
  const size = recordSizeAt(view, at);
  if (size < 0) return 'oversized';
  if (end - at < size) return 'truncated';
  if (verify && checksumOf(bytes, at, size) !== view.getUint32(at + REC_CRC, true)) return 'checksum';
  const keyLen = view.getUint32(at + REC_KEY_LEN, true);
  return {
    at,
    offset: getU64(view, at + REC_OFFSET),
    timeUs: getU64(view, at + REC_TIME),
    batchLeft: view.getUint32(at + REC_BATCH_LEFT, true),
    keyStart: at + RECORD_HEADER_SIZE,
    keyLen,
    valueLen: size - RECORD_HEADER_SIZE - keyLen,
    size,
  };
}

/**
 * Reads the record at `at`, or returns null if the bytes from `at` to `end`
 * do not hold a whole record with a matching checksum (a torn or damaged tail).
 */
export function readRecord(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  end: number,
  verify = true,
): RecordView | null {
  const r = parseRecord(bytes, view, at, end, verify);
  return typeof r === 'string' ? null : r;
}

/**
 * Encodes a publish batch into one buffer, every record complete but for its
 * offset and checksum, which `sealBatch` (seal.ts) fills in once the offsets
 * are known.
 * The client does this, so a batch crosses to the worker as one transferred
 * buffer instead of thousands of cloned arrays.
 */
export function encodeBatch({ keys, values, timesUs }: RecordColumns): Uint8Array {
  const n = keys.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += RECORD_HEADER_SIZE + keys[i]!.length + values[i]!.length;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  for (let i = 0, at = 0; i < n; i++) {
    const key = keys[i]!;
    const value = values[i]!;
    view.setUint32(at + REC_BATCH_LEFT, n - 1 - i, true);
    view.setUint32(at + REC_KEY_LEN, key.length, true);
    view.setUint32(at + REC_VALUE_LEN, value.length, true);
    setU64(view, at + REC_TIME, timesUs[i]!);
    bytes.set(key, at + RECORD_HEADER_SIZE);
    bytes.set(value, at + RECORD_HEADER_SIZE + key.length);
    at += RECORD_HEADER_SIZE + key.length + value.length;
  }
  return bytes;
}

/**
 * Checks that `bytes` holds exactly `count` whole records with matching
 * checksums, the k-th at offset `offsetOf(k)`. Returns -1 if so, else the
 * byte where the first bad one starts.
 */
export function verifyRecords(bytes: Uint8Array, count: number, offsetOf: (k: number) => number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  for (let n = 0; n < count; n++) {
    if (bytes.length - at < RECORD_HEADER_SIZE) return at;
    const size = recordSizeAt(view, at);
    if (size < 0 || at + size > bytes.length || checksumOf(bytes, at, size) !== view.getUint32(at + REC_CRC, true))
      return at;
    // An intact record at the wrong place: the file is not the one the index was built from.
    if (getU64(view, at + REC_OFFSET) !== offsetOf(n)) return at;
    at += size;
  }
  return at === bytes.length ? -1 : at;
}

/** Rewrites a record's batch marker in place (used when a segment is rewritten). */
export function setBatchLeft(bytes: Uint8Array, view: DataView, at: number, size: number, batchLeft: number): void {
  view.setUint32(at + REC_BATCH_LEFT, batchLeft, true);
  view.setUint32(at + REC_CRC, checksumOf(bytes, at, size), true);
}

/** The message a record holds; key and value are views into `bytes`, not copies. */
export function toMessage(bytes: Uint8Array, r: RecordView): Message {
  const valueStart = r.keyStart + r.keyLen;
  return {
    offset: r.offset,
    time: r.timeUs / 1000,
    key: r.keyLen === 0 ? null : bytes.subarray(r.keyStart, valueStart),
    value: r.valueLen === 0 ? null : bytes.subarray(valueStart, valueStart + r.valueLen),
  };
}

/**
 * Decodes every record of a buffer of whole, already verified records (what
 * the engine hands out for a read) into messages. Keys and values are views
 * into `bytes`. This runs for every message read, so it is kept flat; views
 * are made with the constructor, faster than `subarray` (BENCHMARKS.md).
 */
export function decodeRecords(bytes: Uint8Array): Message[] {
  const { buffer, byteOffset: base } = bytes;
  const view = new DataView(buffer, base, bytes.byteLength);
  const messages: Message[] = [];
  for (let at = 0; at < bytes.length; ) {
    const keyLen = view.getUint32(at + REC_KEY_LEN, true);
    const valueLen = view.getUint32(at + REC_VALUE_LEN, true);
    const keyStart = at + RECORD_HEADER_SIZE;
    const end = keyStart + keyLen + valueLen;
    if (end > bytes.length) throw new Error(`undecodable record at byte ${at} of a read buffer`);
    messages.push({
      offset: getU64(view, at + REC_OFFSET),
      time: getU64(view, at + REC_TIME) / 1000,
      key: keyLen === 0 ? null : new Uint8Array(buffer, base + keyStart, keyLen),
      value: valueLen === 0 ? null : new Uint8Array(buffer, base + keyStart + keyLen, valueLen),
    });
    at = end;
  }
  return messages;
}

/** Does the record's key equal `key` byte for byte? */
export function keyEquals(bytes: Uint8Array, r: RecordView, key: Uint8Array): boolean {
  if (r.keyLen !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (bytes[r.keyStart + i] !== key[i]) return false;
  return true;
}
