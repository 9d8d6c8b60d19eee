/**
 * The physical limit: one sync access handle writing the very bytes opfs-log
 * stores (its record encoding), with an array of positions to read back by
 * offset, and nothing else: no index, no recovery, no worker API to speak of.
 */
import { encodeBatch, readRecord, toMessage } from '../../src/codec/record.ts';
import { sealBatch } from '../../src/codec/seal.ts';
import { batches, columnsOf } from '../messages.ts';
import { serve } from '../rpc.ts';
import type { ReadMessage } from './system.ts';

interface Handle {
  write(b: Uint8Array, o: { at: number }): number;
  truncate(size: number): void;
  read(b: Uint8Array, o: { at: number }): number;
  flush(): void;
  close(): void;
}

let handle: Handle | null = null;
let size = 0;
let positions: number[] = [];

serve({
  async open(name: string) {
    const root = await navigator.storage.getDirectory();
    const file = await root.getFileHandle(name, { create: true });
    handle = await (file as unknown as { createSyncAccessHandle(): Promise<Handle> }).createSyncAccessHandle();
    size = 0;
    positions = [];
  },
  publish(records: Uint8Array) {
    sealBatch(records, positions.length, (r) => positions.push(size + r.at));
    if (handle!.write(records, { at: size }) !== records.length) throw new Error('short write');
    size += records.length;
  },
  flush() {
    handle!.flush();
  },
  consume(offset: number, max: number) {
    const end = Math.min(positions.length, offset + max);
    if (offset >= end) return [];
    const from = positions[offset]!; // offset < end <= positions.length
    const to = end < positions.length ? positions[end]! : size;
    const bytes = new Uint8Array(to - from);
    handle!.read(bytes, { at: from });
    const view = new DataView(bytes.buffer);
    const out: ReadMessage[] = [];
    for (let at = 0; at < bytes.length; ) {
      const r = readRecord(bytes, view, at, bytes.length)!;
      out.push(toMessage(bytes, r));
      at += r.size;
    }
    return out;
  },
  /**
   * The physical limit of publishing `total` messages: their batches encoded
   * and sealed beforehand in this worker (not timed), then only one write per
   * batch into one file and a flush at the end (timed). Returns milliseconds.
   */
  writeLimit(total: number, batchSize: number) {
    let offset = 0;
    const ready = batches(total, batchSize).map((b) => {
      const records = encodeBatch(columnsOf(b));
      offset += sealBatch(records, offset, () => undefined);
      return records;
    });
    const t = performance.now();
    let at = size;
    for (const records of ready) {
      if (handle!.write(records, { at }) !== records.length) throw new Error('short write');
      at += records.length;
    }
    handle!.flush();
    const ms = performance.now() - t;
    handle!.truncate(size);
    return ms;
  },
  close() {
    handle?.close();
    handle = null;
  },
});
