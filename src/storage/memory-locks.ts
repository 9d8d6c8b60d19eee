import type { HeldLock, Locks } from './files.ts';

/** Locks for one process (Node tests), with the same answer-at-once semantics as WebLocks. */
export class MemoryLocks implements Locks {
  private readonly held = new Set<string>();

  async tryAcquire(name: string): Promise<HeldLock | null> {
    if (this.held.has(name)) return null;
    this.held.add(name);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held.delete(name);
      },
    };
  }
}
