/**
 * Web Locks (`navigator.locks`): the browser releases a lock when the
 * context holding it ends, however it ends (closed, crashed, killed), which
 * is what lets a writer lock, and the ownership of a log, move on by itself.
 */
import { LogError } from '../errors.ts';
import type { HeldLock, Locks } from './files.ts';

function webLocks(): LockManager {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) throw new LogError('Unsupported', 'this browser has no Web Locks (navigator.locks)');
  return locks;
}

/** Runs `request` and resolves with a handle that holds its lock until released. */
function hold(request: (grant: (lock: Lock | null) => Promise<void> | undefined) => Promise<unknown>): Promise<HeldLock | null> {
  return new Promise<HeldLock | null>((resolve, reject) => {
    request((lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      // The lock is held until this promise settles.
      return new Promise<void>((release) => resolve({ release: () => release() }));
    }).catch(reject);
  });
}

export class WebLocks implements Locks {
  tryAcquire(name: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<HeldLock | null> {
    const locks = webLocks();
    return hold((grant) => locks.request(name, { ifAvailable: true, mode }, grant));
  }

  async acquire(name: string, signal?: AbortSignal): Promise<HeldLock> {
    const locks = webLocks();
    return (await hold((grant) => locks.request(name, signal ? { signal } : {}, grant)))!;
  }
}
