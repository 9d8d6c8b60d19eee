/**
 * Fixtures shared by the contract cases (the `*-cases.ts` files beside this
 * one): expected messages, checks of what a read returns, and loops that
 * consume or delete until done while checking every answer on the way.
 */
import type { Log, Message, NewMessage, Options, Batch } from '../../src/types.ts';
import { OffsetOldest } from '../../src/types.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { deepEqual, equal, fail, near, ok, rejectsWith, show } from './assert.ts';
import type { ContractContext } from './registry.ts';
import { CONTRACT_SHAPE, generator, T0 } from './gen.ts';

export { T0 };
/** Small enough that a few generated messages fill a segment. */
export const SMALL_ROLLOVER = 300;
export const INDEXED: Options = { keyIndex: true, timeIndex: true };
export const MiB = 1024 * 1024;
/** How far a publish-time stamp may stray from the Date.now() taken around the publish. */
export const CLOCK_SLACK_MS = 10;
/** Times are stored to the microsecond. */
export const TIME_EPSILON = 0.001;

const encoder = new TextEncoder();

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The key of generated message `i`. */
export function keyOf(i: number): Uint8Array {
  return bytes(CONTRACT_SHAPE.key(i));
}

/** `count` messages with distinct keys `key-<i>`, values `value-<i>-xxx…` and times one second apart from `T0`, numbered from `from`. */
export const gen = generator(CONTRACT_SHAPE);

/** Deterministic pseudo-random bytes (mulberry32), so failures reproduce. */
export function randomBytes(length: number, seed: number): Uint8Array {
  let state = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/** Makes an ill-typed value pass the type checker, to test runtime validation. */
export function bad<T>(value: unknown): T {
  return value as T;
}

/** What a published message reads back as, at `offset`. A missing message (an index past a case's list) fails the case. */
export function stored(message: NewMessage | undefined, offset: number): Message {
  ok(message !== undefined, `stored: no message for offset ${offset} (an index past the case's list)`);
  const key = message.key && message.key.length > 0 ? message.key : null;
  const value = message.value && message.value.length > 0 ? message.value : null;
  return { offset, time: message.time ?? 0, key, value };
}

function isBytes(value: unknown): value is Uint8Array {
  return Object.prototype.toString.call(value) === '[object Uint8Array]' || value instanceof Uint8Array;
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Checks a read-back message against the expected one; a time of 0 in
 * `expected` is not checked. An expected message that is missing (an index
 * past the end of a case's own list) fails the case, as a wrong one does.
 */
export function expectMessage(actual: Message | null | undefined, expected: Message | undefined, what: string): void {
  ok(expected !== undefined, `${what}: the case expects no message here (an index past its list)`);
  ok(typeof actual === 'object' && actual !== null, `${what}: expected a message, got ${show(actual)}`);
  equal(actual.offset, expected.offset, `${what}: offset`);
  ok(
    typeof actual.time === 'number' && Number.isFinite(actual.time),
    `${what}: time is a finite number, got ${show(actual.time)}`,
  );
  if (expected.time !== 0) near(actual.time, expected.time, TIME_EPSILON, `${what} (offset ${expected.offset}): time`);
  for (const field of ['key', 'value'] as const) {
    const got = actual[field];
    const want = expected[field];
    if (want === null) {
      equal(got, null, `${what} (offset ${expected.offset}): ${field} should be null`);
    } else {
      ok(isBytes(got), `${what} (offset ${expected.offset}): ${field} should be a Uint8Array, got ${show(got)}`);
      deepEqual(new Uint8Array(got), new Uint8Array(want), `${what} (offset ${expected.offset}): ${field}`);
    }
  }
}

export function expectMessages(actual: Message[], expected: (Message | undefined)[], what: string): void {
  ok(Array.isArray(actual), `${what}: expected an array of messages, got ${show(actual)}`);
  const got = actual.map((m) => m?.offset);
  const want = expected.map((m) => m?.offset);
  deepEqual(got, want, `${what}: offsets`);
  expected.forEach((m, i) => {
    expectMessage(actual[i], m, what);
  });
}

export function expectBatch(batch: Batch, nextOffset: number, expected: Message[], what: string): void {
  ok(typeof batch === 'object' && batch !== null, `${what}: expected a batch, got ${show(batch)}`);
  equal(batch.nextOffset, nextOffset, `${what}: nextOffset`);
  expectMessages(batch.messages, expected, `${what}: messages`);
}

/** Runs `fn` with the log `opening` resolves to, and closes it whatever happens. */
export async function withLog<T>(opening: Promise<Log>, fn: (log: Log) => Promise<T>): Promise<T> {
  const log = await opening;
  let result: T;
  try {
    result = await fn(log);
  } catch (err) {
    await log.close().catch(() => undefined);
    throw err;
  }
  await log.close();
  return result;
}

/** Opens a fresh log (with `createDirs`) and runs `fn` with it and its dir. */
export async function withFresh(
  ctx: ContractContext,
  options: Options,
  fn: (log: Log, dir: string) => Promise<void>,
): Promise<string> {
  const dir = ctx.dir();
  await withLog(ctx.open(dir, { ...options, createDirs: true }), (log) => fn(log, dir));
  return dir;
}

/** Creates a log at a fresh dir holding `messages`, closes it and returns the dir and expectations. */
export async function seed(
  ctx: ContractContext,
  options: Options,
  messages: NewMessage[],
  batchSize = 1,
): Promise<{ dir: string; expected: Message[] }> {
  let expected: Message[] = [];
  const dir = await withFresh(ctx, options, async (log) => {
    expected = await publishAll(log, messages, batchSize);
  });
  return { dir, expected };
}

/** Publishes `messages` in batches of `batchSize`, checking each returned next offset. */
export async function publishAll(log: Log, messages: NewMessage[], batchSize = messages.length): Promise<Message[]> {
  const start = await log.nextOffset();
  const expected: Message[] = [];
  for (let begin = 0; begin < messages.length; begin += Math.max(1, batchSize)) {
    const batch = messages.slice(begin, begin + Math.max(1, batchSize));
    const next = await log.publish(batch);
    equal(next, start + begin + batch.length, `publish of messages ${begin}..${begin + batch.length - 1} resolves to`);
    batch.forEach((m, i) => {
      expected.push(stored(m, start + begin + i));
    });
  }
  return expected;
}

interface Consumed {
  messages: Message[];
  nextOffset: number;
  calls: number;
}

/**
 * Consumes (by key, if given) from `from` until caught up, checking on every
 * call what `Log.consume` promises: at most `max` messages, in increasing offset
 * order, none before the asked offset nor at/after `nextOffset`, and progress
 * unless caught up. At the end, the offset reached equals `nextOffset()`.
 */
export async function consumeAll(
  log: Log,
  options: { from?: number; max?: number; key?: Uint8Array } = {},
): Promise<Consumed> {
  const max = options.max ?? 1000;
  const key = options.key;
  let offset = options.from ?? OffsetOldest;
  const messages: Message[] = [];
  let calls = 0;
  for (;;) {
    calls++;
    if (calls > 100_000) fail(`consume loop made no progress from offset ${offset}`);
    const what = `${key === undefined ? 'consume' : 'consumeByKey'}(${offset}, ${max}) call ${calls}`;
    const batch = key === undefined ? await log.consume(offset, max) : await log.consumeByKey(key, offset, max);
    ok(typeof batch === 'object' && batch !== null, `${what}: expected a batch, got ${show(batch)}`);
    ok(Number.isInteger(batch.nextOffset), `${what}: nextOffset is an integer, got ${show(batch.nextOffset)}`);
    ok(Array.isArray(batch.messages), `${what}: messages is an array, got ${show(batch.messages)}`);
    ok(batch.messages.length <= max, `${what}: returned ${batch.messages.length} messages, more than ${max}`);
    const low = Math.max(offset, 0);
    ok(batch.nextOffset >= low, `${what}: nextOffset ${batch.nextOffset} is before the asked offset`);
    let previous = messages.at(-1)?.offset ?? -1;
    for (const m of batch.messages) {
      ok(m.offset >= low, `${what}: message ${m.offset} is before the asked offset`);
      ok(m.offset > previous, `${what}: message ${m.offset} is not after ${previous}`);
      ok(m.offset < batch.nextOffset, `${what}: message ${m.offset} is not before nextOffset ${batch.nextOffset}`);
      if (key !== undefined) {
        ok(sameBytes(m.key, key), `${what}: message ${m.offset} has key ${show(m.key)}, not ${show(key)}`);
      }
      previous = m.offset;
    }
    messages.push(...batch.messages);
    const caughtUp = batch.nextOffset === offset;
    if (caughtUp) {
      equal(batch.messages.length, 0, `${what}: messages when nextOffset == offset`);
      break;
    }
    offset = batch.nextOffset;
  }
  const next = await log.nextOffset();
  equal(offset, next, 'consuming stopped (nextOffset == offset) before the log next offset');
  return { messages, nextOffset: offset, calls };
}

/** The first message `consume` yields from `from` (skipping empty answers), or null if caught up. */
export async function firstFrom(log: Log, from: number): Promise<Message | null> {
  let offset = from;
  for (let calls = 0; calls < 100_000; calls++) {
    const batch = await log.consume(offset, 1);
    const [first] = batch.messages;
    if (first) return first;
    if (batch.nextOffset === offset) return null;
    ok(batch.nextOffset > offset || offset < 0, `consume(${offset}, 1) went backwards to ${batch.nextOffset}`);
    offset = batch.nextOffset;
  }
  return fail(`consume from ${from} made no progress`);
}

/** Sizes of the messages at `offsets` (read with `get`), for checking `deletedSize`. */
export async function sizesOf(log: Log, offsets: Iterable<number>): Promise<Map<number, number>> {
  const sizes = new Map<number, number>();
  for (const offset of offsets) sizes.set(offset, log.size(await log.get(offset)));
  return sizes;
}

/**
 * Deletes every offset in `offsets` (which must all exist), calling `delete`
 * as often as needed; checks each answer is a subset of what was asked, makes
 * progress, and (when `sizes` is given) that `deletedSize` sums their sizes.
 */
export async function deleteAll(
  log: Log,
  offsets: Iterable<number>,
  sizes?: Map<number, number>,
): Promise<{ deleted: Set<number>; size: number; calls: number }> {
  const remaining = new Set(offsets);
  const deleted = new Set<number>();
  let size = 0;
  let calls = 0;
  while (remaining.size > 0) {
    calls++;
    if (calls > 10_000) fail('delete loop did not finish');
    const result = await log.delete(new Set(remaining));
    ok(result.deletedOffsets instanceof Set, `delete: deletedOffsets is a Set, got ${show(result.deletedOffsets)}`);
    ok(typeof result.deletedSize === 'number', `delete: deletedSize is a number, got ${show(result.deletedSize)}`);
    ok(result.deletedOffsets.size > 0, `delete call ${calls} deleted nothing although ${show(remaining)} remain`);
    let expectedSize = 0;
    for (const offset of result.deletedOffsets) {
      ok(remaining.has(offset), `delete reported offset ${offset}, which was not asked for (or already deleted)`);
      remaining.delete(offset);
      deleted.add(offset);
      expectedSize += sizes?.get(offset) ?? 0;
    }
    if (sizes)
      equal(
        result.deletedSize,
        expectedSize,
        `delete call ${calls}: deletedSize (sum of size() of ${show(result.deletedOffsets)})`,
      );
    size += result.deletedSize;
  }
  return { deleted, size, calls };
}

/** Calls `ctx.open` and checks it rejects `code`; a log it opens anyway is closed again. */
export async function openRejects(
  ctx: ContractContext,
  dir: unknown,
  options: unknown,
  code: ErrorCode,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  let opening: Promise<Log>;
  try {
    opening = ctx.open(bad<string>(dir), bad<Options>(options));
  } catch (err) {
    fail(`${what}: open threw synchronously instead of rejecting ${code}: ${show(err)}`);
  }
  opening.then(
    (log) => log.close().catch(() => undefined),
    () => undefined,
  );
  await rejectsWith(() => opening, code, what, timeoutMs);
}

export async function expectNextOffset(log: Log, expected: number, what: string): Promise<void> {
  equal(await log.nextOffset(), expected, `${what}: nextOffset()`);
}

export function* offsetsFrom(list: number[]): Generator<number> {
  yield* list;
}
