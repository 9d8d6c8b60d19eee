/**
 * The observable side of a replication: its status, listeners, the async
 * iterable of statuses and `caughtUp` waiters, all fed by one `update`.
 */
import { ReplicationError } from './errors.ts';
import type { ReplicationState, ReplicationStatus } from './types.ts';

const FINAL: ReadonlySet<ReplicationState> = new Set(['stopped', 'failed']);

export function isFinal(state: ReplicationState): boolean {
  return FINAL.has(state);
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  done: (s: ReplicationStatus) => boolean;
}

export class StatusHub {
  private current: ReplicationStatus = { state: 'connecting', lag: 0, position: 0, lastError: null };
  private readonly listeners = new Set<(status: ReplicationStatus) => void>();
  private readonly waiters = new Set<Waiter>();

  get status(): ReplicationStatus {
    return this.current;
  }

  /** Merges `change` into the status; final states stick. Notifies only on a real change. */
  update(change: Partial<ReplicationStatus>): void {
    if (isFinal(this.current.state)) return;
    const next = { ...this.current, ...change };
    if (next.state === 'online' && change.lastError === undefined && this.current.state !== 'online')
      next.lastError = null;
    const c = this.current;
    if (c.state === next.state && c.lag === next.lag && c.position === next.position && c.lastError === next.lastError)
      return;
    this.current = Object.freeze(next);
    for (const listener of [...this.listeners]) {
      try {
        listener(this.current);
      } catch {
        this.listeners.delete(listener); // a broken UI callback must not stop replication
      }
    }
    this.settleWaiters();
  }

  private settleWaiters(): void {
    const s = this.current;
    for (const w of [...this.waiters]) {
      if (s.state === 'online' && w.done(s)) w.resolve();
      else if (s.state === 'failed')
        w.reject(s.lastError ?? new ReplicationError('Internal', 'the replication failed'));
      else if (s.state === 'stopped') w.reject(new ReplicationError('Stopped', 'the replication was stopped'));
      else continue;
      this.waiters.delete(w);
    }
  }

  subscribe(listener: (status: ReplicationStatus) => void): () => void {
    this.listeners.add(listener);
    try {
      listener(this.current);
    } catch {
      this.listeners.delete(listener);
    }
    return () => this.listeners.delete(listener);
  }

  /** Resolves once online and `done` (by default: lag 0); rejects on a final state first. */
  caughtUp(done: (s: ReplicationStatus) => boolean = (s) => s.lag === 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.add({ resolve, reject, done });
      this.settleWaiters();
    });
  }

  /** The latest status on each step: a reader that falls behind skips to the newest, never past a final one. */
  async *statuses(signal?: AbortSignal): AsyncGenerator<ReplicationStatus> {
    let seen: ReplicationStatus | null = null;
    let wake: (() => void) | null = null;
    const unsubscribe = this.subscribe(() => wake?.());
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      while (!signal?.aborted) {
        if (this.current !== seen) {
          seen = this.current;
          yield seen;
          if (isFinal(seen.state)) return;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
