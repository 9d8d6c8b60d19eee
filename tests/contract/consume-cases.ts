// consume: from an offset, in order, over many segments and deletions.
import { OffsetNewest, OffsetOldest, OffsetInvalid } from '../../src/types.ts';
import { equal, ok, rejectsWith, show } from './assert.ts';
import { contract } from './registry.ts';
import {
  SMALL_ROLLOVER,
  gen,
  bad,
  stored,
  expectMessage,
  expectMessages,
  expectBatch,
  withFresh,
  publishAll,
  consumeAll,
  firstFrom,
  deleteAll,
} from './helpers.ts';

contract('consume: maxCount below 1 or not an integer rejects InvalidArgument', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    for (const max of [0, -1, 1.5, Number.NaN]) {
      await rejectsWith(
        () => log.consume(OffsetOldest, max),
        'InvalidArgument',
        `consume(OffsetOldest, ${max}) of an empty log`,
      );
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
    const cases: [number, number][] = [
      [0, 3],
      [OffsetOldest, 1],
      [4, 100],
      [9, 5],
      [2, 1],
      [OffsetOldest, 1000],
    ];
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
    expectMessages(
      (await consumeAll(log, { from: 70, max: 1 })).messages,
      expected.slice(70),
      'consume from 70, one at a time',
    );
  });
});

contract('consume: a deleted offset starts at the next available one', async (ctx) => {
  await withFresh(ctx, {}, async (log) => {
    const expected = await publishAll(log, gen(8));
    await deleteAll(log, [3, 4, 6]);
    for (const [offset, next] of [
      [3, 5],
      [4, 5],
      [6, 7],
    ] as const) {
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
    await deleteAll(
      log,
      Array.from({ length: 12 }, (_, i) => i),
    );
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
