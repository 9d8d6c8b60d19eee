/**
 * The benchmark's messages, klevdb's benchmark shape: a 10-byte key, a
 * 128-byte value and distinct times, all derived from the offset so every
 * reader can check what it got.
 */
import type { RecordColumns } from '../src/codec/record.ts';

export const KEY_SIZE = 10;
export const VALUE_SIZE = 128;
export const TIME_BASE = 1_700_000_000_000;

export interface BenchMessage {
  key: Uint8Array;
  value: Uint8Array;
  time: number;
}

export function keyFor(i: number): Uint8Array {
  const key = new Uint8Array(KEY_SIZE);
  const view = new DataView(key.buffer);
  view.setUint16(0, 0x6b65); // "ke"
  view.setFloat64(2, i);
  return key;
}

export function message(i: number, valueSize = VALUE_SIZE): BenchMessage {
  const value = new Uint8Array(valueSize);
  for (let j = 0; j < valueSize; j += 4) value[j] = (i + j) & 0xff;
  return { key: keyFor(i), value, time: TIME_BASE + i };
}

/** A batch as opfs-log's encoder takes it (no validation: what raw OPFS's page does). */
export function columnsOf(batch: BenchMessage[]): RecordColumns {
  return {
    keys: batch.map((m) => m.key),
    values: batch.map((m) => m.value),
    timesUs: Float64Array.from(batch, (m) => m.time * 1000),
  };
}

export function batches(total: number, batchSize: number, valueSize = VALUE_SIZE): BenchMessage[][] {
  const out: BenchMessage[][] = [];
  for (let start = 0; start < total; start += batchSize) {
    const n = Math.min(batchSize, total - start);
    out.push(Array.from({ length: n }, (_, j) => message(start + j, valueSize)));
  }
  return out;
}

function mix(h: number, bytes: Uint8Array | null): number {
  if (!bytes) return h;
  for (let i = 0; i < bytes.length; i += 4) h = (Math.imul(h, 31) + bytes[i]!) | 0;
  return h;
}

/** A checksum of what was read: offsets, keys and values, so a broken reader cannot win. */
export function checksum(messages: { offset: number; key: Uint8Array | null; value: Uint8Array | null }[]): number {
  let h = 0;
  for (const m of messages) h = mix(mix((Math.imul(h, 31) + m.offset) | 0, m.key), m.value);
  return h >>> 0;
}

const scratchKey = new Uint8Array(KEY_SIZE);
const scratchView = new DataView(scratchKey.buffer);

/**
 * What `checksum` gives for messages [from, to) as published, computed
 * without making them: the checker's own garbage would otherwise be
 * collected during the next timed call.
 */
export function expectedChecksum(from: number, to: number, valueSize = VALUE_SIZE): number {
  let h = 0;
  for (let i = from; i < to; i++) {
    h = (Math.imul(h, 31) + i) | 0;
    scratchView.setUint16(0, 0x6b65); // as keyFor(i)
    scratchView.setFloat64(2, i);
    h = mix(h, scratchKey);
    for (let j = 0; j < valueSize; j += 4) h = (Math.imul(h, 31) + ((i + j) & 0xff)) | 0; // as message(i)'s value
  }
  return h >>> 0;
}

/** Deterministic pseudo-random integers in [0, n). */
export function randomInts(count: number, n: number, seed = 42): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(s % n);
  }
  return out;
}
