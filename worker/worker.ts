/**
 * The dedicated module worker that owns a log's files: it opens the engine on
 * OPFS and exposes it with Comlink. Read results are transferred, not cloned.
 * One worker serves one open log; the client terminates it on close.
 */
import { expose, transfer } from 'comlink';
import { LogError } from '../src/errors.ts';
import { opfsEnv } from '../src/storage/opfs-env.ts';
import { LogEngine } from '../src/engine/engine.ts';
import { withRetention } from '../src/engine/retention.ts';
import { restoreArchive } from '../src/archive/restore.ts';
import type { RawBatch, RawLog } from '../src/engine/raw.ts';
import type { ArchiveInfo, ImportOptions, Options } from '../src/types.ts';
import { installErrorTransport } from '../src/protocol/transport.ts';

installErrorTransport();

let engine: LogEngine | null = null;

function opened(): LogEngine {
  if (!engine) throw new LogError('Closed', 'the log is not open in this worker');
  return engine;
}

/** A buffer of its own, so transferring it detaches nothing else. */
function owned(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.length > 0;
  return whole ? bytes : bytes.slice();
}

function sendBytes(bytes: Uint8Array): Uint8Array {
  const own = owned(bytes);
  return transfer(own, [own.buffer as ArrayBuffer]);
}

function sendBatch(batch: RawBatch): RawBatch {
  const records = owned(batch.records);
  return transfer({ nextOffset: batch.nextOffset, records }, [records.buffer as ArrayBuffer]);
}

const api: RawLog & {
  open(dir: string, options?: Options): Promise<void>;
  /** Archive restore (src/archive/import.ts), in a worker of its own. */
  importArchive(dir: string, archive: Blob, options: ImportOptions): Promise<ArchiveInfo>;
} = {
  async open(dir, options) {
    if (engine) throw new LogError('InvalidArgument', 'this worker already has a log open');
    engine = await withRetention(await LogEngine.open(await opfsEnv(), dir, options));
  },
  publish: (messages) => opened().publish(messages),
  nextOffset: () => opened().nextOffset(),
  consume: async (offset, maxCount) => sendBatch(await opened().consume(offset, maxCount)),
  consumeByKey: async (key, offset, maxCount) => sendBatch(await opened().consumeByKey(key, offset, maxCount)),
  get: async (offset) => sendBytes(await opened().get(offset)),
  getByKey: async (key) => sendBytes(await opened().getByKey(key)),
  getByTime: async (startUs) => sendBytes(await opened().getByTime(startUs)),
  delete: (offsets) => opened().delete(offsets),
  stat: () => opened().stat(),
  backup: (dir) => opened().backup(dir),
  pinSnapshot: () => opened().pinSnapshot(),
  readSnapshot: async (id, segment, start, end) => sendBytes(await opened().readSnapshot(id, segment, start, end)),
  readSnapshotIndex: async (id, segment, from, to) => sendBytes(await opened().readSnapshotIndex(id, segment, from, to)),
  releaseSnapshot: (id) => opened().releaseSnapshot(id),
  importArchive: async (dir, archive, options) => restoreArchive(await opfsEnv(), dir, archive, options),
  sync: () => opened().sync(),
  close: () => opened().close(),
};

export type WorkerApi = typeof api;

expose(api);
