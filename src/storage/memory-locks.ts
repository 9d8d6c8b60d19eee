import type { HeldLock, Locks } from './files.ts';

interface LockState {
  mode: 'exclusive' | 'shared';
  holders: number;
  /** Exclusive requests waiting in line. */
  waiting: { grant: () => void }[];
}

/** Locks for one process (Node tests), with the semantics of Web Locks that opfs-log uses. */
export class MemoryLocks implements Locks {
  private readonly locks = new Map<string, LockState>();

  async tryAcquire(name: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<HeldLock | null> {
    const state = this.locks.get(name);
    if (state && (mode === 'exclusive' || state.mode === 'exclusive' || state.waiting.length > 0)) return null;
    return this.take(name, mode);
  }

  acquire(name: string, signal?: AbortSignal): Promise<HeldLock> {
    if (!this.locks.has(name)) return Promise.resolve(this.take(name, 'exclusive'));
    return new Promise<HeldLock>((resolve, reject) => {
      const state = this.locks.get(name)!;
      const entry = { grant: () => resolve(this.take(name, 'exclusive')) };
      state.waiting.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const at = state.waiting.indexOf(entry);
          if (at < 0) return;
          state.waiting.splice(at, 1);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  private take(name: string, mode: 'exclusive' | 'shared'): HeldLock {
    const state = this.locks.get(name) ?? { mode, holders: 0, waiting: [] };
    state.mode = mode;
    state.holders++;
    this.locks.set(name, state);
    let released = false;
    return {
      // Free at once, unlike Web Locks: there is nothing to wait for.
      release: async () => {
        if (released) return;
        released = true;
        if (--state.holders > 0) return;
        const next = state.waiting.shift();
        if (next) next.grant();
        else this.locks.delete(name);
      },
    };
  }
}
