/**
 * The engine's own interface, declared once: `RawLog` and its table of
 * calls, `RAW_CALLS`. The engine implements it; the protocol derives from the
 * table both ends of every hop a call makes (the worker's port, the channel
 * to the tab that owns the log); `LogFacade` turns it into the public `Log`.
 * Reads return whole, verified records as bytes (one buffer per call, moved
 * across a worker boundary rather than cloned); the facade decodes them.
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

/**
 * Arguments arrive validated by the facade (client/validate.ts), the one place
 * that checks them. A method added here goes in `RAW_CALLS` below too.
 */
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

/** What the protocol needs to know of a call besides its name and types. */
export interface CallTraits {
  /**
   * It changes which messages reads answer (a publish, a delete; retention
   * runs after a publish): what was read ahead before it is not used after.
   */
  changes: boolean;
}

const CHANGES: CallTraits = { changes: true };
const KEEPS: CallTraits = { changes: false };

/**
 * Every call of `RawLog`, by name: the one table the protocol derives its
 * serving and calling ends from (protocol/calls.ts). `satisfies` keeps it
 * equal to `RawLog`: a call missing here, or one here that `RawLog` lacks,
 * fails to compile.
 */
export const RAW_CALLS = {
  publish: CHANGES,
  nextOffset: KEEPS,
  consume: KEEPS,
  consumeByKey: KEEPS,
  get: KEEPS,
  getByKey: KEEPS,
  getByTime: KEEPS,
  delete: CHANGES,
  stat: KEEPS,
  backup: KEEPS,
  pinSnapshot: KEEPS,
  readSnapshot: KEEPS,
  readSnapshotIndex: KEEPS,
  releaseSnapshot: KEEPS,
  sync: KEEPS,
  close: KEEPS,
} as const satisfies { readonly [Call in keyof RawLog]: CallTraits };

export type CallName = keyof RawLog;
