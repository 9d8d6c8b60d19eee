/**
 * Sealing a publish batch in the worker: each record of the buffer the
 * client encoded (record.ts) gets its offset and its checksum. Apart from
 * record.ts so that the main thread, which only encodes, does not carry it
 * nor the WebAssembly module.
 */
import { crc32c } from './crc32.ts';
import { crc32cWasm } from './crc32c-wasm.ts';
import {
  REC_BATCH_LEFT,
  REC_CRC,
  REC_KEY_LEN,
  REC_OFFSET,
  REC_TIME,
  RECORD_HEADER_SIZE,
  recordSizeAt,
} from './record.ts';
import { getU64, setU64 } from './u64.ts';

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
    const size = recordSizeAt(view, at);
    if (size < 0 || at + size > bytes.length) throw new Error('a publish batch has a record past its end');
    const offset = firstOffset + count;
    setU64(view, at + REC_OFFSET, offset);
    const keyLen = view.getUint32(at + REC_KEY_LEN, true);
    onRecord({ at, offset, timeUs: getU64(view, at + REC_TIME), keyStart: at + RECORD_HEADER_SIZE, keyLen });
    at += size;
  }
  sealChecksums(bytes, view);
  return count;
}

/**
 * The checksums of a batch whose framing was checked: in WebAssembly a
 * window of records per call where it can be compiled, else record by
 * record in JavaScript (also a record larger than the window).
 */
function sealChecksums(bytes: Uint8Array, view: DataView): void {
  const wasm = crc32cWasm();
  for (let at = 0; at < bytes.length; ) {
    if (wasm) {
      at = wasm.sealRecords(bytes, at, bytes.length);
      if (at === bytes.length) break;
    }
    const size = recordSizeAt(view, at);
    const crc = wasm
      ? wasm.crc32c(bytes, at + REC_BATCH_LEFT, at + size)
      : crc32c(bytes, at + REC_BATCH_LEFT, at + size);
    view.setUint32(at + REC_CRC, crc, true);
    at += size;
  }
}
