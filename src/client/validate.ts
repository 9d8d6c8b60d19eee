/**
 * Checks of everything a caller passes in, at the edge: the facade (and the
 * functions over a `Log`) run them before anything is touched or crosses to
 * the engine, which takes its arguments as given. Bad input is rejected with
 * a LogError ('InvalidArgument' or 'InvalidOffset').
 */
import { invalidArgument, LogError } from '../errors.ts';
import { MAX_BATCH_SIZE, MAX_PAYLOAD_SIZE, recordSize, type RecordColumns } from '../codec/record.ts';
import { OffsetNewest, OffsetOldest, type Log, type Message, type NewMessage } from '../types.ts';
import { TYPED_LOG_KEY } from '../namespace.ts';

const EMPTY = new Uint8Array(0);
/** Latest time that still fits 2^53 microseconds. */
const MAX_TIME_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array || Object.prototype.toString.call(v) === '[object Uint8Array]';
}

/** `v` as bytes, or null if it is neither bytes nor absent. */
function bytesOrEmpty(v: unknown): Uint8Array | null {
  if (v === undefined || v === null) return EMPTY;
  return isBytes(v) ? v : null;
}

/**
 * A message's key and value as bytes (absent: empty). The error names
 * message `i` of a publish, or the argument of `size`; its text is built only
 * then, as publish checks every message.
 */
function keyAndValue(key: unknown, value: unknown, i: number | 'size'): [Uint8Array, Uint8Array] {
  const k = bytesOrEmpty(key);
  const v = bytesOrEmpty(value);
  if (k === null || v === null) {
    const what = i === 'size' ? 'size' : `message ${i}`;
    throw invalidArgument(`${what}: ${k === null ? 'key' : 'value'} must be a Uint8Array or null`);
  }
  return [k, v];
}

function validTime(t: unknown): t is number {
  return typeof t === 'number' && Number.isFinite(t) && t >= 0 && t <= MAX_TIME_MS;
}

export function checkTime(t: unknown, what: string): number {
  if (t instanceof Date) t = t.getTime();
  if (!validTime(t)) {
    throw invalidArgument(`${what} must be a non-negative number of milliseconds since the epoch, got ${String(t)}`);
  }
  return t;
}

/**
 * Validates a publish batch and turns it into columns for `encodeBatch`;
 * throws before anything is written. This runs for every message published,
 * so it builds no object or string per message unless one is wrong.
 */
export function toRecordColumns(messages: unknown, nowMs: number): RecordColumns {
  if (!Array.isArray(messages)) throw invalidArgument('publish takes an array of messages');
  const n = messages.length;
  const keys = new Array<Uint8Array>(n);
  const values = new Array<Uint8Array>(n);
  const timesUs = new Float64Array(n);
  const nowUs = Math.round(nowMs * 1000);
  let total = 0;
  for (let i = 0; i < n; i++) {
    // An index, not for-of: holes (`new Array(3)`) are seen as undefined, and refused.
    const m: unknown = messages[i];
    if (typeof m !== 'object' || m === null) throw invalidArgument(`message ${i} must be an object`);
    const { key, value, time } = m as NewMessage;
    const [k, v] = keyAndValue(key, value, i);
    if (k.length + v.length > MAX_PAYLOAD_SIZE) {
      throw invalidArgument(`message ${i}: key + value is ${k.length + v.length} bytes, over the 64 MiB limit`);
    }
    const ms =
      time === undefined || time === 0 ? undefined : validTime(time) ? time : checkTime(time, `message ${i}: time`);
    keys[i] = k;
    values[i] = v;
    timesUs[i] = ms === undefined ? nowUs : Math.round(ms * 1000);
    total += recordSize(k.length, v.length);
  }
  if (total > MAX_BATCH_SIZE) {
    throw invalidArgument(`a publish batch of ${total} bytes is over the ${MAX_BATCH_SIZE} byte limit; split it`);
  }
  return { keys, values, timesUs };
}

/** An offset argument: an integer ≥ 0 or one of the two sentinels. */
export function checkOffset(offset: unknown): number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) {
    throw invalidArgument(`offset must be an integer, got ${String(offset)}`);
  }
  if (offset < 0 && offset !== OffsetOldest && offset !== OffsetNewest) {
    throw new LogError('InvalidOffset', `offset ${offset} is negative and not OffsetOldest or OffsetNewest`);
  }
  return offset;
}

export function checkMaxCount(maxCount: unknown): number {
  if (typeof maxCount !== 'number' || !Number.isSafeInteger(maxCount) || maxCount < 1) {
    throw invalidArgument(`maxCount must be an integer ≥ 1, got ${String(maxCount)}`);
  }
  return maxCount;
}

export function checkKey(key: unknown): Uint8Array {
  if (!isBytes(key)) throw invalidArgument('key must be a Uint8Array');
  return key;
}

/**
 * A point in time to search or cut at (a time-index start, a trim or
 * compaction bound): any finite number of ms since the epoch, or a valid Date.
 */
export function checkInstant(value: unknown, what: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw invalidArgument(
      `${what} must be a number of milliseconds since the epoch or a valid Date, got ${String(value)}`,
    );
  }
  return ms;
}

/**
 * A time-index start in microseconds, rounded as publish rounds. One before
 * every message finds the first.
 */
export function startToMicros(start: unknown): number {
  return Math.round(checkInstant(start, 'start') * 1000);
}

/** The offsets argument of delete: an iterable of numbers. */
export function checkOffsets(offsets: unknown): number[] {
  if (
    offsets === null ||
    offsets === undefined ||
    typeof (offsets as Iterable<unknown>)[Symbol.iterator] !== 'function' ||
    typeof offsets === 'string'
  ) {
    throw invalidArgument('delete takes an iterable of offsets');
  }
  const out: number[] = [];
  for (const o of offsets as Iterable<unknown>) {
    if (typeof o !== 'number' || Number.isNaN(o)) throw invalidArgument(`offsets must be numbers, got ${String(o)}`);
    out.push(o);
  }
  return out;
}

/** The methods every function over a `Log` may call. */
const LOG_METHODS = ['publish', 'nextOffset', 'consume', 'get', 'delete', 'stat', 'size'] as const;

/** Marks a `TypedLog` (typed/typed.ts): its messages are not bytes, so functions over a `Log` refuse it. */
export const TYPED_LOG = Symbol.for(TYPED_LOG_KEY);

/**
 * The `log` argument of a function over a `Log` (trims, compaction, …): any
 * object with the `Log` methods, not a `TypedLog` (pass its `raw`).
 */
export function checkLog<T extends Partial<Log>>(log: unknown, what: string): T {
  if (typeof log !== 'object' || log === null)
    throw invalidArgument(`${what} takes a Log, got ${log === null ? 'null' : typeof log}`);
  if ((log as { [TYPED_LOG]?: unknown })[TYPED_LOG] === true) {
    throw invalidArgument(`${what} takes the byte Log: pass the typed log's raw`);
  }
  const missing = LOG_METHODS.filter((m) => typeof (log as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw invalidArgument(`${what} takes a Log; this has no ${missing.join(', ')}`);
  return log as T;
}

/** The message argument of `size`: an object whose key and value are bytes or absent. */
export function checkSized(message: unknown): { key: Uint8Array; value: Uint8Array } {
  if (typeof message !== 'object' || message === null) throw invalidArgument('size takes a message');
  const { key, value } = message as Partial<Message>;
  const [k, v] = keyAndValue(key, value, 'size');
  return { key: k, value: v };
}
