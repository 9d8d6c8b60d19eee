/**
 * `importArchive`, the public entry of archive restore: on the main thread it
 * runs the restore (restore.ts) in a dedicated worker, which writes with sync
 * access handles; inside a worker it runs in place.
 */
import { SnapshotStore } from '../projection/snapshots.ts';
import { invalidArgument } from '../errors.ts';
import { normalizeDir } from '../engine/options.ts';
import type { ArchiveInfo, ImportOptions } from '../types.ts';
import { spawnWorker } from '../client/spawn.ts';
import { importWorkerName } from '../namespace.ts';
import { checkImportOptions, isBlob } from './import-options.ts';

/**
 * Restores an archive made by `exportArchive` as the log at `dir` (created
 * with its parents if missing), which `open(dir)` then opens with the same
 * messages, keys, times, deleted offsets and next offset, and without a
 * rescan: the archive's index records are saved to IndexedDB. Resolves to
 * what the archive's manifest says, including the options the exported log
 * was open with (open the restored log with them to keep its indexes).
 *
 * The whole archive is verified before anything is written: a zip whose
 * `manifest.json` has a known format version, every listed file present
 * with its size and CRC-32, intact segment files and matching index files,
 * no other entries. It is read a chunk at a time, so a large File does not
 * have to fit in memory.
 *
 * - A damaged, truncated or foreign file (not a zip, a zip of something
 *   else, a flipped byte, an unknown version) rejects `Corrupted`, with a
 *   message naming the file and what is wrong, and leaves nothing behind.
 * - A target that already holds a log rejects `InvalidArgument` unless
 *   `options.overwrite` is true; then the old log's files and index records
 *   are replaced once the archive has been verified and copied.
 * - The target's writer lock must be free: a log open for writing there (in
 *   this or another tab) rejects `Locked`. It is held during the import.
 * - A bad `dir` or options, or an `archive` that is not a Blob, rejects
 *   `InvalidArgument`; a full origin rejects `QuotaExceeded` (the target is
 *   left as it was); no OPFS or workers rejects `Unsupported`.
 *
 * All or nothing, also across a crash: the new segment files are written
 * beside the old ones and then committed by a small marker file. Whenever
 * the tab, the worker or the browser dies, the target holds either the old
 * log or the new one, whole, never part of each; the next `open(dir)` for
 * writing, or the next `importArchive` there, finishes a committed import
 * or drops an uncommitted one, and removes what it left behind.
 */
export async function importArchive(dir: string, archive: Blob, options?: ImportOptions): Promise<ArchiveInfo> {
  const path = normalizeDir(dir);
  const opts = checkImportOptions(options);
  if (!isBlob(archive)) throw invalidArgument('importArchive takes the archive as a Blob or File');
  // Projection snapshots of the log being replaced would be wrong for the new one. Removed before (a
  // crash after the swap then leaves none) and after (a projection in a readonly tab may save meanwhile).
  await removeSnapshots(path);
  const info = await ('FileSystemSyncAccessHandle' in globalThis
    ? importInPlace(path, archive, opts)
    : importInWorker(path, archive, opts));
  await removeSnapshots(path);
  return info;
}

/** Removes the projection snapshots of the log at `path`; they are derived data, so a failure only costs a replay. */
async function removeSnapshots(path: string): Promise<void> {
  const store = await SnapshotStore.open((globalThis as { indexedDB?: IDBFactory }).indexedDB);
  await store?.remove(path).catch(() => undefined);
  store?.close();
}

/** The restore in place, in a worker of the user's own; imported here so that the main thread's bundle does not hold it. */
async function importInPlace(path: string, archive: Blob, options: Required<ImportOptions>): Promise<ArchiveInfo> {
  const [{ restoreArchive }, { opfsEnv }] = await Promise.all([
    import('./restore.ts'),
    import('../storage/opfs-env.ts'),
  ]);
  return restoreArchive(await opfsEnv(), path, archive, options);
}

async function importInWorker(path: string, archive: Blob, options: Required<ImportOptions>): Promise<ArchiveInfo> {
  const worker = spawnWorker(importWorkerName(path));
  const info = await worker.start((api) => api.importArchive(path, archive, options));
  worker.end();
  return info;
}
