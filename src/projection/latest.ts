/**
 * The newest messages of a log as a store: what a UI lists (an activity feed,
 * the last events), kept current from the log's `consumeBlocking` (no polling).
 */
import { invalidArgument, LogError } from '../errors.ts';
import { Listeners, type ReadLog, readLogOf } from './store.ts';
import type { TypedBatch, TypedLog, TypedMessage } from '../typed/typed.ts';
import { type Batch, type Log, type Message, OffsetOldest } from '../types.ts';

/** The most `count` may be: a list a page shows, not a copy of the log. */
export const MAX_LATEST = 100_000;
/** Messages asked for per read. */
const READ = 1_000;

/**
 * The newest messages of a log, oldest first, kept current; from
 * `latestMessages`. A store in the sense of React's `useSyncExternalStore`
 * (`subscribe`, `getState`) and of Svelte (`$latest` in a component).
 */
export interface LatestMessages<M> {
  /**
   * The newest messages, at most `count`, oldest first: a frozen array, the
   * same one until it changes. Empty until the first read has come back.
   */
  getState(): readonly M[];
  /**
   * Calls `listener` with the messages at once, and again after every change
   * (and once when it stops, see `error`). Returns the function that
   * unsubscribes. A listener that throws is reported (`reportError`) and stays
   * subscribed.
   */
  subscribe(listener: (messages: readonly M[]) => void): () => void;
  /**
   * Why it stopped following the log: the log was closed under it (`Closed`),
   * a message did not decode (a typed log's codec threw) or a read failed. The
   * messages stay those it had. Null while it follows, and after `close()`.
   */
  readonly error: LogError | null;
  /**
   * Stops following the log; the messages stay readable and no listener is
   * called again. Resolves once no read of this store is running. The log
   * itself stays open. A second call returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * The newest `count` messages of `log` (a byte `Log`, or a `TypedLog` whose
 * messages come decoded), open for writing or readonly, as a store that
 * follows the log live: each publish, in this tab or any other, appends to
 * it and drops the oldest past `count`.
 * - `count` is an integer from 1 to 100,000; else, or if `log` is not a log,
 *   it throws `LogError` `InvalidArgument`.
 * - The newest are those the log holds when it starts: messages deleted,
 *   trimmed or compacted before then are not among them (it reads further
 *   back instead); those removed after it read them stay in its list.
 * - A log closed under it stops it (`error` is `Closed`); its messages stay.
 * - A log found shorter than where it reads (replaced by `importArchive`, or
 *   its storage cleared and a new log begun) is read again: the list becomes
 *   the newest of the new log.
 */
export function latestMessages(log: Log, count: number): LatestMessages<Message>;
export function latestMessages<K, V>(log: TypedLog<K, V>, count: number): LatestMessages<TypedMessage<K, V>>;
export function latestMessages(
  log: Log | TypedLog<unknown, unknown>,
  count: number,
): LatestMessages<Message | TypedMessage<unknown, unknown>> {
  const { log: read, raw } = readLogOf(log, 'latestMessages');
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > MAX_LATEST) {
    throw invalidArgument(`latestMessages takes a count from 1 to ${MAX_LATEST}, got ${String(count)}`);
  }
  return new Latest(read, raw, count);
}

type AnyMessage = Message | TypedMessage<unknown, unknown>;
type AnyBatch = Batch | TypedBatch<unknown, unknown>;

const NONE: readonly AnyMessage[] = Object.freeze([]);

class Latest implements LatestMessages<AnyMessage> {
  error: LogError | null = null;
  private messages = NONE;
  private readonly listeners = new Listeners<readonly AnyMessage[]>(() => this.messages);
  private readonly stop = new AbortController();
  private readonly running: Promise<void>;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly log: ReadLog,
    private readonly raw: Log,
    private readonly count: number,
  ) {
    this.running = this.follow(this.stop.signal);
  }

  getState(): readonly AnyMessage[] {
    return this.messages;
  }

  subscribe(listener: (messages: readonly AnyMessage[]) => void): () => void {
    return this.listeners.add(listener, this.closing !== null);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stop.abort();
      this.listeners.clear();
      await this.running;
    })();
    return this.closing;
  }

  private show(messages: readonly AnyMessage[]): void {
    this.messages = Object.freeze(messages.length > this.count ? messages.slice(-this.count) : messages);
    this.listeners.notify();
  }

  private async follow(signal: AbortSignal): Promise<void> {
    try {
      let next = await this.newest(signal);
      while (!signal.aborted) {
        let batch: AnyBatch;
        try {
          batch = await this.log.consumeBlocking(next, READ, { signal });
        } catch (err) {
          // Past the log's end: the log was replaced by a shorter one. Read its newest.
          if (!signal.aborted && err instanceof LogError && err.code === 'InvalidOffset') {
            next = await this.newest(signal);
            continue;
          }
          throw err;
        }
        if (signal.aborted) return;
        next = batch.nextOffset;
        if (batch.messages.length > 0) this.show([...this.messages, ...batch.messages]);
      }
    } catch (err) {
      if (signal.aborted) return;
      this.error =
        err instanceof LogError
          ? err
          : new LogError('Internal', `latestMessages: ${String((err as Error)?.message ?? err)}`, { cause: err });
      this.listeners.notify();
    }
  }

  /**
   * Shows the newest `count` messages below the log's next offset, reading
   * windows further back (each twice the last) while deleted messages leave
   * it short; resolves to that next offset, where following starts.
   */
  private async newest(signal: AbortSignal): Promise<number> {
    const next = await this.raw.nextOffset();
    const oldest = (await this.raw.consume(OffsetOldest, 1)).messages[0]?.offset ?? next;
    let found: AnyMessage[] = [];
    let end = next;
    let step = this.count;
    while (found.length < this.count && end > oldest && !signal.aborted) {
      const start = Math.max(oldest, end - step);
      found = [...(await this.range(start, end)), ...found];
      end = start;
      step *= 2;
    }
    if (!signal.aborted && (found.length > 0 || this.messages.length > 0)) this.show(found);
    return next;
  }

  /** The messages from `start` to before `end`. */
  private async range(start: number, end: number): Promise<AnyMessage[]> {
    const out: AnyMessage[] = [];
    let offset = start;
    while (offset < end) {
      const batch = await this.log.consume(offset, Math.min(READ, end - offset));
      for (const m of batch.messages) if (m.offset < end) out.push(m);
      if (batch.nextOffset <= offset) break;
      offset = batch.nextOffset;
    }
    return out;
  }
}
