/**
 * The requests the client sends to the worker that owns a log's files,
 * declared once: the engine's own calls (`RawLog`), plus opening a log and
 * restoring an archive. The client (client/spawn.ts) and the worker
 * (worker/worker.ts) both type their side of Comlink with `WorkerApi`.
 */
import { transfer } from 'comlink';
import type { RawBatch, RawLog } from '../engine/raw.ts';
import type { ArchiveInfo, ImportOptions, Options } from '../types.ts';

export interface WorkerApi extends RawLog {
  /** Opens the one log this worker serves; options arrive resolved by the client and are checked again. */
  open(dir: string, options: Options): Promise<void>;
  /** Archive restore (src/archive/import.ts), in a worker of its own. */
  importArchive(dir: string, archive: Blob, options: ImportOptions): Promise<ArchiveInfo>;
}

/** A buffer of its own, so transferring it detaches nothing else. */
function owned(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.length > 0;
  return whole ? bytes : bytes.slice();
}

/** Bytes moved to the other side rather than cloned (the sender keeps no use for them). */
export function sendBytes(bytes: Uint8Array): Uint8Array {
  const own = owned(bytes);
  return transfer(own, [own.buffer as ArrayBuffer]);
}

function sendBatch(batch: RawBatch): RawBatch {
  const records = owned(batch.records);
  return transfer({ nextOffset: batch.nextOffset, records }, [records.buffer as ArrayBuffer]);
}

/**
 * The engine's calls as the worker serves them: read results are transferred,
 * not cloned. `engine` returns the open engine or throws `Closed`.
 */
export function serveEngine(engine: () => RawLog): RawLog {
  return {
    publish: (records, producer) => engine().publish(records, producer),
    nextOffset: () => engine().nextOffset(),
    consume: async (offset, maxCount) => sendBatch(await engine().consume(offset, maxCount)),
    consumeByKey: async (key, offset, maxCount) => sendBatch(await engine().consumeByKey(key, offset, maxCount)),
    get: async (offset) => sendBytes(await engine().get(offset)),
    getByKey: async (key) => sendBytes(await engine().getByKey(key)),
    getByTime: async (startUs) => sendBytes(await engine().getByTime(startUs)),
    delete: (offsets) => engine().delete(offsets),
    stat: () => engine().stat(),
    backup: (dir) => engine().backup(dir),
    pinSnapshot: () => engine().pinSnapshot(),
    readSnapshot: async (id, segment, start, end) => sendBytes(await engine().readSnapshot(id, segment, start, end)),
    readSnapshotIndex: async (id, segment, from, to) => sendBytes(await engine().readSnapshotIndex(id, segment, from, to)),
    releaseSnapshot: (id) => engine().releaseSnapshot(id),
    sync: () => engine().sync(),
    close: () => engine().close(),
  };
}
