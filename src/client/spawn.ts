/**
 * Starting the worker that owns a log's files, for `open` and for
 * `importArchive` on the main thread. The worker is found by URL, never
 * imported: the client speaks to it only through the protocol.
 */
import { releaseProxy, wrap, type Remote } from 'comlink';
import { invalidArgument, LogError } from '../errors.ts';
import type { WorkerApi } from '../protocol/protocol.ts';
import { installErrorTransport } from '../protocol/transport.ts';
import type { WorkerSource } from '../types.ts';

/**
 * The worker file, beside this module: worker/worker.ts in the sources (which
 * vite serves), './worker.js' in the built package (scripts/build.mjs
 * rewrites this path, here and in the `new Worker` call below).
 */
const DEFAULT_WORKER = '../../worker/worker.ts';

/** Where the README says how to make the worker load. */
const SEE_README = 'see "Use it in your app" in the README of opfs-log (its bundler notes and setWorkerSource)';

let workerSource: WorkerSource | null = null;

/**
 * Supplies the worker that `open` and `importArchive` start on the main
 * thread, for set-ups where the default is not found: see `WorkerSource`.
 * `null` returns to the default. It applies to the workers started after it,
 * in this realm (this page or worker). Anything else than a string, a URL, a
 * function or null throws `LogError` `InvalidArgument`.
 */
export function setWorkerSource(source: WorkerSource | null): void {
  if (source !== null && typeof source !== 'string' && typeof source !== 'function' && !(source instanceof URL)) {
    throw invalidArgument('setWorkerSource takes a URL, a string, a function that returns a Worker, or null');
  }
  workerSource = source;
}

export interface SpawnedWorker {
  /** The worker's requests, as the protocol declares them. */
  readonly api: Remote<WorkerApi>;
  /**
   * Sends the first request; rejects `Unsupported` if the worker fails to
   * start meanwhile, and ends the worker if the request rejects.
   */
  start<T>(request: (api: Remote<WorkerApi>) => Promise<T>): Promise<T>;
  /**
   * Lets go of Comlink (the worker stops answering it) and gives the worker's
   * channel for the engine's calls (protocol/port.ts); `api` is unusable after.
   */
  channel(): Worker;
  /** Releases the proxy (unless `channel` did) and terminates the worker. */
  end(): void;
}

/** Starts a dedicated module worker named `name` (shown in the browser's dev tools). */
export function spawnWorker(name: string): SpawnedWorker {
  if (typeof Worker === 'undefined') throw new LogError('Unsupported', 'this environment has no Web Workers');
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') {
    throw new LogError(
      'Unsupported',
      'this browser has no origin private file system (navigator.storage.getDirectory)',
    );
  }
  installErrorTransport();
  const { worker, from } = startWorker(name);
  const api = wrap<WorkerApi>(worker);
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => {
      // A script that does not load fires a bare Event; an error thrown in it, an ErrorEvent.
      const said = e instanceof ErrorEvent && e.message ? ` (${e.message})` : '';
      reject(new LogError('Unsupported', `the opfs-log worker failed to load from ${from}${said}; ${SEE_README}`));
    });
  });
  let released = false;
  const release = (): void => {
    if (!released) api[releaseProxy]();
    released = true;
  };
  const end = (): void => {
    release();
    worker.terminate();
  };
  const channel = (): Worker => {
    release();
    return worker;
  };
  const start = async <T>(request: (api: Remote<WorkerApi>) => Promise<T>): Promise<T> => {
    try {
      return await Promise.race([request(api), failed]);
    } catch (err) {
      end();
      throw err;
    }
  };
  return { api, start, channel, end };
}

/** Starts the worker `workerSource` says, or the default; `from` names it in errors. */
function startWorker(name: string): { worker: Worker; from: string } {
  const source = workerSource;
  const options: WorkerOptions = { type: 'module', name };
  if (source === null) {
    // A bundler rewrites the URL in the call below but not this one: then it names where the file was.
    // Not written as `new URL(path, import.meta.url)`: webpack would take that for an asset to bundle.
    const here = import.meta.url;
    const from = `${new URL(DEFAULT_WORKER, here).href} (or a bundler's copy of it)`;
    // Keep this call's shape (a literal path beside this module, `type: 'module'` written out):
    // it is how Vite and webpack 5 find the worker and bundle it.
    return {
      worker: tryStart(
        from,
        () => new Worker(new URL('../../worker/worker.ts', import.meta.url), { type: 'module', name }),
      ),
      from,
    };
  }
  if (typeof source === 'function') {
    const from = 'the Worker of the function given to setWorkerSource';
    const worker = tryStart(from, () => source(options));
    if (!(worker instanceof Worker))
      throw invalidArgument('the function given to setWorkerSource must return a Worker');
    return { worker, from };
  }
  const from = resolveUrl(source);
  return { worker: tryStart(from, () => new Worker(source, options)), from };
}

/** `new Worker` throws at once for a URL it refuses (malformed, another origin). */
function tryStart(from: string, start: () => Worker): Worker {
  try {
    return start();
  } catch (err) {
    const said = err instanceof Error ? ` (${err.message})` : '';
    throw new LogError('Unsupported', `the opfs-log worker failed to load from ${from}${said}; ${SEE_README}`, {
      cause: err,
    });
  }
}

function resolveUrl(source: string | URL): string {
  try {
    return new URL(source, globalThis.location?.href).href;
  } catch {
    return String(source);
  }
}
