/**
 * `open`, the package's entry: on the main thread it starts a dedicated
 * worker that owns the files and returns a thin client; inside a dedicated
 * worker (where sync access handles exist) it runs the engine in place.
 */
import { LogFacade } from './facade.ts';
import { normalizeDir, resolveOptions } from '../engine/options.ts';
import type { Log, Options } from '../types.ts';
import { sendBytes } from '../protocol/protocol.ts';
import { spawnWorker } from './spawn.ts';
import { workerName } from '../namespace.ts';

/**
 * Opens the log stored at `dir` in the origin private file system.
 *
 * Rejects `InvalidArgument` for a bad `dir` (`..`, empty segments, NUL) or
 * options, `NotFound` for a missing dir without `createDirs`, `Locked` if
 * another writer holds the log (at once, never after a wait), `Unsupported`
 * if the browser lacks OPFS, workers or Web Locks or refuses sync access
 * handles, `Corrupted` if a check finds damage it cannot repair, and
 * `Internal` for an unexpected failure (the original error is the `cause`).
 * A problem with IndexedDB never rejects: the indexes are derived data, so
 * the log opens without persisted indexes and rebuilds them from the segments.
 * A failed open leaves nothing held: opening again reports the same error.
 */
export async function open(dir: string, options?: Options): Promise<Log> {
  const path = normalizeDir(dir);
  const opts = resolveOptions(options);
  if ('FileSystemSyncAccessHandle' in globalThis) return openInPlace(path, opts);
  return openInWorker(path, opts);
}

/**
 * The engine in place, in a worker of the user's own. It is imported here, not
 * at the top: the main thread's bundle then holds the client without the
 * engine (a bundler puts it in a chunk of its own; the built worker has its own).
 */
async function openInPlace(path: string, options: Required<Options>): Promise<Log> {
  const [{ openEngine }, { opfsEnv }] = await Promise.all([import('./open-engine.ts'), import('../storage/opfs-env.ts')]);
  return openEngine(await opfsEnv(), path, options);
}

async function openInWorker(path: string, options: Required<Options>): Promise<Log> {
  const worker = spawnWorker(workerName(path));
  await worker.start((api) => api.open(path, options));
  return new LogFacade(worker.api, options, path, worker.end, { sendBatch: sendBytes });
}
