/**
 * The dedicated module worker that owns a log's files: it opens the engine on
 * OPFS when Comlink asks it to, then serves the engine's calls on its own
 * channel (src/protocol/port.ts), as the table of calls declares. One worker
 * serves one open log; the client terminates it on close.
 */
import { expose } from 'comlink';
import { LogError } from '../src/errors.ts';
import { opfsEnv } from '../src/storage/opfs-env.ts';
import { OpfsDirectory } from '../src/storage/opfs.ts';
import { WebLocks } from '../src/storage/web-locks.ts';
import type { Env } from '../src/storage/files.ts';
import type { StorageBackend } from '../src/types.ts';
import { LogEngine } from '../src/engine/engine.ts';
import { restoreArchive } from '../src/archive/restore.ts';
import type { WorkerApi } from '../src/protocol/protocol.ts';
import { invoke } from '../src/protocol/calls.ts';
import { servePort, type Endpoint } from '../src/protocol/port.ts';
import { sendLogErrors } from '../src/protocol/transport.ts';

sendLogErrors();

let engine: LogEngine | null = null;

/**
 * The locks of what this worker runs. The client terminates the worker once
 * a call that ends its use has answered (close, a failed open, an import); a
 * lock let go but not yet freed would then be freed only as the worker is
 * torn down, later still, and an open at once after would find it held. So
 * each such call answers only once `locks.released()`.
 */
const locks = new WebLocks();

/**
 * The origin's directory, asked for as this script runs: a fresh worker
 * takes 2-3 ms to get it, and `open` comes a little later (BENCHMARKS.md,
 * "Where a cold start's time goes"). The first call takes it. IndexedDB is
 * not opened early: that held this thread and delayed `open` itself.
 */
let earlyRoot = OpfsDirectory.askRoot();

async function env(backend?: StorageBackend): Promise<Env> {
  const root = earlyRoot;
  earlyRoot = undefined;
  return { ...(await opfsEnv(backend, root)), locks };
}

/** `work`, answered only once every lock it let go is free. */
async function thenReleased<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await locks.released();
  }
}

const api: WorkerApi = {
  async open(dir, options) {
    if (engine) throw new LogError('Internal', 'this worker already has a log open');
    // A failed open released the engine's lock without waiting for it to be free.
    const opened = await thenReleased(async () => LogEngine.open(await env(options.backend), dir, options));
    engine = opened;
    servePort(self as unknown as Endpoint, (call, args) =>
      call === 'close' ? thenReleased(() => opened.close()) : invoke(opened, call, args),
    );
  },
  importArchive: (dir, archive, options) =>
    thenReleased(async () => restoreArchive(await env(), dir, archive, options)),
};

expose(api);
