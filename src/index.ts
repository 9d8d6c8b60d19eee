export { open } from './client/open.ts';
export { setWorkerSource } from './client/spawn.ts';
export type { WorkerSource } from './types.ts';
export { exportArchive } from './archive/export.ts';
export { importArchive } from './archive/import.ts';
export type { ArchiveInfo, ImportOptions } from './types.ts';
export { OffsetOldest, OffsetNewest, OffsetInvalid } from './types.ts';
export type {
  Options,
  Message,
  NewMessage,
  Batch,
  Stats,
  DeleteResult,
  Log,
  LogSnapshot,
  SnapshotSegment,
} from './types.ts';
export { LogError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
// The event-sourcing kit: live tail and cursors are `Log` methods; the rest are functions over a `Log`.
// Each of them, like `open` and the archive functions, answers bad input (a wrong type, NaN, an
// array with holes, something that is not a byte `Log`) with LogError('InvalidArgument'), changing nothing.
export type { BlockingOptions, TailOptions, Cursor, RetentionPolicy, StorageBackend } from './types.ts';
export { typed } from './typed/typed.ts';
export type { TypedLog, TypedMessage, NewTypedMessage, TypedBatch, Codecs } from './typed/typed.ts';
export { bytes, string, utf8, json, keepEmpty } from './typed/codecs.ts';
export type { Codec, CodecType } from './typed/codecs.ts';
export { versioned } from './typed/versioned.ts';
// Projections: state folded from a log, snapshotted, live in every tab (src/projection).
export { projection } from './projection/projection.ts';
export type { Projection, ProjectionOptions, ProjectionStatus, SnapshotInfo } from './projection/projection.ts';
export type { SnapshotOptions } from './projection/options.ts';
export { latestMessages } from './projection/latest.ts';
export type { LatestMessages } from './projection/latest.ts';
export { deleteAll } from './retention/delete-all.ts';
export { findByAge, trimByAge } from './retention/by-age.ts';
export { findByCount, trimByCount } from './retention/by-count.ts';
export { findByOffset, trimByOffset } from './retention/by-offset.ts';
export { findBySize, trimBySize } from './retention/by-size.ts';
export { findUpdates, compactUpdates } from './compaction/updates.ts';
export { findDeletes, compactDeletes } from './compaction/deletes.ts';
export { compact } from './compaction/compact.ts';
// The origin's storage, for apps to show and to ask for persistence (src/client/storage-status.ts).
export { storageStatus, requestPersistence } from './client/storage-status.ts';
export type { StorageStatus } from './client/storage-status.ts';
