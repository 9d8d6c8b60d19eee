/**
 * `open`, the package's entry. A writer joins the log's other writers (in
 * this and other tabs and workers) through a `SharedWriter`: the one that
 * owns the log runs the engine, in a dedicated worker on the main thread or
 * in place inside a worker; the others forward to it. An `exclusive` writer
 * and a `readonly` log run an engine of their own, as one writer did before
 * logs could be shared.
 */
import { LogError } from '../errors.ts';
import { LogFacade } from './facade.ts';
import { normalizeDir, resolveOptions, type ResolvedOptions } from '../engine/options.ts';
import type { RawLog } from '../engine/raw.ts';
import type { Log, Options } from '../types.ts';
import { portClient, sendBytes } from '../protocol/port.ts';
import { withReadAhead } from '../protocol/read-ahead.ts';
import { type SpawnedWorker, spawnWorker } from './spawn.ts';
import { SharedWriter, type Bus, type OwnedEngine } from './shared-writer.ts';
import { callChannelName, ownerLockName, workerName, writersLockName } from '../namespace.ts';
import { WebLocks } from '../storage/web-locks.ts';
import type { HeldLock } from '../storage/files.ts';

/**
 * Opens the log stored at `dir` in the origin private file system.
 *
 * Rejects `InvalidArgument` for a bad `dir` (`..`, empty segments, NUL, more
 * than 32 directories or more than 1,024 characters: rejected before any
 * storage is touched) or options, `NotFound` for a missing dir without `createDirs`, `Locked` if an
 * exclusive writer holds the log or, for an `exclusive` open, if any other
 * writer has it open (at once, never after a wait), `Unsupported`
 * if the browser lacks OPFS, workers or Web Locks or refuses sync access
 * handles, `Corrupted` if a check finds damage it cannot repair, and
 * `Internal` for an unexpected failure (the original error is the `cause`).
 * A problem with IndexedDB never rejects: the indexes are derived data, so
 * the log opens without persisted indexes and rebuilds them from the segments.
 * A failed open leaves nothing held: opening again reports the same error.
 *
 * In a service worker (which cannot start a worker) the engine runs in
 * place, on the asynchronous backend. A service worker may not `import()`,
 * which is how this `open` loads the engine there: import `open` from
 * `opfs-log/service-worker` instead (the same function with the engine
 * bundled); this one then rejects `Unsupported` once it needs the engine (a
 * readonly or `exclusive` open, or no tab owning the log). A service worker's
 * writer owns the files only while no tab has the log open for writing: the
 * first tab that opens it takes them over, and the service worker forwards
 * its calls to that tab from then on.
 */
export function open(dir: string, options?: Options): Promise<Log> {
  return openWith(importInPlace, dir, options);
}

/** The engine's chunk; a service worker refuses `import()`, and says so with a TypeError that names nothing. */
async function importInPlace(): Promise<InPlace> {
  try {
    return await import('./in-place.ts');
  } catch (err) {
    if (typeof Worker !== 'undefined') throw err;
    throw new LogError(
      'Unsupported',
      "a service worker cannot import() the engine: import open from 'opfs-log/service-worker' there",
      { cause: err },
    );
  }
}

/** The engine's side, for a context that runs it itself: see in-place.ts. */
export type InPlace = typeof import('./in-place.ts');

/**
 * `open`, with the engine from `inPlace` wherever it runs in this context
 * (`open` imports it; the `opfs-log/service-worker` entry has it already).
 */
export async function openWith(inPlace: () => Promise<InPlace>, dir: string, options?: Options): Promise<Log> {
  const path = normalizeDir(dir);
  const opts = resolveOptions(options);
  const engine = runsInPlace() ? inPlace : null;
  if (opts.readonly) return engine ? openInPlace(engine, path, opts) : openInWorker(path, opts);
  if (typeof navigator === 'undefined' || !navigator.locks) {
    throw new LogError('Unsupported', 'this environment has no Web Locks (navigator.locks)');
  }
  // The worker's script loads while the locks are asked for: its start is most of a cold open's time.
  const early = engine ? null : new EarlyWorker(path);
  const locks = new WebLocks();
  const writers = await locks.tryAcquire(writersLockName(path), opts.exclusive ? 'exclusive' : 'shared');
  if (!writers) {
    early?.end();
    throw new LogError(
      'Locked',
      opts.exclusive
        ? `log ${path} is open for writing elsewhere: an exclusive writer must be its only one`
        : `log ${path} is held by an exclusive writer`,
    );
  }
  try {
    if (opts.exclusive)
      return await (engine ? openInPlace(engine, path, opts, writers) : openInWorker(path, opts, writers, early));
    return await openShared(path, opts, writers, locks, engine, early);
  } catch (err) {
    // Rejects only once the lock is free: opening again at once must report the same error, not Locked.
    await writers.release();
    throw err;
  } finally {
    early?.end(); // not taken: this writer forwards to another tab's engine (the next one it runs starts its own)
  }
}

/**
 * A worker started before the locks say whether this context runs the
 * engine, so that its script loads meanwhile; the first engine started here
 * takes it, else it is ended. A context that cannot start one starts none
 * here: the engine's start then says why, as it would have.
 */
class EarlyWorker {
  private worker: SpawnedWorker | null;

  constructor(path: string) {
    try {
      this.worker = spawnWorker(workerName(path));
    } catch {
      this.worker = null;
    }
  }

  take(): SpawnedWorker | undefined {
    const worker = this.worker ?? undefined;
    this.worker = null;
    return worker;
  }

  end(): void {
    this.worker?.end();
    this.worker = null;
  }
}

/**
 * Whether the engine runs in this context rather than in a dedicated worker
 * of its own: inside a dedicated worker (sync access handles are there), and
 * where no worker can be started but OPFS is there (a service worker, on the
 * asynchronous backend).
 */
function runsInPlace(): boolean {
  if ('FileSystemSyncAccessHandle' in globalThis) return true;
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  return typeof Worker === 'undefined' && typeof storage?.getDirectory === 'function';
}

/**
 * The engine in place, in a worker of the user's own or a service worker.
 * `inPlace` brings it: not imported at the top, so that the main thread's
 * bundle holds the client without the engine.
 */
async function openInPlace(
  inPlace: () => Promise<InPlace>,
  path: string,
  options: ResolvedOptions,
  writers?: HeldLock,
): Promise<Log> {
  const { openEngine, opfsEnv } = await inPlace();
  // The engine lets its lock go on close (or on a failed open) without waiting until it is free: `locks` does.
  const locks = new WebLocks();
  try {
    return await openEngine({ ...(await opfsEnv(options.backend)), locks }, path, options, async () => {
      await locks.released();
      await writers?.release();
    });
  } catch (err) {
    await locks.released();
    throw err;
  }
}

/**
 * The engine in a dedicated worker of its own: Comlink asks it to open the
 * log, then lets go, and the engine's calls go on the worker's channel
 * (protocol/port.ts). `end` terminates the worker.
 */
async function workerEngine(path: string, options: ResolvedOptions, early?: EarlyWorker | null): Promise<OwnedEngine> {
  const worker = early?.take() ?? spawnWorker(workerName(path));
  await worker.start((api) => api.open(path, options));
  const port = portClient(worker.channel());
  return {
    // A readonly log's files change under it, through no call of its own: it never reads ahead.
    raw: options.readonly ? port : withReadAhead(port),
    // The engine's close answered once its lock was free (worker/worker.ts): the worker may go.
    end: () => {
      port.end();
      worker.end();
    },
  };
}

async function openInWorker(
  path: string,
  options: ResolvedOptions,
  writers?: HeldLock,
  early?: EarlyWorker | null,
): Promise<Log> {
  const engine = await workerEngine(path, options, early);
  const end = async () => {
    engine.end();
    await writers?.release();
  };
  return new LogFacade(engine.raw, options, path, end, { sendBatch: sendBytes });
}

/** The engine a shared writer runs once it owns the log. */
async function startEngine(
  path: string,
  options: ResolvedOptions,
  inPlace: (() => Promise<InPlace>) | null,
  early: EarlyWorker | null,
): Promise<OwnedEngine> {
  if (inPlace) {
    const { LogEngine, opfsEnv } = await inPlace();
    // As in openInPlace: `locks` waits until what the engine let go is free.
    const locks = new WebLocks();
    try {
      const engine: RawLog = await LogEngine.open({ ...(await opfsEnv(options.backend)), locks }, path, options);
      return { raw: engine, end: () => locks.released() };
    } catch (err) {
      await locks.released();
      throw err;
    }
  }
  return workerEngine(path, options, early);
}

async function openShared(
  path: string,
  options: ResolvedOptions,
  writers: HeldLock,
  locks: WebLocks,
  inPlace: (() => Promise<InPlace>) | null,
  early: EarlyWorker | null,
): Promise<Log> {
  // A service worker's writer gives the files up to a tab's, whose sync backend is faster: see SharedWriter.
  const yields = inPlace !== null && !('FileSystemSyncAccessHandle' in globalThis);
  const Writer = yields ? (await inPlace()).YieldingWriter : SharedWriter;
  const shared = new Writer(path, broadcastBus(callChannelName(path)), locks, ownerLockName(path), () =>
    startEngine(path, options, inPlace, early),
  );
  try {
    await shared.ready();
  } catch (err) {
    await shared.close();
    throw err;
  }
  const client = { sendBatch: inPlace ? undefined : sendBytes, owns: () => shared.owns };
  return new LogFacade(shared.raw, options, path, () => writers.release(), client);
}

/** The calls channel of a log: a BroadcastChannel every writer of it opens. */
function broadcastBus(name: string): Bus {
  const channel = new BroadcastChannel(name);
  return {
    post: (message) => channel.postMessage(message),
    listen: (listener) => {
      channel.onmessage = (event: MessageEvent) => listener(event.data);
    },
    close: () => channel.close(),
  };
}
