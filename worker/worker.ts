/**
 * The dedicated module worker that owns a log's files: it opens the engine on
 * OPFS when Comlink asks it to, then serves the engine's calls on its own
 * channel, as the protocol (src/protocol/) declares. One worker
 * serves one open log; the client terminates it on close.
 */
import { expose } from 'comlink';
import { LogError } from '../src/errors.ts';
import { opfsEnv } from '../src/storage/opfs-env.ts';
import { LogEngine } from '../src/engine/engine.ts';
import { restoreArchive } from '../src/archive/restore.ts';
import { serveEngine, type WorkerApi } from '../src/protocol/protocol.ts';
import { servePort, type Endpoint } from '../src/protocol/port.ts';
import { installErrorTransport } from '../src/protocol/transport.ts';

installErrorTransport();

let engine: LogEngine | null = null;

function opened(): LogEngine {
  if (!engine) throw new LogError('Closed', 'the log is not open in this worker');
  return engine;
}

const api: WorkerApi = {
  async open(dir, options) {
    if (engine) throw new LogError('Internal', 'this worker already has a log open');
    engine = await LogEngine.open(await opfsEnv(), dir, options);
    servePort(self as unknown as Endpoint, serveEngine(opened));
  },
  importArchive: async (dir, archive, options) => restoreArchive(await opfsEnv(), dir, archive, options),
};

expose(api);
