/**
 * The contract suite: every edge case of the public API (src/types.ts) as one named case, written
 * against the public `Log` only, so the same cases run against every backend
 * (the in-memory engine under vitest in Node, OPFS through the worker in
 * Chromium). No test framework is imported here: a case is an async function
 * that throws on failure (see `./assert.ts`).
 *
 * Each case opens fresh dirs from `ctx.dir()`, with `createDirs: true`, and
 * closes every log it opens, so the writer lock is released for the next one.
 */
import type { Log, Message, NewMessage, Options, Batch } from '../../src/types.ts';
import { OffsetNewest, OffsetOldest, OffsetInvalid } from '../../src/types.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { deepEqual, equal, fail, near, ok, rejectsWith, show, withTimeout } from './assert.ts';

export interface ContractContext {
  /** Opens (or reopens) a log at `dir`; each backend supplies it. */
  open(dir: string, options?: Options): Promise<Log>;
  /** A fresh unique dir name for this case, e.g. `contract/<case>-<random>`. */
  dir(): string;
}

export interface ContractCase {
  name: string;
  run(ctx: ContractContext): Promise<void>;
}

export const contractCases: ContractCase[] = [];

function contract(name: string, run: (ctx: ContractContext) => Promise<void>): void {
  if (contractCases.some((c) => c.name === name)) throw new Error(`duplicate contract case name: ${name}`);
  contractCases.push({ name, run });
}

// ---------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------

/** 2023-01-01T00:00:00Z; generated messages are one second apart from here. */
const T0 = Date.UTC(2023, 0, 1);
/** Small enough that a few generated messages fill a segment. */
const SMALL_ROLLOVER = 300;
const INDEXED: Options = { keyIndex: true, timeIndex: true };
const MiB = 1024 * 1024;
/** How far a publish-time stamp may stray from the Date.now() taken around the publish. */
const CLOCK_SLACK_MS = 10;
/** Times are stored to the microsecond. */
const TIME_EPSILON = 0.001;

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function keyOf(i: number): Uint8Array {
  return bytes(`key-${String(i).padStart(4, '0')}`);
}

/** `count` messages with distinct keys, values and times (one second apart), numbered from `from`. */
function gen(count: number, from = 0): NewMessage[] {
  return Array.from({ length: count }, (_, n) => {
    const i = from + n;
    return { key: keyOf(i), value: bytes(`value-${i}-${'x'.repeat(16)}`), time: T0 + i * 1000 };
  });
}

/** Deterministic pseudo-random bytes (mulberry32), so failures reproduce. */
function randomBytes(length: number, seed: number): Uint8Array {
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
function bad<T>(value: unknown): T {
  return value as T;
}

/** What a published message reads back as, at `offset`. */
function stored(message: NewMessage, offset: number): Message {
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

/** Checks a read-back message against the expected one; a time of 0 in `expected` is not checked. */
function expectMessage(actual: Message, expected: Message, what: string): void {
  ok(typeof actual === 'object' && actual !== null, `${what}: expected a message, got ${show(actual)}`);
  equal(actual.offset, expected.offset, `${what}: offset`);
  ok(typeof actual.time === 'number' && Number.isFinite(actual.time), `${what}: time is a finite number, got ${show(actual.time)}`);
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

function expectMessages(actual: Message[], expected: Message[], what: string): void {
  ok(Array.isArray(actual), `${what}: expected an array of messages, got ${show(actual)}`);
  const got = actual.map((m) => m?.offset);
  const want = expected.map((m) => m.offset);
  deepEqual(got, want, `${what}: offsets`);
  expected.forEach((m, i) => expectMessage(actual[i], m, what));
}

function expectBatch(batch: Batch, nextOffset: number, expected: Message[], what: string): void {
  ok(typeof batch === 'object' && batch !== null, `${what}: expected a batch, got ${show(batch)}`);
  equal(batch.nextOffset, nextOffset, `${what}: nextOffset`);
  expectMessages(batch.messages, expected, `${what}: messages`);
}

/** Runs `fn` with the log `opening` resolves to, and closes it whatever happens. */
async function withLog<T>(opening: Promise<Log>, fn: (log: Log) => Promise<T>): Promise<T> {
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
async function withFresh(
  ctx: ContractContext,
  options: Options,
  fn: (log: Log, dir: string) => Promise<void>,
): Promise<string> {
  const dir = ctx.dir();
  await withLog(ctx.open(dir, { ...options, createDirs: true }), (log) => fn(log, dir));
  return dir;
}

/** Creates a log at a fresh dir holding `messages`, closes it and returns the dir and expectations. */
async function seed(
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
async function publishAll(log: Log, messages: NewMessage[], batchSize = messages.length): Promise<Message[]> {
  const start = await log.nextOffset();
  const expected: Message[] = [];
  for (let begin = 0; begin < messages.length; begin += Math.max(1, batchSize)) {
    const batch = messages.slice(begin, begin + Math.max(1, batchSize));
    const next = await log.publish(batch);
    equal(next, start + begin + batch.length, `publish of messages ${begin}..${begin + batch.length - 1} resolves to`);
    batch.forEach((m, i) => expected.push(stored(m, start + begin + i)));
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
async function consumeAll(
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
    const low = offset >= 0 ? offset : 0;
    ok(batch.nextOffset >= low, `${what}: nextOffset ${batch.nextOffset} is before the asked offset`);
    let previous = messages.length > 0 ? messages[messages.length - 1].offset : -1;
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
async function firstFrom(log: Log, from: number): Promise<Message | null> {
  let offset = from;
  for (let calls = 0; calls < 100_000; calls++) {
    const batch = await log.consume(offset, 1);
    if (batch.messages.length > 0) return batch.messages[0];
    if (batch.nextOffset === offset) return null;
    ok(batch.nextOffset > offset || offset < 0, `consume(${offset}, 1) went backwards to ${batch.nextOffset}`);
    offset = batch.nextOffset;
  }
  return fail(`consume from ${from} made no progress`);
}

/** Sizes of the messages at `offsets` (read with `get`), for checking `deletedSize`. */
async function sizesOf(log: Log, offsets: Iterable<number>): Promise<Map<number, number>> {
  const sizes = new Map<number, number>();
  for (const offset of offsets) sizes.set(offset, log.size(await log.get(offset)));
  return sizes;
}

/**
 * Deletes every offset in `offsets` (which must all exist), calling `delete`
 * as often as needed; checks each answer is a subset of what was asked, makes
 * progress, and (when `sizes` is given) that `deletedSize` sums their sizes.
 */
async function deleteAll(
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
    if (sizes) equal(result.deletedSize, expectedSize, `delete call ${calls}: deletedSize (sum of size() of ${show(result.deletedOffsets)})`);
    size += result.deletedSize;
  }
  return { deleted, size, calls };
}

/** Calls `ctx.open` and checks it rejects `code`; a log it opens anyway is closed again. */
async function openRejects(
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
  opening.then((log) => log.close().catch(() => undefined), () => undefined);
  await rejectsWith(() => opening, code, what, timeoutMs);
}

async function expectNextOffset(log: Log, expected: number, what: string): Promise<void> {
  equal(await log.nextOffset(), expected, `${what}: nextOffset()`);
}

function* offsetsFrom(list: number[]): Generator<number> {
  yield* list;
}

// ---------------------------------------------------------------------------
// open
// ---------------------------------------------------------------------------

contract('open: a new log is empty', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await expectNextOffset(log, 0, 'new log');
    expectBatch(await log.consume(OffsetOldest, 10), 0, [], 'consume(OffsetOldest) of a new log');
    equal((await log.stat()).messages, 0, 'stat().messages of a new log');
  });
});

contract('open: a missing dir without createDirs rejects NotFound', async (ctx) => {
  const dir = ctx.dir();
  await openRejects(ctx, dir, undefined, 'NotFound', `open("${dir}") of a missing dir`);
  await openRejects(ctx, dir, { keyIndex: true, timeIndex: true }, 'NotFound', 'open of a missing dir with indexes');
  // The parent exists, the leaf does not.
  await withLog(ctx.open(`${dir}/a`, { createDirs: true }), async () => undefined);
  await openRejects(ctx, `${dir}/b`, {}, 'NotFound', 'open of a missing leaf under an existing dir');
  await openRejects(ctx, `${dir}/b`, { createDirs: false }, 'NotFound', 'open with createDirs: false');
  // createDirs creates it.
  await withLog(ctx.open(`${dir}/b`, { createDirs: true }), (log) => expectNextOffset(log, 0, 'created log'));
});

contract('open: leading and trailing slashes are ignored', async (ctx) => {
  const dir = ctx.dir();
  let expected: Message[] = [];
  await withLog(ctx.open(`/${dir}/`, { createDirs: true }), async (log) => {
    expected = await publishAll(log, gen(2));
  });
  for (const spelling of [dir, `${dir}/`, `/${dir}`, `/${dir}/`]) {
    await withLog(ctx.open(spelling), async (log) => {
      await expectNextOffset(log, 2, `open("${spelling}")`);
      expectMessages((await consumeAll(log)).messages, expected, `open("${spelling}") messages`);
    });
  }
});

contract('open: a ".." segment rejects InvalidArgument', async (ctx) => {
  const dir = ctx.dir();
  for (const spelling of ['..', `${dir}/..`, `${dir}/../x`, `../${dir}`, `/../${dir}`]) {
    await openRejects(ctx, spelling, { createDirs: true }, 'InvalidArgument', `open("${spelling}")`);
  }
});

contract('open: an empty segment rejects InvalidArgument', async (ctx) => {
  const dir = ctx.dir();
  for (const spelling of [`${dir}//x`, `${dir}/x//y`, `a//b`]) {
    await openRejects(ctx, spelling, { createDirs: true }, 'InvalidArgument', `open("${spelling}")`);
  }
});

contract('open: a NUL in dir rejects InvalidArgument', async (ctx) => {
  const dir = ctx.dir();
  for (const spelling of [`${dir}\0x`, `${dir}/a\u0000`, `\0`]) {
    await openRejects(ctx, spelling, { createDirs: true }, 'InvalidArgument', `open(${JSON.stringify(spelling)})`);
  }
});

contract('open: a dir that is not a string rejects InvalidArgument', async (ctx) => {
  for (const dir of [42, null, undefined, {}, ['a', 'b'], new String('a')]) {
    await openRejects(ctx, dir, { createDirs: true }, 'InvalidArgument', `open(${show(dir)})`);
  }
});

contract('open: names with dots that are not ".." are ordinary names', async (ctx) => {
  const dir = `${ctx.dir()}/v1..2/.hidden/x..`;
  await withLog(ctx.open(dir, { createDirs: true }), (log) => publishAll(log, gen(1)));
  await withLog(ctx.open(dir), (log) => expectNextOffset(log, 1, `reopen of "${dir}"`));
});

contract('open: an invalid rollover rejects InvalidArgument', async (ctx) => {
  const { dir } = await seed(ctx, {}, gen(1));
  for (const rollover of [-1, -1000, Number.NaN, '1000', true, {}]) {
    await openRejects(ctx, dir, { rollover }, 'InvalidArgument', `open with rollover ${show(rollover)}`);
  }
  // A fresh dir too: the option is checked before anything is created.
  await openRejects(ctx, ctx.dir(), { createDirs: true, rollover: -5 }, 'InvalidArgument', 'open of a fresh dir with rollover -5');
  // The log is unharmed and opens with a valid rollover.
  await withLog(ctx.open(dir, { rollover: 500 }), (log) => expectNextOffset(log, 1, 'open with rollover 500'));
});

contract('open: a non-boolean flag rejects InvalidArgument', async (ctx) => {
  const { dir } = await seed(ctx, {}, gen(1));
  for (const flag of ['createDirs', 'readonly', 'keyIndex', 'timeIndex', 'autoSync', 'check']) {
    for (const value of ['yes', 1, {}]) {
      await openRejects(ctx, dir, { [flag]: value }, 'InvalidArgument', `open with ${flag}: ${show(value)}`);
    }
  }
  await withLog(ctx.open(dir, { keyIndex: false, timeIndex: false, check: false }), (log) =>
    expectNextOffset(log, 1, 'open with false flags'),
  );
});

// ---------------------------------------------------------------------------
// publish
// ---------------------------------------------------------------------------

contract('publish: resolves to the next offset; offsets are dense from 0', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const messages = gen(6);
    equal(await log.publish(messages.slice(0, 1)), 1, 'publish of 1 message into an empty log');
    equal(await log.publish(messages.slice(1, 4)), 4, 'publish of 3 more');
    equal(await log.publish(messages.slice(4, 6)), 6, 'publish of 2 more');
    await expectNextOffset(log, 6, 'after 6 messages');
    const expected = messages.map((m, i) => stored(m, i));
    for (const m of expected) expectMessage(await log.get(m.offset), m, `get(${m.offset})`);
    expectMessages((await consumeAll(log)).messages, expected, 'consume all');
  });
});

contract('publish: an empty batch resolves to the current next offset', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    equal(await log.publish([]), 0, 'publish([]) on an empty log');
    await expectNextOffset(log, 0, 'after publish([])');
    await publishAll(log, gen(3));
    equal(await log.publish([]), 3, 'publish([]) after 3 messages');
    await expectNextOffset(log, 3, 'after a second publish([])');
    equal((await log.stat()).messages, 3, 'stat().messages');
  });
});

contract('publish: offsets in the input are ignored', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const withOffsets: (NewMessage & { offset: number })[] = [
      { offset: 42, value: bytes('a'), time: T0 },
      { offset: 7, value: bytes('b'), time: T0 },
      { offset: -1, value: bytes('c'), time: T0 },
    ];
    equal(await log.publish(withOffsets), 3, 'publish resolves to');
    for (let i = 0; i < 3; i++) expectMessage(await log.get(i), stored(withOffsets[i], i), `get(${i})`);
    await rejectsWith(() => log.get(42), 'InvalidOffset', 'get(42): offset 42 was never assigned');
  });
});

contract('publish: fields other than key, value and time are ignored, even ones a worker cannot receive', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const odd = { value: bytes('a'), time: T0, note: () => 'a function', sym: Symbol('s') } as NewMessage;
    equal(await log.publish([odd]), 1, 'publish resolves to');
    expectMessage(await log.get(0), { offset: 0, time: T0, key: null, value: bytes('a') }, 'get(0)');
  });
});

contract('publish: messages read back can be published again', async (ctx) => {
  await withFresh(ctx, {}, async (source) => {
    await publishAll(source, [{ key: bytes('k'), value: bytes('v'), time: T0 + 0.5 }, { value: bytes('only value'), time: T0 + 7 }]);
    const read = (await consumeAll(source)).messages;
    await withFresh(ctx, {}, async (target) => {
      await publishAll(target, gen(5));
      equal(await target.publish(read), 7, 'publishing read-back messages resolves to');
      expectMessage(await target.get(5), { ...read[0], offset: 5 }, 'republished message 0');
      expectMessage(await target.get(6), { ...read[1], offset: 6 }, 'republished message 1');
    });
  });
});

contract('publish: a zero-length key or value reads back as null', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const empty = new Uint8Array(0);
    const messages: NewMessage[] = [
      { key: empty, value: empty, time: T0 },
      { key: empty, value: bytes('v'), time: T0 },
      { key: bytes('k'), value: empty, time: T0 },
      { key: new Uint8Array(new ArrayBuffer(8), 8, 0), value: new Uint8Array(new ArrayBuffer(4), 2, 0), time: T0 },
    ];
    const expected = await publishAll(log, messages);
    for (const m of expected) expectMessage(await log.get(m.offset), m, `get(${m.offset})`);
    expectMessages((await consumeAll(log)).messages, expected, 'consume');
  });
});

contract('publish: an absent or null key or value reads back as null', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const messages: NewMessage[] = [{}, { key: null, value: null }, { key: undefined, value: undefined }, { value: bytes('v') }, { key: bytes('k') }];
    const expected = await publishAll(log, messages);
    for (const m of expected) expectMessage(await log.get(m.offset), m, `get(${m.offset})`);
  });
});

contract('publish: keys and values round-trip byte for byte', async (ctx) => {
  await withFresh(ctx, { rollover: 4096 }, async (log) => {
    const backing = randomBytes(64, 7);
    const messages: NewMessage[] = [
      { key: new Uint8Array([0]), value: new Uint8Array([255]) },
      { key: new Uint8Array([0, 0, 0]), value: new Uint8Array([0, 0]) },
      { key: randomBytes(255, 1), value: randomBytes(256, 2) },
      { key: randomBytes(1000, 3), value: randomBytes(65536, 4) },
      // Views into a larger buffer: only the viewed bytes are stored.
      { key: backing.subarray(3, 10), value: backing.subarray(20, 50) },
      { key: bytes('ключ 🔑'), value: bytes('значение') },
    ].map((m, i) => ({ ...m, time: T0 + i }));
    const expected = await publishAll(log, messages, 2);
    for (const m of expected) expectMessage(await log.get(m.offset), m, `get(${m.offset})`);
    expectMessages((await consumeAll(log, { max: 2 })).messages, expected, 'consume');
  });
});

contract('publish: an absent or 0 time is the time of publish', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const before = Date.now();
    await log.publish([{ value: bytes('absent') }, { value: bytes('zero'), time: 0 }, { value: bytes('undefined'), time: undefined }]);
    const after = Date.now();
    for (let offset = 0; offset < 3; offset++) {
      const { time } = await log.get(offset);
      ok(
        typeof time === 'number' && time >= before - CLOCK_SLACK_MS && time <= after + CLOCK_SLACK_MS,
        `get(${offset}).time = ${show(time)} should be the time of publish, between ${before} and ${after} (± ${CLOCK_SLACK_MS} ms)`,
      );
    }
  });
});

contract('publish: an explicit time is kept to the microsecond', async (ctx) => {
  const times = [1700000000123.456, 1, T0, 1700000000000.999, 4102444800000.001, 1700000000123.457];
  const messages = times.map((time, i) => ({ value: bytes(`t${i}`), time }));
  const { dir, expected } = await seed(ctx, {}, messages);
  const check = async (log: Log, when: string) => {
    for (const m of expected) {
      const got = await log.get(m.offset);
      near(got.time, m.time, TIME_EPSILON, `${when}: get(${m.offset}).time`);
    }
  };
  await withLog(ctx.open(dir), (log) => check(log, 'after reopen'));
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, messages);
    await check(log, 'before close');
  });
});

contract('publish: a key and value over 64 MiB reject InvalidArgument and nothing of the batch is written', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, gen(1));
    const big = new Uint8Array(64 * MiB);
    const one = new Uint8Array([1]);
    await rejectsWith(
      () => log.publish([...gen(1, 1), { key: one, value: big }]),
      'InvalidArgument',
      'publish of [valid, 1 B key + 64 MiB value]',
    );
    await expectNextOffset(log, 1, 'after the rejected batch');
    await rejectsWith(() => log.publish([{ key: big, value: one }]), 'InvalidArgument', 'publish of a 64 MiB key + 1 B value');
    await expectNextOffset(log, 1, 'after the second rejected batch');
    equal((await log.stat()).messages, 1, 'stat().messages after the rejected batches');
    expectMessages((await consumeAll(log)).messages, [stored(gen(1)[0], 0)], 'consume after the rejected batches');
    equal(await log.publish(gen(1, 1)), 2, 'the log is still usable');
  });
});

contract('publish: a batch that is not an array rejects InvalidArgument', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    for (const batch of [null, undefined, {}, 'abc', 42, { value: bytes('v') }]) {
      await rejectsWith(() => log.publish(bad<NewMessage[]>(batch)), 'InvalidArgument', `publish(${show(batch)})`);
    }
    await expectNextOffset(log, 0, 'after the rejected batches');
  });
});

contract('publish: a message that is not an object rejects InvalidArgument and nothing is written', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    for (const message of [null, 5, 'message', true]) {
      await rejectsWith(
        () => log.publish(bad<NewMessage[]>([gen(1)[0], message])),
        'InvalidArgument',
        `publish([valid, ${show(message)}])`,
      );
      await expectNextOffset(log, 0, `after publish([valid, ${show(message)}])`);
    }
    equal(await log.publish(gen(1)), 1, 'the log is still usable');
  });
});

contract('publish: a key or value of the wrong type rejects InvalidArgument and nothing is written', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, gen(2));
    const wrong: object[] = [
      { key: 'abc' },
      { value: 42 },
      { key: [1, 2, 3] },
      { value: { length: 1, 0: 1 } },
      { value: true },
      { key: 12n },
    ];
    for (const fields of wrong) {
      await rejectsWith(
        () => log.publish(bad<NewMessage[]>([gen(1, 2)[0], { time: T0, ...fields }])),
        'InvalidArgument',
        `publish([valid, ${show(fields)}])`,
      );
      await expectNextOffset(log, 2, `after publish([valid, ${show(fields)}])`);
    }
    equal((await log.stat()).messages, 2, 'stat().messages');
    equal(await log.publish(gen(1, 2)), 3, 'the log is still usable');
  });
});

contract('publish: an invalid time rejects InvalidArgument and nothing is written', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, gen(2));
    for (const time of [Number.NaN, -1, -0.5, '123', Infinity, -Infinity, {}]) {
      await rejectsWith(
        () => log.publish(bad<NewMessage[]>([gen(1, 2)[0], { value: bytes('v'), time }])),
        'InvalidArgument',
        `publish([valid, {time: ${show(time)}}])`,
      );
      await expectNextOffset(log, 2, `after publish([valid, {time: ${show(time)}}])`);
    }
    equal(await log.publish(gen(1, 2)), 3, 'the log is still usable');
  });
});

contract('publish: concurrent publishes get distinct, dense offsets', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const messages = gen(12);
    const results = await Promise.all(messages.map((m) => log.publish([m])));
    deepEqual([...results].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1), 'resolved next offsets');
    for (let i = 0; i < messages.length; i++) {
      expectMessage(await log.get(results[i] - 1), stored(messages[i], results[i] - 1), `message of publish ${i}`);
    }
    await expectNextOffset(log, 12, 'after the concurrent publishes');
  });
});

contract('publish: a message larger than the rollover is accepted', async (ctx) => {
  const messages = [0, 1, 2].map((i) => ({ key: keyOf(i), value: randomBytes(2000, i), time: T0 + i }));
  const { dir, expected } = await seed(ctx, { rollover: 200 }, messages);
  await withLog(ctx.open(dir, { rollover: 200 }), async (log) => {
    expectMessages((await consumeAll(log)).messages, expected, 'consume after reopen');
    equal((await log.stat()).messages, 3, 'stat().messages');
  });
});

// ---------------------------------------------------------------------------
// consume
// ---------------------------------------------------------------------------

contract('consume: maxCount below 1 or not an integer rejects InvalidArgument', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    for (const max of [0, -1, 1.5, Number.NaN]) {
      await rejectsWith(() => log.consume(OffsetOldest, max), 'InvalidArgument', `consume(OffsetOldest, ${max}) of an empty log`);
    }
    await publishAll(log, gen(3));
    for (const max of [0, -1, -100, 0.5, 1.5, Number.NaN, bad<number>('3')]) {
      await rejectsWith(() => log.consume(0, max), 'InvalidArgument', `consume(0, ${show(max)})`);
    }
  });
});

contract('consume: OffsetOldest on an empty log gives {0, []}', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    expectBatch(await log.consume(OffsetOldest, 10), 0, [], 'consume(OffsetOldest, 10)');
    expectBatch(await log.consume(OffsetOldest, 1), 0, [], 'consume(OffsetOldest, 1)');
  });
});

contract('consume: OffsetNewest gives the next offset and no messages', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    expectBatch(await log.consume(OffsetNewest, 10), 0, [], 'consume(OffsetNewest) of an empty log');
    await publishAll(log, gen(3));
    expectBatch(await log.consume(OffsetNewest, 10), 3, [], 'consume(OffsetNewest) after 3 messages');
  });
});

contract('consume: the next offset gives itself and no messages', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    expectBatch(await log.consume(0, 10), 0, [], 'consume(0) of an empty log');
    await publishAll(log, gen(10), 3);
    expectBatch(await log.consume(10, 10), 10, [], 'consume(10) with next 10');
    expectBatch(await log.consume(10, 1), 10, [], 'consume(10, 1) with next 10');
  });
});

contract('consume: an offset after the next rejects InvalidOffset', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await rejectsWith(() => log.consume(1, 10), 'InvalidOffset', 'consume(1) of an empty log');
    await publishAll(log, gen(3));
    for (const offset of [4, 5, 1000, 2 ** 40]) {
      await rejectsWith(() => log.consume(offset, 10), 'InvalidOffset', `consume(${offset}) with next 3`);
    }
  });
});

contract('consume: a negative offset other than the sentinels rejects InvalidOffset', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    for (const offset of [OffsetInvalid, -4, -10]) {
      await rejectsWith(() => log.consume(offset, 10), 'InvalidOffset', `consume(${offset}) of an empty log`);
    }
    await publishAll(log, gen(3));
    for (const offset of [OffsetInvalid, -4, -10, -1000]) {
      await rejectsWith(() => log.consume(offset, 10), 'InvalidOffset', `consume(${offset})`);
    }
  });
});

contract('consume: returns up to maxCount messages in order from the offset', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const expected = await publishAll(log, gen(10), 4);
    const cases: [number, number][] = [[0, 3], [OffsetOldest, 1], [4, 100], [9, 5], [2, 1], [OffsetOldest, 1000]];
    for (const [offset, max] of cases) {
      const what = `consume(${offset}, ${max})`;
      const batch = await log.consume(offset, max);
      const start = offset === OffsetOldest ? 0 : offset;
      ok(batch.messages.length >= 1, `${what}: returned no messages from a one-segment log with messages`);
      ok(batch.messages.length <= max, `${what}: returned ${batch.messages.length} messages, more than ${max}`);
      const count = batch.messages.length;
      expectBatch(batch, start + count, expected.slice(start, start + count), what);
    }
  });
});

contract('consume: following nextOffset over many segments yields every message once, in order', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(100), 7);
    ok((await log.stat()).segments > 1, 'the log has more than one segment');
    for (const max of [1000, 7]) {
      const all = await consumeAll(log, { max });
      expectMessages(all.messages, expected, `consume all with maxCount ${max}`);
      equal(all.nextOffset, 100, `consume all with maxCount ${max}: final nextOffset`);
    }
    expectMessages((await consumeAll(log, { from: 37, max: 5 })).messages, expected.slice(37), 'consume from 37');
    expectMessages((await consumeAll(log, { from: 70, max: 1 })).messages, expected.slice(70), 'consume from 70, one at a time');
  });
});

contract('consume: a deleted offset starts at the next available one', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const expected = await publishAll(log, gen(8));
    await deleteAll(log, [3, 4, 6]);
    for (const [offset, next] of [[3, 5], [4, 5], [6, 7]]) {
      const first = await firstFrom(log, offset);
      ok(first !== null, `consume(${offset}) found nothing`);
      expectMessage(first, expected[next], `first message consumed from deleted offset ${offset}`);
    }
    const all = await consumeAll(log, { from: 3, max: 10 });
    expectMessages(all.messages, [expected[5], expected[7]], 'consume from 3');
  });
});

contract('consume: an offset before the oldest available starts at the oldest', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(20), 4);
    await deleteAll(log, [0, 1, 2, 3, 4, 5, 6]);
    for (const from of [0, 1, 6, OffsetOldest]) {
      const first = await firstFrom(log, from);
      ok(first !== null, `consume(${from}) found nothing`);
      expectMessage(first, expected[7], `first message consumed from ${from}`);
      expectMessages((await consumeAll(log, { from, max: 3 })).messages, expected.slice(7), `consume all from ${from}`);
    }
  });
});

contract('consume: with every message deleted it reaches the next offset with none', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    await publishAll(log, gen(12), 3);
    await deleteAll(log, Array.from({ length: 12 }, (_, i) => i));
    for (const from of [OffsetOldest, 0, 5, 11]) {
      const all = await consumeAll(log, { from, max: 10 });
      equal(all.messages.length, 0, `consume from ${from}: messages`);
      equal(all.nextOffset, 12, `consume from ${from}: final offset`);
    }
    expectBatch(await log.consume(OffsetNewest, 10), 12, [], 'consume(OffsetNewest)');
    equal(await log.publish(gen(1, 12)), 13, 'publish after deleting everything');
    expectMessages((await consumeAll(log)).messages, [stored(gen(1, 12)[0], 12)], 'consume after publishing again');
  });
});

// ---------------------------------------------------------------------------
// consumeByKey
// ---------------------------------------------------------------------------

contract('consumeByKey: rejects NoIndex without keyIndex', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    await rejectsWith(() => log.consumeByKey(bytes('k'), OffsetOldest, 10), 'NoIndex', 'consumeByKey on an empty log');
    await publishAll(log, [{ key: bytes('k'), value: bytes('v') }]);
    await rejectsWith(() => log.consumeByKey(bytes('k'), OffsetOldest, 10), 'NoIndex', 'consumeByKey(OffsetOldest)');
    await rejectsWith(() => log.consumeByKey(bytes('k'), 0, 10), 'NoIndex', 'consumeByKey(0)');
  });
});

contract('consumeByKey: without keyIndex rejects NoIndex before looking at the offset or maxCount', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    const key = bytes('k');
    // klevdb checks the index first: with next 0, offset 999999 would otherwise be InvalidOffset.
    await rejectsWith(() => log.consumeByKey(key, 999999, 1), 'NoIndex', 'consumeByKey(999999) of an empty log');
    for (const offset of [OffsetInvalid, -10]) {
      await rejectsWith(() => log.consumeByKey(key, offset, 1), 'NoIndex', `consumeByKey(${offset})`);
    }
    for (const max of [0, -1, 1.5]) {
      await rejectsWith(() => log.consumeByKey(key, 999999, max), 'NoIndex', `consumeByKey(999999, ${max})`);
    }
    await publishAll(log, gen(3));
    await rejectsWith(() => log.consumeByKey(key, 4, 10), 'NoIndex', 'consumeByKey(4) with next 3');
    await rejectsWith(() => log.consumeByKey(key, OffsetNewest, 10), 'NoIndex', 'consumeByKey(OffsetNewest)');
  });
});

contract('consumeByKey: returns only messages whose key is exactly the key', async (ctx) => {
  await withFresh(ctx, { keyIndex: true, rollover: SMALL_ROLLOVER }, async (log) => {
    const keys = [[1], [1, 0], [1, 0, 0], [0, 1], [], [1], [2], [1, 0], [0], [1]];
    const messages = keys.map((k, i) => ({ key: new Uint8Array(k), value: bytes(`v${i}`), time: T0 + i }));
    const expected = await publishAll(log, messages, 3);
    for (const key of [[1], [1, 0], [1, 0, 0], [0, 1], [0], [2]]) {
      const want = expected.filter((_, i) => keys[i].join() === key.join() && keys[i].length === key.length);
      for (const max of [10, 1]) {
        const got = await consumeAll(log, { key: new Uint8Array(key), max });
        expectMessages(got.messages, want, `consumeByKey([${key}]) with maxCount ${max}`);
      }
    }
    const none = await consumeAll(log, { key: new Uint8Array([1, 0, 0, 0]) });
    equal(none.messages.length, 0, 'consumeByKey([1,0,0,0]) messages');
  });
});

contract('consumeByKey: pages through many segments with maxCount', async (ctx) => {
  await withFresh(ctx, { keyIndex: true, rollover: SMALL_ROLLOVER }, async (log) => {
    const keys = [bytes('alpha'), bytes('beta'), bytes('gamma')];
    const messages = Array.from({ length: 60 }, (_, i) => ({ key: keys[i % 3], value: bytes(`value-${i}`), time: T0 + i }));
    const expected = await publishAll(log, messages, 5);
    ok((await log.stat()).segments > 1, 'the log has more than one segment');
    for (const [k, key] of keys.entries()) {
      const want = expected.filter((_, i) => i % 3 === k);
      for (const max of k === 0 ? [1, 2, 7, 1000] : [2, 1000]) {
        expectMessages((await consumeAll(log, { key, max })).messages, want, `consumeByKey(key ${k}) with maxCount ${max}`);
      }
    }
  });
});

contract('consumeByKey: offsets behave as in consume', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    const key = bytes('k');
    expectBatch(await log.consumeByKey(key, OffsetOldest, 10), 0, [], 'consumeByKey(OffsetOldest) of an empty log');
    expectBatch(await log.consumeByKey(key, OffsetNewest, 10), 0, [], 'consumeByKey(OffsetNewest) of an empty log');
    expectBatch(await log.consumeByKey(key, 0, 10), 0, [], 'consumeByKey(0) of an empty log');
    await rejectsWith(() => log.consumeByKey(key, 1, 10), 'InvalidOffset', 'consumeByKey(1) of an empty log');
    await publishAll(log, [{ key }, { key: bytes('other') }, { key }]);
    expectBatch(await log.consumeByKey(key, OffsetNewest, 10), 3, [], 'consumeByKey(OffsetNewest)');
    expectBatch(await log.consumeByKey(key, 3, 10), 3, [], 'consumeByKey(next)');
    for (const offset of [4, 100]) {
      await rejectsWith(() => log.consumeByKey(key, offset, 10), 'InvalidOffset', `consumeByKey(${offset}) with next 3`);
    }
    for (const offset of [OffsetInvalid, -4, -10]) {
      await rejectsWith(() => log.consumeByKey(key, offset, 10), 'InvalidOffset', `consumeByKey(${offset})`);
    }
    for (const max of [0, -1, 1.5, Number.NaN]) {
      await rejectsWith(() => log.consumeByKey(key, OffsetOldest, max), 'InvalidArgument', `consumeByKey(OffsetOldest, ${max})`);
    }
  });
});

contract('consumeByKey: starts at the offset', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    const a = bytes('a');
    const messages = Array.from({ length: 8 }, (_, i) => ({ key: i % 2 === 0 ? a : bytes('b'), value: bytes(`${i}`), time: T0 + i }));
    const expected = await publishAll(log, messages);
    const ofA = (from: number) => expected.filter((m) => m.offset >= from && m.offset % 2 === 0);
    for (const from of [0, 1, 3, 4, 6, 7]) {
      expectMessages((await consumeAll(log, { key: a, from, max: 2 })).messages, ofA(from), `consumeByKey(a, ${from})`);
    }
  });
});

contract('consumeByKey: a key with no messages reaches the next offset with none', async (ctx) => {
  await withFresh(ctx, { keyIndex: true, rollover: SMALL_ROLLOVER }, async (log) => {
    await publishAll(log, gen(20), 4);
    for (const from of [OffsetOldest, 0, 10]) {
      const all = await consumeAll(log, { key: bytes('missing'), from, max: 5 });
      equal(all.messages.length, 0, `consumeByKey(missing, ${from}): messages`);
      equal(all.nextOffset, 20, `consumeByKey(missing, ${from}): final offset`);
    }
  });
});

contract('consumeByKey: deleted messages are skipped', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    const a = bytes('a');
    const messages = Array.from({ length: 8 }, (_, i) => ({ key: i % 2 === 0 ? a : bytes('b'), value: bytes(`${i}`), time: T0 + i }));
    const expected = await publishAll(log, messages);
    await deleteAll(log, [2, 3]);
    expectMessages((await consumeAll(log, { key: a })).messages, [expected[0], expected[4], expected[6]], 'consumeByKey(a)');
    expectMessages((await consumeAll(log, { key: a, from: 2 })).messages, [expected[4], expected[6]], 'consumeByKey(a, 2)');
  });
});

// ---------------------------------------------------------------------------
// get
// ---------------------------------------------------------------------------

contract('get: returns the message at each offset', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(40), 6);
    for (const m of expected) expectMessage(await log.get(m.offset), m, `get(${m.offset})`);
  });
});

contract('get: OffsetOldest and OffsetNewest give the first and last message', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(1));
    expectMessage(await log.get(OffsetOldest), expected[0], 'get(OffsetOldest) with one message');
    expectMessage(await log.get(OffsetNewest), expected[0], 'get(OffsetNewest) with one message');
    expected.push(...(await publishAll(log, gen(19, 1), 4)));
    expectMessage(await log.get(OffsetOldest), expected[0], 'get(OffsetOldest)');
    expectMessage(await log.get(OffsetNewest), expected[19], 'get(OffsetNewest)');
  });
});

contract('get: an empty log rejects InvalidOffset', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    for (const offset of [OffsetOldest, OffsetNewest, 0, 1, 3]) {
      await rejectsWith(() => log.get(offset), 'InvalidOffset', `get(${offset}) of an empty log`);
    }
  });
});

contract('get: an offset at or after the next rejects InvalidOffset', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, gen(3));
    for (const offset of [3, 4, 1000]) {
      await rejectsWith(() => log.get(offset), 'InvalidOffset', `get(${offset}) with next 3`);
    }
  });
});

contract('get: a negative offset other than the sentinels rejects InvalidOffset', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, gen(3));
    for (const offset of [OffsetInvalid, -4, -100]) {
      await rejectsWith(() => log.get(offset), 'InvalidOffset', `get(${offset})`);
    }
  });
});

contract('get: a deleted offset rejects NotFound', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(12), 3);
    await deleteAll(log, [0, 5, 11]);
    for (const offset of [0, 5, 11]) {
      await rejectsWith(() => log.get(offset), 'NotFound', `get(${offset}) after deleting it`);
    }
    for (const offset of [1, 4, 6, 10]) expectMessage(await log.get(offset), expected[offset], `get(${offset})`);
  });
});

contract('get: an offset below the next that no longer exists rejects NotFound, also when every message is gone', async (ctx) => {
  const { dir } = await seed(ctx, { ...INDEXED, rollover: SMALL_ROLLOVER }, gen(12), 3);
  await withLog(ctx.open(dir, { ...INDEXED, rollover: SMALL_ROLLOVER }), async (log) => {
    await deleteAll(log, Array.from({ length: 12 }, (_, i) => i));
    equal((await log.stat()).messages, 0, 'stat().messages after deleting every message');
    await expectNextOffset(log, 12, 'after deleting every message');
    for (const offset of [0, 1, 5, 11]) {
      await rejectsWith(() => log.get(offset), 'NotFound', `get(${offset}) after every message was deleted`);
    }
    // Offsets at or past the next one were never assigned, and the sentinels name no message.
    for (const offset of [12, 13, OffsetOldest, OffsetNewest]) {
      await rejectsWith(() => log.get(offset), 'InvalidOffset', `get(${offset}) of a log with no message left`);
    }
    // getByTime's "empty log" is a log holding no message, however it came to be.
    await rejectsWith(() => log.getByTime(T0), 'InvalidOffset', 'getByTime of a log with no message left');
    await rejectsWith(() => log.offsetByTime(0), 'InvalidOffset', 'offsetByTime of a log with no message left');
  });
  await withLog(ctx.open(dir, { readonly: true }), async (reader) => {
    await rejectsWith(() => reader.get(11), 'NotFound', 'get(11) after reopening the emptied log');
    await rejectsWith(() => reader.get(12), 'InvalidOffset', 'get(12) after reopening the emptied log');
  });
});

contract('get: an offset before the oldest available (trimmed) rejects NotFound', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(12), 3);
    await deleteAll(log, [0, 1, 2, 3, 4, 5, 6]);
    for (const offset of [0, 3, 6]) await rejectsWith(() => log.get(offset), 'NotFound', `get(${offset}) before the oldest`);
    expectMessage(await log.get(7), expected[7], 'get(7), the oldest left');
  });
});

contract('get: OffsetOldest after deleting the oldest gives the oldest available', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(12), 3);
    await deleteAll(log, [0, 1, 2, 3]);
    expectMessage(await log.get(OffsetOldest), expected[4], 'get(OffsetOldest)');
    expectMessage(await log.get(OffsetNewest), expected[11], 'get(OffsetNewest)');
  });
});

// ---------------------------------------------------------------------------
// getByKey / offsetByKey
// ---------------------------------------------------------------------------

contract('getByKey: returns the last message with the key', async (ctx) => {
  await withFresh(ctx, { keyIndex: true, rollover: SMALL_ROLLOVER }, async (log) => {
    const messages = Array.from({ length: 40 }, (_, i) => ({ key: keyOf(i % 5), value: bytes(`value-${i}`), time: T0 + i }));
    const expected = await publishAll(log, messages, 3);
    for (let k = 0; k < 5; k++) {
      const last = expected[35 + k];
      expectMessage(await log.getByKey(keyOf(k)), last, `getByKey(key ${k})`);
      equal(await log.offsetByKey(keyOf(k)), last.offset, `offsetByKey(key ${k})`);
    }
  });
});

contract('getByKey: no message with the key rejects NotFound', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    await rejectsWith(() => log.getByKey(bytes('k')), 'NotFound', 'getByKey on an empty log');
    await rejectsWith(() => log.offsetByKey(bytes('k')), 'NotFound', 'offsetByKey on an empty log');
    await publishAll(log, gen(5));
    await rejectsWith(() => log.getByKey(bytes('missing')), 'NotFound', 'getByKey(missing)');
    await rejectsWith(() => log.offsetByKey(bytes('missing')), 'NotFound', 'offsetByKey(missing)');
  });
});

contract('getByKey: rejects NoIndex without keyIndex', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    await rejectsWith(() => log.getByKey(bytes('k')), 'NoIndex', 'getByKey on an empty log');
    await rejectsWith(() => log.offsetByKey(bytes('k')), 'NoIndex', 'offsetByKey on an empty log');
    await publishAll(log, [{ key: bytes('k'), value: bytes('v') }]);
    await rejectsWith(() => log.getByKey(bytes('k')), 'NoIndex', 'getByKey');
    await rejectsWith(() => log.offsetByKey(bytes('k')), 'NoIndex', 'offsetByKey');
  });
});

contract('getByKey: matches the key exactly, not a prefix', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    const expected = await publishAll(log, [{ key: new Uint8Array([1, 0]), value: bytes('a'), time: T0 }]);
    await rejectsWith(() => log.getByKey(new Uint8Array([1])), 'NotFound', 'getByKey([1]) with only [1,0] stored');
    await rejectsWith(() => log.getByKey(new Uint8Array([1, 0, 0])), 'NotFound', 'getByKey([1,0,0])');
    await rejectsWith(() => log.getByKey(new Uint8Array([0, 1])), 'NotFound', 'getByKey([0,1])');
    expected.push(...(await publishAll(log, [{ key: new Uint8Array([1]), value: bytes('b'), time: T0 }])));
    expectMessage(await log.getByKey(new Uint8Array([1])), expected[1], 'getByKey([1])');
    expectMessage(await log.getByKey(new Uint8Array([1, 0])), expected[0], 'getByKey([1,0])');
    equal(await log.offsetByKey(new Uint8Array([1, 0])), 0, 'offsetByKey([1,0])');
    await rejectsWith(() => log.getByKey(new Uint8Array([1, 0, 0])), 'NotFound', 'getByKey([1,0,0]) after both');
  });
});

contract('getByKey: after the newest message of a key is deleted the previous one is found', async (ctx) => {
  const key = bytes('k');
  const messages = Array.from({ length: 7 }, (_, i) => ({ key: i % 2 === 0 ? key : bytes(`other-${i}`), value: bytes(`${i}`), time: T0 + i }));
  const { dir, expected } = await seed(ctx, { keyIndex: true, rollover: SMALL_ROLLOVER }, messages);
  await withLog(ctx.open(dir, { keyIndex: true }), async (log) => {
    for (const [deleted, previous] of [[6, 4], [4, 2], [2, 0]]) {
      await deleteAll(log, [deleted]);
      expectMessage(await log.getByKey(key), expected[previous], `getByKey after deleting ${deleted}`);
      equal(await log.offsetByKey(key), previous, `offsetByKey after deleting ${deleted}`);
    }
  });
  await withLog(ctx.open(dir, { keyIndex: true }), async (log) => {
    expectMessage(await log.getByKey(key), expected[0], 'getByKey after reopen');
    await deleteAll(log, [0]);
    await rejectsWith(() => log.getByKey(key), 'NotFound', 'getByKey after deleting every message of the key');
    await rejectsWith(() => log.offsetByKey(key), 'NotFound', 'offsetByKey after deleting every message of the key');
  });
});

contract('getByKey: an empty key finds the last message without a key', async (ctx) => {
  // A zero-length key reads back as null, so null, absent and empty keys are one key.
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    await rejectsWith(() => log.getByKey(new Uint8Array(0)), 'NotFound', 'getByKey(empty) with no messages');
    const expected = await publishAll(log, [
      { value: bytes('no key'), time: T0 },
      { key: new Uint8Array(0), value: bytes('empty key'), time: T0 },
      { key: bytes('k'), value: bytes('keyed'), time: T0 },
      { key: null, value: bytes('null key'), time: T0 },
      { key: bytes('k'), value: bytes('keyed again'), time: T0 },
    ]);
    expectMessage(await log.getByKey(new Uint8Array(0)), expected[3], 'getByKey(empty)');
    equal(await log.offsetByKey(new Uint8Array(0)), 3, 'offsetByKey(empty)');
    const all = await consumeAll(log, { key: new Uint8Array(0) });
    expectMessages(all.messages, [expected[0], expected[1], expected[3]], 'consumeByKey(empty)');
  });
});

contract('getByKey: many distinct keys each find their own message', async (ctx) => {
  await withFresh(ctx, { keyIndex: true, rollover: 1000 }, async (log) => {
    const messages = Array.from({ length: 120 }, (_, i) => ({ key: randomBytes(1 + (i % 9), 1000 + i), value: bytes(`${i}`), time: T0 + i }));
    // Random short keys may repeat: the last one with a key wins.
    const expected = await publishAll(log, messages, 20);
    const lastOf = new Map<string, Message>();
    for (const m of expected) lastOf.set(Array.from(m.key ?? []).join(','), m);
    for (const m of lastOf.values()) {
      expectMessage(await log.getByKey(m.key ?? new Uint8Array(0)), m, `getByKey(${show(m.key)})`);
    }
  });
});

// ---------------------------------------------------------------------------
// getByTime / offsetByTime
// ---------------------------------------------------------------------------

contract('getByTime: the first message at or after start', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    const expected = await publishAll(log, gen(5));
    for (const m of expected) {
      expectMessage(await log.getByTime(m.time), m, `getByTime(${m.time}) (exact)`);
      deepEqual(await log.offsetByTime(m.time), { offset: m.offset, time: m.time }, `offsetByTime(${m.time}) (exact)`);
      expectMessage(await log.getByTime(m.time - 0.5), m, `getByTime(${m.time - 0.5}) (just before)`);
    }
    expectMessage(await log.getByTime(T0 - 3_600_000), expected[0], 'getByTime(an hour before all)');
    expectMessage(await log.getByTime(0), expected[0], 'getByTime(0)');
    expectMessage(await log.getByTime(-1e12), expected[0], 'getByTime(before the epoch)');
    await rejectsWith(() => log.getByTime(Number.NaN), 'InvalidArgument', 'getByTime(NaN)');
    await rejectsWith(() => log.getByTime(new Date(Number.NaN)), 'InvalidArgument', 'getByTime(Invalid Date)');
    await rejectsWith(() => log.getByTime('yesterday' as unknown as number), 'InvalidArgument', 'getByTime(a string)');
    expectMessage(await log.getByTime(T0 + 1500), expected[2], 'getByTime(between 1 and 2)');
    deepEqual(await log.offsetByTime(T0 + 1500), { offset: 2, time: T0 + 2000 }, 'offsetByTime(between 1 and 2)');
  });
});

contract('getByTime: accepts a Date', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    const expected = await publishAll(log, gen(5));
    expectMessage(await log.getByTime(new Date(T0 + 2000)), expected[2], 'getByTime(Date at 2)');
    expectMessage(await log.getByTime(new Date(T0 + 2001)), expected[3], 'getByTime(Date just after 2)');
    deepEqual(await log.offsetByTime(new Date(T0 - 1)), { offset: 0, time: T0 }, 'offsetByTime(Date before all)');
    await rejectsWith(() => log.getByTime(new Date(T0 + 4001)), 'NotFound', 'getByTime(Date after all)');
  });
});

contract('getByTime: out-of-order times are found by their running maximum', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    const times = [10, 30, 20, 40];
    const expected = await publishAll(log, times.map((time, i) => ({ value: bytes(`${i}`), time })), 1);
    const cases: [number, number][] = [[5, 0], [10, 0], [11, 1], [20, 1], [25, 1], [30, 1], [31, 3], [40, 3]];
    for (const [start, index] of cases) {
      expectMessage(await log.getByTime(start), expected[index], `getByTime(${start})`);
      deepEqual(await log.offsetByTime(start), { offset: index, time: times[index] }, `offsetByTime(${start})`);
    }
    await rejectsWith(() => log.getByTime(41), 'NotFound', 'getByTime(41)');
    // The message at offset 2 keeps its own time.
    equal((await log.get(2)).time, 20, 'get(2).time');
  });
});

contract('getByTime: a start after every message rejects NotFound', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    await publishAll(log, gen(3));
    for (const start of [T0 + 2000.001, T0 + 2001, T0 + 3_600_000]) {
      await rejectsWith(() => log.getByTime(start), 'NotFound', `getByTime(${start})`);
      await rejectsWith(() => log.offsetByTime(start), 'NotFound', `offsetByTime(${start})`);
    }
  });
});

contract('getByTime: an empty log rejects InvalidOffset', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    for (const start of [0, T0, Date.now(), new Date()]) {
      await rejectsWith(() => log.getByTime(start), 'InvalidOffset', `getByTime(${show(start)}) of an empty log`);
      await rejectsWith(() => log.offsetByTime(start), 'InvalidOffset', `offsetByTime(${show(start)}) of an empty log`);
    }
  });
});

contract('getByTime: rejects NoIndex without timeIndex', async (ctx) => {
  await withFresh(ctx, { keyIndex: true }, async (log) => {
    await rejectsWith(() => log.getByTime(T0), 'NoIndex', 'getByTime on an empty log');
    await rejectsWith(() => log.offsetByTime(T0), 'NoIndex', 'offsetByTime on an empty log');
    await publishAll(log, gen(2));
    await rejectsWith(() => log.getByTime(T0), 'NoIndex', 'getByTime');
    await rejectsWith(() => log.offsetByTime(new Date(T0)), 'NoIndex', 'offsetByTime(Date)');
  });
});

contract('getByTime: resolves microseconds', async (ctx) => {
  await withFresh(ctx, { timeIndex: true }, async (log) => {
    const base = 1_700_000_000_000;
    const times = [base + 0.001, base + 0.002, base + 0.003, base + 0.004];
    const expected = await publishAll(log, times.map((time, i) => ({ value: bytes(`${i}`), time })));
    for (const m of expected) {
      expectMessage(await log.getByTime(m.time), m, `getByTime(${m.time})`);
      const found = await log.offsetByTime(m.time);
      equal(found.offset, m.offset, `offsetByTime(${m.time}).offset`);
      near(found.time, m.time, TIME_EPSILON / 2, `offsetByTime(${m.time}).time`);
    }
    await rejectsWith(() => log.getByTime(base + 0.005), 'NotFound', 'getByTime(one microsecond after the last)');
  });
});

contract('getByTime: finds messages across many segments', async (ctx) => {
  await withFresh(ctx, { timeIndex: true, rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(50), 5);
    ok((await log.stat()).segments > 1, 'the log has more than one segment');
    for (const m of expected) {
      expectMessage(await log.getByTime(m.time - 500), m, `getByTime(${m.time - 500})`);
    }
  });
});

// ---------------------------------------------------------------------------
// delete
// ---------------------------------------------------------------------------

contract('delete: reports the offsets deleted and the sum of their size()', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    const messages = gen(6).map((m, i) => ({ ...m, value: randomBytes(10 + i * 30, i) }));
    await publishAll(log, messages);
    const sizes = await sizesOf(log, [1, 3, 4]);
    const result = await log.delete([1, 3, 4]);
    ok(result.deletedOffsets instanceof Set, `deletedOffsets is a Set, got ${show(result.deletedOffsets)}`);
    ok(result.deletedOffsets.size > 0, 'one segment: delete deleted something');
    let sum = 0;
    for (const offset of result.deletedOffsets) {
      ok(sizes.has(offset), `deletedOffsets holds ${offset}, which was not asked for`);
      sum += sizes.get(offset) ?? 0;
    }
    equal(result.deletedSize, sum, 'deletedSize');
    const rest = [1, 3, 4].filter((o) => !result.deletedOffsets.has(o));
    const more = await deleteAll(log, rest, sizes);
    equal(result.deletedOffsets.size + more.deleted.size, 3, 'everything asked was deleted in the end');
  });
});

contract('delete: offsets that do not exist are ignored', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    await publishAll(log, gen(5));
    const before = await log.stat();
    const none = async (offsets: Iterable<number>, what: string) => {
      const result = await log.delete(offsets);
      deepEqual(result.deletedOffsets, new Set<number>(), `${what}: deletedOffsets`);
      equal(result.deletedSize, 0, `${what}: deletedSize`);
    };
    await none([], 'delete([])');
    await none(new Set(), 'delete(new Set())');
    await none([5, 6, 999], 'delete of offsets at and after the next');
    deepEqual(await log.stat(), before, 'stat() after deleting nothing');
    await deleteAll(log, [2]);
    await none([2], 'delete of an already deleted offset');
    const result = await log.delete([2, 3, 999]);
    ok(
      [...result.deletedOffsets].every((o) => o === 3),
      `delete([2, 3, 999]) with 2 deleted and 999 never published reported ${show(result.deletedOffsets)}`,
    );
  });
});

contract('delete: repeated calls delete everything asked across many segments', async (ctx) => {
  await withFresh(ctx, { ...INDEXED, rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(60), 6);
    const segments = (await log.stat()).segments;
    ok(segments > 2, `the log has many segments (${segments})`);
    const even = expected.filter((m) => m.offset % 2 === 0).map((m) => m.offset);
    const sizes = await sizesOf(log, even);
    const result = await deleteAll(log, even, sizes);
    equal(result.deleted.size, 30, 'deleted count');
    expectMessages((await consumeAll(log, { max: 4 })).messages, expected.filter((m) => m.offset % 2 === 1), 'consume after delete');
    equal((await log.stat()).messages, 30, 'stat().messages after delete');
    for (const offset of [0, 2, 30, 58]) await rejectsWith(() => log.get(offset), 'NotFound', `get(${offset})`);
  });
});

contract('delete: a readonly log rejects Readonly, even for an empty set', async (ctx) => {
  const { dir } = await seed(ctx, {}, gen(3));
  await withLog(ctx.open(dir, { readonly: true }), async (log) => {
    await rejectsWith(() => log.delete([]), 'Readonly', 'readonly delete([])');
    await rejectsWith(() => log.delete(new Set()), 'Readonly', 'readonly delete(new Set())');
    await rejectsWith(() => log.delete([0, 1]), 'Readonly', 'readonly delete([0, 1])');
    await rejectsWith(() => log.delete([999]), 'Readonly', 'readonly delete([999])');
    await expectNextOffset(log, 3, 'readonly log after the rejected deletes');
  });
  await withLog(ctx.open(dir), async (log) => equal((await log.stat()).messages, 3, 'stat().messages'));
});

contract('delete: deleting the newest message keeps nextOffset, also after reopen', async (ctx) => {
  const { dir, expected } = await seed(ctx, INDEXED, gen(5));
  await withLog(ctx.open(dir, INDEXED), async (log) => {
    await deleteAll(log, [4]);
    await expectNextOffset(log, 5, 'after deleting the newest');
    expectBatch(await log.consume(OffsetNewest, 10), 5, [], 'consume(OffsetNewest)');
    equal(await log.sync(), 5, 'sync()');
    expectMessage(await log.get(OffsetNewest), expected[3], 'get(OffsetNewest) after deleting the newest');
  });
  await withLog(ctx.open(dir, INDEXED), async (log) => {
    await expectNextOffset(log, 5, 'after reopen');
    await rejectsWith(() => log.get(4), 'NotFound', 'get(4) after reopen');
    equal(await log.publish(gen(1, 5)), 6, 'publish after reopen');
    expectMessage(await log.get(5), stored(gen(1, 5)[0], 5), 'get(5)');
  });
});

contract('delete: emptying the newest segment keeps nextOffset, also after reopen', async (ctx) => {
  const options: Options = { ...INDEXED, rollover: SMALL_ROLLOVER };
  const { dir } = await seed(ctx, options, gen(20), 4);
  await withLog(ctx.open(dir, options), async (log) => {
    await deleteAll(log, [12, 13, 14, 15, 16, 17, 18, 19]);
    await expectNextOffset(log, 20, 'after deleting the newest messages');
  });
  await withLog(ctx.open(dir, options), async (log) => {
    await expectNextOffset(log, 20, 'after reopen');
    equal((await consumeAll(log)).messages.length, 12, 'messages left');
    await deleteAll(log, Array.from({ length: 12 }, (_, i) => i));
  });
  await withLog(ctx.open(dir, options), async (log) => {
    await expectNextOffset(log, 20, 'after deleting everything and reopening');
    equal(await log.publish(gen(1, 20)), 21, 'publish after deleting everything');
  });
});

contract('delete: deleted messages stay deleted after reopen', async (ctx) => {
  const options: Options = { ...INDEXED, rollover: SMALL_ROLLOVER };
  const messages = gen(20).map((m, i) => ({ ...m, key: keyOf(i % 4) }));
  const { dir, expected } = await seed(ctx, options, messages, 3);
  const gone = [1, 5, 13, 17, 0];
  await withLog(ctx.open(dir, options), (log) => deleteAll(log, gone));
  await withLog(ctx.open(dir, options), async (log) => {
    const left = expected.filter((m) => !gone.includes(m.offset));
    expectMessages((await consumeAll(log)).messages, left, 'consume after reopen');
    for (const offset of gone) await rejectsWith(() => log.get(offset), 'NotFound', `get(${offset}) after reopen`);
    equal(await log.offsetByKey(keyOf(1)), 9, 'offsetByKey(key 1) with 13 and 17 deleted');
    equal((await log.stat()).messages, 15, 'stat().messages after reopen');
  });
});

contract('delete: accepts any iterable of offsets', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, gen(9));
    const asArray = await deleteAll(log, [0, 1]);
    const asSet = await log.delete(new Set([2, 3]));
    const asGenerator = await log.delete(offsetsFrom([4, 5]));
    const asMapKeys = await log.delete(new Map([[6, 'x'], [7, 'y']]).keys());
    deepEqual(asArray.deleted, new Set([0, 1]), 'array');
    deepEqual(asSet.deletedOffsets, new Set([2, 3]), 'Set');
    deepEqual(asGenerator.deletedOffsets, new Set([4, 5]), 'generator');
    deepEqual(asMapKeys.deletedOffsets, new Set([6, 7]), 'Map keys iterator');
    expectMessages((await consumeAll(log)).messages, [stored(gen(1, 8)[0], 8)], 'consume after the deletes');
  });
});

contract('delete: after deleting everything publish continues at the next offset', async (ctx) => {
  await withFresh(ctx, { ...INDEXED, rollover: SMALL_ROLLOVER }, async (log) => {
    await publishAll(log, gen(10), 2);
    await deleteAll(log, Array.from({ length: 10 }, (_, i) => i));
    equal((await log.stat()).messages, 0, 'stat().messages');
    await expectNextOffset(log, 10, 'after deleting everything');
    await rejectsWith(() => log.getByKey(keyOf(3)), 'NotFound', 'getByKey of a deleted key');
    equal(await log.publish(gen(2, 10)), 12, 'publish');
    expectMessages((await consumeAll(log)).messages, gen(2, 10).map((m, i) => stored(m, 10 + i)), 'consume');
    expectMessage(await log.getByKey(keyOf(11)), stored(gen(1, 11)[0], 11), 'getByKey(key 11)');
  });
});

// ---------------------------------------------------------------------------
// size
// ---------------------------------------------------------------------------

contract('size: a positive integer, returned synchronously', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    const expected = await publishAll(log, [{}, ...gen(2)]);
    for (const m of [...expected, await log.get(1)]) {
      const size: unknown = log.size(m);
      ok(!(size instanceof Promise), 'size() returned a Promise; it must be synchronous');
      ok(typeof size === 'number' && Number.isInteger(size) && size > 0, `size(${show(m)}) = ${show(size)} is a positive integer`);
    }
  });
});

contract('size: grows with the key and the value', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    const m = (key: number, value: number): Message => ({ offset: 0, time: T0, key: key ? new Uint8Array(key) : null, value: value ? new Uint8Array(value) : null });
    const base = log.size(m(0, 0));
    ok(log.size(m(10, 0)) > base, 'a key makes it larger');
    ok(log.size(m(0, 10)) > base, 'a value makes it larger');
    ok(log.size(m(0, 1000)) > log.size(m(0, 10)), 'a larger value makes it larger');
    ok(log.size(m(1000, 10)) > log.size(m(10, 10)), 'a larger key makes it larger');
    ok(log.size(m(0, 1000)) >= base + 1000, 'a value of 1000 bytes adds at least 1000 bytes');
    equal(log.size(m(5, 7)), log.size({ ...m(5, 7), offset: 123 }), 'size does not depend on the offset');
  });
});

contract('size: indexes do not make a message smaller', async (ctx) => {
  const message: Message = { offset: 0, time: T0, key: bytes('key'), value: bytes('value') };
  await withFresh(ctx, {}, async (plain) => {
    await withFresh(ctx, INDEXED, async (indexed) => {
      const withIndexes = indexed.size(message);
      const without = plain.size(message);
      ok(withIndexes >= without, `size with indexes (${withIndexes}) >= size without (${without})`);
    });
  });
});

// ---------------------------------------------------------------------------
// stat
// ---------------------------------------------------------------------------

contract('stat: an empty log has no messages', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    const stats = await log.stat();
    equal(stats.messages, 0, 'messages');
    ok(Number.isInteger(stats.segments) && stats.segments >= 0 && stats.segments <= 1, `segments is 0 or 1, got ${stats.segments}`);
    ok(Number.isInteger(stats.size) && stats.size >= 0, `size is a non-negative integer, got ${stats.size}`);
  });
});

contract('stat: counts the messages and at least their size()', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    const expected = await publishAll(log, gen(10), 3);
    const stats = await log.stat();
    equal(stats.messages, 10, 'messages');
    equal(stats.segments, 1, 'segments with the default rollover');
    const sum = expected.reduce((total, m) => total + log.size(m), 0);
    ok(stats.size >= sum, `size ${stats.size} >= sum of size() ${sum}`);
  });
});

contract('stat: size grows by the size() of each message published into a segment', async (ctx) => {
  await withFresh(ctx, INDEXED, async (log) => {
    await publishAll(log, gen(1));
    const before = await log.stat();
    const added = await publishAll(log, gen(5, 1).map((m, i) => ({ ...m, value: randomBytes(i * 50, i) })), 2);
    const after = await log.stat();
    equal(after.segments, before.segments, 'segments');
    equal(after.messages, before.messages + 5, 'messages');
    const sum = added.reduce((total, m) => total + log.size(m), 0);
    equal(after.size - before.size, sum, 'growth of stat().size vs the sum of size()');
  });
});

contract('stat: a small rollover makes many segments', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    await publishAll(log, gen(30), 1);
    const stats = await log.stat();
    equal(stats.messages, 30, 'messages');
    ok(stats.segments > 1 && stats.segments <= 30, `segments between 2 and 30, got ${stats.segments}`);
  });
});

contract('stat: delete lowers the message count and the size', async (ctx) => {
  await withFresh(ctx, { ...INDEXED, rollover: SMALL_ROLLOVER }, async (log) => {
    await publishAll(log, gen(20), 4);
    const before = await log.stat();
    const offsets = [3, 4, 10];
    const result = await deleteAll(log, offsets, await sizesOf(log, offsets));
    const after = await log.stat();
    equal(after.messages, before.messages - 3, 'messages');
    ok(after.size < before.size, `size ${after.size} < ${before.size}`);
    ok(before.size - after.size >= result.size, `size fell by ${before.size - after.size}, at least deletedSize ${result.size}`);
  });
});

// ---------------------------------------------------------------------------
// reopen
// ---------------------------------------------------------------------------

contract('reopen: messages, keys, times and nextOffset survive close and open', async (ctx) => {
  const options: Options = { ...INDEXED, rollover: SMALL_ROLLOVER };
  const messages = [...gen(30), { value: bytes('no key, explicit time'), time: 1700000000123.456 }, {}];
  const { dir, expected } = await seed(ctx, options, messages, 4);
  const stats = await withLog(ctx.open(dir, options), (log) => log.stat());
  await withLog(ctx.open(dir, options), async (log) => {
    await expectNextOffset(log, 32, 'after reopen');
    deepEqual(await log.stat(), stats, 'stat() after a second reopen');
    const read = (await consumeAll(log)).messages;
    expectMessages(read.slice(0, 31), expected.slice(0, 31), 'consume after reopen');
    expectMessage(read[31], { ...expected[31], time: read[31].time }, 'message with publish time');
    for (const m of expected.slice(0, 30)) {
      expectMessage(await log.getByKey(m.key ?? new Uint8Array(0)), m, `getByKey after reopen`);
      expectMessage(await log.getByTime(m.time), m, `getByTime after reopen`);
    }
    equal(await log.publish(gen(1, 40)), 33, 'publish after reopen continues at the next offset');
  });
});

contract('reopen: opening with an index the log lacks builds it', async (ctx) => {
  const messages = gen(20).map((m, i) => ({ ...m, key: keyOf(i % 6) }));
  const { dir, expected } = await seed(ctx, { rollover: SMALL_ROLLOVER }, messages, 3);
  await withLog(ctx.open(dir, { keyIndex: true }), async (log) => {
    for (let k = 0; k < 6; k++) {
      const last = expected.filter((m) => m.offset % 6 === k).at(-1) as Message;
      expectMessage(await log.getByKey(keyOf(k)), last, `getByKey(key ${k}) with a new keyIndex`);
    }
    await rejectsWith(() => log.getByTime(T0), 'NoIndex', 'getByTime without timeIndex');
  });
  await withLog(ctx.open(dir, INDEXED), async (log) => {
    for (const m of expected) expectMessage(await log.getByTime(m.time), m, `getByTime(${m.time}) with a new timeIndex`);
    expectMessage(await log.getByKey(keyOf(1)), expected[19], 'getByKey(key 1)');
  });
});

contract('reopen: opening without an index leaves it; a later open with it sees everything', async (ctx) => {
  const first = gen(6);
  const { dir, expected } = await seed(ctx, INDEXED, first, 2);
  await withLog(ctx.open(dir), async (log) => {
    await rejectsWith(() => log.getByKey(keyOf(0)), 'NoIndex', 'getByKey without keyIndex');
    await rejectsWith(() => log.getByTime(T0), 'NoIndex', 'getByTime without timeIndex');
    // New messages while the index is not in use; one overwrites key 2.
    expected.push(...(await publishAll(log, [...gen(3, 6), { key: keyOf(2), value: bytes('newer'), time: T0 + 20_000 }], 2)));
  });
  await withLog(ctx.open(dir, INDEXED), async (log) => {
    for (const m of expected.slice(0, 9)) {
      if (m.offset === 2) continue;
      expectMessage(await log.getByKey(m.key ?? new Uint8Array(0)), m, `getByKey(key of ${m.offset})`);
      expectMessage(await log.getByTime(m.time), m, `getByTime(${m.time})`);
    }
    expectMessage(await log.getByKey(keyOf(2)), expected[9], 'getByKey(key 2) finds the message published without the index');
    expectMessage(await log.getByTime(T0 + 19_000), expected[9], 'getByTime finds the message published without the index');
    expectMessages((await consumeAll(log, { key: keyOf(2) })).messages, [expected[2], expected[9]], 'consumeByKey(key 2)');
  });
});

contract('reopen: a different rollover keeps the messages', async (ctx) => {
  const { dir, expected } = await seed(ctx, { rollover: SMALL_ROLLOVER }, gen(15), 3);
  await withLog(ctx.open(dir, { rollover: 1000 }), async (log) => {
    expected.push(...(await publishAll(log, gen(15, 15), 5)));
  });
  await withLog(ctx.open(dir), async (log) => {
    expectMessages((await consumeAll(log)).messages, expected, 'consume after reopening with other rollovers');
  });
});

// ---------------------------------------------------------------------------
// readonly
// ---------------------------------------------------------------------------

contract('readonly: publish and delete reject Readonly; reads work', async (ctx) => {
  const options: Options = { ...INDEXED, rollover: SMALL_ROLLOVER };
  const { dir, expected } = await seed(ctx, options, gen(12), 3);
  const stats = await withLog(ctx.open(dir, options), (log) => log.stat());
  await withLog(ctx.open(dir, { ...INDEXED, readonly: true }), async (log) => {
    await rejectsWith(() => log.publish([]), 'Readonly', 'readonly publish([])');
    await rejectsWith(() => log.publish(gen(1)), 'Readonly', 'readonly publish');
    await rejectsWith(() => log.delete([0]), 'Readonly', 'readonly delete');
    await expectNextOffset(log, 12, 'readonly');
    expectMessages((await consumeAll(log, { max: 5 })).messages, expected, 'readonly consume');
    expectBatch(await log.consume(OffsetNewest, 5), 12, [], 'readonly consume(OffsetNewest)');
    await rejectsWith(() => log.consume(13, 1), 'InvalidOffset', 'readonly consume(13)');
    expectMessage(await log.get(OffsetOldest), expected[0], 'readonly get(OffsetOldest)');
    expectMessage(await log.get(OffsetNewest), expected[11], 'readonly get(OffsetNewest)');
    expectMessage(await log.get(5), expected[5], 'readonly get(5)');
    await rejectsWith(() => log.get(12), 'InvalidOffset', 'readonly get(12)');
    expectMessage(await log.getByKey(keyOf(7)), expected[7], 'readonly getByKey');
    expectMessage(await log.getByTime(expected[4].time), expected[4], 'readonly getByTime');
    expectMessages((await consumeAll(log, { key: keyOf(3) })).messages, [expected[3]], 'readonly consumeByKey');
    deepEqual(await log.stat(), stats, 'readonly stat()');
    equal(await log.sync(), 12, 'readonly sync()');
  });
});

contract('readonly: an empty log opens readonly', async (ctx) => {
  const { dir } = await seed(ctx, INDEXED, []);
  await withLog(ctx.open(dir, { ...INDEXED, readonly: true }), async (log) => {
    await expectNextOffset(log, 0, 'readonly empty');
    expectBatch(await log.consume(OffsetOldest, 1), 0, [], 'consume(OffsetOldest)');
    expectBatch(await log.consume(OffsetNewest, 1), 0, [], 'consume(OffsetNewest)');
    await rejectsWith(() => log.consume(1, 1), 'InvalidOffset', 'consume(1)');
    for (const offset of [OffsetOldest, OffsetNewest, 0]) {
      await rejectsWith(() => log.get(offset), 'InvalidOffset', `get(${offset})`);
    }
    await rejectsWith(() => log.getByKey(bytes('k')), 'NotFound', 'getByKey');
    await rejectsWith(() => log.getByTime(T0), 'InvalidOffset', 'getByTime');
    equal((await log.stat()).messages, 0, 'stat().messages');
    equal(await log.sync(), 0, 'sync()');
  });
});

contract('readonly: opens while a writer holds the log and sees its later publishes', async (ctx) => {
  const dir = ctx.dir();
  await withLog(ctx.open(dir, { createDirs: true, rollover: SMALL_ROLLOVER }), async (writer) => {
    const expected = await publishAll(writer, gen(2));
    await withLog(ctx.open(dir, { readonly: true }), async (reader) => {
      await expectNextOffset(reader, 2, 'reader before the new publishes');
      expectMessages((await consumeAll(reader)).messages, expected, 'reader consume before');
      expected.push(...(await publishAll(writer, gen(10, 2), 3)));
      await expectNextOffset(reader, 12, 'reader after the writer published 10 more');
      expectMessages((await consumeAll(reader)).messages, expected, 'reader consume after');
      expectMessage(await reader.get(11), expected[11], 'reader get(11)');
      expectMessage(await reader.get(OffsetNewest), expected[11], 'reader get(OffsetNewest)');
      equal((await reader.stat()).messages, 12, 'reader stat().messages');
    });
    // Closing the reader does not release the writer's lock.
    await openRejects(ctx, dir, {}, 'Locked', 'a second writer after the reader closed', 2000);
    equal(await writer.publish(gen(1, 12)), 13, 'the writer still publishes');
  });
});

contract('readonly: does not block a writer', async (ctx) => {
  const { dir, expected } = await seed(ctx, {}, gen(3));
  await withLog(ctx.open(dir, { readonly: true }), async (reader) => {
    await withLog(withTimeout(ctx.open(dir), 2000, 'writer open while a reader is open'), async (writer) => {
      expected.push(...(await publishAll(writer, gen(2, 3))));
    });
    await expectNextOffset(reader, 5, 'reader after the writer closed');
    expectMessages((await consumeAll(reader)).messages, expected, 'reader consume');
  });
});

contract('readonly: two readers can be open at once', async (ctx) => {
  const { dir, expected } = await seed(ctx, {}, gen(3));
  await withLog(ctx.open(dir, { readonly: true }), async (first) => {
    await withLog(withTimeout(ctx.open(dir, { readonly: true }), 2000, 'second reader open'), async (second) => {
      expectMessages((await consumeAll(first)).messages, expected, 'first reader');
      expectMessages((await consumeAll(second)).messages, expected, 'second reader');
    });
  });
});

contract('readonly: a missing dir rejects NotFound', async (ctx) => {
  await openRejects(ctx, ctx.dir(), { readonly: true }, 'NotFound', 'readonly open of a missing dir');
});

contract('readonly: sees keys and times a writer publishes after it opened', async (ctx) => {
  const dir = ctx.dir();
  await withLog(ctx.open(dir, { ...INDEXED, createDirs: true }), async (writer) => {
    const expected = await publishAll(writer, gen(3));
    await withLog(ctx.open(dir, { ...INDEXED, readonly: true }), async (reader) => {
      expectMessage(await reader.getByKey(keyOf(1)), expected[1], 'reader getByKey before');
      await rejectsWith(() => reader.getByKey(keyOf(4)), 'NotFound', 'reader getByKey of a key not yet published');
      expected.push(...(await publishAll(writer, [...gen(2, 3), { key: keyOf(1), value: bytes('newer'), time: T0 + 9000 }])));
      expectMessage(await reader.getByKey(keyOf(4)), expected[4], 'reader getByKey of a new key');
      expectMessage(await reader.getByKey(keyOf(1)), expected[5], 'reader getByKey of an overwritten key');
      expectMessage(await reader.getByTime(T0 + 8500), expected[5], 'reader getByTime of a new message');
      expectMessages((await consumeAll(reader, { key: keyOf(1) })).messages, [expected[1], expected[5]], 'reader consumeByKey');
    });
  });
});

contract('readonly: opening with an index the log lacks builds it', async (ctx) => {
  const { dir, expected } = await seed(ctx, { rollover: SMALL_ROLLOVER }, gen(10), 2);
  await withLog(ctx.open(dir, { ...INDEXED, readonly: true }), async (log) => {
    for (const m of expected) {
      expectMessage(await log.getByKey(m.key ?? new Uint8Array(0)), m, `readonly getByKey(key of ${m.offset})`);
      expectMessage(await log.getByTime(m.time), m, `readonly getByTime(${m.time})`);
    }
  });
});

// ---------------------------------------------------------------------------
// locking
// ---------------------------------------------------------------------------

contract('lock: a second writer rejects Locked at once', async (ctx) => {
  const dir = ctx.dir();
  await withLog(ctx.open(dir, { createDirs: true }), async (first) => {
    await publishAll(first, gen(1));
    await openRejects(ctx, dir, {}, 'Locked', 'second writer open', 2000);
    await openRejects(ctx, dir, { ...INDEXED, createDirs: true }, 'Locked', 'second writer open with other options', 2000);
    equal(await first.publish(gen(1, 1)), 2, 'the first writer still publishes');
  });
});

contract('lock: closing releases the lock', async (ctx) => {
  const dir = ctx.dir();
  await withLog(ctx.open(dir, { createDirs: true }), (log) => publishAll(log, gen(1)));
  for (let round = 1; round <= 5; round++) {
    await withLog(withTimeout(ctx.open(dir), 2000, `writer open, round ${round}`), async (log) => {
      await expectNextOffset(log, round, `round ${round}`);
      await publishAll(log, gen(1, round));
    });
  }
});

contract('lock: the lock is per log, whatever the spelling of its dir', async (ctx) => {
  const dir = ctx.dir();
  await withLog(ctx.open(`/${dir}/`, { createDirs: true }), async () => {
    await openRejects(ctx, dir, {}, 'Locked', `open("${dir}") while "/${dir}/" is open`, 2000);
    await openRejects(ctx, `${dir}/`, {}, 'Locked', `open("${dir}/") while "/${dir}/" is open`, 2000);
  });
});

contract('lock: two logs can be written at once', async (ctx) => {
  const parent = ctx.dir();
  await withLog(ctx.open(`${parent}/one`, { createDirs: true }), async (one) => {
    await withLog(withTimeout(ctx.open(`${parent}/two`, { createDirs: true }), 2000, 'open of a second log'), async (two) => {
      equal(await one.publish(gen(2)), 2, 'publish to log one');
      equal(await two.publish(gen(1)), 1, 'publish to log two');
      await expectNextOffset(one, 2, 'log one');
      await expectNextOffset(two, 1, 'log two');
    });
  });
});

// ---------------------------------------------------------------------------
// close
// ---------------------------------------------------------------------------

async function expectAllClosed(log: Log, ctx: ContractContext, what: string): Promise<void> {
  const key = keyOf(0);
  const calls: [string, () => Promise<unknown>][] = [
    ['publish', () => log.publish(gen(1))],
    ['publish([])', () => log.publish([])],
    ['nextOffset', () => log.nextOffset()],
    ['consume', () => log.consume(OffsetOldest, 10)],
    ['consumeByKey', () => log.consumeByKey(key, OffsetOldest, 10)],
    ['get', () => log.get(0)],
    ['getByKey', () => log.getByKey(key)],
    ['offsetByKey', () => log.offsetByKey(key)],
    ['getByTime', () => log.getByTime(T0)],
    ['offsetByTime', () => log.offsetByTime(T0)],
    ['delete', () => log.delete([0])],
    ['delete([])', () => log.delete([])],
    ['stat', () => log.stat()],
    ['backup', () => log.backup(ctx.dir())],
    ['sync', () => log.sync()],
  ];
  for (const [name, call] of calls) await rejectsWith(call, 'Closed', `${what}: ${name} after close`);
}

contract('close: every method rejects Closed afterwards', async (ctx) => {
  const log = await ctx.open(ctx.dir(), { ...INDEXED, createDirs: true });
  try {
    await publishAll(log, gen(3));
  } finally {
    await log.close();
  }
  await expectAllClosed(log, ctx, 'writer');
});

contract('close: a second close resolves', async (ctx) => {
  const log = await ctx.open(ctx.dir(), { createDirs: true });
  await log.publish(gen(1));
  await log.close();
  await withTimeout(log.close(), 2000, 'second close');
  await withTimeout(log.close(), 2000, 'third close');
  await rejectsWith(() => log.nextOffset(), 'Closed', 'nextOffset after three closes');
});

contract('close: a readonly log closes too and then rejects Closed', async (ctx) => {
  const { dir } = await seed(ctx, INDEXED, gen(2));
  const log = await ctx.open(dir, { ...INDEXED, readonly: true });
  await log.close();
  await expectAllClosed(log, ctx, 'reader');
  await withTimeout(log.close(), 2000, 'second close of a reader');
});

contract('close: everything published is there after reopen', async (ctx) => {
  const dir = ctx.dir();
  const log = await ctx.open(dir, { ...INDEXED, createDirs: true, rollover: SMALL_ROLLOVER });
  let expected: Message[];
  try {
    expected = await publishAll(log, gen(25), 5);
  } finally {
    await log.close();
  }
  await withLog(ctx.open(dir, INDEXED), async (reopened) => {
    expectMessages((await consumeAll(reopened)).messages, expected, 'consume after close and reopen');
  });
});

// ---------------------------------------------------------------------------
// sync
// ---------------------------------------------------------------------------

contract('sync: resolves to the next offset', async (ctx) => {
  const dir = await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    equal(await log.sync(), 0, 'sync() of an empty log');
    await publishAll(log, gen(7), 3);
    equal(await log.sync(), 7, 'sync() after 7 messages');
    await deleteAll(log, [6]);
    equal(await log.sync(), 7, 'sync() after deleting the newest');
  });
  await withLog(ctx.open(dir), async (log) => equal(await log.sync(), 7, 'sync() after reopen'));
});

// ---------------------------------------------------------------------------
// backup
// ---------------------------------------------------------------------------

async function expectSameLog(source: Log, copy: Log, what: string): Promise<void> {
  equal(await copy.nextOffset(), await source.nextOffset(), `${what}: nextOffset`);
  expectMessages((await consumeAll(copy)).messages, (await consumeAll(source)).messages, `${what}: messages`);
  equal((await copy.stat()).messages, (await source.stat()).messages, `${what}: stat().messages`);
}

contract('backup: the copy opens with the same messages, keys, times and next offset', async (ctx) => {
  const options: Options = { ...INDEXED, rollover: SMALL_ROLLOVER };
  const messages = [...gen(20), { value: bytes('fractional'), time: 1700000000123.456 }, {}];
  await withFresh(ctx, options, async (log) => {
    const expected = await publishAll(log, messages, 3);
    const target = ctx.dir();
    await log.backup(target);
    await withLog(ctx.open(target, INDEXED), async (copy) => {
      await expectSameLog(log, copy, 'backup');
      for (const m of expected.slice(0, 20)) {
        expectMessage(await copy.getByKey(m.key ?? new Uint8Array(0)), m, 'backup getByKey');
        expectMessage(await copy.getByTime(m.time), m, 'backup getByTime');
      }
      near((await copy.get(20)).time, 1700000000123.456, TIME_EPSILON, 'backup get(20).time');
    });
  });
});

contract('backup: deleted messages stay deleted in the copy and the next offset is kept', async (ctx) => {
  const options: Options = { ...INDEXED, rollover: SMALL_ROLLOVER };
  await withFresh(ctx, options, async (log) => {
    await publishAll(log, gen(15), 3);
    await deleteAll(log, [0, 4, 7, 14]);
    const target = ctx.dir();
    await log.backup(target);
    await withLog(ctx.open(target, INDEXED), async (copy) => {
      await expectSameLog(log, copy, 'backup after delete');
      await expectNextOffset(copy, 15, 'backup whose newest message was deleted');
      for (const offset of [0, 4, 7, 14]) await rejectsWith(() => copy.get(offset), 'NotFound', `backup get(${offset})`);
      await rejectsWith(() => copy.getByKey(keyOf(7)), 'NotFound', 'backup getByKey of a deleted key');
    });
  });
});

contract('backup: into a dir that holds a log rejects InvalidArgument', async (ctx) => {
  const { dir: other, expected } = await seed(ctx, {}, gen(2));
  await withFresh(ctx, {}, async (log, dir) => {
    await publishAll(log, gen(5));
    await rejectsWith(() => log.backup(other), 'InvalidArgument', 'backup into another log');
    await rejectsWith(() => log.backup(dir), 'InvalidArgument', 'backup into its own dir');
    await expectNextOffset(log, 5, 'source after the rejected backups');
  });
  await withLog(ctx.open(other), async (log) => {
    expectMessages((await consumeAll(log)).messages, expected, 'the other log is unharmed');
  });
});

contract('backup: an invalid dir rejects InvalidArgument', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, gen(1));
    const base = ctx.dir();
    for (const target of [`${base}/..`, `${base}/../x`, `${base}//x`, `${base}\0`, 42, null, undefined]) {
      await rejectsWith(() => log.backup(bad<string>(target)), 'InvalidArgument', `backup(${show(target)})`);
    }
  });
});

contract('backup: a readonly log can be backed up, also while a writer is open', async (ctx) => {
  const dir = ctx.dir();
  await withLog(ctx.open(dir, { ...INDEXED, createDirs: true }), async (writer) => {
    await publishAll(writer, gen(6));
    await deleteAll(writer, [2]);
    await withLog(ctx.open(dir, { readonly: true }), async (reader) => {
      const target = ctx.dir();
      await reader.backup(target);
      await withLog(ctx.open(target), (copy) => expectSameLog(reader, copy, 'backup of a reader'));
    });
  });
  await withLog(ctx.open(dir, { readonly: true }), async (reader) => {
    const target = ctx.dir();
    await reader.backup(target);
    await withLog(ctx.open(target, INDEXED), async (copy) => {
      await expectSameLog(reader, copy, 'backup of a reader without a writer');
      expectMessage(await copy.getByKey(keyOf(5)), stored(gen(6)[5], 5), 'backup getByKey');
    });
  });
});

contract('backup: the copy is consistent at one offset and independent of the source', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(10), 2);
    const target = ctx.dir();
    await log.backup(target);
    await publishAll(log, gen(5, 10));
    await withLog(ctx.open(target), async (copy) => {
      await expectNextOffset(copy, 10, 'copy');
      expectMessages((await consumeAll(copy)).messages, expected, 'copy messages');
      equal(await copy.publish(gen(1, 100)), 11, 'publish to the copy');
      await deleteAll(copy, [0]);
    });
    await expectNextOffset(log, 15, 'source after publishing to the copy');
    expectMessage(await log.get(0), expected[0], 'source get(0) after deleting 0 in the copy');
    expectMessage(await log.get(10), stored(gen(1, 10)[0], 10), 'source get(10)');
  });
});

contract('backup: an empty log backs up to an empty log', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const target = ctx.dir();
    await log.backup(target);
    await withLog(ctx.open(target), async (copy) => {
      await expectNextOffset(copy, 0, 'copy of an empty log');
      expectBatch(await copy.consume(OffsetOldest, 10), 0, [], 'copy consume(OffsetOldest)');
      equal(await copy.publish(gen(1)), 1, 'publish to the copy');
    });
  });
});

contract('backup: creates missing directories', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const expected = await publishAll(log, gen(3));
    const target = `${ctx.dir()}/nested/deeper`;
    await log.backup(`/${target}/`);
    await withLog(ctx.open(target), async (copy) => {
      expectMessages((await consumeAll(copy)).messages, expected, 'copy in nested dirs');
    });
  });
});

// ---------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------

contract('options: autoSync publishes are readable and survive reopen', async (ctx) => {
  const options: Options = { ...INDEXED, autoSync: true, rollover: SMALL_ROLLOVER };
  const dir = ctx.dir();
  let expected: Message[] = [];
  await withLog(ctx.open(dir, { ...options, createDirs: true }), async (log) => {
    expected = await publishAll(log, gen(8), 2);
    expectMessages((await consumeAll(log)).messages, expected, 'consume with autoSync');
    expectMessage(await log.getByKey(keyOf(5)), expected[5], 'getByKey with autoSync');
    equal(await log.sync(), 8, 'sync() with autoSync');
  });
  await withLog(ctx.open(dir, options), async (log) => {
    expectMessages((await consumeAll(log)).messages, expected, 'consume after reopen');
  });
});

contract('options: check opens a healthy log', async (ctx) => {
  const options: Options = { ...INDEXED, rollover: SMALL_ROLLOVER };
  const { dir, expected } = await seed(ctx, options, gen(20), 3);
  await withLog(ctx.open(dir, options), (log) => deleteAll(log, [3, 19]));
  const left = expected.filter((m) => m.offset !== 3 && m.offset !== 19);
  await withLog(ctx.open(dir, { ...options, check: true }), async (log) => {
    await expectNextOffset(log, 20, 'after check');
    expectMessages((await consumeAll(log)).messages, left, 'consume after check');
    expectMessage(await log.getByKey(keyOf(7)), expected[7], 'getByKey after check');
    equal(await log.publish(gen(1, 20)), 21, 'publish after check');
  });
  await withLog(ctx.open(dir, { check: true, readonly: true }), (log) => expectNextOffset(log, 21, 'readonly with check'));
  await withLog(ctx.open(ctx.dir(), { check: true, createDirs: true }), (log) => expectNextOffset(log, 0, 'check on a new log'));
});

contract('options: the default rollover keeps a small log in one segment', async (ctx) => {
  const messages = Array.from({ length: 50 }, (_, i) => ({ key: keyOf(i), value: randomBytes(100, i), time: T0 + i }));
  await withFresh(ctx, {}, async (log) => {
    await publishAll(log, messages, 10);
    equal((await log.stat()).segments, 1, 'segments with the default rollover (1 MiB) for ~6 KB');
  });
  await withFresh(ctx, { rollover: 1000 }, async (log) => {
    await publishAll(log, messages, 10);
    ok((await log.stat()).segments >= 4, 'rollover 1000 for ~6 KB makes several segments');
  });
});
