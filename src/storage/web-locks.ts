/**
 * Web Locks (`navigator.locks`): the browser releases a lock when the
 * context holding it ends, however it ends (closed, crashed, killed), which
 * is what lets a writer lock, and the ownership of a log, move on by itself.
 */
import { LogError } from '../errors.ts';
import type { HeldLock, Locks } from './files.ts';

/** Whether this context has Web Locks. */
export function hasWebLocks(): boolean {
  return Boolean((globalThis.navigator as Navigator | undefined)?.locks);
}

function webLocks(): LockManager {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) throw new LogError('Unsupported', 'this browser has no Web Locks (navigator.locks)');
  return locks;
}

/**
 * Runs `request` and resolves with a handle that holds its lock until
 * released. Settling the callback's promise only tells the lock manager to
 * let the lock go, which it does later: an `ifAvailable` request made right
 * after is refused, in both browsers (in Firefox even one made after a log's
 * `close()` had resolved: the "health" issue). The request's own promise
 * resolves once the lock is gone, and `release()` resolves with it.
 * `onRelease` is told of each release.
 */
function hold(
  request: (grant: (lock: Lock | null) => Promise<void> | undefined) => Promise<unknown>,
  onRelease: (released: Promise<void>) => void,
): Promise<HeldLock | null> {
  return new Promise<HeldLock | null>((resolve, reject) => {
    let free = (): void => undefined;
    let released: Promise<void> | null = null;
    // Settles when the lock manager is done with the request: refused, or granted and let go.
    let done: Promise<unknown> = Promise.resolve();
    const held: HeldLock = {
      release: () => {
        if (!released) {
          free();
          // Whether the request then resolves or rejects, the lock is no longer held.
          released = done.then(
            () => undefined,
            () => undefined,
          );
          onRelease(released);
        }
        return released;
      },
    };
    done = request((lock) => {
      if (!lock) {
        resolve(null);
        return undefined;
      }
      // The lock is held until this promise settles.
      return new Promise<void>((release) => {
        free = release;
        resolve(held);
      });
    });
    done.catch(reject);
  });
}

export class WebLocks implements Locks {
  /** Releases begun and not finished yet. */
  private readonly releasing = new Set<Promise<void>>();

  private readonly track = (released: Promise<void>): void => {
    this.releasing.add(released);
    void released.then(() => this.releasing.delete(released));
  };

  tryAcquire(name: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<HeldLock | null> {
    const locks = webLocks();
    return hold((grant) => locks.request(name, { ifAvailable: true, mode }, grant), this.track);
  }

  async acquire(name: string, signal?: AbortSignal): Promise<HeldLock> {
    const locks = webLocks();
    return (await hold((grant) => locks.request(name, signal ? { signal } : {}, grant), this.track))!;
  }

  /**
   * Resolves once every lock taken through this object and released so far is
   * free for others. For callers that release a lock without awaiting it (the
   * engine on close, or on a failed open) and must not report done before it
   * is free: a context about to end (a worker terminated after its engine
   * closed) or a `close()` after which the caller may open the log again.
   */
  async released(): Promise<void> {
    await Promise.all(this.releasing);
  }
}
