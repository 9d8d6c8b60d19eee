/** The engine's surroundings in a browser worker: OPFS, the real IndexedDB, Web Locks. */
import { OpfsDirectory } from './opfs.ts';
import { WebLocks } from './web-locks.ts';
import type { Env } from './files.ts';
import type { StorageBackend } from '../types.ts';

/** `backend`: which writable files the log's writer uses (`Options.backend`). */
export async function opfsEnv(backend: StorageBackend = 'auto'): Promise<Env> {
  // Without IndexedDB the log still works: its indexes are rebuilt on every open.
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  return { root: await OpfsDirectory.root(backend), idb, locks: new WebLocks() };
}
