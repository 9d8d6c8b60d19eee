// close, and what survives it: reopen with the same or other options.
import type { Log, Message, Options } from '../../src/types.ts';
import { OffsetOldest } from '../../src/types.ts';
import { deepEqual, equal, rejectsWith, withTimeout } from './assert.ts';
import type { ContractContext } from './registry.ts';
import { contract } from './registry.ts';
import {
  T0,
  SMALL_ROLLOVER,
  INDEXED,
  bytes,
  keyOf,
  gen,
  expectMessage,
  expectMessages,
  withLog,
  seed,
  publishAll,
  consumeAll,
  expectNextOffset,
} from './helpers.ts';

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
    expectMessage(read[31], { ...expected[31]!, time: read[31]!.time }, 'message with publish time');
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
    for (const m of expected)
      expectMessage(await log.getByTime(m.time), m, `getByTime(${m.time}) with a new timeIndex`);
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
    expected.push(
      ...(await publishAll(log, [...gen(3, 6), { key: keyOf(2), value: bytes('newer'), time: T0 + 20_000 }], 2)),
    );
  });
  await withLog(ctx.open(dir, INDEXED), async (log) => {
    for (const m of expected.slice(0, 9)) {
      if (m.offset === 2) continue;
      expectMessage(await log.getByKey(m.key ?? new Uint8Array(0)), m, `getByKey(key of ${m.offset})`);
      expectMessage(await log.getByTime(m.time), m, `getByTime(${m.time})`);
    }
    expectMessage(
      await log.getByKey(keyOf(2)),
      expected[9],
      'getByKey(key 2) finds the message published without the index',
    );
    expectMessage(
      await log.getByTime(T0 + 19_000),
      expected[9],
      'getByTime finds the message published without the index',
    );
    expectMessages(
      (await consumeAll(log, { key: keyOf(2) })).messages,
      [expected[2], expected[9]],
      'consumeByKey(key 2)',
    );
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
