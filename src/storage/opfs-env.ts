/** The engine's surroundings in a browser worker: OPFS, the real IndexedDB, Web Locks. */
import { LogError } from '../errors.ts';
import { OpfsDirectory, WebLocks } from './opfs.ts';
import type { Env } from './files.ts';

export async function opfsEnv(): Promise<Env> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) throw new LogError('Unsupported', 'this browser has no IndexedDB');
  return { root: await OpfsDirectory.root(), idb, locks: new WebLocks() };
}
