/**
 * Wake-ups for the waiting reads of one open log (`consumeBlocking`, `tail`).
 * A publish through this log wakes its own waiters at once; publishes through
 * any other open log of the same dir (another tab, worker, or a second `open`
 * in this page) arrive as notices on the log's channel (storage/channel.ts).
 * Nothing polls: an idle waiter is a pending promise and nothing else.
 */
import { LogError } from '../errors.ts';
import type { LogChannel, OpenChannel } from '../storage/channel.ts';

/**
 * One waiting call's subscription. It exists before the call first looks at
 * the log, so a publish between that look and the wait is never missed.
 */
export interface Watch {
  /**
   * Resolves when a publish has made the next offset greater than `offset`:
   * at once if one was noticed since the previous `until` (or since the watch
   * began), else with the next such notice. Rejects with the abort signal's
   * reason once it is aborted, and with `Closed` once the log is closed.
   */
  until(offset: number): Promise<void>;
  /** Settles like `promise`, unless the watch is interrupted (abort, close) first. */
  race<T>(promise: Promise<T>): Promise<T>;
  /** Ends the subscription; call it when the waiting call settles. */
  stop(): void;
}

interface Waiter {
  offset: number;
  resolve: () => void;
}

class LogWatch implements Watch {
  /** The highest next offset noticed since the last `until`, or -Infinity. */
  private latest = -Infinity;
  private waiter: Waiter | null = null;
  private readonly interrupted: Promise<never>;
  private interrupt!: (reason: unknown) => void;
  private readonly onAbort: () => void;

  constructor(
    private readonly owner: Wakeups,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.interrupted = new Promise<never>((_, reject) => (this.interrupt = reject));
    this.interrupted.catch(() => undefined); // observed through until/race only
    this.onAbort = () => this.interrupt(signal!.reason);
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  noticed(next: number): void {
    if (this.waiter && next > this.waiter.offset) {
      this.waiter.resolve();
      this.waiter = null;
    } else if (!this.waiter) {
      this.latest = Math.max(this.latest, next);
    }
  }

  closed(path: string): void {
    this.interrupt(new LogError('Closed', `log ${path} is closed`));
  }

  until(offset: number): Promise<void> {
    const seen = this.latest;
    this.latest = -Infinity;
    if (seen > offset) return this.race(Promise.resolve());
    return this.race(new Promise<void>((resolve) => (this.waiter = { offset, resolve })));
  }

  race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.interrupted]);
  }

  stop(): void {
    this.waiter = null;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.owner.forget(this);
  }
}

export class Wakeups {
  private channel: LogChannel | null = null;
  private readonly watches = new Set<LogWatch>();
  /** The next offset to post to the other logs at the end of this tick, if any. */
  private unposted: number | null = null;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly openChannel: OpenChannel,
  ) {}

  /** The channel, opened on first use: a log that never publishes or waits never opens one. */
  private connect(): LogChannel {
    if (!this.channel) {
      this.channel = this.openChannel(this.path);
      this.channel.listen((notice) => this.notice(notice.next));
    }
    return this.channel;
  }

  private notice(next: number): void {
    for (const watch of this.watches) watch.noticed(next);
  }

  /**
   * This log published up to `next`: its own waiters wake now; the other
   * logs of the dir get one notice per tick however many publishes resolved in it.
   */
  published(next: number): void {
    if (this.closed) return;
    this.notice(next);
    const scheduled = this.unposted !== null;
    this.unposted = Math.max(this.unposted ?? next, next);
    if (!scheduled) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    if (this.unposted === null) return;
    const next = this.unposted;
    this.unposted = null;
    this.connect().post({ next });
  }

  /** Subscribes a waiting call; see `Watch`. */
  watch(signal?: AbortSignal): Watch {
    const watch = new LogWatch(this, signal);
    if (this.closed) watch.closed(this.path);
    else {
      this.connect();
      this.watches.add(watch);
    }
    return watch;
  }

  forget(watch: LogWatch): void {
    this.watches.delete(watch);
  }

  /** The log closed: posts what is still unposted, rejects every waiter with `Closed`, closes the channel. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const watch of this.watches) watch.closed(this.path);
    this.watches.clear();
    this.channel?.close();
    this.channel = null;
  }
}
