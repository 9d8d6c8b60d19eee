/** What every benchmarked system implements; each gets the same messages and batches. */
import type { BenchMessage } from '../messages.ts';

export interface ReadMessage {
  offset: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  time: number;
}

export interface System {
  name: string;
  /** How it is set up, printed in the report. */
  settings: string;
  /** Opens a fresh, empty store (wiping what a previous run left). */
  open(): Promise<void>;
  publish(batch: BenchMessage[]): Promise<void>;
  /** Makes everything published durable; timed as part of a write workload. */
  flush(): Promise<void>;
  /** Up to `max` messages from `offset` on, in offset order. */
  consume(offset: number, max: number): Promise<ReadMessage[]>;
  get(offset: number): Promise<ReadMessage>;
  getByKey(key: Uint8Array): Promise<ReadMessage | null>;
  getByTime(time: number): Promise<ReadMessage | null>;
  close(): Promise<void>;
  /**
   * Only raw OPFS: milliseconds to write `total` messages whose bytes are
   * ready in the worker, one write per batch, and flush: the physical limit of publish.
   */
  publishLimit?(total: number, batchSize: number): Promise<number>;
}
