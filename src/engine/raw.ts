/**
 * The engine's own interface: what the worker exposes over Comlink and what
 * `LogFacade` turns into the public `Log`. Reads return whole, verified
 * records as bytes (one buffer per call, transferred across the worker
 * boundary rather than cloned); the facade decodes them.
 */
import type { Stats } from '../types.ts';
import type { Producer } from './producers.ts';
import type { RawSnapshot } from './snapshot.ts';

export interface RawBatch {
  nextOffset: number;
  /** Encoded records, back to back (see codec/record.ts). */
  records: Uint8Array;
}

export interface RawDeleteResult {
  deletedOffsets: number[];
  deletedSize: number;
}

/** Arguments arrive validated by the facade (client/validate.ts). */
export interface RawLog {
  /**
   * A batch encoded by `encodeBatch`: one buffer, transferred (not cloned) to a worker. With a
   * `producer`, a publish that producer sent before is answered again, not appended twice.
   */
  publish(records: Uint8Array, producer?: Producer): Promise<number>;
  nextOffset(): Promise<number>;
  consume(offset: number, maxCount: number): Promise<RawBatch>;
  consumeByKey(key: Uint8Array, offset: number, maxCount: number): Promise<RawBatch>;
  get(offset: number): Promise<Uint8Array>;
  getByKey(key: Uint8Array): Promise<Uint8Array>;
  getByTime(startUs: number): Promise<Uint8Array>;
  delete(offsets: number[]): Promise<RawDeleteResult>;
  stat(): Promise<Stats>;
  backup(dir: string): Promise<void>;
  /** Archive export (src/archive/export.ts): pin the log at one offset, read it, release it. */
  pinSnapshot(): Promise<RawSnapshot>;
  readSnapshot(id: number, segment: number, start: number, end: number): Promise<Uint8Array>;
  readSnapshotIndex(id: number, segment: number, from: number, to: number): Promise<Uint8Array>;
  releaseSnapshot(id: number): Promise<void>;
  sync(): Promise<number>;
  close(): Promise<void>;
}
