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
 * the batch it belongs to reached its last record (see `Segment.scan`).
 * Integers are little-endian; u64s are kept below 2^53 so they fit a number.
 */
import { crc32c } from './crc32.ts';
import type { Message } from '../types.ts';

export const RECORD_HEADER_SIZE = 32;
/** Largest key + value of one message, as klevdb allows. */
export const MAX_PAYLOAD_SIZE = 64 * 1024 * 1024;
/** Positions in a segment are u32, so one batch (which never spans segments) stays well below 4 GiB. */
export const MAX_BATCH_SIZE = 2 ** 31;

const TWO_32 = 2 ** 32;

/** A message ready to encode: validated, time in microseconds. */
export interface RecordInput {
  key: Uint8Array;
  value: Uint8Array;
  timeUs: number;
}

/** A decoded record header plus where its payload lies in the buffer. */
export interface RecordView {
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

function setU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, n >>> 0, true);
  view.setUint32(at + 4, Math.floor(n / TWO_32), true);
}

function getU64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * TWO_32;
}

/** Writes one record at `at` in `out` and returns its size. */
export function encodeRecord(
  out: Uint8Array, view: DataView, at: number,
  offset: number, batchLeft: number, input: RecordInput,
): number {
  const { key, value } = input;
  view.setUint32(at + 4, batchLeft, true);
  view.setUint32(at + 8, key.length, true);
  view.setUint32(at + 12, value.length, true);
  setU64(view, at + 16, offset);
  setU64(view, at + 24, input.timeUs);
  out.set(key, at + RECORD_HEADER_SIZE);
  out.set(value, at + RECORD_HEADER_SIZE + key.length);
  const end = at + RECORD_HEADER_SIZE + key.length + value.length;
  view.setUint32(at, crc32c(out, at + 4, end), true);
  return end - at;
}

/**
 * Reads the record at `at`, or returns null if the bytes from `at` to `end`
 * do not hold a whole record with a matching checksum (a torn or damaged tail).
 */
export function readRecord(bytes: Uint8Array, view: DataView, at: number, end: number, verify = true): RecordView | null {
  if (end - at < RECORD_HEADER_SIZE) return null;
  const keyLen = view.getUint32(at + 8, true);
  const valueLen = view.getUint32(at + 12, true);
  if (keyLen + valueLen > MAX_PAYLOAD_SIZE) return null;
  const size = RECORD_HEADER_SIZE + keyLen + valueLen;
  if (end - at < size) return null;
  if (verify && crc32c(bytes, at + 4, at + size) !== view.getUint32(at, true)) return null;
  return {
    offset: getU64(view, at + 16),
    timeUs: getU64(view, at + 24),
    batchLeft: view.getUint32(at + 4, true),
    keyStart: at + RECORD_HEADER_SIZE,
    keyLen,
    valueLen,
    size,
  };
}

/**
 * Encodes a publish batch into one buffer, every record complete but for its
 * offset and checksum, which `sealBatch` fills in once the offsets are known.
 * The client does this, so a batch crosses to the worker as one transferred
 * buffer instead of thousands of cloned arrays.
 */
export function encodeBatch(inputs: RecordInput[]): Uint8Array {
  let total = 0;
  for (const m of inputs) total += RECORD_HEADER_SIZE + m.key.length + m.value.length;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  for (let i = 0, at = 0; i < inputs.length; i++) {
    const { key, value } = inputs[i];
    view.setUint32(at + 4, inputs.length - 1 - i, true);
    view.setUint32(at + 8, key.length, true);
    view.setUint32(at + 12, value.length, true);
    setU64(view, at + 24, inputs[i].timeUs);
    bytes.set(key, at + RECORD_HEADER_SIZE);
    bytes.set(value, at + RECORD_HEADER_SIZE + key.length);
    at += RECORD_HEADER_SIZE + key.length + value.length;
  }
  return bytes;
}

/** One record of a sealed batch, for the index. */
export interface SealedRecord {
  at: number;
  offset: number;
  timeUs: number;
  keyStart: number;
  keyLen: number;
}

/**
 * Gives the records of an `encodeBatch` buffer their offsets (from
 * `firstOffset`) and checksums, checking the framing as it goes: a buffer
 * that is not a well-formed batch throws before anything is written.
 */
export function sealBatch(bytes: Uint8Array, firstOffset: number, onRecord: (r: SealedRecord) => void): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let at = 0; at < bytes.length; count++) {
    if (bytes.length - at < RECORD_HEADER_SIZE) throw new Error('a publish batch ends inside a record header');
    const keyLen = view.getUint32(at + 8, true);
    const valueLen = view.getUint32(at + 12, true);
    const end = at + RECORD_HEADER_SIZE + keyLen + valueLen;
    if (keyLen + valueLen > MAX_PAYLOAD_SIZE || end > bytes.length) throw new Error('a publish batch has a record past its end');
    const offset = firstOffset + count;
    setU64(view, at + 16, offset);
    view.setUint32(at, crc32c(bytes, at + 4, end), true);
    onRecord({ at, offset, timeUs: getU64(view, at + 24), keyStart: at + RECORD_HEADER_SIZE, keyLen });
    at = end;
  }
  return count;
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
    const end = at + RECORD_HEADER_SIZE + view.getUint32(at + 8, true) + view.getUint32(at + 12, true);
    if (end > bytes.length || crc32c(bytes, at + 4, end) !== view.getUint32(at, true)) return at;
    // An intact record at the wrong place: the file is not the one the index was built from.
    if (getU64(view, at + 16) !== offsetOf(n)) return at;
    at = end;
  }
  return at === bytes.length ? -1 : at;
}

/** Rewrites a record's batch marker in place (used when a segment is rewritten). */
export function setBatchLeft(bytes: Uint8Array, view: DataView, at: number, size: number, batchLeft: number): void {
  view.setUint32(at + 4, batchLeft, true);
  view.setUint32(at, crc32c(bytes, at + 4, at + size), true);
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
 * into `bytes`. This runs for every message read, so it is kept flat.
 */
export function decodeRecords(bytes: Uint8Array): Message[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const messages: Message[] = [];
  for (let at = 0; at < bytes.length;) {
    const keyStart = at + RECORD_HEADER_SIZE;
    const valueStart = keyStart + view.getUint32(at + 8, true);
    const end = valueStart + view.getUint32(at + 12, true);
    if (end > bytes.length) throw new Error(`undecodable record at byte ${at} of a read buffer`);
    messages.push({
      offset: getU64(view, at + 16),
      time: getU64(view, at + 24) / 1000,
      key: valueStart === keyStart ? null : bytes.subarray(keyStart, valueStart),
      value: end === valueStart ? null : bytes.subarray(valueStart, end),
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
