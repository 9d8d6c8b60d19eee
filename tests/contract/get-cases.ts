// get: the message at an offset, the sentinels, and offsets that are gone.
import { OffsetNewest, OffsetOldest, OffsetInvalid } from '../../src/types.ts';
import { equal, rejectsWith } from './assert.ts';
import { contract } from './registry.ts';
import {
  T0,
  SMALL_ROLLOVER,
  INDEXED,
  gen,
  expectMessage,
  withLog,
  withFresh,
  seed,
  publishAll,
  deleteAll,
  expectNextOffset,
} from './helpers.ts';

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

contract(
  'get: an offset below the next that no longer exists rejects NotFound, also when every message is gone',
  async (ctx) => {
    const { dir } = await seed(ctx, { ...INDEXED, rollover: SMALL_ROLLOVER }, gen(12), 3);
    await withLog(ctx.open(dir, { ...INDEXED, rollover: SMALL_ROLLOVER }), async (log) => {
      await deleteAll(
        log,
        Array.from({ length: 12 }, (_, i) => i),
      );
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
  },
);

contract('get: an offset before the oldest available (trimmed) rejects NotFound', async (ctx) => {
  await withFresh(ctx, { rollover: SMALL_ROLLOVER }, async (log) => {
    const expected = await publishAll(log, gen(12), 3);
    await deleteAll(log, [0, 1, 2, 3, 4, 5, 6]);
    for (const offset of [0, 3, 6])
      await rejectsWith(() => log.get(offset), 'NotFound', `get(${offset}) before the oldest`);
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
