// delete: what it reports, and that deletions and nextOffset last.
import type { Options } from '../../src/types.ts';
import { OffsetNewest } from '../../src/types.ts';
import { deepEqual, equal, ok, rejectsWith, show } from './assert.ts';
import { contract } from './registry.ts';
import {
  SMALL_ROLLOVER,
  INDEXED,
  keyOf,
  gen,
  randomBytes,
  stored,
  expectMessage,
  expectMessages,
  expectBatch,
  withLog,
  withFresh,
  seed,
  publishAll,
  consumeAll,
  sizesOf,
  deleteAll,
  expectNextOffset,
  offsetsFrom,
} from './helpers.ts';

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
    expectMessages(
      (await consumeAll(log, { max: 4 })).messages,
      expected.filter((m) => m.offset % 2 === 1),
      'consume after delete',
    );
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
    await deleteAll(
      log,
      Array.from({ length: 12 }, (_, i) => i),
    );
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
    const asMapKeys = await log.delete(
      new Map([
        [6, 'x'],
        [7, 'y'],
      ]).keys(),
    );
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
    await deleteAll(
      log,
      Array.from({ length: 10 }, (_, i) => i),
    );
    equal((await log.stat()).messages, 0, 'stat().messages');
    await expectNextOffset(log, 10, 'after deleting everything');
    await rejectsWith(() => log.getByKey(keyOf(3)), 'NotFound', 'getByKey of a deleted key');
    equal(await log.publish(gen(2, 10)), 12, 'publish');
    expectMessages(
      (await consumeAll(log)).messages,
      gen(2, 10).map((m, i) => stored(m, 10 + i)),
      'consume',
    );
    expectMessage(await log.getByKey(keyOf(11)), stored(gen(1, 11)[0], 11), 'getByKey(key 11)');
  });
});
