// Durable cursors: log.cursor(name) (src/client/cursor.ts).
import { OffsetNewest, OffsetOldest } from '../../../src/types.ts';
import { equal, fail, rejectsWith } from '../assert.ts';
import { kitCase } from './registry.ts';
import { gen, withLog, withLogs } from './helpers.ts';

kitCase(
  'cursor: starts at OffsetOldest; commit moves it (also back); OffsetOldest forgets, OffsetNewest skips to the end',
  async (ctx) => {
    await withLog(ctx, {}, async (log) => {
      const cursor = log.cursor('projection');
      equal(cursor.name, 'projection', 'name');
      equal(await cursor.position(), OffsetOldest, 'a cursor never committed');
      await log.publish(gen(10));
      await cursor.commit(4);
      equal(await cursor.position(), 4, 'after commit(4)');
      await cursor.commit(10);
      equal(await cursor.position(), 10, 'commit of the next offset');
      await cursor.commit(2);
      equal(await cursor.position(), 2, 'a cursor may move back');
      await cursor.commit(OffsetNewest);
      equal(await cursor.position(), 10, 'OffsetNewest stores the next offset');
      await cursor.commit(OffsetOldest);
      equal(await cursor.position(), OffsetOldest, 'OffsetOldest forgets it');
      equal(await log.cursor('projection').position(), OffsetOldest, 'a second handle on the same cursor agrees');
      // The position is what consume takes.
      await cursor.commit(7);
      equal((await log.consume(await cursor.position(), 100)).messages[0]?.offset, 7, 'consume from the position');
    });
  },
);

kitCase('cursor: positions survive close and reopen; names and logs are separate', async (ctx) => {
  const a = ctx.dir();
  const b = ctx.dir();
  await withLog(
    ctx,
    {},
    async (log) => {
      await log.publish(gen(5));
      await log.cursor('one').commit(3);
      await log.cursor('two').commit(5);
    },
    a,
  );
  await withLog(
    ctx,
    {},
    async (log) => {
      await log.publish(gen(5));
      await log.cursor('one').commit(1);
    },
    b,
  );
  await withLog(
    ctx,
    {},
    async (log) => {
      equal(await log.cursor('one').position(), 3, 'log a, cursor one');
      equal(await log.cursor('two').position(), 5, 'log a, cursor two');
      equal(await log.cursor('three').position(), OffsetOldest, 'log a, a cursor never committed');
    },
    a,
  );
  await withLog(
    ctx,
    {},
    async (log) => {
      equal(await log.cursor('one').position(), 1, 'log b, cursor one');
      equal(await log.cursor('two').position(), OffsetOldest, 'log b, cursor two');
    },
    b,
  );
});

kitCase('cursor: a readonly log reads and commits cursors; the writer sees its commits', async (ctx) => {
  const dir = ctx.dir();
  await withLogs(async (open) => {
    const writer = await open(dir, { createDirs: true });
    await writer.publish(gen(6));
    const reader = await open(dir, { readonly: true });
    await reader.cursor('reader-projection').commit(4);
    equal(await writer.cursor('reader-projection').position(), 4, 'the writer sees the reader’s commit');
    await writer.publish(gen(2, 6));
    await reader.cursor('reader-projection').commit(8);
    equal(
      await reader.cursor('reader-projection').position(),
      8,
      'the reader may commit what the writer just published',
    );
  }, ctx);
});

kitCase('cursor: bad offsets reject, bad names throw, a closed log rejects Closed', async (ctx) => {
  const log = await ctx.open(ctx.dir(), { createDirs: true });
  const cursor = log.cursor('c');
  try {
    await log.publish(gen(3));
    await rejectsWith(() => cursor.commit(4), 'InvalidOffset', 'an offset past the next offset');
    await rejectsWith(() => cursor.commit(-5), 'InvalidOffset', 'a negative offset');
    await rejectsWith(() => cursor.commit(1.5), 'InvalidArgument', 'a fractional offset');
    await rejectsWith(() => cursor.commit('2' as unknown as number), 'InvalidArgument', 'a string');
    equal(await cursor.position(), OffsetOldest, 'nothing was committed');
    for (const name of ['', 7, null]) {
      try {
        log.cursor(name as string);
        fail(`cursor(${String(name)}) should throw`);
      } catch (err) {
        equal((err as { code?: unknown }).code, 'InvalidArgument', `cursor(${JSON.stringify(name)})`);
      }
    }
  } finally {
    await log.close();
  }
  await rejectsWith(() => cursor.position(), 'Closed', 'position after close');
  await rejectsWith(() => cursor.commit(1), 'Closed', 'commit after close');
  await rejectsWith(() => log.cursor('other').position(), 'Closed', 'a new cursor after close');
});

kitCase(
  'cursor: a backup carries the committed cursors; the copy and the original then go their own ways',
  async (ctx) => {
    const source = ctx.dir();
    const copy = ctx.dir();
    await withLog(
      ctx,
      {},
      async (log) => {
        await log.publish(gen(6));
        await log.cursor('projection').commit(4);
        await log.cursor('audit').commit(6);
        await log.backup(copy);
        await log.cursor('projection').commit(5);
      },
      source,
    );
    await withLog(
      ctx,
      {},
      async (log) => {
        equal(await log.cursor('projection').position(), 4, 'the copy: projection as it was at the backup');
        equal(await log.cursor('audit').position(), 6, 'the copy: audit');
        equal(await log.cursor('other').position(), OffsetOldest, 'the copy: a cursor never committed');
      },
      copy,
    );
    await withLog(
      ctx,
      {},
      async (log) => {
        equal(await log.cursor('projection').position(), 5, 'the original keeps its later commit');
      },
      source,
    );
  },
);
