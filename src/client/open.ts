/**
 * `open`, the package's entry: on the main thread it starts a dedicated
 * worker that owns the files and returns a thin client; inside a dedicated
 * worker (where sync access handles exist) it runs the engine in place.
 */
import { releaseProxy, transfer, wrap, type Remote } from 'comlink';
import { LogError } from '../errors.ts';
import { opfsEnv } from '../storage/opfs-env.ts';
import { LogFacade } from './facade.ts';
import { openEngine } from './open-engine.ts';
import { normalizeDir, resolveOptions } from '../engine/options.ts';
import type { Log, Options } from '../types.ts';
import { installErrorTransport } from '../protocol/transport.ts';
import type { WorkerApi } from '../../worker/worker.ts';

/**
 * Opens the log stored at `dir` in the origin private file system.
 *
 * Rejects `InvalidArgument` for a bad `dir` (`..`, empty segments, NUL) or
 * options, `NotFound` for a missing dir without `createDirs`, `Locked` if
 * another writer holds the log (at once, never after a wait), `Unsupported`
 * if the browser lacks OPFS, workers or Web Locks, and `Corrupted` if a
 * check finds damage it cannot repair.
 */
export async function open(dir: string, options?: Options): Promise<Log> {
  const path = normalizeDir(dir);
  const opts = resolveOptions(options);
  if ('FileSystemSyncAccessHandle' in globalThis) return openEngine(await opfsEnv(), path, opts);
  return openInWorker(path, opts);
}

async function openInWorker(path: string, options: Required<Options>): Promise<Log> {
  if (typeof Worker === 'undefined') throw new LogError('Unsupported', 'this environment has no Web Workers');
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') {
    throw new LogError('Unsupported', 'this browser has no origin private file system (navigator.storage.getDirectory)');
  }
  installErrorTransport();
  const worker = new Worker(new URL('../../worker/worker.ts', import.meta.url), { type: 'module', name: `opfs-log:${path}` });
  const remote = wrap<WorkerApi>(worker);
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => {
      reject(new LogError('Unsupported', `the opfs-log worker failed to start: ${e.message ?? 'unknown error'}`));
    });
  });
  try {
    await Promise.race([remote.open(path, options), failed]);
  } catch (err) {
    worker.terminate();
    throw err;
  }
  const end = (): void => {
    remote[releaseProxy]();
    worker.terminate();
  };
  return new LogFacade(transferringPublish(remote), options, path, end);
}

/**
 * The worker's API with `publish` sending its batch buffer as a transfer:
 * the buffer is the facade's own, made for this call, so moving it is free
 * where cloning would copy every byte. Everything else passes through.
 */
function transferringPublish(remote: Remote<WorkerApi>): Remote<WorkerApi> {
  return new Proxy(remote, {
    get(target, property, receiver) {
      if (property !== 'publish') return Reflect.get(target, property, receiver);
      return (records: Uint8Array) => target.publish(transfer(records, [records.buffer as ArrayBuffer]));
    },
  });
}
