/** The engine's surroundings in Node tests: memory files, an IndexedDB factory, process-local locks. */
import { MemoryDirectory } from './memory.ts';
import { MemoryLocks } from './memory-locks.ts';
import { broadcastChannels } from './channel.ts';
import { privateChannelPrefix } from '../namespace.ts';
import type { Env } from './files.ts';

export interface MemoryEnv extends Env {
  root: MemoryDirectory;
  idb: IDBFactory;
}

/**
 * `idb` is usually `new IDBFactory()` from fake-indexeddb, one per test.
 * `staged` writes as OPFS's asynchronous backend does (storage/memory.ts).
 */
export function memoryEnv(idb: IDBFactory, options: { staged?: boolean } = {}): MemoryEnv {
  // Channels of their own: two memory envs are two origins, two logs in one env two tabs.
  const channels = broadcastChannels(privateChannelPrefix(Math.random().toString(36).slice(2)));
  return { root: MemoryDirectory.create(options), idb, locks: new MemoryLocks(), channels };
}
