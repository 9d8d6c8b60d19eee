// backup: a consistent, independent copy that opens as a log.
import type { Log, Options } from '../../src/types.ts';
import { OffsetOldest } from '../../src/types.ts';
import { equal, near, rejectsWith, show } from './assert.ts';
import { contract } from './registry.ts';
import {
  SMALL_ROLLOVER,
  INDEXED,
  TIME_EPSILON,
  bytes,
  keyOf,
  gen,
  bad,
  stored,
  expectMessage,
  expectMessages,
  expectBatch,
  withLog,
  withFresh,
  seed,
  publishAll,
  consumeAll,
  deleteAll,
  expectNextOffset,
} from './helpers.ts';

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
      for (const offset of [0, 4, 7, 14])
        await rejectsWith(() => copy.get(offset), 'NotFound', `backup get(${offset})`);
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
