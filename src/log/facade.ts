/**
 * The public `Log` over a `RawLog`: the engine in place, or a worker's engine
 * through Comlink. It checks every argument (so bad input never reaches the
 * engine or the worker boundary) and decodes the records reads return.
 */
import { LogError } from '../errors.ts';
import { decodeRecords, recordSize } from '../codec/record.ts';
import { indexEntrySize } from '../indexes/segment-index.ts';
import type { Batch, DeleteResult, Log, Message, NewMessage, Stats } from '../types.ts';
import type { RawBatch, RawLog } from './raw.ts';
import {
  checkKey, checkMaxCount, checkOffset, checkOffsets, normalizeDir, startToMicros, toRecordInputs,
  type ResolvedOptions,
} from './validate.ts';

function toBatch(raw: RawBatch): Batch {
  return { nextOffset: raw.nextOffset, messages: decodeRecords(raw.records) };
}

function single(records: Uint8Array): Message {
  return decodeRecords(records)[0];
}

export class LogFacade implements Log {
  private closed = false;

  constructor(
    private readonly raw: RawLog,
    private readonly options: ResolvedOptions,
    private readonly path: string,
    /** Runs after the engine closed (the client ends its worker here). */
    private readonly onClose: () => void = () => undefined,
  ) {}

  /** Runs `op` unless closed; a synchronous throw (bad input) becomes a rejection. */
  private async call<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LogError('Closed', `log ${this.path} is closed`);
    return op();
  }

  private needs(index: 'keyIndex' | 'timeIndex'): void {
    if (!this.options[index]) throw new LogError('NoIndex', `log ${this.path} was opened without ${index}`);
  }

  private writable(): void {
    if (this.options.readonly) throw new LogError('Readonly', `log ${this.path} is open readonly`);
  }

  publish(messages: NewMessage[]): Promise<number> {
    return this.call(() => {
      this.writable();
      return this.raw.publish(toRecordInputs(messages, Date.now()));
    });
  }

  nextOffset(): Promise<number> {
    return this.call(() => this.raw.nextOffset());
  }

  consume(offset: number, maxCount: number): Promise<Batch> {
    return this.call(async () => {
      const o = checkOffset(offset);
      return toBatch(await this.raw.consume(o, checkMaxCount(maxCount)));
    });
  }

  consumeByKey(key: Uint8Array, offset: number, maxCount: number): Promise<Batch> {
    return this.call(async () => {
      const k = checkKey(key);
      const o = checkOffset(offset);
      const n = checkMaxCount(maxCount);
      this.needs('keyIndex');
      return toBatch(await this.raw.consumeByKey(k, o, n));
    });
  }

  get(offset: number): Promise<Message> {
    return this.call(async () => single(await this.raw.get(checkOffset(offset))));
  }

  getByKey(key: Uint8Array): Promise<Message> {
    return this.call(async () => {
      const k = checkKey(key);
      this.needs('keyIndex');
      return single(await this.raw.getByKey(k));
    });
  }

  async offsetByKey(key: Uint8Array): Promise<number> {
    return (await this.getByKey(key)).offset;
  }

  getByTime(start: number | Date): Promise<Message> {
    return this.call(async () => {
      const us = startToMicros(start);
      this.needs('timeIndex');
      return single(await this.raw.getByTime(us));
    });
  }

  async offsetByTime(start: number | Date): Promise<{ offset: number; time: number }> {
    const m = await this.getByTime(start);
    return { offset: m.offset, time: m.time };
  }

  delete(offsets: Iterable<number>): Promise<DeleteResult> {
    return this.call(async () => {
      this.writable();
      const r = await this.raw.delete(checkOffsets(offsets));
      return { deletedOffsets: new Set(r.deletedOffsets), deletedSize: r.deletedSize };
    });
  }

  size(message: Message): number {
    if (typeof message !== 'object' || message === null) throw new LogError('InvalidArgument', 'size takes a message');
    const len = (v: unknown): number => (v instanceof Uint8Array ? v.length : 0);
    return recordSize(len(message.key), len(message.value)) + indexEntrySize(this.options);
  }

  stat(): Promise<Stats> {
    return this.call(() => this.raw.stat());
  }

  backup(dir: string): Promise<void> {
    return this.call(() => this.raw.backup(normalizeDir(dir)));
  }

  sync(): Promise<number> {
    return this.call(() => this.raw.sync());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.raw.close();
    } finally {
      this.onClose();
    }
  }
}
