/**
 * Starting the worker that owns a log's files, for `open` and for
 * `importArchive` on the main thread. The worker is found by URL, never
 * imported: the client speaks to it only through the protocol.
 */
import { releaseProxy, wrap, type Remote } from 'comlink';
import { LogError } from '../errors.ts';
import type { WorkerApi } from '../protocol/protocol.ts';
import { installErrorTransport } from '../protocol/transport.ts';

export interface SpawnedWorker {
  /** The worker's requests, as the protocol declares them. */
  readonly api: Remote<WorkerApi>;
  /**
   * Sends the first request; rejects `Unsupported` if the worker fails to
   * start meanwhile, and ends the worker if the request rejects.
   */
  start<T>(request: (api: Remote<WorkerApi>) => Promise<T>): Promise<T>;
  /** Releases the proxy and terminates the worker. */
  end(): void;
}

/** Starts a dedicated module worker named `name` (shown in the browser's dev tools). */
export function spawnWorker(name: string): SpawnedWorker {
  if (typeof Worker === 'undefined') throw new LogError('Unsupported', 'this environment has no Web Workers');
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') {
    throw new LogError('Unsupported', 'this browser has no origin private file system (navigator.storage.getDirectory)');
  }
  installErrorTransport();
  const worker = new Worker(new URL('../../worker/worker.ts', import.meta.url), { type: 'module', name });
  const api = wrap<WorkerApi>(worker);
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => {
      reject(new LogError('Unsupported', `the opfs-log worker failed to start: ${e.message ?? 'unknown error'}`));
    });
  });
  const end = (): void => {
    api[releaseProxy]();
    worker.terminate();
  };
  const start = async <T>(request: (api: Remote<WorkerApi>) => Promise<T>): Promise<T> => {
    try {
      return await Promise.race([request(api), failed]);
    } catch (err) {
      end();
      throw err;
    }
  };
  return { api, start, end };
}
