/**
 * What the two stores over a log (`projection`, `latestMessages`) share: the
 * store contract their listeners see (React's `useSyncExternalStore` and
 * Svelte's `subscribe`), and how they take a log, byte or typed.
 */
import { invalidArgument } from '../errors.ts';
import { checkLog, TYPED_LOG } from '../client/validate.ts';
import type { TypedLog } from '../typed/typed.ts';
import type { Log } from '../types.ts';

/** What a store reads through: a byte log, or a typed one (its messages come decoded). */
export type ReadLog =
  | Pick<Log, 'consume' | 'consumeBlocking'>
  | Pick<TypedLog<unknown, unknown>, 'consume' | 'consumeBlocking'>;

/** The log to read and the byte log under it (for offsets and point reads); bad input throws `InvalidArgument`. */
export function readLogOf(log: unknown, what: string): { log: ReadLog; raw: Log } {
  const typedLog = (log as { [TYPED_LOG]?: boolean } | null)?.[TYPED_LOG] === true;
  const raw = checkLog<Log>(typedLog ? (log as TypedLog<unknown, unknown>).raw : log, what);
  return { log: log as ReadLog, raw };
}

/** Hands a listener's exception to the page (as an uncaught error is), so one bad listener stops no other. */
function report(err: unknown): void {
  const r = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (r) r(err);
  else
    setTimeout(() => {
      throw err;
    });
}

/** A store's listeners, each called with the store's value now. */
export class Listeners<T> {
  private readonly listeners = new Set<(value: T) => void>();

  constructor(private readonly value: () => T) {}

  /**
   * Subscribes `listener` (one subscription per call, even of the same
   * function) unless `closed`, and calls it at once; returns the unsubscribe.
   */
  add(listener: unknown, closed = false): () => void {
    if (typeof listener !== 'function') throw invalidArgument('subscribe takes a function');
    const own = (value: T) => listener(value);
    if (!closed) this.listeners.add(own);
    this.call(own);
    return () => void this.listeners.delete(own);
  }

  /** Calls every listener with the value now. */
  notify(): void {
    for (const listener of [...this.listeners]) this.call(listener);
  }

  clear(): void {
    this.listeners.clear();
  }

  private call(listener: (value: T) => void): void {
    try {
      listener(this.value());
    } catch (err) {
      report(err);
    }
  }
}
