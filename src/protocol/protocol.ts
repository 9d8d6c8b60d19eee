/**
 * What Comlink carries: the two requests that start a worker's work (open a
 * log, restore an archive), declared once. Once a log is open the client
 * lets go of Comlink, and the engine's calls go on the worker's channel
 * without it (calls.ts, port.ts). The client (client/spawn.ts) and the
 * worker (worker/worker.ts) both follow these types.
 */
import type { ArchiveInfo, ImportOptions } from '../types.ts';
import type { ResolvedOptions } from '../engine/options.ts';

export interface WorkerApi {
  /**
   * Opens the one log this worker serves, then serves its engine's calls on
   * the worker's channel (port.ts). `dir` and `options` arrive checked and
   * resolved by the client (client/open.ts), the one place that checks them.
   */
  open(dir: string, options: ResolvedOptions): Promise<void>;
  /** Archive restore (src/archive/import.ts, which checks its arguments), in a worker of its own. */
  importArchive(dir: string, archive: Blob, options: Required<ImportOptions>): Promise<ArchiveInfo>;
}
