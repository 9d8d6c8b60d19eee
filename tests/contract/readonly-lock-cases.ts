// Who may open a log at once: readonly readers and the single writer lock.
import type { Options } from '../../src/types.ts';
import { OffsetNewest, OffsetOldest } from '../../src/types.ts';
import { deepEqual, equal, rejectsWith, withTimeout } from './assert.ts';
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
  expectBatch,
  withLog,
  seed,
  publishAll,
  consumeAll,
  openRejects,
  expectNextOffset,
} from './helpers.ts';

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
    expectMessage(await log.getByTime(expected[4]!.time), expected[4], 'readonly getByTime');
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
  await withLog(ctx.open(dir, { createDirs: true, rollover: SMALL_ROLLOVER, exclusive: true }), async (writer) => {
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
    // Closing the reader does not release the (exclusive) writer's lock.
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
      expected.push(
        ...(await publishAll(writer, [...gen(2, 3), { key: keyOf(1), value: bytes('newer'), time: T0 + 9000 }])),
      );
      expectMessage(await reader.getByKey(keyOf(4)), expected[4], 'reader getByKey of a new key');
      expectMessage(await reader.getByKey(keyOf(1)), expected[5], 'reader getByKey of an overwritten key');
      expectMessage(await reader.getByTime(T0 + 8500), expected[5], 'reader getByTime of a new message');
      expectMessages(
        (await consumeAll(reader, { key: keyOf(1) })).messages,
        [expected[1], expected[5]],
        'reader consumeByKey',
      );
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

contract('lock: beside an exclusive writer, a second writer rejects Locked at once', async (ctx) => {
  const dir = ctx.dir();
  await withLog(ctx.open(dir, { createDirs: true, exclusive: true }), async (first) => {
    await publishAll(first, gen(1));
    await openRejects(ctx, dir, {}, 'Locked', 'second writer open', 2000);
    await openRejects(
      ctx,
      dir,
      { ...INDEXED, createDirs: true },
      'Locked',
      'second writer open with other options',
      2000,
    );
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
  await withLog(ctx.open(`/${dir}/`, { createDirs: true, exclusive: true }), async () => {
    await openRejects(ctx, dir, {}, 'Locked', `open("${dir}") while "/${dir}/" is open`, 2000);
    await openRejects(ctx, `${dir}/`, {}, 'Locked', `open("${dir}/") while "/${dir}/" is open`, 2000);
  });
});

contract('lock: two logs can be written at once', async (ctx) => {
  const parent = ctx.dir();
  await withLog(ctx.open(`${parent}/one`, { createDirs: true }), async (one) => {
    await withLog(
      withTimeout(ctx.open(`${parent}/two`, { createDirs: true }), 2000, 'open of a second log'),
      async (two) => {
        equal(await one.publish(gen(2)), 2, 'publish to log one');
        equal(await two.publish(gen(1)), 1, 'publish to log two');
        await expectNextOffset(one, 2, 'log one');
        await expectNextOffset(two, 1, 'log two');
      },
    );
  });
});
