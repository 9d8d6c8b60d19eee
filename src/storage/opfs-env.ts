/** The engine's surroundings in a browser worker: OPFS, the real IndexedDB, Web Locks. */
import { OpfsDirectory } from './opfs.ts';
import { WebLocks } from './web-locks.ts';
import type { Env } from './files.ts';
import type { StorageBackend } from '../types.ts';

/**
 * `backend`: which writable files the log's writer uses (`Options.backend`);
 * `asked`: the origin's directory, if asked for already (`OpfsDirectory.askRoot`).
 */
export async function opfsEnv(
  backend: StorageBackend = 'auto',
  asked?: Promise<FileSystemDirectoryHandle>,
): Promise<Env> {
  // Without IndexedDB the log still works: its indexes are rebuilt on every open.
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  return { root: await OpfsDirectory.root(backend, asked), idb, locks: new WebLocks() };
}
