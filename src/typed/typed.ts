/**
 * Typed logs: the `Log` API over keys and values of your types, encoded by
 * codecs (typed/codecs.ts), like klevdb's `TLog`. A thin layer over the
 * public `Log`: every call encodes its arguments, calls the log and decodes
 * what comes back. A null key or value is the log's null (absent; a null
 * value is a tombstone); anything else goes through the codec.
 */
import { invalidArgument, LogError } from '../errors.ts';
import type { BlockingOptions, Cursor, DeleteResult, Log, Message, NewMessage, Stats, TailOptions } from '../types.ts';
import { bytes, type Codec, isCodec } from './codecs.ts';
import { checkLog, TYPED_LOG } from '../client/validate.ts';

/** A stored message with typed key and value. */
export interface TypedMessage<K, V> {
  offset: number;
  /** Milliseconds since the Unix epoch. */
  time: number;
  /** Null: the message has no key. */
  key: K | null;
  /** Null: the message has no value (a tombstone). */
  value: V | null;
}

/** A typed message to publish. */
export interface NewTypedMessage<K, V> {
  key?: K | null;
  value?: V | null;
  /** Milliseconds since the Unix epoch; absent or 0 means the time of publish. */
  time?: number;
}

export interface TypedBatch<K, V> {
  nextOffset: number;
  messages: TypedMessage<K, V>[];
}

/**
 * The `Log` API over typed keys and values; each method behaves as the `Log`
 * method of the same name (see `Log`), plus: a key or value the codec cannot
 * encode rejects `InvalidArgument` (nothing of the batch is written); bytes
 * in the log the codec cannot decode reject `Corrupted`, naming the offset
 * (`Unsupported` where the codec says so: a `versioned` value of a version
 * newer than the code knows).
 */
export interface TypedLog<K, V> {
  /** The byte log underneath (for `trimByCount`, `compact` and the like). */
  readonly raw: Log;
  publish(messages: NewTypedMessage<K, V>[]): Promise<number>;
  nextOffset(): Promise<number>;
  consume(offset: number, maxCount: number): Promise<TypedBatch<K, V>>;
  consumeByKey(key: K, offset: number, maxCount: number): Promise<TypedBatch<K, V>>;
  consumeBlocking(offset: number, maxCount: number, options?: BlockingOptions): Promise<TypedBatch<K, V>>;
  tail(offset: number, options?: TailOptions): AsyncIterableIterator<TypedBatch<K, V>>;
  get(offset: number): Promise<TypedMessage<K, V>>;
  getByKey(key: K): Promise<TypedMessage<K, V>>;
  offsetByKey(key: K): Promise<number>;
  getByTime(start: number | Date): Promise<TypedMessage<K, V>>;
  offsetByTime(start: number | Date): Promise<{ offset: number; time: number }>;
  delete(offsets: Iterable<number>): Promise<DeleteResult>;
  /** Bytes the message occupies on disk once encoded. */
  size(message: TypedMessage<K, V> | NewTypedMessage<K, V>): number;
  stat(): Promise<Stats>;
  cursor(name: string): Cursor;
  backup(dir: string): Promise<void>;
  sync(): Promise<number>;
  close(): Promise<void>;
}

/** The codecs of `typed`; a codec left out is `bytes()`. */
export interface Codecs<K, V> {
  key?: Codec<K>;
  value?: Codec<V>;
}

class TypedLogImpl<K, V> implements TypedLog<K, V> {
  readonly [TYPED_LOG] = true;

  constructor(
    readonly raw: Log,
    private readonly keys: Codec<K>,
    private readonly values: Codec<V>,
  ) {}

  private encode<T>(codec: Codec<T>, value: T | null | undefined, what: string): Uint8Array | null {
    if (value === null || value === undefined) return null;
    let out: unknown;
    try {
      out = codec.encode(value);
    } catch (err) {
      if (err instanceof LogError) throw err;
      throw new LogError('InvalidArgument', `${what} does not encode: ${(err as Error)?.message ?? String(err)}`, {
        cause: err,
      });
    }
    if (!(out instanceof Uint8Array)) throw invalidArgument(`${what}: the codec's encode must return a Uint8Array`);
    return out;
  }

  private decode<T>(codec: Codec<T>, data: Uint8Array | null, what: string, offset: number): T | null {
    if (data === null) return null;
    try {
      return codec.decode(data);
    } catch (err) {
      // A value of a shape this code does not know yet (versioned.ts) is not damage: its code stays.
      const code = err instanceof LogError && err.code === 'Unsupported' ? 'Unsupported' : 'Corrupted';
      throw new LogError(
        code,
        `the ${what} at offset ${offset} does not decode: ${(err as Error)?.message ?? String(err)}`,
        { cause: err },
      );
    }
  }

  private toMessage = (m: Message): TypedMessage<K, V> => ({
    offset: m.offset,
    time: m.time,
    key: this.decode(this.keys, m.key, 'key', m.offset),
    value: this.decode(this.values, m.value, 'value', m.offset),
  });

  private toBatch = (b: { nextOffset: number; messages: Message[] }): TypedBatch<K, V> => ({
    nextOffset: b.nextOffset,
    messages: b.messages.map(this.toMessage),
  });

  private toNew(m: NewTypedMessage<K, V>, i: number): NewMessage {
    if (typeof m !== 'object' || m === null) throw invalidArgument(`message ${i} must be an object`);
    return {
      key: this.encode(this.keys, m.key, `message ${i}: key`),
      value: this.encode(this.values, m.value, `message ${i}: value`),
      time: m.time,
    };
  }

  private keyBytes(key: K): Uint8Array {
    const out = this.encode(this.keys, key, 'key');
    if (out === null) throw invalidArgument('key must not be null');
    return out;
  }

  /** Runs `op` with a synchronous throw (bad input) turned into a rejection. */
  private async call<T>(op: () => Promise<T>): Promise<T> {
    return op();
  }

  publish(messages: NewTypedMessage<K, V>[]): Promise<number> {
    return this.call(() => {
      if (!Array.isArray(messages)) throw invalidArgument('publish takes an array of messages');
      return this.raw.publish(messages.map((m, i) => this.toNew(m, i)));
    });
  }

  nextOffset(): Promise<number> {
    return this.raw.nextOffset();
  }

  async consume(offset: number, maxCount: number): Promise<TypedBatch<K, V>> {
    return this.toBatch(await this.raw.consume(offset, maxCount));
  }

  consumeByKey(key: K, offset: number, maxCount: number): Promise<TypedBatch<K, V>> {
    return this.call(async () => this.toBatch(await this.raw.consumeByKey(this.keyBytes(key), offset, maxCount)));
  }

  async consumeBlocking(offset: number, maxCount: number, options?: BlockingOptions): Promise<TypedBatch<K, V>> {
    return this.toBatch(await this.raw.consumeBlocking(offset, maxCount, options));
  }

  tail(offset: number, options?: TailOptions): AsyncIterableIterator<TypedBatch<K, V>> {
    const batches = this.raw.tail(offset, options);
    const toBatch = this.toBatch;
    async function* typedBatches(): AsyncGenerator<TypedBatch<K, V>, void, undefined> {
      for await (const batch of batches) yield toBatch(batch);
    }
    return typedBatches();
  }

  async get(offset: number): Promise<TypedMessage<K, V>> {
    return this.toMessage(await this.raw.get(offset));
  }

  getByKey(key: K): Promise<TypedMessage<K, V>> {
    return this.call(async () => this.toMessage(await this.raw.getByKey(this.keyBytes(key))));
  }

  offsetByKey(key: K): Promise<number> {
    return this.call(() => this.raw.offsetByKey(this.keyBytes(key)));
  }

  async getByTime(start: number | Date): Promise<TypedMessage<K, V>> {
    return this.toMessage(await this.raw.getByTime(start));
  }

  offsetByTime(start: number | Date): Promise<{ offset: number; time: number }> {
    return this.raw.offsetByTime(start);
  }

  delete(offsets: Iterable<number>): Promise<DeleteResult> {
    return this.raw.delete(offsets);
  }

  size(message: TypedMessage<K, V> | NewTypedMessage<K, V>): number {
    const m = this.toNew(message, 0);
    return this.raw.size({ offset: 0, time: 0, key: m.key ?? null, value: m.value ?? null });
  }

  stat(): Promise<Stats> {
    return this.raw.stat();
  }

  cursor(name: string): Cursor {
    return this.raw.cursor(name);
  }

  backup(dir: string): Promise<void> {
    return this.raw.backup(dir);
  }

  sync(): Promise<number> {
    return this.raw.sync();
  }

  close(): Promise<void> {
    return this.raw.close();
  }
}

/**
 * `log` with typed keys and values. The types follow from the codecs:
 * `typed(log, { key: string(), value: json<Event>() })` is a
 * `TypedLog<string, Event>`; a codec left out is `bytes()` (`Uint8Array`).
 * Throws `InvalidArgument` if `log` is not a Log (a `TypedLog` is not: pass
 * its `raw`) or a codec lacks encode/decode.
 */
export function typed<K = Uint8Array, V = Uint8Array>(log: Log, codecs: Codecs<K, V> = {}): TypedLog<K, V> {
  checkLog(log, 'typed');
  if (typeof codecs !== 'object' || codecs === null)
    throw invalidArgument('typed takes { key?: codec, value?: codec }');
  for (const which of ['key', 'value'] as const) {
    if (codecs[which] !== undefined && !isCodec(codecs[which]))
      throw invalidArgument(`the ${which} codec must have encode and decode`);
  }
  return new TypedLogImpl<K, V>(
    log,
    codecs.key ?? (bytes() as Codec<unknown> as Codec<K>),
    codecs.value ?? (bytes() as Codec<unknown> as Codec<V>),
  );
}
