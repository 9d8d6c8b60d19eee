/**
 * Live reads: `consumeBlocking` (klevdb's ConsumeBlocking) waits until there
 * is something to consume; `tail` is an async iterable of the batches that
 * keep arriving. Both are built on `consume` and the log's wake-ups
 * (wakeups.ts), so they run on the client side of the worker boundary,
 * where an AbortSignal lives (signals cannot be sent to a worker).
 */
import { invalidArgument, LogError } from '../errors.ts';
import type { Batch, Log } from '../types.ts';
import { checkMaxCount } from './validate.ts';
import type { Wakeups } from './wakeups.ts';

/** Messages per batch of `tail` when `maxCount` is not given. */
export const DEFAULT_TAIL_MAX_COUNT = 100;

function isSignal(value: unknown): value is AbortSignal {
  if (typeof AbortSignal !== 'undefined' && value instanceof AbortSignal) return true;
  const s = value as Partial<AbortSignal> | null;
  return (
    typeof s === 'object' && s !== null && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function'
  );
}

function optionsObject(options: unknown, what: string): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw invalidArgument(`${what} options must be an object`);
  return options as Record<string, unknown>;
}

/** The `signal` of an options argument: an AbortSignal or absent. */
export function checkSignal(options: unknown, what: string): AbortSignal | undefined {
  const { signal } = optionsObject(options, what);
  if (signal === undefined || signal === null) return undefined;
  if (!isSignal(signal)) throw invalidArgument(`${what}: signal must be an AbortSignal`);
  return signal;
}

/** The options of `tail`, with the default batch size filled in. */
export function checkTailOptions(options: unknown): { maxCount: number; signal: AbortSignal | undefined } {
  const { maxCount } = optionsObject(options, 'tail');
  return {
    maxCount: maxCount === undefined ? DEFAULT_TAIL_MAX_COUNT : checkMaxCount(maxCount),
    signal: checkSignal(options, 'tail'),
  };
}

/**
 * The first non-empty `consume(offset, maxCount)`, waiting for publishes as
 * long as there is none. Arguments arrive checked (see the facade).
 */
export async function consumeBlocking(
  log: Pick<Log, 'consume'>,
  wakeups: Wakeups,
  offset: number,
  maxCount: number,
  signal: AbortSignal | undefined,
): Promise<Batch> {
  signal?.throwIfAborted();
  // Subscribe before the first look, so a publish right after it still wakes us.
  const watch = wakeups.watch(signal);
  try {
    let at = offset;
    for (;;) {
      const batch = await watch.race(log.consume(at, maxCount));
      if (batch.messages.length > 0) return batch;
      // Caught up (consume returns nothing only then): wait for a publish past it.
      at = batch.nextOffset;
      await watch.until(at);
    }
  } finally {
    watch.stop();
  }
}

/**
 * Batches from `offset` on, each as soon as it exists, for ever: it ends
 * (without throwing) when `signal` aborts or the log closes.
 */
export async function* tail(
  log: Pick<Log, 'consume'>,
  wakeups: Wakeups,
  offset: number,
  maxCount: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Batch, void, undefined> {
  let at = offset;
  for (;;) {
    let batch: Batch;
    try {
      batch = await consumeBlocking(log, wakeups, at, maxCount, signal);
    } catch (err) {
      if (signal?.aborted || (err instanceof LogError && err.code === 'Closed')) return;
      throw err;
    }
    yield batch;
    at = batch.nextOffset;
  }
}
