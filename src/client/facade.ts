/**
 * The public `Log` over a `RawLog`: the engine in place, a worker's engine on
 * its port, or the owning tab's engine on the log's channel. It is the one
 * place that checks arguments (validate.ts), so bad input never reaches the
 * engine or crosses a boundary, and it decodes the records reads return.
 * Waiting reads (`consumeBlocking`, `tail`: tail.ts, wakeups.ts) and cursors
 * (cursor.ts) run here, on the client side: an AbortSignal cannot cross
 * to a worker, and only plain raw calls do.
 */
import { LogError } from '../errors.ts';
import { decodeRecords, encodeBatch, recordSize } from '../codec/record.ts';
import { indexEntrySize } from '../indexes/entry-size.ts';
import type {
  Batch,
  BlockingOptions,
  Cursor,
  DeleteResult,
  Log,
  LogSnapshot,
  Message,
  NewMessage,
  Stats,
  TailOptions,
} from '../types.ts';
import { Cursors } from './cursor.ts';
import { checkSignal, checkTailOptions, consumeBlocking, tail } from './tail.ts';
import { Wakeups } from './wakeups.ts';
import { broadcastChannels } from '../storage/channel.ts';
import type { Env, Locks } from '../storage/files.ts';
import { hasWebLocks, WebLocks } from '../storage/web-locks.ts';
import type { RawBatch, RawLog } from '../engine/raw.ts';
import { normalizeDir, type ResolvedOptions } from '../engine/options.ts';
import {
  checkKey,
  checkMaxCount,
  checkOffset,
  checkOffsets,
  checkSized,
  startToMicros,
  toRecordColumns,
} from './validate.ts';

/**
 * What a projection (src/projection) needs of the log it folds besides its
 * methods: where the log lives, and the IndexedDB and Web Locks of the
 * context it was opened in (memory ones in Node tests). Hidden behind a
 * symbol: it is not part of `Log`.
 */
export const LOG_SURROUNDINGS = Symbol('opfs-log surroundings');

export interface LogSurroundings {
  /** The log's normalized dir. */
  dir: string;
  idb: IDBFactory | undefined;
  /** Absent where the context has no Web Locks. */
  locks: Locks | undefined;
}

function toBatch(raw: RawBatch): Batch {
  return { nextOffset: raw.nextOffset, messages: decodeRecords(raw.records) };
}

/** The one message a point read (`get`, `getByKey`, `getByTime`) answers with: the engine finds one or rejects. */
function onlyMessage(records: Uint8Array): Message {
  return decodeRecords(records)[0]!;
}

/**
 * What the client side brings besides the engine's calls: its IndexedDB (for
 * cursors) and notice channels, the page's own where absent, and how a
 * publish batch is handed over.
 */
export interface ClientSide extends Partial<Pick<Env, 'idb' | 'channels' | 'locks'>> {
  /**
   * Hands a publish batch to the engine. A worker's client moves the buffer
   * rather than cloning it (it is the facade's own, made for that call); in
   * place it is passed as it is.
   */
  sendBatch?: (records: Uint8Array) => Uint8Array;
  /** Whether the engine runs here now (a shared writer's changes); else: unless readonly. */
  owns?: () => boolean;
}

export class LogFacade implements Log {
  private closed = false;
  private readonly sendBatch: (records: Uint8Array) => Uint8Array;
  private readonly owns: () => boolean;
  /** Wakes `consumeBlocking` and `tail` (wakeups.ts). */
  private readonly wakeups: Wakeups;
  private readonly cursors: Cursors;

  constructor(
    private readonly raw: RawLog,
    private readonly options: ResolvedOptions,
    private readonly path: string,
    /**
     * Runs after the engine closed (the client ends its worker and lets its
     * locks go here); `close()` resolves once it has, so that the log can be
     * opened again at once.
     */
    private readonly onClose: () => void | Promise<void> = () => undefined,
    client: ClientSide = {},
  ) {
    this.wakeups = new Wakeups(path, client.channels ?? broadcastChannels());
    const idb = () => client.idb ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    this.cursors = new Cursors(path, idb, this, () => this.closed);
    this.sendBatch = client.sendBatch ?? ((records) => records);
    this.owns = client.owns ?? (() => !options.readonly);
    this.surroundings = { dir: path, idb: idb(), locks: client.locks ?? (hasWebLocks() ? new WebLocks() : undefined) };
  }

  private readonly surroundings: LogSurroundings;

  [LOG_SURROUNDINGS](): LogSurroundings {
    return this.surroundings;
  }

  isOwner(): boolean {
    return !this.closed && this.owns();
  }

  /** Runs `op` unless closed; a synchronous throw (bad input) becomes a rejection. */
  private async whileOpen<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LogError('Closed', `log ${this.path} is closed`);
    return op();
  }

  /** Throws `NoIndex` unless the log keeps `index`. */
  private requireIndex(index: 'keyIndex' | 'timeIndex'): void {
    if (!this.options[index]) throw new LogError('NoIndex', `log ${this.path} was opened without ${index}`);
  }

  /** Throws `Readonly` if the log is open readonly. */
  private refuseIfReadonly(): void {
    if (this.options.readonly) throw new LogError('Readonly', `log ${this.path} is open readonly`);
  }

  publish(messages: NewMessage[]): Promise<number> {
    return this.whileOpen(async () => {
      this.refuseIfReadonly();
      const next = await this.raw.publish(this.sendBatch(encodeBatch(toRecordColumns(messages, Date.now()))));
      this.wakeups.published(next);
      return next;
    });
  }

  nextOffset(): Promise<number> {
    return this.whileOpen(() => this.raw.nextOffset());
  }

  consume(offset: number, maxCount: number): Promise<Batch> {
    return this.whileOpen(async () => {
      const o = checkOffset(offset);
      return toBatch(await this.raw.consume(o, checkMaxCount(maxCount)));
    });
  }

  consumeByKey(key: Uint8Array, offset: number, maxCount: number): Promise<Batch> {
    return this.whileOpen(async () => {
      // klevdb asks for the index before anything else: without it, no argument matters.
      this.requireIndex('keyIndex');
      const k = checkKey(key);
      const o = checkOffset(offset);
      const n = checkMaxCount(maxCount);
      return toBatch(await this.raw.consumeByKey(k, o, n));
    });
  }

  get(offset: number): Promise<Message> {
    return this.whileOpen(async () => onlyMessage(await this.raw.get(checkOffset(offset))));
  }

  getByKey(key: Uint8Array): Promise<Message> {
    return this.whileOpen(async () => {
      this.requireIndex('keyIndex'); // as in consumeByKey: the index before the argument, as klevdb does
      return onlyMessage(await this.raw.getByKey(checkKey(key)));
    });
  }

  async offsetByKey(key: Uint8Array): Promise<number> {
    return (await this.getByKey(key)).offset;
  }

  getByTime(start: number | Date): Promise<Message> {
    return this.whileOpen(async () => {
      this.requireIndex('timeIndex');
      return onlyMessage(await this.raw.getByTime(startToMicros(start)));
    });
  }

  async offsetByTime(start: number | Date): Promise<{ offset: number; time: number }> {
    const m = await this.getByTime(start);
    return { offset: m.offset, time: m.time };
  }

  delete(offsets: Iterable<number>): Promise<DeleteResult> {
    return this.whileOpen(async () => {
      this.refuseIfReadonly();
      const r = await this.raw.delete(checkOffsets(offsets));
      return { deletedOffsets: new Set(r.deletedOffsets), deletedSize: r.deletedSize };
    });
  }

  size(message: Message): number {
    const { key, value } = checkSized(message);
    return recordSize(key.length, value.length) + indexEntrySize(this.options);
  }

  stat(): Promise<Stats> {
    return this.whileOpen(() => this.raw.stat());
  }

  backup(dir: string): Promise<void> {
    return this.whileOpen(() => this.raw.backup(normalizeDir(dir)));
  }

  snapshot(): Promise<LogSnapshot> {
    return this.whileOpen(async () => {
      const raw = this.raw;
      const { id, ...pinned } = await raw.pinSnapshot();
      // Reads go straight to the engine, which knows whether the log closed meanwhile.
      return {
        ...pinned,
        read: (segment, start, end) => raw.readSnapshot(id, segment, start, end),
        readIndex: (segment, from, to) => raw.readSnapshotIndex(id, segment, from, to),
        release: async () => {
          try {
            await raw.releaseSnapshot(id);
          } catch {
            // The log closed (its worker ended): nothing is pinned any more.
          }
        },
      };
    });
  }

  sync(): Promise<number> {
    return this.whileOpen(() => this.raw.sync());
  }

  consumeBlocking(offset: number, maxCount: number, options?: BlockingOptions): Promise<Batch> {
    return this.whileOpen(() => {
      const signal = checkSignal(options, 'consumeBlocking');
      return consumeBlocking(this, this.wakeups, checkOffset(offset), checkMaxCount(maxCount), signal);
    });
  }

  tail(offset: number, options?: TailOptions): AsyncIterableIterator<Batch> {
    if (this.closed) throw new LogError('Closed', `log ${this.path} is closed`);
    const { maxCount, signal } = checkTailOptions(options);
    return tail(this, this.wakeups, checkOffset(offset), maxCount, signal);
  }

  cursor(name: string): Cursor {
    return this.cursors.cursor(name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeups.close();
    this.cursors.close();
    try {
      await this.raw.close();
    } finally {
      await this.onClose();
    }
  }
}
