/**
 * The requests the client sends to the worker that owns a log's files,
 * declared once. Comlink carries the two that start a worker's work
 * (`WorkerApi`: open a log, restore an archive); once a log is open the
 * client lets go of Comlink and the engine's own calls (`RawLog`) go on the
 * worker's channel without it (port.ts). The client (client/spawn.ts) and the
 * worker (worker/worker.ts) both follow these types.
 */
import type { RawBatch, RawLog } from '../engine/raw.ts';
import type { ArchiveInfo, ImportOptions, Options } from '../types.ts';

export interface WorkerApi {
  /**
   * Opens the one log this worker serves, then serves its engine's calls on
   * the worker's channel (port.ts), beside Comlink until the client releases
   * it. Options arrive resolved by the client and are checked again.
   */
  open(dir: string, options: Options): Promise<void>;
  /** Archive restore (src/archive/import.ts), in a worker of its own. */
  importArchive(dir: string, archive: Blob, options: ImportOptions): Promise<ArchiveInfo>;
}

/** Byte arrays that `sendBytes` marked to be moved; `transferList` finds them. */
const moving = new WeakSet<Uint8Array>();

/** A buffer of its own, so transferring it detaches nothing else. */
function owned(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.length > 0;
  return whole ? bytes : bytes.slice();
}

/** Bytes moved to the other side rather than cloned (the sender keeps no use for them). */
export function sendBytes(bytes: Uint8Array): Uint8Array {
  const own = owned(bytes);
  moving.add(own);
  return own;
}

function sendBatch(batch: RawBatch): RawBatch {
  return { nextOffset: batch.nextOffset, records: sendBytes(batch.records) };
}

/**
 * Below this, bytes are copied rather than moved: moving a buffer costs a
 * fixed ~20-40 µs in Chromium (measured on a round trip to a worker), more
 * than copying one record.
 */
const MOVE_FROM = 64 * 1024;

/** The buffers to move with `value`: its own, or its `records`', where `sendBytes` marked them and they are large. */
export function transferList(value: unknown): Transferable[] {
  const bytes = value instanceof Uint8Array ? value : (value as Partial<RawBatch> | null)?.records;
  return bytes instanceof Uint8Array && bytes.byteLength >= MOVE_FROM && moving.has(bytes)
    ? [bytes.buffer as ArrayBuffer]
    : [];
}

/**
 * The engine's calls as the worker serves them: read results are marked to
 * be transferred, not cloned. `engine` returns the open engine or throws `Closed`.
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
    readSnapshotIndex: async (id, segment, from, to) =>
      sendBytes(await engine().readSnapshotIndex(id, segment, from, to)),
    releaseSnapshot: (id) => engine().releaseSnapshot(id),
    sync: () => engine().sync(),
    close: () => engine().close(),
  };
}
